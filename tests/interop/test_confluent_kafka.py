"""confluent-kafka (librdkafka 2.16) against a real fjord process.

Goal: what a Python user of confluent-kafka sees — admin create/delete, produce with every codec
and acks setting, consume back byte-identical records with keys, headers (duplicate keys in
order, KIP-82) and timestamps, watermarks and offsets_for_times (ListOffsets v1+, KIP-79).
"""
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create_topic(bootstrap, name, partitions=1, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fut = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                        config=config or {})])[name]
    fut.result(timeout=15)
    return admin


def consume_all(bootstrap, topic, expected, partitions=(0,), timeout=20.0, extra=None):
    conf = {"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "enable.auto.commit": False,
            "auto.offset.reset": "earliest"}
    conf.update(extra or {})
    c = Consumer(conf)
    c.assign([TopicPartition(topic, p, 0) for p in partitions])
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < expected and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        out.append(m)
    c.close()
    return out


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_consume_roundtrip_every_codec_and_acks(broker, topic_name, codec, acks):
    create_topic(broker.bootstrap, topic_name)
    p = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": codec, "acks": acks,
                  "linger.ms": 5, "enable.idempotence": False})
    delivered = []
    n = 200
    for i in range(n):
        p.produce(topic_name, key=f"k{i}".encode(), value=(f"v{i}-" + "x" * (i % 50)).encode(),
                  headers=[("h1", b"a"), ("dup", b"first"), ("dup", b"second")],
                  timestamp=1_700_000_000_000 + i,
                  on_delivery=lambda err, msg: delivered.append(err))
    assert p.flush(20) == 0
    assert delivered == [None] * n
    msgs = consume_all(broker.bootstrap, topic_name, n)
    assert [m.offset() for m in msgs] == list(range(n))
    for i, m in enumerate(msgs):
        assert m.key() == f"k{i}".encode()
        assert m.value() == (f"v{i}-" + "x" * (i % 50)).encode()
        assert m.headers() == [("h1", b"a"), ("dup", b"first"), ("dup", b"second")]
        assert m.timestamp()[1] == 1_700_000_000_000 + i


def test_null_key_and_value_tombstone_roundtrip(broker, topic_name):
    create_topic(broker.bootstrap, topic_name)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    p.produce(topic_name, value=None, key=b"k")
    p.produce(topic_name, value=b"v", key=None)
    assert p.flush(10) == 0
    msgs = consume_all(broker.bootstrap, topic_name, 2)
    assert [(m.key(), m.value()) for m in msgs] == [(b"k", None), (None, b"v")]


def test_idempotent_producer_acks_all(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=3)
    p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "acks": "all"})
    for i in range(300):
        p.produce(topic_name, key=str(i % 7).encode(), value=str(i).encode())
    assert p.flush(20) == 0
    msgs = consume_all(broker.bootstrap, topic_name, 300, partitions=(0, 1, 2))
    assert sorted(int(m.value()) for m in msgs) == list(range(300))


def test_watermarks_and_offsets_for_times(broker, topic_name):
    create_topic(broker.bootstrap, topic_name)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for i in range(10):
        p.produce(topic_name, value=b"x", timestamp=1_000_000 + i * 1000)
        p.flush(10)
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wm"})
    low, high = c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10)
    assert (low, high) == (0, 10)
    # ListOffsets by timestamp: first offset whose timestamp >= the query (KIP-79).
    res = c.offsets_for_times([TopicPartition(topic_name, 0, 1_000_000 + 4500)], timeout=10)
    assert res[0].offset == 5
    res = c.offsets_for_times([TopicPartition(topic_name, 0, 9_999_999)], timeout=10)
    assert res[0].offset == -1  # no such timestamp: Kafka answers offset -1 (end)
    c.close()


