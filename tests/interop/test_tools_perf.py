"""kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh as processes against a real fjord
broker. Line shapes from Kafka's ProducerPerformance.Stats: printWindow every 5 s ("%d records
sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.") and printTotal
("%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms
50th, %d ms 95th, %d ms 99th, %d ms 99.9th."); ConsumerPerformance's header "start.time,
end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" and one row with dates as "yyyy-MM-dd HH:mm:ss:SSS".
"""
import os
import re
import subprocess
import time

from conftest import FJORD_BIN, ROOT

BIN = ROOT / "bin"

TOTAL = re.compile(r"(?P<n>\d+) records sent, (?P<rate>\d+\.\d{6}) records/sec \((?P<mb>\d+\.\d{2}) "
                   r"MB/sec\), (?P<avg>\d+\.\d{2}) ms avg latency, (?P<max>\d+\.\d{2}) ms max "
                   r"latency, (?P<p50>\d+) ms 50th, (?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th, "
                   r"(?P<p999>\d+) ms 99\.9th\.")
WINDOW = re.compile(r"\d+ records sent, \d+\.\d records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d ms avg "
                    r"latency, \d+\.\d ms max latency\.")
HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")


def run(script, *args, timeout=60):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(BIN / script), *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def producer_perf(broker, topic, *args):
    return run("kafka-producer-perf-test.sh", "--topic", topic, *args, "--producer-props",
               f"bootstrap.servers={broker.bootstrap}", "acks=all")


def test_producer_summary_and_percentiles_then_consumer_reads_them_all(broker, topic_name):
    r = run("kafka-topics.sh", "--bootstrap-server", broker.bootstrap, "--create", "--topic",
            topic_name)
    assert r.returncode == 0
    r = producer_perf(broker, topic_name, "--num-records", "20000", "--record-size", "100",
                      "--throughput", "-1")
    assert r.returncode == 0, r.stderr
    m = TOTAL.fullmatch(r.stdout.splitlines()[-1])
    assert m, r.stdout
    assert m["n"] == "20000"
    assert int(m["p50"]) <= int(m["p95"]) <= int(m["p99"]) <= int(m["p999"]) <= float(m["max"])
    assert float(m["rate"]) > 0
    print("producer-perf:", r.stdout.splitlines()[-1])
    r = run("kafka-get-offsets.sh", "--bootstrap-server", broker.bootstrap, "--topic", topic_name)
    assert r.stdout == f"{topic_name}:0:20000\n"

    r = run("kafka-consumer-perf-test.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--messages", "20000", "--timeout", "20000")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 2, r.stdout
    cols = lines[1].split(", ")
    assert len(cols) == 10, lines[1]
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}"
    assert re.fullmatch(date, cols[0]) and re.fullmatch(date, cols[1]), cols
    # 20,000 records of 100 bytes: 1.9073 MB consumed, all 20,000 messages.
    assert (cols[2], cols[4]) == ("1.9073", "20000"), cols
    print("consumer-perf:", lines[1])


def test_producer_prints_a_window_line_every_five_seconds_when_throttled(broker, topic_name):
    # 5,600 records at 1,000/s: one printWindow line at ~5 s, then the total.
    r = producer_perf(broker, topic_name, "--num-records", "5600", "--record-size", "10",
                      "--throughput", "1000")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2, r.stdout
    assert WINDOW.fullmatch(lines[0]), lines[0]
    m = TOTAL.fullmatch(lines[1])
    assert m and m["n"] == "5600", lines[1]
    # --throughput caps the rate (ThroughputThrottler).
    assert float(m["rate"]) <= 1100


def test_producer_perf_argument_errors(broker, topic_name):
    r = producer_perf(broker, topic_name, "--num-records", "10", "--throughput", "-1")
    assert r.returncode == 1
    assert "Either --record-size or --payload-file must be specified but not both." in r.stderr


