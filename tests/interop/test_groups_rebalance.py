"""Classic consumer groups under membership changes, with confluent-kafka 2.16 (librdkafka 2.16)
against a real `fjord server start` process (issue 5, "How it must be shown").

- Three consumers on a 6-partition topic: after every rebalance (join, clean leave, a member
  killed with SIGKILL and expired after session.timeout.ms) each partition is owned by exactly
  one member (Kafka `AbstractCoordinator`/`ConsumerCoordinator` contract).
- cooperative-sticky (KIP-429): while a third member joins, records of partitions that do not
  move keep arriving at the members that keep them, and the callbacks are incremental.
- Static membership (KIP-345, `group.instance.id`): a member restarted within its session
  timeout gets its partitions back and the other members see no rebalance.

Members that must die uncleanly run in a child process (CHILD_MEMBER below) that prints its
assignment as JSON lines; the others are polled from this process.
"""
import json
import signal
import subprocess
import sys
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import FjordBroker

PARTITIONS = 6
SESSION_TIMEOUT_MS = 6000  # Kafka's group.min.session.timeout.ms default

# A consumer process: argv = bootstrap group topic client-id session-timeout [instance-id];
# prints {"owned": [...]} after every assignment change.
CHILD_MEMBER = r"""
import json, sys
from confluent_kafka import Consumer
bootstrap, group, topic, name, session = sys.argv[1:6]
conf = {"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
        "session.timeout.ms": int(session), "heartbeat.interval.ms": 500,
        "auto.offset.reset": "earliest", "enable.auto.commit": False}
if len(sys.argv) > 6:
    conf["group.instance.id"] = sys.argv[6]
owned = set()
def report():
    print(json.dumps({"owned": sorted(owned)}), flush=True)
def assigned(c, ps):
    owned.clear(); owned.update(p.partition for p in ps); report()
def revoked(c, ps):
    owned.clear(); report()
c = Consumer(conf)
c.subscribe([topic], on_assign=assigned, on_revoke=revoked, on_lost=revoked)
while True:
    c.poll(0.1)
"""


@pytest.fixture(scope="module")
def group_broker(tmp_path_factory):
    # No initial rebalance delay: the tests measure rebalances, not the 3 s wait for an empty
    # group's first members (group.initial.rebalance.delay.ms, Kafka GroupCoordinatorConfig).
    b = FjordBroker(tmp_path_factory.mktemp("fjord-groups"),
                    {"group.initial.rebalance.delay.ms": "0"})
    b.start()
    yield b
    b.kill()


def make_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(15)


class Member:
    """An in-process consumer that records its assignment from the rebalance callbacks."""

    def __init__(self, bootstrap, group, topic, name, **extra):
        self.name = name
        self.owned: set[int] = set()
        self.events: list[tuple[str, list[int], float]] = []
        self.records: list[tuple[int, float]] = []  # (partition, arrival time)
        conf = {"bootstrap.servers": bootstrap, "group.id": group,
                "auto.offset.reset": "earliest", "enable.auto.commit": False,
                "session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": 500,
                "client.id": name}
        conf.update(extra)
        self.cooperative = conf.get("partition.assignment.strategy") == "cooperative-sticky"
        self.consumer = Consumer(conf)
        self.consumer.subscribe([topic], on_assign=self._assigned, on_revoke=self._revoked,
                                on_lost=self._revoked)

    def _assigned(self, consumer, partitions):
        ps = sorted(p.partition for p in partitions)
        self.events.append(("assign", ps, time.monotonic()))
        if self.cooperative:
            self.owned |= set(ps)
        else:
            self.owned = set(ps)

    def _revoked(self, consumer, partitions):
        ps = sorted(p.partition for p in partitions)
        self.events.append(("revoke", ps, time.monotonic()))
        if self.cooperative:
            self.owned -= set(ps)
        else:
            self.owned = set()

    def poll(self, timeout=0.05):
        m = self.consumer.poll(timeout)
        if m is not None and not m.error():
            self.records.append((m.partition(), time.monotonic()))

    def close(self):
        self.consumer.close()


