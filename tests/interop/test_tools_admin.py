"""kafka-configs.sh, kafka-get-offsets.sh and kafka-delete-records.sh as processes against a
real fjord broker. Wording from Kafka's ConfigCommand ("Dynamic configs for topic t are:",
"  k=v sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:k=v, …}", "Completed updating config for
topic t.", InvalidConfigurationException's message alone on stderr), GetOffsetShell
("topic:partition:offset", --time -1 latest / -2 earliest, KIP-734 -3 max timestamp) and
DeleteRecordsCommand ("Executing records delete operation", "Records delete operation
completed:", "partition: t-p\tlow_watermark: n").
"""
import json
import os
import subprocess

from conftest import FJORD_BIN, ROOT

BIN = ROOT / "bin"


def run(script, broker, *args, input=None, timeout=60):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(BIN / script), "--bootstrap-server", broker.bootstrap, *args],
                          input=input, capture_output=True, text=True, timeout=timeout, env=env)


def create(broker, topic, partitions=1):
    r = run("kafka-topics.sh", broker, "--create", "--topic", topic, "--partitions",
            str(partitions))
    assert r.returncode == 0, r.stdout + r.stderr


def produce(broker, topic, lines, *args):
    r = run("kafka-console-producer.sh", broker, "--topic", topic, *args,
            input="".join(f"{l}\n" for l in lines))
    assert (r.returncode, r.stderr) == (0, "")


def configs(broker, *args):
    return run("kafka-configs.sh", broker, *args)


def test_topic_configs_add_describe_delete(broker, topic_name):
    create(broker, topic_name)
    entity = ["--entity-type", "topics", "--entity-name", topic_name]
    r = configs(broker, *entity, "--alter", "--add-config",
                "retention.ms=1000,segment.bytes=1048576")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for topic {topic_name}.\n")
    r = configs(broker, *entity, "--describe")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"Dynamic configs for topic {topic_name} are:"
    assert lines[1].startswith("  retention.ms=1000 sensitive=false "
                               "synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000"), lines[1]
    assert lines[2].startswith("  segment.bytes=1048576 sensitive=false synonyms={"
                               "DYNAMIC_TOPIC_CONFIG:segment.bytes=1048576, "
                               "DEFAULT_CONFIG:log.segment.bytes=1073741824}"), lines[2]
    assert len(lines) == 3
    # The override also shows in kafka-topics.sh --describe's Configs column.
    r = run("kafka-topics.sh", broker, "--describe", "--topic", topic_name)
    assert "Configs: retention.ms=1000,segment.bytes=1048576" in r.stdout.splitlines()[0]
    r = configs(broker, *entity, "--alter", "--delete-config", "retention.ms")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for topic {topic_name}.\n")
    lines = configs(broker, *entity, "--describe").stdout.splitlines()
    assert [l.split()[0] for l in lines[1:]] == ["segment.bytes=1048576"]


def test_topic_config_errors(broker, topic_name):
    create(broker, topic_name)
    entity = ["--entity-type", "topics", "--entity-name", topic_name]
    # Unknown key: InvalidConfigurationException, message only, exit 1.
    r = configs(broker, *entity, "--alter", "--add-config", "no.such.config=1")
    assert (r.returncode, r.stderr) == (1, "Unknown topic config name: no.such.config\n")
    # Deleting a key that is not set: ConfigCommand's "Invalid config(s): …".
    r = configs(broker, *entity, "--alter", "--delete-config", "retention.ms")
    assert (r.returncode, r.stderr) == (1, "Invalid config(s): retention.ms\n")
    # --alter with nothing to do: usage error.
    r = configs(broker, *entity, "--alter")
    assert r.returncode == 1
    assert r.stderr.startswith("At least one of --add-config, --add-config-file, or "
                               "--delete-config must be specified with --alter")
    # A missing topic.
    r = configs(broker, "--entity-type", "topics", "--entity-name", f"{topic_name}-nope",
                "--describe")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "Error while executing config command with args '--bootstrap-server "
        f"{broker.bootstrap} --entity-type topics --entity-name {topic_name}-nope --describe'",
        f"The topic '{topic_name}-nope' does not exist.",
    ]


