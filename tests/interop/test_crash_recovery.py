"""Durability across process death: acknowledged acks=1 writes survive kill -9 (the page cache
survives a process kill) and a clean SIGTERM shutdown exits 0 quickly.
"""
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def produce_acked(bootstrap, topic, n, start=0):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 2})
    acked = []
    for i in range(start, start + n):
        p.produce(topic, value=str(i).encode(),
                  on_delivery=lambda err, msg: acked.append(int(msg.value())) if err is None else None)
    p.flush(20)
    return acked


def read_all(bootstrap, topic, timeout=20):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "crash", "enable.auto.commit": False})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.assign([TopicPartition(topic, 0, low)])
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < high - low and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            out.append(int(m.value()))
    c.close()
    return out, high


def test_kill9_keeps_every_acknowledged_record(fresh_broker, topic_name):
    b = fresh_broker
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic_name, 1, 1)])[topic_name].result(15)
    acked = produce_acked(b.bootstrap, topic_name, 5000)
    assert len(acked) == 5000
    b.kill()
    b.start()
    got, high = read_all(b.bootstrap, topic_name)
    assert high >= 5000
    assert got[:len(acked)] == acked
    # and the log keeps taking writes at the right offsets after recovery
    more = produce_acked(b.bootstrap, topic_name, 100, start=5000)
    assert len(more) == 100
    got, high = read_all(b.bootstrap, topic_name)
    assert got == acked + more


def test_sigterm_is_a_fast_clean_shutdown(fresh_broker, topic_name):
    b = fresh_broker
    acked = produce_acked(b.bootstrap, topic_name, 100)
    t0 = time.monotonic()
    assert b.stop() == 0
    assert time.monotonic() - t0 < 10
    b.start()
    got, _ = read_all(b.bootstrap, topic_name)
    assert got == acked