class ChildMember:
    """A consumer in its own process, so it can be killed with SIGKILL."""

    def __init__(self, bootstrap, group, topic, name, instance_id=None):
        args = [sys.executable, "-c", CHILD_MEMBER, bootstrap, group, topic, name,
                str(SESSION_TIMEOUT_MS)]
        if instance_id:
            args.append(instance_id)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.owned: set[int] = set()
        self.assignments: list[list[int]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            self.owned = set(event["owned"])
            self.assignments.append(event["owned"])

    def poll(self, timeout=0.05):
        time.sleep(timeout / 3)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def close(self):
        self.kill()


def settle(members, expect_sizes, timeout=45.0):
    """Polls until the members' assignments partition the topic with the expected sizes;
    returns the assignments."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in members:
            m.poll()
        owned = [sorted(m.owned) for m in members]
        flat = [p for o in owned for p in o]
        if sorted(flat) == list(range(PARTITIONS)) and sorted(map(len, owned)) == expect_sizes:
            return owned
    raise AssertionError(f"assignments never settled to {expect_sizes}: "
                         f"{[(m.__class__.__name__, sorted(m.owned)) for m in members]}")


def assert_exclusive(owned):
    flat = [p for o in owned for p in o]
    assert sorted(flat) == list(range(PARTITIONS)), owned  # each partition exactly once


def test_join_leave_and_kill_each_rebalance_to_exclusive_ownership(group_broker, topic_name):
    bootstrap = group_broker.bootstrap
    make_topic(bootstrap, topic_name)
    group = f"g-{topic_name}"
    a = Member(bootstrap, group, topic_name, "a")
    assert_exclusive(settle([a], [6]))
    b = Member(bootstrap, group, topic_name, "b")
    assert_exclusive(settle([a, b], [3, 3]))
    c = Member(bootstrap, group, topic_name, "c")
    owned = settle([a, b, c], [2, 2, 2])
    assert_exclusive(owned)

    # Clean leave (LeaveGroup): the two survivors take over c's partitions.
    c.close()
    assert_exclusive(settle([a, b], [3, 3]))

    # A member killed with SIGKILL sends no LeaveGroup: the broker expires it after
    # session.timeout.ms and rebalances (Kafka onClassicGroupMemberHeartbeatExpiration).
    child = ChildMember(bootstrap, group, topic_name, "killed")
    try:
        assert_exclusive(settle([a, b, child], [2, 2, 2]))
        child.kill()
        killed_at = time.monotonic()
        child.owned = set()
        assert_exclusive(settle([a, b], [3, 3], timeout=SESSION_TIMEOUT_MS / 1000 + 30))
        # Not before the session could have expired (minus heartbeat slack).
        assert time.monotonic() - killed_at >= SESSION_TIMEOUT_MS / 1000 - 1.5
    finally:
        child.kill()
        a.close()
        b.close()


def test_cooperative_sticky_keeps_consuming_unmoved_partitions(group_broker, topic_name):
    """KIP-429: a joining member only takes partitions that are revoked first; the rest keep
    being fetched through both rebalances."""
    bootstrap = group_broker.bootstrap
    make_topic(bootstrap, topic_name)
    group = f"g-{topic_name}"
    coop = {"partition.assignment.strategy": "cooperative-sticky"}
    a = Member(bootstrap, group, topic_name, "a", **coop)
    b = Member(bootstrap, group, topic_name, "b", **coop)
    before = settle([a, b], [3, 3])
    assert_exclusive(before)

    stop = threading.Event()

    def produce():
        p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        while not stop.is_set():
            for part in range(PARTITIONS):
                p.produce(topic_name, value=b"x", partition=part)
            p.poll(0)
            time.sleep(0.02)
        p.flush(10)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        for _ in range(40):  # everyone is fetching
            a.poll()
            b.poll()
        mark = len(a.events), len(b.events)
        joined_at = time.monotonic()
        c = Member(bootstrap, group, topic_name, "c", **coop)
        after = settle([a, b, c], [2, 2, 2])
        assert_exclusive(after)
        c_assigned_at = next(t for kind, ps, t in c.events if kind == "assign" and ps)
        for member, start, old in ((a, mark[0], before[0]), (b, mark[1], before[1])):
            new_events = member.events[start:]
            kept = set(old) & member.owned
            assert kept, (old, member.owned)
            # Incremental callbacks: a revocation names only partitions that move, never
            # the whole assignment.
            for kind, ps, _ in new_events:
                if kind == "revoke":
                    assert not set(ps) & kept, (ps, kept)
                    assert len(ps) < len(old), new_events
            # Records of kept partitions kept arriving while c was joining.
            during = {p for p, t in member.records if joined_at <= t <= c_assigned_at}
            assert kept <= during, (member.name, kept, during, c_assigned_at - joined_at)
        # c's assignment arrives as an increment of exactly its two partitions.
        c_assigns = [ps for kind, ps, _ in c.events if kind == "assign" and ps]
        assert sorted(p for ps in c_assigns for p in ps) == sorted(c.owned)
        c.close()
    finally:
        stop.set()
        producer.join(30)
        a.close()
        b.close()


def test_static_member_restart_gets_partitions_back_without_rebalance(group_broker, topic_name):
    """KIP-345: a restarted static member (same group.instance.id, within session.timeout.ms)
    is given its old partitions and nobody else is revoked."""
    bootstrap = group_broker.bootstrap
    make_topic(bootstrap, topic_name)
    group = f"g-{topic_name}"
    a = Member(bootstrap, group, topic_name, "a", **{"group.instance.id": "static-a"})
    b = Member(bootstrap, group, topic_name, "b", **{"group.instance.id": "static-b"})
    settle([a, b], [3, 3])
    child = ChildMember(bootstrap, group, topic_name, "c", instance_id="static-c")
    restarted = None
    try:
        owned = settle([a, b, child], [2, 2, 2])
        assert_exclusive(owned)
        c_before = sorted(child.owned)
        mark = len(a.events), len(b.events)
        child.kill()  # static members send no LeaveGroup anyway (KIP-345)
        restarted = ChildMember(bootstrap, group, topic_name, "c2", instance_id="static-c")
        deadline = time.monotonic() + SESSION_TIMEOUT_MS / 1000 - 1
        while not restarted.owned and time.monotonic() < deadline:
            a.poll()
            b.poll()
        assert sorted(restarted.owned) == c_before, restarted.assignments
        # Let a full session pass: the old instance must not expire into a rebalance either.
        settle_until = time.monotonic() + SESSION_TIMEOUT_MS / 1000 + 2
        while time.monotonic() < settle_until:
            a.poll()
            b.poll()
        assert a.events[mark[0]:] == [] and b.events[mark[1]:] == [], (a.events, b.events)
        assert sorted(restarted.owned) == c_before
        assert_exclusive([sorted(a.owned), sorted(b.owned), sorted(restarted.owned)])
    finally:
        child.kill()
        if restarted is not None:
            restarted.kill()
        a.close()
        b.close()
