"""sarama 1.22.1 (Go; Debian's golang-github-shopify-sarama-dev) against a real fjord process.

The Go driver in tests/interop/sarama/ is built once per session, offline, against Debian's
sources (GO111MODULE=off, GOPATH=/usr/share/gocode). Each subcommand prints what sarama itself
returned (offsets, keys, values, headers, errors) as JSON, and the assertions are on that.

What sarama 1.22 sends, per `Config.Version` (sarama `produce_set.go`, `consumer.go`,
`offset_manager.go`): Produce v3 and Fetch v4 from V0_11_0_0 on (magic 2 record batches,
KIP-98; headers, KIP-82), Metadata v5 from V1_0_0_0, JoinGroup/SyncGroup/Heartbeat for
`NewConsumerGroup` (V0_10_2_0+), OffsetCommit v1 unless `Consumer.Offsets.Retention` is set
(then v2), OffsetFetch v1.
"""
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "sarama"
DEBIAN_GOPATH = Path("/usr/share/gocode")
SARAMA_SRC = DEBIAN_GOPATH / "src" / "github.com" / "Shopify" / "sarama"

pytestmark = pytest.mark.skipif(
    shutil.which("go") is None or not SARAMA_SRC.is_dir(),
    reason="go or sarama sources missing (apt-get install golang-go "
           "golang-github-shopify-sarama-dev; .ci/run installs them)")

# Kafka's error 76 UNSUPPORTED_COMPRESSION_TYPE as sarama 1.22 words it (errors.go).
UNSUPPORTED_COMPRESSION = "does not support the compression type"
# sarama's V2_1_0_0: the newest version the brief asks for; V0_11_0_0 / V1_0_0_0 are the old runs.
V2_1 = "2.1.0"
# Any non-zero retention makes sarama 1.22 commit with OffsetCommit v2 (see test below).
RETENTION_MS = str(24 * 3600 * 1000)
# Headers every produced message carries (a repeated key must stay two headers: KIP-82).
HEADERS = [["h1", "a"], ["dup", "first"], ["dup", "second"]]
TIMESTAMP_BASE_MS = 1700000000000  # the driver's create time of message 0 (produce.go)


