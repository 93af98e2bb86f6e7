"""KIP-848 consumer groups (`group.protocol=consumer`) with confluent-kafka 2.16 (librdkafka
2.16, ConsumerGroupHeartbeat v1 / ConsumerGroupDescribe) against a real `fjord server start`.

Two consumers share a 6-partition topic, a third joins, one leaves: after every change each
partition is owned by exactly one member, as the server-side `uniform` assignor computes it
(KIP-848 "Assignment", Kafka `UniformAssignor`), and no partition is handed to a new owner
before the old owner revoked it. Offsets committed by the group (OffsetCommit v9 with the
member epoch) are where a restarted consumer resumes. The AdminClient's describe shows the
group through ConsumerGroupDescribe.
"""
import time

import pytest
from confluent_kafka import Consumer, ConsumerGroupType, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import FjordBroker

PARTITIONS = 6


@pytest.fixture(scope="module")
def kip848_broker(tmp_path_factory):
    b = FjordBroker(tmp_path_factory.mktemp("fjord-kip848"), {
        # Kafka's names; a short heartbeat so the test sees reconciliation steps quickly.
        "group.coordinator.rebalance.protocols": "classic,consumer",
        "group.consumer.heartbeat.interval.ms": "500",
        "group.consumer.session.timeout.ms": "10000",
    })
    b.start()
    yield b
    b.kill()


class Member:
    """A consumer using the KIP-848 protocol; ownership tracked from its callbacks."""

    def __init__(self, bootstrap, group, topic, name):
        self.name = name
        self.owned: set[int] = set()
        self.events: list[tuple[str, list[int], float]] = []
        self.seen: list[tuple[int, int]] = []  # (partition, offset)
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "group.protocol": "consumer", "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        })
        self.consumer.subscribe([topic], on_assign=self._assigned, on_revoke=self._revoked,
                                on_lost=self._revoked)

    def _assigned(self, consumer, partitions):
        ps = [p.partition for p in partitions]
        self.events.append(("assign", sorted(ps), time.monotonic()))
        self.owned |= set(ps)  # the consumer protocol is always incremental

    def _revoked(self, consumer, partitions):
        ps = [p.partition for p in partitions]
        self.events.append(("revoke", sorted(ps), time.monotonic()))
        self.owned -= set(ps)

    def poll(self, timeout=0.05):
        m = self.consumer.poll(timeout)
        if m is not None and not m.error():
            self.seen.append((m.partition(), m.offset()))

    def close(self):
        self.consumer.close()


