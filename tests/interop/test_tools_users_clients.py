"""kafka-configs.sh --entity-type users|clients and kafka-consumer-groups.sh --from-file/--export
as processes against a real fjord broker, checked on stdout, stderr and exit code.

Wording from Kafka's ConfigCommand (tools/src/main/java/org/apache/kafka/tools/ConfigCommand.java):
"Quota configs for user-principal 'alice', client-id 'app' are k=v, …" (values as Java doubles),
"SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192",
"Completed updating config for user alice." / "Completed updating default config for users in the
cluster.", IllegalArgumentException messages alone on stderr. Broker-side refusals carry the codes of
Kafka's ScramControlManager (UNACCEPTABLE_CREDENTIAL 93, RESOURCE_NOT_FOUND 91, DUPLICATE_RESOURCE 92)
and ClientQuotaControlManager (INVALID_REQUEST 42). Synonyms follow ConfigHelper.configSynonyms.
"""
import os
import subprocess
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import FJORD_BIN, ROOT, FjordBroker

BIN = ROOT / "bin"


def run(script, bootstrap, *args, timeout=60):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(BIN / script), "--bootstrap-server", bootstrap, *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def configs(broker, *args):
    return run("kafka-configs.sh", broker.bootstrap, *args)


def test_scram_credentials_add_describe_delete(broker, topic_name):
    user = f"u-{topic_name}"[:60]
    entity = ["--entity-type", "users", "--entity-name", user]
    r = configs(broker, "--alter", *entity, "--add-config",
                "SCRAM-SHA-256=[iterations=8192,password=alice-secret]")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"Completed updating config for user {user}.\n", "")
    r = configs(broker, "--alter", *entity, "--add-config", "SCRAM-SHA-512=[password=alice-secret]")
    assert r.returncode == 0, r.stderr
    r = configs(broker, "--describe", *entity)
    assert (r.returncode, r.stdout) == (
        0, f"SCRAM credential configs for user-principal '{user}' are "
           "SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n")
    r = configs(broker, "--alter", *entity, "--delete-config", "SCRAM-SHA-512")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for user {user}.\n")
    r = configs(broker, "--describe", *entity)
    assert r.stdout == f"SCRAM credential configs for user-principal '{user}' are SCRAM-SHA-256=iterations=8192\n"
    # Deleting it again: the broker's RESOURCE_NOT_FOUND, reported as ConfigCommand.main does.
    r = configs(broker, "--alter", *entity, "--delete-config", "SCRAM-SHA-512")
    assert r.returncode == 1
    assert r.stderr.startswith("Error while executing config command with args '"), r.stderr
    assert "Attempt to delete a user credential that does not exist" in r.stderr


def test_scram_errors(broker, topic_name):
    user = f"e-{topic_name}"[:60]
    entity = ["--entity-type", "users", "--entity-name", user]
    # Both mechanisms in one request: a KRaft Kafka controller refuses it (ScramControlManager
    # keys a request's changes by user name) and stores nothing.
    r = configs(broker, "--alter", *entity, "--add-config",
                "SCRAM-SHA-256=[iterations=8192,password=x],SCRAM-SHA-512=[password=x]")
    assert r.returncode == 1
    assert r.stderr.endswith("\nA user credential cannot be altered twice in the same request\n"), r.stderr
    assert configs(broker, "--describe", *entity).stdout == ""
    # Above ScramControlManager.MAX_ITERATIONS (16384): UNACCEPTABLE_CREDENTIAL from the broker.
    r = configs(broker, "--alter", *entity, "--add-config", "SCRAM-SHA-256=[iterations=16385,password=x]")
    assert r.returncode == 1 and "Too many iterations" in r.stderr, r.stderr
    # Below the mechanism minimum: refused by the tool itself (parseIterationsAndPasswordBytes).
    r = configs(broker, "--alter", *entity, "--add-config", "SCRAM-SHA-256=[iterations=1000,password=x]")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "Iterations 1000 is less than the minimum 4096 required for SCRAM-SHA-256\n")
    r = configs(broker, "--alter", *entity, "--add-config", "SCRAM-SHA-1=[password=x]")
    assert (r.returncode, r.stderr) == (
        1, "Only quota and SCRAM credential configs can be added for 'users' using "
           "--bootstrap-server. Unexpected config names: SCRAM-SHA-1\n")
    r = configs(broker, "--alter", "--entity-type", "users", "--entity-default", "--add-config",
                "SCRAM-SHA-256=[password=x]")
    assert (r.returncode, r.stderr) == (
        1, "The use of --entity-default or --user-defaults is not allowed with User SCRAM "
           "Credentials using --bootstrap-server.\n")