@pytest.fixture(scope="session")
def sarama_bin(tmp_path_factory):
    out = tmp_path_factory.mktemp("sarama") / "sarama-interop"
    env = dict(os.environ, GO111MODULE="off", GOPATH=str(DEBIAN_GOPATH), GOFLAGS="")
    env.setdefault("GOCACHE", str(tmp_path_factory.mktemp("gocache")))
    r = subprocess.run(["go", "build", "-o", str(out), "."], cwd=HERE, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"go build failed:\n{r.stderr}"
    return out


def sarama(bin_path, broker, cmd, *args, version=V2_1, timeout=90):
    """Runs one driver subcommand and returns its JSON output."""
    argv = [str(bin_path), cmd, "-brokers", broker.bootstrap, "-version", version, *map(str, args)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(argv)}\nstderr: {r.stderr}\nstdout: {r.stdout}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def create_topic(bin_path, broker, topic, partitions=1, version=V2_1):
    out = sarama(bin_path, broker, "create-topic", "-topic", topic, "-partitions", partitions,
                 version=version)
    assert out["error"] == "", out


def produce(bin_path, broker, topic, count, *, codec="none", acks="local", mode="sync",
            prefix="v", partitions=1, version=V2_1):
    out = sarama(bin_path, broker, "produce", "-topic", topic, "-count", count, "-codec", codec,
                 "-acks", acks, "-mode", mode, "-prefix", prefix, "-partitions", partitions,
                 version=version)
    results = out["results"]
    assert [r["index"] for r in results] == list(range(count))
    return results


def consume(bin_path, broker, topic, count, *, offset="oldest", partition=0, idle=5,
            version=V2_1):
    return sarama(bin_path, broker, "consume", "-topic", topic, "-partition", partition,
                  "-offset", offset, "-count", count, "-idle", idle, version=version)


def expected_message(prefix, i, offset, partition=0):
    return {"partition": partition, "offset": offset, "key": f"k{i}", "value": f"{prefix}{i}",
            "headers": HEADERS + [["idx", str(i)]], "timestamp_ms": TIMESTAMP_BASE_MS + i}


@pytest.mark.parametrize("acks", ["local", "all"])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4"])
def test_sync_and_async_producer_offsets_dense_and_consumer_reads_them_back(
        sarama_bin, broker, topic_name, codec, acks):
    # Kafka protocol guide "Record Batch" (magic 2, KIP-98): the broker assigns offsets to the
    # batch; sarama reports each message's offset as baseOffset + its index in the batch.
    create_topic(sarama_bin, broker, topic_name)
    sync = produce(sarama_bin, broker, topic_name, 25, codec=codec, acks=acks, mode="sync",
                   prefix="s")
    assert [(r["partition"], r["offset"], r["error"]) for r in sync] == \
        [(0, n, "") for n in range(25)]
    asyn = produce(sarama_bin, broker, topic_name, 25, codec=codec, acks=acks, mode="async",
                   prefix="a")
    assert all(r["error"] == "" for r in asyn), asyn
    # One partition, no retries: the AsyncProducer keeps send order, so offsets follow it.
    assert [r["offset"] for r in asyn] == list(range(25, 50))

    everything = consume(sarama_bin, broker, topic_name, 50, offset="oldest")
    assert everything["errors"] == []
    assert everything["high_water_mark"] == 50
    assert everything["messages"] == \
        [expected_message("s", i, i) for i in range(25)] + \
        [expected_message("a", i, 25 + i) for i in range(25)]

    # From a given offset, usually inside a batch: sarama drops the batch's earlier records.
    tail = consume(sarama_bin, broker, topic_name, 13, offset="37")
    assert tail["messages"] == [expected_message("a", i, 25 + i) for i in range(12, 25)]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_zstd_over_produce_v3_is_refused_with_unsupported_compression_type(
        sarama_bin, broker, topic_name, mode):
    # sarama 1.22 sends zstd batches in Produce v3 (produce_set.go never bumps to v7; fixed in
    # sarama 1.24, IBM/sarama#1252). KIP-110 / Kafka `ProduceRequest.validateRecords`: zstd
    # needs Produce v7+, older requests get UNSUPPORTED_COMPRESSION_TYPE (76). So does fjord.
    create_topic(sarama_bin, broker, topic_name)
    results = produce(sarama_bin, broker, topic_name, 5, codec="zstd", acks="all", mode=mode)
    for r in results:
        assert r["offset"] == -1 and UNSUPPORTED_COMPRESSION in r["error"], r
    nothing = consume(sarama_bin, broker, topic_name, 1, idle=2)
    assert nothing["messages"] == [] and nothing["high_water_mark"] == 0


def test_zstd_batches_of_another_client_reach_sarama_over_fetch_v4(
        sarama_bin, broker, topic_name):
    # KIP-110 / Kafka `KafkaApis.maybeConvertFetchedData`: Fetch < v10 is refused only when the
    # topic's compression.type is zstd; under the default (producer) zstd batches are served
    # as stored, and sarama 1.22 decodes them (DataDog/zstd).
    confluent_kafka = pytest.importorskip("confluent_kafka")
    create_topic(sarama_bin, broker, topic_name)
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap,
                                 "compression.type": "zstd", "linger.ms": 50})
    for i in range(10):
        p.produce(topic_name, key=f"k{i}", value=f"z{i}", headers=[("h", b"x")], partition=0)
    assert p.flush(30) == 0
    got = consume(sarama_bin, broker, topic_name, 10)
    assert [(m["offset"], m["key"], m["value"], m["headers"]) for m in got["messages"]] == \
        [(i, f"k{i}", f"z{i}", [["h", "x"]]) for i in range(10)]