def test_admin_create_existing_and_delete(broker, topic_name):
    admin = create_topic(broker.bootstrap, topic_name, partitions=2)
    fut = admin.create_topics([NewTopic(topic_name, num_partitions=1, replication_factor=1)])[topic_name]
    with pytest.raises(KafkaException) as err:
        fut.result(timeout=10)
    assert "already exists" in str(err.value)
    md = admin.list_topics(timeout=10)
    assert len(md.topics[topic_name].partitions) == 2
    admin.delete_topics([topic_name])[topic_name].result(timeout=10)
    deadline = time.monotonic() + 10
    while topic_name in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.1)
    assert topic_name not in admin.list_topics(timeout=10).topics


def test_compacted_topic_refuses_records_without_key(broker, topic_name):
    """Kafka LogValidator.validateKey: a compacted topic answers INVALID_RECORD (87) to a record
    without a key; keyed records on the same topic are accepted."""
    create_topic(broker.bootstrap, topic_name, config={"cleanup.policy": "compact"})
    p = Producer({"bootstrap.servers": broker.bootstrap, "retries": 0, "enable.idempotence": False})
    errors = []
    # Separate flushes: Kafka rejects the whole batch that holds a keyless record.
    p.produce(topic_name, value=b"no key", on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    p.produce(topic_name, key=b"k", value=b"keyed", on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    assert len(errors) == 2
    assert errors[0] is not None and errors[0].code() == KafkaError.INVALID_RECORD
    assert errors[1] is None


def test_log_append_time_topic_stamps_broker_time(broker, topic_name):
    """message.timestamp.type=LogAppendTime: consumers see the broker's append time, typed as
    TIMESTAMP_LOG_APPEND_TIME (KIP-32)."""
    from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME
    create_topic(broker.bootstrap, topic_name, config={"message.timestamp.type": "LogAppendTime"})
    p = Producer({"bootstrap.servers": broker.bootstrap})
    before = int(time.time() * 1000)
    p.produce(topic_name, value=b"x", timestamp=1_000)  # a producer time far in the past
    assert p.flush(10) == 0
    after = int(time.time() * 1000)
    (m,) = consume_all(broker.bootstrap, topic_name, 1)
    ts_type, ts = m.timestamp()
    assert ts_type == TIMESTAMP_LOG_APPEND_TIME
    assert before - 1000 <= ts <= after + 1000


def test_admin_partitions_configs_and_delete_records(broker, topic_name):
    from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource,
                                       NewPartitions)
    admin = create_topic(broker.bootstrap, topic_name, partitions=1, config={"retention.ms": "3600000"})
    # CreatePartitions: 1 -> 3, visible in metadata.
    admin.create_partitions([NewPartitions(topic_name, 3)])[topic_name].result(timeout=10)
    assert len(admin.list_topics(topic_name, timeout=10).topics[topic_name].partitions) == 3
    # DescribeConfigs: the override and its source, a default and its source.
    res = ConfigResource(ConfigResource.Type.TOPIC, topic_name)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["retention.ms"].value == "3600000"
    assert configs["retention.ms"].source == 1  # DYNAMIC_TOPIC_CONFIG
    assert configs["cleanup.policy"].value == "delete"
    # IncrementalAlterConfigs (KIP-339): set one key, then read it back.
    res = ConfigResource(ConfigResource.Type.TOPIC, topic_name, incremental_configs=[
        ConfigEntry("max.message.bytes", "2000000",
                    incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([res])[res].result(timeout=10)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic_name)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["max.message.bytes"].value == "2000000"
    assert configs["retention.ms"].value == "3600000"
    # DeleteRecords: the low watermark moves, consumers start there.
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        p.produce(topic_name, value=str(i).encode(), partition=0)
    assert p.flush(10) == 0
    out = admin.delete_records([TopicPartition(topic_name, 0, 4)])
    assert out[TopicPartition(topic_name, 0, 4)].result(timeout=10).low_watermark == 4
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "dr"})
    assert c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10) == (4, 10)
    c.close()
    msgs = consume_all(broker.bootstrap, topic_name, 6)
    assert [int(m.value()) for m in msgs] == list(range(4, 10))