def test_broker_configs_add_describe_delete(broker):
    entity = ["--entity-type", "brokers", "--entity-name", "1"]
    r = configs(broker, *entity, "--alter", "--add-config", "log.cleaner.threads=2")
    assert (r.returncode, r.stdout) == (0, "Completed updating config for broker 1.\n")
    lines = configs(broker, *entity, "--describe").stdout.splitlines()
    assert lines == ["Dynamic configs for broker 1 are:",
                     "  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:"
                     "log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}"]
    r = configs(broker, *entity, "--alter", "--delete-config", "log.cleaner.threads")
    assert (r.returncode, r.stdout) == (0, "Completed updating config for broker 1.\n")
    assert configs(broker, *entity, "--describe").stdout == "Dynamic configs for broker 1 are:\n"


def test_get_offsets_latest_earliest_and_partition_filters(broker, topic_name):
    create(broker, topic_name, partitions=2)
    produce(broker, topic_name, ["a", "b", "c"], "--property", "parse.key=false")
    r = run("kafka-get-offsets.sh", broker, "--topic", topic_name)
    assert r.returncode == 0, r.stderr
    rows = dict(l.rsplit(":", 1) for l in r.stdout.splitlines())
    assert set(rows) == {f"{topic_name}:0", f"{topic_name}:1"}
    assert sum(int(v) for v in rows.values()) == 3
    r = run("kafka-get-offsets.sh", broker, "--topic", topic_name, "--time", "-2")
    assert r.stdout == f"{topic_name}:0:0\n{topic_name}:1:0\n"
    r = run("kafka-get-offsets.sh", broker, "--topic", topic_name, "--partitions", "1",
            "--time", "latest")
    assert r.stdout == f"{topic_name}:1:{rows[f'{topic_name}:1']}\n"
    r = run("kafka-get-offsets.sh", broker, "--topic-partitions", f"{topic_name}:0")
    assert r.stdout == f"{topic_name}:0:{rows[f'{topic_name}:0']}\n"


def test_delete_records_moves_the_low_watermark(broker, topic_name, tmp_path):
    create(broker, topic_name)
    produce(broker, topic_name, [f"m{i}" for i in range(5)])
    spec = tmp_path / "offsets.json"
    spec.write_text(json.dumps({"partitions": [{"topic": topic_name, "partition": 0,
                                                "offset": 3}], "version": 1}))
    r = run("kafka-delete-records.sh", broker, "--offset-json-file", str(spec))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("Executing records delete operation\n"
                        "Records delete operation completed:\n"
                        f"partition: {topic_name}-0\tlow_watermark: 3\n")
    r = run("kafka-get-offsets.sh", broker, "--topic", topic_name, "--time", "-2")
    assert r.stdout == f"{topic_name}:0:3\n"
    r = run("kafka-console-consumer.sh", broker, "--topic", topic_name, "--partition", "0",
            "--from-beginning", "--max-messages", "2")
    assert r.stdout == "m3\nm4\n"


def test_delete_records_reports_a_missing_partition(broker, topic_name, tmp_path):
    spec = tmp_path / "offsets.json"
    spec.write_text(json.dumps({"partitions": [{"topic": f"{topic_name}-nope", "partition": 0,
                                                "offset": 1}], "version": 1}))
    r = run("kafka-delete-records.sh", broker, "--offset-json-file", str(spec))
    # DeleteRecordsCommand prints the per-partition error (UNKNOWN_TOPIC_OR_PARTITION).
    assert r.stdout.splitlines()[-1] == (f"partition: {topic_name}-nope-0\terror: This server "
                                         "does not host this topic-partition.")