def settle(members, sizes, timeout=45.0):
    """Polls until the members own `sizes` partitions (sorted); when the sizes add up to the
    topic, their union must be all of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in members:
            m.poll()
        owned = [sorted(m.owned) for m in members]
        flat = sorted(p for o in owned for p in o)
        whole = sum(sizes) < PARTITIONS or flat == list(range(PARTITIONS))
        if whole and len(set(flat)) == len(flat) and sorted(map(len, owned)) == sizes:
            return owned
    raise AssertionError(f"never settled to {sizes}: {[(m.name, sorted(m.owned)) for m in members]}")


def never_shared(members):
    """No partition was ever owned by two members at once (revocation before reassignment):
    replay every callback in time order."""
    events = sorted((t, m.name, kind, ps) for m in members for kind, ps, t in m.events)
    owner: dict[int, str] = {}
    for t, name, kind, ps in events:
        for p in ps:
            if kind == "assign":
                assert owner.get(p) in (None, name), f"partition {p} given to {name} while {owner[p]} owns it"
                owner[p] = name
            elif owner.get(p) == name:
                del owner[p]


def test_kip848_three_members_share_six_partitions_and_resume_offsets(kip848_broker, topic_name):
    bootstrap = kip848_broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic_name, PARTITIONS, 1)])[topic_name].result(15)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(60):
        p.produce(topic_name, value=str(i).encode(), partition=i % PARTITIONS)
    assert p.flush(10) == 0
    group = f"g-{topic_name}"

    a = Member(bootstrap, group, topic_name, "a")
    b = Member(bootstrap, group, topic_name, "b")
    assert settle([a, b], [3, 3])
    c = Member(bootstrap, group, topic_name, "c")
    assert settle([a, b, c], [2, 2, 2])
    # The survivors keep what they had (uniform is sticky) and lose one partition each.
    before_leave = {m.name: set(m.owned) for m in (a, b, c)}

    # ConsumerGroupDescribe (API 69) through the AdminClient.
    desc = admin.describe_consumer_groups([group])[group].result(15)
    assert desc.type == ConsumerGroupType.CONSUMER
    assert len(desc.members) == 3
    described = sorted(tp.partition for m in desc.members for tp in m.assignment.topic_partitions)
    assert described == list(range(PARTITIONS))
    # ListGroups v5 reports it as a "consumer" type group (KIP-848).
    listed = admin.list_consumer_groups().result(15)
    types = {g.group_id: g.type for g in listed.valid}
    assert types.get(group) == ConsumerGroupType.CONSUMER, types

    # Every member reads what it owns, then commits it (OffsetCommit v9, member epoch).
    for _ in range(60):
        for m in (a, b, c):
            m.poll()
    for m in (a, b, c):
        m.consumer.commit(asynchronous=False)
    committed = a.consumer.committed([TopicPartition(topic_name, i) for i in range(PARTITIONS)],
                                     timeout=10)
    assert [tp.offset for tp in committed] == [10] * PARTITIONS

    c.close()  # leaves with epoch -1
    after = settle([a, b], [3, 3])
    assert before_leave["a"] <= set(after[0]) and before_leave["b"] <= set(after[1])
    never_shared([a, b, c])
    a.close()
    b.close()

    # A new member of the same group resumes after the commits: nothing is re-read.
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(PARTITIONS):
        p.produce(topic_name, value=b"late", partition=i)
    assert p.flush(10) == 0
    d = Member(bootstrap, group, topic_name, "d")
    deadline = time.monotonic() + 30
    while len(d.seen) < PARTITIONS and time.monotonic() < deadline:
        d.poll(0.2)
    assert sorted(d.seen) == [(i, 10) for i in range(PARTITIONS)]
    d.close()


# A KIP-848 consumer in its own process (argv: bootstrap group topic), killed with SIGKILL.
CHILD = r"""
import sys
from confluent_kafka import Consumer
bootstrap, group, topic = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "child",
              "group.protocol": "consumer", "auto.offset.reset": "earliest"})
def assigned(consumer, ps):
    print("assigned", flush=True)
c.subscribe([topic], on_assign=assigned)
while True:
    c.poll(0.1)
"""


def test_kip848_killed_member_expires_after_session_timeout(kip848_broker, topic_name):
    """A member killed with SIGKILL sends no leave heartbeat: after
    group.consumer.session.timeout.ms (10 s here) the coordinator removes it, bumps the group
    epoch and the survivors take its partitions (Kafka `consumerGroupSessionTimeout`)."""
    import signal
    import subprocess
    import sys
    bootstrap = kip848_broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic_name, PARTITIONS, 1)])[topic_name].result(15)
    group = f"g-{topic_name}"
    a = Member(bootstrap, group, topic_name, "a")
    b = Member(bootstrap, group, topic_name, "b")
    settle([a, b], [3, 3])
    child = subprocess.Popen([sys.executable, "-c", CHILD, bootstrap, group, topic_name],
                             stdout=subprocess.PIPE, text=True)
    try:
        settle([a, b], [2, 2])  # the child took two partitions
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed_at = time.monotonic()
        settle([a, b], [3, 3], timeout=40)
        assert time.monotonic() - killed_at >= 8, "not before the 10 s session could expire"
        never_shared([a, b])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        a.close()
        b.close()
