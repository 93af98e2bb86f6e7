"""aiokafka 0.14 (asyncio, pure Python protocol code) against a real fjord process.

aiokafka negotiates versions through ApiVersions like kafka-python but has its own record
batch code (`aiokafka.record`), its own group coordinator client and its own idempotent
producer, so it is a separate client for the brief's "any existing Kafka client" promise.
"""
import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def create_topic(bootstrap, topic, partitions):
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


@pytest.mark.parametrize("codec", [None, "gzip", "snappy", "lz4", "zstd"])
def test_produce_batches_and_read_back(broker, topic_name, codec):
    """Batched produce with each codec (Produce v3+ record batches, magic 2), duplicate
    header keys kept in order, then a session-less assign-and-read from the beginning."""

    async def go():
        await create_topic(broker.bootstrap, topic_name, 2)
        prod = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, compression_type=codec,
                                linger_ms=5, acks="all")
        await prod.start()
        try:
            futs = [await prod.send(topic_name, key=f"k{i}".encode(), value=f"v{i}".encode(),
                                    partition=i % 2,
                                    headers=[("dup", b"1"), ("dup", b"2")])
                    for i in range(200)]
            metas = await asyncio.gather(*futs)
        finally:
            await prod.stop()
        # Offsets the broker acknowledged are dense per partition, starting at 0.
        for p in (0, 1):
            assert sorted(m.offset for m in metas if m.partition == p) == list(range(100))

        cons = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
        await cons.start()
        try:
            cons.assign([TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)])
            got = []
            while len(got) < 200:
                batch = await cons.getmany(timeout_ms=2000)
                assert batch, "no records within 2 s"
                for records in batch.values():
                    got.extend(records)
        finally:
            await cons.stop()
        assert sorted(int(r.value[1:]) for r in got) == list(range(200))
        for r in got:
            assert r.key == b"k" + r.value[1:]
            assert list(r.headers) == [("dup", b"1"), ("dup", b"2")]
            assert r.partition == int(r.value[1:]) % 2

    run(go())


def test_idempotent_producer(broker, topic_name):
    """aiokafka's idempotent producer (InitProducerId, sequence numbers per partition)."""

    async def go():
        prod = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True)
        await prod.start()
        try:
            for i in range(50):
                await prod.send_and_wait(topic_name, value=f"{i}".encode(), partition=0)
        finally:
            await prod.stop()
        cons = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest")
        await cons.start()
        try:
            cons.assign([TopicPartition(topic_name, 0)])
            got = []
            while len(got) < 50:
                batch = await cons.getmany(timeout_ms=2000)
                assert batch
                for records in batch.values():
                    got.extend(int(r.value) for r in records)
        finally:
            await cons.stop()
        assert got == list(range(50))

    run(go())


def test_group_commit_and_resume(broker, topic_name):
    """A group member consumes, commits, leaves; a new member of the same group resumes right
    after the committed offset (OffsetCommit/OffsetFetch through aiokafka's coordinator)."""

    async def go():
        await create_topic(broker.bootstrap, topic_name, 3)
        prod = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await prod.start()
        try:
            for i in range(60):
                await prod.send(topic_name, value=f"{i}".encode(), partition=i % 3)
            await prod.flush()
        finally:
            await prod.stop()

        group = f"{topic_name}-g"

        async def consume(n):
            cons = AIOKafkaConsumer(topic_name, bootstrap_servers=broker.bootstrap,
                                    group_id=group, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
            await cons.start()
            got = []
            try:
                while len(got) < n:
                    batch = await cons.getmany(timeout_ms=3000, max_records=n - len(got))
                    assert batch, f"only {len(got)} of {n} records"
                    for records in batch.values():
                        got.extend(int(r.value) for r in records)
                await cons.commit()
                committed = {p: await cons.committed(TopicPartition(topic_name, p))
                             for p in range(3)}
            finally:
                await cons.stop()
            return got, committed

        first, committed = await consume(30)
        assert sum(committed.values()) == 30
        second, _ = await consume(30)
        assert sorted(first + second) == list(range(60))

    run(go())


def test_offsets_for_times_and_end_offsets(broker, topic_name):
    """ListOffsets by timestamp and latest through aiokafka (replay from a time)."""

    async def go():
        prod = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await prod.start()
        try:
            for i in range(10):
                await prod.send_and_wait(topic_name, value=b"x", partition=0,
                                         timestamp_ms=1_700_000_000_000 + i * 1000)
        finally:
            await prod.stop()
        cons = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await cons.start()
        try:
            tp = TopicPartition(topic_name, 0)
            found = await cons.offsets_for_times({tp: 1_700_000_000_000 + 4500})
            assert found[tp].offset == 5
            assert found[tp].timestamp == 1_700_000_000_000 + 5000
            assert (await cons.end_offsets([tp]))[tp] == 10
            assert (await cons.beginning_offsets([tp]))[tp] == 0
        finally:
            await cons.stop()

    run(go())