def test_consumer_perf_fjord_client_counts_what_librdkafka_produced_every_codec(broker, topic_name):
    # `--client fjord` (fjord's own Fetch reader) must count exactly what librdkafka's consumer
    # counts: keyed records with headers, every codec, three partitions, ConsumerPerformance's
    # data.consumed.in.MB = (key + value bytes) / 2^20. Control batches carry no records.
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])[
        topic_name].result(10)
    total_bytes = 0
    count = 0
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        p = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": codec,
                      "linger.ms": 20, "enable.idempotence": True})
        for i in range(2000):
            key = f"k{i}".encode()
            value = (f"{codec}-{i}-" + "x" * (i % 300)).encode()
            p.produce(topic_name, key=key, value=value, headers=[("h", b"v"), ("h", b"w")],
                      partition=i % 3)
            total_bytes += len(key) + len(value)
            count += 1
        assert p.flush(30) == 0
    expected_mb = f"{total_bytes / (1024 * 1024):.4f}"
    for client in ("fjord", "librdkafka"):
        r = run("kafka-consumer-perf-test.sh", "--bootstrap-server", broker.bootstrap, "--topic",
                topic_name, "--messages", str(count), "--timeout", "20000", "--client", client)
        assert r.returncode == 0, r.stderr
        cols = r.stdout.splitlines()[1].split(", ")
        assert (cols[2], cols[4]) == (expected_mb, str(count)), (client, cols)
    # Asking for more than the topic holds: Kafka's timeout warning, then what was read.
    r = run("kafka-consumer-perf-test.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--messages", str(count + 1), "--timeout", "1500", "--client", "fjord")
    assert r.returncode == 0, r.stderr
    assert "WARNING: Exiting before consuming the expected number of messages" in r.stderr
    assert r.stdout.splitlines()[1].split(", ")[4] == str(count)
    # --from-latest starts at the end: nothing to read.
    r = run("kafka-consumer-perf-test.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--messages", "1", "--timeout", "1500", "--client", "fjord",
            "--from-latest")
    assert r.stdout.splitlines()[1].split(", ")[4] == "0", r.stdout


def test_producer_perf_fjord_client_records_are_read_back_by_librdkafka(broker, topic_name,
                                                                         tmp_path):
    # `--client fjord` builds batches itself: confluent-kafka (librdkafka) must read back every
    # record, CreateTime stamped, compressed as asked, spread over the partitions in turn.
    from confluent_kafka import Consumer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])[
        topic_name].result(10)
    payloads = [f"payload-{i}-" + "y" * i for i in range(7)]
    payload_file = tmp_path / "payloads.txt"
    payload_file.write_text("\n".join(payloads) + "\n")
    before_ms = int(time.time() * 1000)
    r = run("kafka-producer-perf-test.sh", "--topic", topic_name, "--num-records", "30000",
            "--payload-file", str(payload_file), "--throughput", "-1", "--client", "fjord",
            "--producer-props", f"bootstrap.servers={broker.bootstrap}", "acks=all",
            "compression.type=lz4", "batch.size=16384")
    assert r.returncode == 0, r.stderr
    m = TOTAL.fullmatch(r.stdout.splitlines()[-1])
    assert m and m["n"] == "30000", r.stdout
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": topic_name,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic_name])
    seen, partitions = [], set()
    deadline = time.time() + 30
    while len(seen) < 30000 and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None or msg.error():
            continue
        seen.append(msg.value().decode())
        partitions.add(msg.partition())
        assert msg.timestamp()[1] >= before_ms - 1000
    c.close()
    assert len(seen) == 30000
    # Record i carries payload i mod 7 (fjord's tool cycles through the file's payloads; Kafka's
    # ProducerPerformance picks one at random).
    assert sorted(seen) == sorted(payloads[i % 7] for i in range(30000))
    assert partitions == {0, 1, 2}
    # acks=0 needs a client that does not wait for responses: a clear refusal.
    r = run("kafka-producer-perf-test.sh", "--topic", topic_name, "--num-records", "10",
            "--record-size", "10", "--throughput", "-1", "--client", "fjord",
            "--producer-props", f"bootstrap.servers={broker.bootstrap}", "acks=0")
    assert r.returncode == 1
    assert "acks=0" in r.stderr
