"""Goal: the console's JSON API does what its pages promise, against a real fjord process and
real clients. Method: the API as the page calls it (session cookie + CSRF header); results are
checked against what confluent-kafka produced and consumed, and against Kafka's own answers
(offsets, configs, group states). Also `fjord console --bootstrap-server` as a separate process
(it speaks only the Kafka protocol), and its refusal to bind a non-loopback address without an
admin password (issue 6, "Access")."""
import re
import subprocess
import time

import pytest
from confluent_kafka import Consumer, Producer

from conftest import FJORD_BIN, FjordBroker, free_port
from console_helpers import CONSOLE_CONFIG, ConsoleSession, wait_http


@pytest.fixture(scope="module")
def console_broker(tmp_path_factory):
    b = FjordBroker(tmp_path_factory.mktemp("fjord-console-api"), extra_config=CONSOLE_CONFIG)
    b.start()
    wait_http(b.console_url + "/")
    yield b
    b.kill()


def produce(bootstrap, topic, records):
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, key, value, headers in records:
        producer.produce(topic, key=key, value=value, partition=partition, headers=headers)
    assert producer.flush(15) == 0


def test_overview_names_the_cluster_and_its_broker(console_broker):
    api = ConsoleSession(console_broker.console_url)
    status, body, _ = api.call("GET", "/api/overview")
    assert status == 200, body
    assert body["cluster_id"]
    assert [b["port"] for b in body["brokers"]] == [console_broker.port]
    assert body["brokers"][0]["controller"] is True
    assert body["embedded"] is True
    # Version and uptime come from the embedded broker's metrics (fjord_broker_info,
    # fjord_start_time_seconds; Kafka's app-info MBean), not from the Kafka protocol.
    assert body["brokers"][0]["version"] == "0.1.0"
    assert 0 <= body["brokers"][0]["uptime_seconds"] < 3600


def test_topic_lifecycle_create_describe_alter_add_partitions_delete(console_broker, topic_name):
    api = ConsoleSession(console_broker.console_url)
    status, body, _ = api.call("POST", "/api/topics", {"name": topic_name, "partitions": 2,
                                                        "configs": {"retention.ms": "3600000"}})
    assert status == 201, body
    status, body, _ = api.call("POST", "/api/topics", {"name": topic_name, "partitions": 2})
    assert status == 400 and "already exists" in body["error"], body
    status, body, _ = api.call("GET", f"/api/topics/{topic_name}")
    assert [p["partition"] for p in body["partitions"]] == [0, 1]
    retention = {c["name"]: c for c in body["configs"]}["retention.ms"]
    assert retention["value"] == "3600000" and retention["default"] is False
    status, body, _ = api.call("POST", f"/api/topics/{topic_name}/configs", {"set": {"retention.ms": "7200000"}})
    assert status == 204, body
    status, body, _ = api.call("POST", f"/api/topics/{topic_name}/partitions", {"count": 3})
    assert status == 204, body
    status, body, _ = api.call("GET", "/api/topics")
    listed = {t["name"]: t for t in body["topics"]}[topic_name]
    assert listed["partitions"] == 3 and listed["retention_ms"] == "7200000"
    status, body, _ = api.call("DELETE", f"/api/topics/{topic_name}")
    assert status == 204, body
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status, body, _ = api.call("GET", "/api/topics")
        if topic_name not in [t["name"] for t in body["topics"]]:
            break
        time.sleep(0.3)
    assert topic_name not in [t["name"] for t in body["topics"]]