def test_quotas_for_users_clients_pairs_and_defaults(broker, topic_name):
    user, client = f"qu-{topic_name}"[:50], f"qc-{topic_name}"[:50]
    r = configs(broker, "--alter", "--entity-type", "users", "--entity-name", user, "--add-config",
                "producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=200")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for user {user}.\n"), r.stderr
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", client,
                "--add-config", "producer_byte_rate=10485760")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for client {client}.\n"), r.stderr
    pair = ["--entity-type", "users", "--entity-name", user, "--entity-type", "clients",
            "--entity-name", client]
    r = configs(broker, "--alter", *pair, "--add-config", "consumer_byte_rate=4096")
    assert (r.returncode, r.stdout) == (0, f"Completed updating config for user {user}.\n"), r.stderr
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-default", "--add-config",
                "request_percentage=50.5")
    assert (r.returncode, r.stdout) == (0, "Completed updating default config for clients in the cluster.\n")

    r = configs(broker, "--describe", "--entity-type", "users", "--entity-name", user)
    assert (r.returncode, r.stdout) == (
        0, f"Quota configs for user-principal '{user}' are consumer_byte_rate=2048.0, "
           "producer_byte_rate=1024.0, request_percentage=200.0\n")
    r = configs(broker, "--describe", "--entity-type", "clients", "--entity-name", client)
    assert r.stdout == f"Quota configs for client-id '{client}' are producer_byte_rate=1.048576E7\n"
    r = configs(broker, "--describe", *pair)
    assert r.stdout == (f"Quota configs for user-principal '{user}', client-id '{client}' are "
                        "consumer_byte_rate=4096.0\n")
    # The same pair with the shorthand flags --user/--client.
    r = configs(broker, "--describe", "--user", user, "--client", client)
    assert r.stdout == (f"Quota configs for user-principal '{user}', client-id '{client}' are "
                        "consumer_byte_rate=4096.0\n")
    r = configs(broker, "--describe", "--entity-type", "clients", "--entity-default")
    assert r.stdout == "Quota configs for the default client-id are request_percentage=50.5\n"

    # Delete a key; deleting one that is not set is InvalidConfigurationException.
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", client,
                "--delete-config", "producer_byte_rate")
    assert r.returncode == 0, r.stderr
    assert configs(broker, "--describe", "--entity-type", "clients", "--entity-name", client).stdout == ""
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", client,
                "--delete-config", "producer_byte_rate")
    assert (r.returncode, r.stderr) == (1, "Invalid config(s): producer_byte_rate\n")


def test_quota_errors(broker):
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", "app",
                "--add-config", "SCRAM-SHA-256=[password=x]")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "Only quota configs can be added for 'clients' using --bootstrap-server. "
               "Unexpected config names: SCRAM-SHA-256\n")
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", "app",
                "--add-config", "producer_byte_rate=fast")
    assert (r.returncode, r.stderr) == (
        1, "Cannot parse quota configuration value for producer_byte_rate: fast\n")
    # A fractional byte rate: the broker's INVALID_REQUEST (ClientQuotaControlManager).
    r = configs(broker, "--alter", "--entity-type", "clients", "--entity-name", "app",
                "--add-config", "producer_byte_rate=1.5")
    assert r.returncode == 1
    assert "Configuration producer_byte_rate must be a Long value" in r.stderr, r.stderr
    r = configs(broker, "--describe", "--entity-type", "users", "--entity-type", "topics")
    assert (r.returncode, r.stderr) == (
        1, "Only 'users' and 'clients' entity types may be specified together\n")
    # checkArgs order: duplicate types are reported before mixing generic and specific flags.
    r = configs(broker, "--describe", "--entity-type", "users", "--user", "x")
    assert (r.returncode, r.stderr) == (1, "Duplicate entity type(s) specified: users\n")
    r = configs(broker, "--describe", "--entity-type", "clients", "--user", "x")
    assert (r.returncode, r.stderr) == (
        1, "--entity-{type,name,default} should not be used in conjunction with specific entity flags\n")
    r = configs(broker, "--alter", "--entity-type", "users", "--add-config", "producer_byte_rate=1")
    assert (r.returncode, r.stderr) == (
        1, "An entity-name or default entity must be specified with --alter of users, clients, "
           "brokers or ips\n")
    r = configs(broker, "--describe", "--entity-type", "nobodies")
    assert r.returncode == 1
    assert r.stderr.startswith("Invalid entity type nobodies, the entity type must be one of "
                               "broker-loggers, topics, clients, users, brokers"), r.stderr


def test_credentials_and_quotas_survive_restart(fresh_broker):
    b = fresh_broker
    assert configs(b, "--alter", "--entity-type", "users", "--entity-name", "alice",
                   "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret]").returncode == 0
    assert configs(b, "--alter", "--entity-type", "users", "--entity-name", "alice",
                   "--add-config", "producer_byte_rate=1024").returncode == 0
    before = configs(b, "--describe", "--entity-type", "users", "--entity-name", "alice").stdout
    assert b.stop() == 0
    b.start()
    after = configs(b, "--describe", "--entity-type", "users", "--entity-name", "alice").stdout
    assert after == before == (
        "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0\n"
        "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n")
    # The password is never stored: only salt/StoredKey/ServerKey (UserScramCredentialRecord).
    for path in (b.data_dir / "__cluster_metadata-0").glob("*.log"):
        assert b"alice-secret" not in path.read_bytes()


