"""kafka-topics.sh run as a user runs it: a process with flags, stdout, stderr and an exit code,
against a real fjord broker process. Wording and layout are those of Kafka's TopicCommand
(org.apache.kafka.tools.TopicCommand, Kafka 3.9/4.x): "Created topic t.", printException's
"Error while executing topic command : …" on stdout, the --describe header and one
tab-indented line per partition, ensureTopicExists' "does not exist as expected".
"""
import os
import re
import subprocess
import time

import pytest

from conftest import FJORD_BIN, ROOT

BIN = ROOT / "bin"


def run(script, *args, input=None, timeout=60):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(BIN / script), *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env)


def topics(broker, *args, **kw):
    return run("kafka-topics.sh", "--bootstrap-server", broker.bootstrap, *args, **kw)


def create(broker, name, *args):
    r = topics(broker, "--create", "--topic", name, *args)
    assert (r.returncode, r.stdout) == (0, f"Created topic {name}.\n"), r.stderr
    return r


def describe_lines(broker, *args):
    r = topics(broker, "--describe", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def test_create_with_partitions_replication_factor_and_config_then_describe(broker, topic_name):
    # TopicCommand.createTopic prints "Created topic <name>."; --config is repeatable.
    create(broker, topic_name, "--partitions", "3", "--replication-factor", "1",
           "--config", "retention.ms=86400000", "--config", "cleanup.policy=compact")
    lines = describe_lines(broker, "--topic", topic_name)
    # TopicCommand.TopicDescription.printDescription: header then one line per partition.
    assert len(lines) == 4, lines
    header = re.fullmatch(rf"Topic: {topic_name}\tTopicId: ([A-Za-z0-9_-]{{22}})\t"
                          r"PartitionCount: 3\tReplicationFactor: 1\tConfigs: (.*)", lines[0])
    assert header, lines[0]
    assert sorted(header.group(2).split(",")) == ["cleanup.policy=compact",
                                                  "retention.ms=86400000"]
    for p, line in enumerate(lines[1:]):
        assert line.startswith(f"\tTopic: {topic_name}\tPartition: {p}\tLeader: 1\t"
                               "Replicas: 1\tIsr: 1"), line


def test_create_existing_topic_fails_and_if_not_exists_succeeds_silently(broker, topic_name):
    create(broker, topic_name)
    r = topics(broker, "--create", "--topic", topic_name)
    # TopicExistsException via printException, exit code 1.
    assert r.returncode == 1
    assert r.stdout == f"Error while executing topic command : Topic '{topic_name}' already exists.\n"
    r = topics(broker, "--create", "--topic", topic_name, "--if-not-exists")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr


def test_list_and_exclude_internal_hides_consumer_offsets(broker, topic_name):
    create(broker, topic_name)
    # A group consume makes the broker create __consumer_offsets.
    r = run("kafka-console-consumer.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--group", f"g-{topic_name}", "--timeout-ms", "1500")
    assert r.returncode == 0, r.stderr
    listed = topics(broker, "--list")
    assert listed.returncode == 0
    names = listed.stdout.splitlines()
    assert topic_name in names
    assert "__consumer_offsets" in names
    assert names == sorted(names)  # TopicCommand.listTopics sorts the names
    excluded = topics(broker, "--list", "--exclude-internal").stdout.splitlines()
    assert topic_name in excluded
    assert "__consumer_offsets" not in excluded


def test_topic_option_is_a_regex_for_list_and_describe(broker, topic_name):
    # TopicCommand.getTopics: --topic is an IncludeList regex for list/describe/alter/delete.
    create(broker, f"{topic_name}-a")
    create(broker, f"{topic_name}-b")
    create(broker, f"other-{topic_name}")
    r = topics(broker, "--list", "--topic", f"{topic_name}-.*")
    assert r.stdout.splitlines() == [f"{topic_name}-a", f"{topic_name}-b"]
    headers = [l for l in describe_lines(broker, "--topic", f"{topic_name}-.*")
               if l.startswith("Topic:")]
    assert [h.split("\t")[0] for h in headers] == [f"Topic: {topic_name}-a",
                                                   f"Topic: {topic_name}-b"]


def test_alter_increases_partitions_and_refuses_a_decrease(broker, topic_name):
    create(broker, topic_name, "--partitions", "2")
    r = topics(broker, "--alter", "--topic", topic_name, "--partitions", "4")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    assert "PartitionCount: 4" in describe_lines(broker, "--topic", topic_name)[0]
    r = topics(broker, "--alter", "--topic", topic_name, "--partitions", "3")
    # InvalidPartitionsException from CreatePartitions, message as Kafka's controller words it.
    assert r.returncode == 1
    assert r.stdout == ("Error while executing topic command : Topic currently has 4 partitions, "
                        "which is higher than the requested 3.\n")
    assert "PartitionCount: 4" in describe_lines(broker, "--topic", topic_name)[0]


def test_delete_then_delete_again_fails_unless_if_exists(broker, topic_name):
    create(broker, topic_name)
    r = topics(broker, "--delete", "--topic", topic_name)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    deadline = time.monotonic() + 10
    while topic_name in topics(broker, "--list").stdout.splitlines():
        assert time.monotonic() < deadline, "deleted topic still listed"
        time.sleep(0.2)
    r = topics(broker, "--delete", "--topic", topic_name)
    # ensureTopicExists throws inside TopicCommand's try: printException on stdout, exit 1.
    assert r.returncode == 1
    assert r.stdout == ("Error while executing topic command : "
                        f"Topic '{topic_name}' does not exist as expected\n")
    r = topics(broker, "--delete", "--topic", topic_name, "--if-exists")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr


@pytest.mark.parametrize("flag", ["--under-replicated-partitions", "--unavailable-partitions"])
def test_partition_health_reports_print_nothing_on_a_healthy_single_node(broker, topic_name, flag):
    # TopicCommand describe with a report option prints only matching partitions, no headers.
    create(broker, topic_name, "--partitions", "2")
    r = topics(broker, "--describe", flag)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr


def test_bad_flag_prints_usage_and_exits_non_zero(broker):
    r = topics(broker, "--no-such-flag")
    assert r.returncode != 0
    assert "--no-such-flag" in r.stderr
    assert "Usage: kafka-topics.sh" in r.stderr
    assert r.stdout == ""


def test_unreachable_bootstrap_fails_clearly_within_the_api_timeout(tmp_path):
    # Admin calls are bounded by default.api.timeout.ms (Kafka AdminClientConfig), set here via
    # --command-config; the error is the Java admin client's node-assignment timeout.
    cfg = tmp_path / "admin.properties"
    cfg.write_text("default.api.timeout.ms=2000\n")
    started = time.monotonic()
    r = run("kafka-topics.sh", "--bootstrap-server", "127.0.0.1:1", "--list",
            "--command-config", str(cfg), timeout=30)
    elapsed = time.monotonic() - started
    assert r.returncode == 1
    assert r.stdout == ("Error while executing topic command : Timed out waiting for a node "
                        "assignment. Call: listTopics\n")
    assert 1.5 <= elapsed < 10, elapsed