def test_fetch_v4_of_a_zstd_topic_gets_unsupported_compression_type(
        sarama_bin, broker, topic_name):
    # KIP-110 / Kafka `KafkaApis.maybeConvertFetchedData`: when the topic's compression.type is
    # zstd, a Fetch older than v10 (sarama 1.22 sends v4) gets UNSUPPORTED_COMPRESSION_TYPE for
    # the partition instead of records, whatever codec the stored batches use.
    confluent_kafka = pytest.importorskip("confluent_kafka")
    out = sarama(sarama_bin, broker, "create-topic", "-topic", topic_name,
                 "-config", "compression.type=zstd")
    assert out["error"] == "", out
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(3):
        p.produce(topic_name, value=f"z{i}", partition=0)
    assert p.flush(30) == 0
    got = consume(sarama_bin, broker, topic_name, 3, idle=3)
    assert got["messages"] == []
    assert got["errors"] and all(UNSUPPORTED_COMPRESSION in e for e in got["errors"]), got
    # A Fetch v10+ client reads the same partition.
    c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": topic_name,
                                  "auto.offset.reset": "earliest"})
    try:
        c.assign([confluent_kafka.TopicPartition(topic_name, 0, 0)])
        values, deadline = [], time.monotonic() + 30
        while len(values) < 3 and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                values.append(m.value())
    finally:
        c.close()
    assert values == [b"z0", b"z1", b"z2"]


@pytest.mark.parametrize("version", ["0.11.0.0", "1.0.0"])
@pytest.mark.parametrize("codec", ["none", "gzip"])
def test_old_protocol_versions_produce_and_consume(sarama_bin, broker, topic_name, version,
                                                   codec):
    # sarama V0_11_0_0: Metadata v1, Produce v3, Fetch v4, ListOffsets v1; V1_0_0_0 moves
    # Metadata to v5. All within Kafka 4.1's ranges. (Its admin's CreateTopics v1/v2 at these
    # versions is not: Kafka 4.0 serves CreateTopics v2+ only (KIP-896), so the topic is
    # created at V2_1_0_0.)
    create_topic(sarama_bin, broker, topic_name)
    sync = produce(sarama_bin, broker, topic_name, 10, codec=codec, acks="all", prefix="o",
                   version=version)
    assert [r["offset"] for r in sync] == list(range(10))
    asyn = produce(sarama_bin, broker, topic_name, 10, codec=codec, acks="local", mode="async",
                   prefix="p", version=version)
    assert [r["offset"] for r in asyn] == list(range(10, 20))
    got = consume(sarama_bin, broker, topic_name, 20, version=version)
    assert got["messages"] == [expected_message("o", i, i) for i in range(10)] + \
        [expected_message("p", i, 10 + i) for i in range(10)]
    tail = consume(sarama_bin, broker, topic_name, 5, offset="15", version=version)
    assert [m["value"] for m in tail["messages"]] == [f"p{i}" for i in range(5, 10)]


