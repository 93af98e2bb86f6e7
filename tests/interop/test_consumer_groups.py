"""Consumer groups against a real fjord process: a confluent-kafka group commits, Kafka's
kafka-consumer-groups.sh shows the lag, --reset-offsets --to-earliest --execute makes the next
run re-read, and committed offsets survive a restart (KIP-496 tools semantics, classic protocol).
"""
import os
import subprocess
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import FJORD_BIN, ROOT


def groups_tool(*args, bootstrap):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(ROOT / "bin" / "kafka-consumer-groups.sh"), "--bootstrap-server",
                           bootstrap, *args], capture_output=True, text=True, timeout=60, env=env)


def consume_and_commit(bootstrap, topic, group, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(int(m.value()))
    c.commit(asynchronous=False)
    c.close()
    return got


def lag_rows(stdout, group, topic):
    rows = {}
    for line in stdout.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == group and cols[1] == topic:
            rows[int(cols[2])] = (cols[3], cols[4], cols[5])
    return rows


def test_describe_lag_reset_and_restart(fresh_broker, topic_name):
    b = fresh_broker
    group = f"g-{topic_name}"
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic_name, 1, 1)])[topic_name].result(15)
    p = Producer({"bootstrap.servers": b.bootstrap})
    for i in range(10):
        p.produce(topic_name, value=str(i).encode())
    assert p.flush(10) == 0

    assert consume_and_commit(b.bootstrap, topic_name, group, 4) == [0, 1, 2, 3]
    r = groups_tool("--describe", "--group", group, bootstrap=b.bootstrap)
    assert r.returncode == 0, r.stderr
    assert "has no active members" in r.stderr  # Kafka prints it on stderr
    # CURRENT-OFFSET, LOG-END-OFFSET, LAG
    assert lag_rows(r.stdout, group, topic_name) == {0: ("4", "10", "6")}
    r = groups_tool("--list", bootstrap=b.bootstrap)
    assert group in r.stdout.split()

    # Committed offsets survive a kill -9 and a restart.
    b.kill()
    b.start()
    r = groups_tool("--describe", "--group", group, bootstrap=b.bootstrap)
    assert lag_rows(r.stdout, group, topic_name) == {0: ("4", "10", "6")}, r.stdout
    assert consume_and_commit(b.bootstrap, topic_name, group, 6) == [4, 5, 6, 7, 8, 9]

    r = groups_tool("--reset-offsets", "--group", group, "--topic", topic_name, "--to-earliest",
                    "--execute", bootstrap=b.bootstrap)
    assert r.returncode == 0, r.stderr
    assert "NEW-OFFSET" in r.stdout
    r = groups_tool("--describe", "--group", group, bootstrap=b.bootstrap)
    assert lag_rows(r.stdout, group, topic_name) == {0: ("0", "10", "10")}, r.stdout
    assert consume_and_commit(b.bootstrap, topic_name, group, 10) == list(range(10))