def test_message_browser_by_offset_timestamp_newest_filter_and_hex(console_broker, topic_name):
    api = ConsoleSession(console_broker.console_url)
    assert api.call("POST", "/api/topics", {"name": topic_name, "partitions": 1})[0] == 201
    produce(console_broker.bootstrap, topic_name, [
        (0, b"a", b'{"n":0}', [("h", b"1"), ("h", b"2")]),
        (0, b"b", b"plain text", None),
        (0, b"c", b"\x00\xff", None),
    ])
    time.sleep(0.05)
    cut = int(time.time() * 1000)
    time.sleep(0.05)
    produce(console_broker.bootstrap, topic_name, [(0, b"d", b"after the cut", None)])
    base = f"/api/topics/{topic_name}/messages?partition=0"

    status, body, _ = api.call("GET", base + "&mode=offset&offset=1&limit=2")
    assert status == 200, body
    assert [r["offset"] for r in body["records"]] == [1, 2]
    assert body["records"][0]["value"] == "plain text"

    status, body, _ = api.call("GET", base + "&mode=newest&limit=2")
    assert [r["key"] for r in body["records"]] == ["c", "d"]

    status, body, _ = api.call("GET", base + f"&mode=timestamp&timestamp={cut}")
    assert [r["value"] for r in body["records"]] == ["after the cut"]

    status, body, _ = api.call("GET", base + "&mode=offset&offset=0&filter=plain")
    assert [r["offset"] for r in body["records"]] == [1]

    status, body, _ = api.call("GET", base + "&mode=offset&offset=0&limit=1&format=json")
    record = body["records"][0]
    assert record["value"] == '{\n  "n": 0\n}'
    # Duplicate header keys are kept, in order (KIP-82 headers are a list, not a map).
    assert [(h["key"], h["value"]) for h in record["headers"]] == [("h", "1"), ("h", "2")]
    assert record["timestamp"] > 0

    status, body, _ = api.call("GET", base + "&mode=offset&offset=2&limit=1&format=hex")
    assert body["records"][0]["value"] == "00 ff"

    status, body, _ = api.call("POST", f"/api/topics/{topic_name}/messages",
                               {"key": "k", "value": "from the api", "partition": 0,
                                "headers": [{"key": "x", "value": "y"}]})
    assert status == 200 and body["offset"] == 4, body
    consumer = Consumer({"bootstrap.servers": console_broker.bootstrap, "group.id": f"{topic_name}-check",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic_name])
    seen = []
    deadline = time.monotonic() + 30
    while len(seen) < 5 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            seen.append(msg)
    consumer.close()
    assert seen[-1].value() == b"from the api" and seen[-1].headers() == [("x", b"y")]


def test_group_lag_and_offset_reset_only_when_empty(console_broker, topic_name):
    api = ConsoleSession(console_broker.console_url)
    group = f"{topic_name}-g"
    assert api.call("POST", "/api/topics", {"name": topic_name, "partitions": 1})[0] == 201
    produce(console_broker.bootstrap, topic_name, [(0, None, b"m%d" % i, None) for i in range(10)])
    consumer = Consumer({"bootstrap.servers": console_broker.bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic_name])
    read = 0
    deadline = time.monotonic() + 30
    while read < 4 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            read += 1
            if read == 4:
                consumer.commit(message=msg, asynchronous=False)
    status, body, _ = api.call("GET", f"/api/groups/{group}")
    assert status == 200, body
    assert body["state"] == "Stable" and len(body["members"]) == 1
    row = body["partitions"][0]
    assert (row["committed"], row["end_offset"], row["lag"]) == (4, 10, 6)
    status, body, _ = api.call("POST", f"/api/groups/{group}/reset", {"to": "earliest"})
    assert status == 409 and "inactive" in body["error"], body
    consumer.close()

    status, body, _ = api.call("GET", "/api/groups")
    listed = {g["group_id"]: g for g in body["groups"]}[group]
    assert listed["state"] == "Empty" and listed["total_lag"] == 6
    status, body, _ = api.call("POST", f"/api/groups/{group}/reset", {"to": "earliest"})
    assert status == 200, body
    assert body["reset"] == [{"topic": topic_name, "partition": 0, "offset": 0}]
    status, body, _ = api.call("GET", f"/api/groups/{group}")
    assert body["total_lag"] == 10
    status, body, _ = api.call("POST", f"/api/groups/{group}/reset", {"to": "latest"})
    assert status == 200 and body["reset"][0]["offset"] == 10


def test_standalone_console_process_against_the_broker(console_broker, tmp_path):
    port = free_port()
    proc = subprocess.Popen([FJORD_BIN, "console", "--bootstrap-server", console_broker.bootstrap,
                             "--listen", f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path / "c")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url_line = proc.stdout.readline()
        assert url_line.strip() == f"Web console: http://127.0.0.1:{port}/", url_line
        password_line = proc.stdout.readline()
        match = re.search(r"password: (\S+)", password_line)
        assert match, password_line
        api = ConsoleSession(f"http://127.0.0.1:{port}", "admin", match.group(1))
        status, body, _ = api.call("GET", "/api/overview")
        assert status == 200 and body["embedded"] is False
        assert body["brokers"][0]["version"] is None, "standalone: the protocol has no version"
        assert [b["port"] for b in body["brokers"]] == [console_broker.port]
        status, _, _ = api.call("GET", "/metrics")
        assert status == 404, "a standalone console has no broker metrics"
    finally:
        proc.terminate()
        proc.wait(15)


def test_non_loopback_console_without_password_is_refused(tmp_path):
    proc = subprocess.run([FJORD_BIN, "console", "--bootstrap-server", "127.0.0.1:9",
                           "--listen", f"http://0.0.0.0:{free_port()}", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "refusing to serve the console on non-loopback address" in proc.stderr, proc.stderr
