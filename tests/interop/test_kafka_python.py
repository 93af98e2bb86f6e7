"""kafka-python 3.0 against a real fjord process, including old protocol versions.

kafka-python negotiates through ApiVersions; pinning api_version makes it use the older
Metadata/Produce/Fetch versions that old deployments still speak. Kafka 4 removed Produce v0-2
and the magic 0/1 message formats (KIP-896), so the oldest pin that can still produce to a
Kafka 4.1-compatible broker is (0, 11) (Produce v3, magic v2).
"""
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from conftest import kafka_python_consumer


@pytest.mark.parametrize("codec", [None, "gzip", "snappy", "lz4", "zstd"])
def test_produce_consume_roundtrip(broker, topic_name, codec):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1)])
    admin.close()
    prod = KafkaProducer(bootstrap_servers=broker.bootstrap, compression_type=codec, acks=1)
    for i in range(90):
        prod.send(topic_name, key=f"k{i}".encode(), value=f"v{i}".encode(),
                  headers=[("h1", b"a"), ("dup", b"first"), ("dup", b"second")], partition=i % 3)
    prod.flush(20)
    prod.close()
    cons = KafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                         consumer_timeout_ms=5000, enable_auto_commit=False)
    cons.assign([TopicPartition(topic_name, p) for p in range(3)])
    got = list(cons)
    cons.close()
    assert sorted(m.value for m in got) == sorted(f"v{i}".encode() for i in range(90))
    for m in got:
        assert m.key == b"k" + m.value[1:]
        assert m.headers == [("h1", b"a"), ("dup", b"first"), ("dup", b"second")]


@pytest.mark.parametrize("api_version", [(0, 11), (1, 0), (2, 0)])
def test_old_protocol_versions(broker, topic_name, api_version):
    prod = KafkaProducer(bootstrap_servers=broker.bootstrap, api_version=api_version)
    # auto.create.topics.enable is on by default: Metadata creates the topic.
    for i in range(20):
        prod.send(topic_name, value=f"old-{i}".encode()).get(timeout=20)
    prod.close()
    cons = kafka_python_consumer([topic_name], bootstrap_servers=broker.bootstrap,
                                 api_version=api_version, auto_offset_reset="earliest",
                                 consumer_timeout_ms=5000, group_id=None)
    got = [m.value for m in cons]
    cons.close()
    assert got == [f"old-{i}".encode() for i in range(20)]


def test_consumer_group_shares_partitions_and_commits(broker, topic_name):
    """Two kafka-python consumers in one group split a 4-partition topic (classic protocol,
    range assignor chosen by the members), consume every record once between them, and commit."""
    import threading
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic_name, num_partitions=4, replication_factor=1)])
    prod = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for i in range(40):
        prod.send(topic_name, value=f"{i}".encode(), partition=i % 4)
    prod.flush(20)
    prod.close()
    group = f"g-{topic_name}"
    consumers = [kafka_python_consumer([topic_name], bootstrap_servers=broker.bootstrap,
                                       group_id=group, auto_offset_reset="earliest",
                                       enable_auto_commit=False, consumer_timeout_ms=15000)
                 for _ in range(2)]
    seen = [[] for _ in consumers]

    def run(index):
        c = consumers[index]
        for m in c:
            seen[index].append((m.partition, int(m.value)))
            if sum(len(s) for s in seen) >= 40:
                break
        c.commit()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assignments = [sorted(tp.partition for tp in c.assignment()) for c in consumers]
    for c in consumers:
        c.close()
    values = sorted(v for s in seen for _, v in s)
    assert values == list(range(40)), seen
    # every partition owned by exactly one member
    assert sorted(assignments[0] + assignments[1]) == [0, 1, 2, 3], assignments
    assert all(len(a) == 2 for a in assignments), assignments
    offsets = admin.list_group_offsets(group)[group]  # OffsetFetch v8+, KIP-709
    admin.close()
    assert {tp.partition: om.offset for tp, om in offsets.items()} == {0: 10, 1: 10, 2: 10, 3: 10}