class Member:
    """One `sarama-interop group` process; its JSON events are collected by a reader thread."""

    def __init__(self, bin_path, broker, topic, group, name, *extra):
        self.name = name
        self.events = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [str(bin_path), "group", "-brokers", broker.bootstrap, "-version", V2_1,
             "-topic", topic, "-group", group, "-name", name, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.events.append(json.loads(line))

    def of(self, kind):
        with self.lock:
            return [e for e in self.events if e["event"] == kind]

    def messages(self):
        return [e["message"] for e in self.of("msg")]

    def stop(self):
        """SIGTERM: sarama closes the group (final offset commit, LeaveGroup)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return self.proc.returncode


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def latest_claims(member):
    setups = member.of("setup")
    return setups[-1] if setups else None


def test_consumer_group_two_members_share_four_partitions_commit_and_resume(
        sarama_bin, broker, topic_name):
    # Kafka consumer group protocol (JoinGroup/SyncGroup/Heartbeat, sarama's range balancer),
    # offsets committed to the coordinator (OffsetCommit v2, KIP-211 era retention field).
    group = f"g-{topic_name}"
    create_topic(sarama_bin, broker, topic_name, partitions=4)
    members = [Member(sarama_bin, broker, topic_name, group, name, "-retention-ms", RETENTION_MS)
               for name in ("a", "b")]
    try:
        def balanced():
            setups = [latest_claims(m) for m in members]
            if None in setups or len({s["generation"] for s in setups}) != 1:
                return False
            owned = [s["claims"].get(topic_name, []) for s in setups]
            return sorted(p for ps in owned for p in ps) == [0, 1, 2, 3] and \
                all(len(ps) == 2 for ps in owned)
        wait_until(balanced, 60, "both members to own two partitions in one generation")
        owned = {m.name: set(latest_claims(m)["claims"][topic_name]) for m in members}

        # 40 records, message i on partition i % 4: 10 per partition, offsets 0..9.
        produce(sarama_bin, broker, topic_name, 40, partitions=4, acks="all", codec="snappy",
                prefix="g")
        wait_until(lambda: sum(len(m.messages()) for m in members) >= 40, 60,
                   "40 records consumed")
        time.sleep(1)  # anything consumed twice would show up now
        seen = [(m.name, msg) for m in members for msg in m.messages()]
        assert len(seen) == 40
        assert sorted((msg["partition"], msg["offset"]) for _, msg in seen) == \
            sorted((p, o) for p in range(4) for o in range(10))
        for name, msg in seen:
            i = int(msg["value"][1:])
            assert msg["partition"] in owned[name]
            assert (msg["partition"], msg["key"], msg["headers"][-1]) == \
                (i % 4, f"k{i}", ["idx", str(i)])
            assert msg["offset"] == i // 4
    finally:
        codes = [m.stop() for m in members]
    assert codes == [0, 0], [m.proc.stderr.read() for m in members]
    for m in members:
        assert m.of("closed")[-1]["error"] == ""
        assert m.of("error") == [], m.of("error")

    committed = sarama(sarama_bin, broker, "committed", "-topic", topic_name, "-group", group,
                       "-partitions", 4)
    assert committed == {"committed": {str(p): 10 for p in range(4)}, "errors": {}}

    # 8 more records (offsets 10 and 11 on each partition); a restarted member resumes after
    # the commit: exactly those 8, none of the first 40.
    produce(sarama_bin, broker, topic_name, 8, partitions=4, acks="all", prefix="r")
    again = Member(sarama_bin, broker, topic_name, group, "a2", "-retention-ms", RETENTION_MS)
    try:
        wait_until(lambda: len(again.messages()) >= 8, 60, "8 new records after restart")
        time.sleep(1)
        got = sorted((m["partition"], m["offset"], m["value"]) for m in again.messages())
        assert got == sorted((i % 4, 10 + i // 4, f"r{i}") for i in range(8))
        assert latest_claims(again)["claims"][topic_name] == [0, 1, 2, 3]
    finally:
        assert again.stop() == 0
    committed = sarama(sarama_bin, broker, "committed", "-topic", topic_name, "-group", group,
                       "-partitions", 4)
    assert committed["committed"] == {str(p): 12 for p in range(4)}


def test_default_config_commits_with_offset_commit_v1_which_kafka_4_no_longer_serves(
        sarama_bin, broker, topic_name):
    # sarama 1.22's default Consumer.Offsets.Retention = 0 selects OffsetCommit v1. Kafka 4.0
    # removed OffsetCommit v0-v1 (KIP-896; OffsetCommitRequest.json "validVersions": "2-9")
    # and closes the connection on an unsupported version, as fjord does: consuming works,
    # committing does not, so applications on sarama 1.22 must set Consumer.Offsets.Retention.
    group = f"g-{topic_name}"
    create_topic(sarama_bin, broker, topic_name)
    m = Member(sarama_bin, broker, topic_name, group, "d")
    try:
        wait_until(lambda: latest_claims(m) is not None, 60, "the member's assignment")
        produce(sarama_bin, broker, topic_name, 3, prefix="d")
        wait_until(lambda: len(m.messages()) >= 3, 60, "3 records consumed")
        wait_until(lambda: m.of("error"), 30, "sarama to report the failed commit")
    finally:
        m.stop()
    assert [msg["value"] for msg in m.messages()] == ["d0", "d1", "d2"]
    # The offset manager's failures, e.g. "error while consuming t/0: EOF" (connection closed).
    assert all("error while consuming" in e["error"] for e in m.of("error")), m.of("error")
    committed = sarama(sarama_bin, broker, "committed", "-topic", topic_name, "-group", group,
                       "-partitions", 1)
    assert committed["committed"] == {"0": -1}
    assert "unsupported version 1 of OffsetCommit" in broker.log_text()