def test_broker_synonyms_and_static_retention_minutes(tmp_path, topic_name):
    b = FjordBroker(tmp_path, {"log.retention.minutes": "5"})
    b.start()
    try:
        r = configs(b, "--describe", "--all", "--entity-type", "brokers", "--entity-name", "1")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "All configs for broker 1 are:"
        # ConfigHelper.createBrokerConfigEntry over DynamicBrokerConfig.brokerConfigSynonyms.
        assert ("  log.retention.minutes=5 sensitive=false synonyms={STATIC_BROKER_CONFIG:"
                "log.retention.minutes=5, DEFAULT_CONFIG:log.retention.hours=168}") in lines
        assert ("  log.retention.hours=168 sensitive=false synonyms="
                "{DEFAULT_CONFIG:log.retention.hours=168}") in lines
        # The static minutes apply to topics: retention.ms = 5 min (KafkaConfig ms > minutes > hours).
        assert run("kafka-topics.sh", b.bootstrap, "--create", "--topic", topic_name).returncode == 0
        r = configs(b, "--describe", "--all", "--entity-type", "topics", "--entity-name", topic_name)
        lines = r.stdout.splitlines()
        retention = [l for l in lines if l.startswith("  retention.ms=")]
        # Kafka's createTopicConfigEntry keeps broker rows from the primary synonym
        # log.retention.ms on (dropWhile), so none are listed here.
        assert retention == ["  retention.ms=300000 sensitive=false synonyms={}"], lines
        assert ("  segment.bytes=1073741824 sensitive=false synonyms="
                "{DEFAULT_CONFIG:log.segment.bytes=1073741824}") in lines
    finally:
        b.kill()


def groups_tool(bootstrap, *args):
    return run("kafka-consumer-groups.sh", bootstrap, *args)


def test_reset_offsets_export_and_from_file(broker, topic_name, tmp_path):
    group = f"g-{topic_name}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic_name, 2, 1)])[topic_name].result(15)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        p.produce(topic_name, value=str(i).encode(), partition=i % 2)
    assert p.flush(10) == 0
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.subscribe([topic_name])
    got, deadline = 0, time.monotonic() + 30
    while got < 10 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got += 1
    c.commit(asynchronous=False)
    c.close()

    # --list --type [--state] (ConsumerGroupCommand.printGroupInfo): GROUP, TYPE, STATE columns.
    r = groups_tool(broker.bootstrap, "--list", "--type", "--state")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["GROUP", "TYPE", "STATE"]
    assert [group, "Classic", "Empty"] in [l.split() for l in lines[1:]], r.stdout
    r = groups_tool(broker.bootstrap, "--list", "--type", "consumer")
    assert group not in r.stdout
    r = groups_tool(broker.bootstrap, "--list", "--type", "share")
    assert r.returncode == 1
    assert r.stderr.startswith("Invalid types list 'share'. Valid types are: Classic, Consumer")

    # --export with --dry-run prints the plan as Kafka's CSV (topic,partition,offset for one group).
    r = groups_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--topic",
                    f"{topic_name}:0,1", "--to-earliest", "--dry-run", "--export")
    assert (r.returncode, r.stdout) == (0, f"{topic_name},0,0\n{topic_name},1,0\n\n"), r.stderr
    # --to-current with --all-topics keeps the committed offsets.
    r = groups_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--all-topics",
                    "--to-current", "--dry-run", "--export")
    assert r.stdout == f"{topic_name},0,5\n{topic_name},1,5\n\n"

    # --from-file applies a CSV plan; offsets past the log end are clamped (checkOffsetsRange).
    plan = tmp_path / "plan.csv"
    plan.write_text(f"{topic_name},0,2\n{topic_name},1,99\n")
    r = groups_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--all-topics",
                    "--from-file", str(plan), "--execute")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [l.split() for l in r.stdout.splitlines() if l.startswith(group)]
    assert rows == [[group, topic_name, "0", "2"], [group, topic_name, "1", "5"]], r.stdout
    r = groups_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--all-topics",
                    "--to-current", "--dry-run", "--export")
    assert r.stdout == f"{topic_name},0,2\n{topic_name},1,5\n\n"
    # A plan for another group only: Kafka's printError.
    other = tmp_path / "other.csv"
    other.write_text(f"someone-else,{topic_name},0,1\n")
    r = groups_tool(broker.bootstrap, "--reset-offsets", "--group", group, "--all-topics",
                    "--from-file", str(other), "--dry-run")
    assert r.returncode == 0
    assert f"\nError: No reset plan for group {group} found\n" in r.stdout, r.stdout
