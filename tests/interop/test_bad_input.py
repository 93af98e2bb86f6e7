"""Bad input against a real fjord process: malformed and hostile request frames.

Goal: the brief's standard — bad input gets a clear error, the right Kafka error code on the wire,
the connection and broker stay up, and no acknowledged data is lost.

Method: raw sockets and `struct`. Hand-built requests check the exact error code Kafka gives for
each kind of bad input; seeded mutations of every captured client frame in `testdata/wire/`
(truncations, lying size prefixes, byte flips, unknown keys, versions above our max, huge and
negative array lengths) check that nothing crashes or hangs. After each variant the broker process
must be alive and a fresh connection must get a valid ApiVersions answer; records acknowledged to
confluent-kafka before the run must read back intact afterwards, and the broker log must hold no
`panicked at`.
"""
import json
import os
import random
import socket
import struct
import subprocess
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import FJORD_BIN, FjordBroker, wait_for_port

WIRE = Path(__file__).resolve().parents[2] / "testdata" / "wire"
KNOWN_TOPIC = "bad-input-known"
KNOWN_RECORDS = 300
IDLE_MS = 3000
# Override with FJORD_BAD_INPUT_SEED to explore; the failing seed is in the assertion message.
SEED = int(os.environ.get("FJORD_BAD_INPUT_SEED", "20261126"))

# Kafka error codes (org.apache.kafka.common.protocol.Errors).
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
INVALID_RECORD = 87
UNKNOWN_TOPIC_ID = 100


# --- encoding helpers -------------------------------------------------------------------------

def kstr(s: str | None) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint(n: int) -> bytes:
    return uvarint((n << 1) ^ (n >> 63))


def frame(api_key: int, version: int, body: bytes, corr: int = 7, client_id: str | None = "bad",
          flexible_header: bool = False) -> bytes:
    header = struct.pack(">hhi", api_key, version, corr) + kstr(client_id)
    if flexible_header:
        header += b"\x00"  # request header v2: no tagged fields (KIP-482)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def api_versions_v0(corr: int = 1) -> bytes:
    return frame(18, 0, b"", corr=corr)


_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def record_batch_v2(values: list[bytes], codec: int = 0, payload: bytes | None = None,
                    declared_count: int | None = None, corrupt_crc: bool = False,
                    last_offset_delta: int | None = None) -> bytes:
    """A magic v2 batch (Kafka protocol guide, "Record Batch"); CRC-32C over attributes..end."""
    if payload is None:
        records = b""
        for i, v in enumerate(values):
            body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
            records += varint(len(body)) + body
        payload = records
    count = len(values) if declared_count is None else declared_count
    delta = max(len(values) - 1, 0) if last_offset_delta is None else last_offset_delta
    after_crc = struct.pack(">hiqqqhii", codec, delta, 1_700_000_000_000,
                            1_700_000_000_000, -1, -1, -1, count) + payload
    crc = crc32c(after_crc) ^ (0xFFFF if corrupt_crc else 0)
    tail = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


def message_set_v0(value: bytes, magic: int) -> bytes:
    """A legacy message set entry (magic 0 or 1), CRC-32 over magic..end."""
    if magic == 0:
        rest = struct.pack(">bb", 0, 0) + struct.pack(">i", -1) + struct.pack(">i", len(value)) + value
    else:
        rest = (struct.pack(">bbq", 1, 0, 1_700_000_000_000) + struct.pack(">i", -1)
                + struct.pack(">i", len(value)) + value)
    msg = struct.pack(">I", zlib.crc32(rest)) + rest
    return struct.pack(">qi", 0, len(msg)) + msg


def produce_v3(topic: str, records: bytes, partition: int = 0, acks: int = -1, version: int = 3) -> bytes:
    """Produce v3..v8 share one non-flexible request layout (ProduceRequest.json)."""
    body = kstr(None) + struct.pack(">hi", acks, 10_000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(records)) + records
    return frame(0, version, body)


def fetch_v4(topic: str, offset: int, partition: int = 0) -> bytes:
    body = struct.pack(">iiiib", -1, 100, 1, 1 << 20, 0) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 1 << 20)
    return frame(1, 4, body)


def fetch_v4_raw(topic: str, offset: int, max_bytes: int, partition_max_bytes: int,
                 partition: int = 0) -> bytes:
    body = struct.pack(">iiiib", -1, 100, 1, max_bytes, 0) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, partition_max_bytes)
    return frame(1, 4, body)


def list_offsets_v1(topic: str, partition: int, timestamp: int) -> bytes:
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iq", partition, timestamp)
    return frame(2, 1, body)


def fetch_v13(topic_id: bytes, offset: int = 0) -> bytes:
    body = struct.pack(">iiiibii", -1, 100, 1, 1 << 20, 0, 0, -1)
    body += uvarint(2) + topic_id + uvarint(2)
    body += struct.pack(">iiqiqi", 0, -1, offset, -1, -1, 1 << 20) + b"\x00" + b"\x00"
    body += uvarint(1) + uvarint(1) + b"\x00"  # no forgotten topics, rack "", no tags
    return frame(1, 13, body, flexible_header=True)


def create_topics_v2(name: str, partitions: int = 1) -> bytes:
    body = struct.pack(">i", 1) + kstr(name) + struct.pack(">ihii", partitions, 1, 0, 0)
    body += struct.pack(">ib", 10_000, 0)
    return frame(19, 2, body)


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def uvarint(self) -> int:
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value


# --- socket helpers ---------------------------------------------------------------------------

def exchange(port: int, data: bytes, timeout: float = 2.0, half_close: bool = True) -> tuple[bytes, bool]:
    """Sends `data`, then reads until the broker closes or `timeout` passes.

    Returns (bytes received, whether the broker closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            return b"", True  # the broker closed before reading everything: a close
        got = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return bytes(got), False
            except ConnectionResetError:
                return bytes(got), True
            if not chunk:
                return bytes(got), True
            got += chunk
        return bytes(got), False


def one_response(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Sends one request and returns its response body after the correlation id."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        payload = recv_exact(s, size)
    return payload


def recv_exact(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def assert_api_versions_answers(port: int) -> None:
    payload = one_response(port, api_versions_v0(corr=4242))
    r = Reader(payload)
    assert r.take(">i") == 4242
    assert r.take(">h") == NONE
    keys = [r.take(">hhh")[0] for _ in range(r.take(">i"))]
    assert 18 in keys and 0 in keys


# --- fixtures ---------------------------------------------------------------------------------

class BadInputBroker(FjordBroker):
    """Started through a symlink named `fjord-bad-input`: `fjord server stop`
    (kafka-server-stop.sh) signals every process whose program is named `fjord`, and other
    suites on a shared machine run it."""

    def start(self) -> None:
        link = self.workdir / "fjord-bad-input"
        if not link.exists():
            link.symlink_to(FJORD_BIN)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(link), "server", "start", str(self.config_path)],
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A broker with a short connections.max.idle.ms so idle-close is observable."""
    b = BadInputBroker(tmp_path_factory.mktemp("fjord-bad"), {"connections.max.idle.ms": str(IDLE_MS)})
    b.start()
    yield b
    b.kill()
    panics = [line for line in b.log_text().splitlines() if "panicked at" in line]
    assert not panics, f"broker panicked: {panics[:5]}"


@pytest.fixture(scope="module")
def known(broker):
    """A topic with KNOWN_RECORDS acknowledged records, read back after every test."""
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(KNOWN_TOPIC, num_partitions=1, replication_factor=1)])[KNOWN_TOPIC].result(15)
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    acked = []
    for i in range(KNOWN_RECORDS):
        p.produce(KNOWN_TOPIC, key=f"k{i}".encode(), value=f"value-{i}".encode(),
                  on_delivery=lambda err, msg: acked.append((err, msg.offset() if msg else None)))
    assert p.flush(20) == 0
    assert [err for err, _ in acked] == [None] * KNOWN_RECORDS
    return [(f"k{i}".encode(), f"value-{i}".encode()) for i in range(KNOWN_RECORDS)]


def assert_known_intact(broker, known) -> None:
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"g-{uuid.uuid4()}",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(KNOWN_TOPIC, 0, 0)])
    got = []
    deadline = time.monotonic() + 20
    while len(got) < len(known) and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        got.append((m.offset(), m.key(), m.value()))
    c.close()
    assert [o for o, _, _ in got] == list(range(len(known)))
    assert [(k, v) for _, k, v in got] == known


def assert_healthy(broker) -> None:
    assert broker.proc is not None and broker.proc.poll() is None, "broker process died"
    assert_api_versions_answers(broker.port)


@pytest.fixture
def healthy(broker, known):
    yield
    assert_healthy(broker)
    assert_known_intact(broker, known)


# --- ApiVersions and header-level bad input --------------------------------------------------

def test_api_versions_above_max_gets_v0_unsupported_version_kip511(broker, healthy):
    # KIP-511 / SocketServer: an ApiVersions request of a version the broker does not know is
    # answered with an ApiVersionsResponse v0 carrying UNSUPPORTED_VERSION and our ranges.
    payload = one_response(broker.port, frame(18, 99, b"\x00\x00", corr=99))
    r = Reader(payload)
    assert r.take(">i") == 99
    assert r.take(">h") == UNSUPPORTED_VERSION
    ranges = {key: (lo, hi) for key, lo, hi in (r.take(">hhh") for _ in range(r.take(">i")))}
    assert ranges[18][0] == 0 and ranges[18][1] >= 3
    assert r.pos == len(payload), "v0 shape: nothing after api_keys"


def compact_str(text: str) -> bytes:
    b = text.encode()
    return uvarint(len(b) + 1) + b


@pytest.mark.parametrize("software", [("bad name!", "1.0"), ("ok", "-bad-"), ("", "1.0")])
def test_api_versions_v3_with_invalid_client_software_is_invalid_request(broker, healthy, software):
    # KIP-511 / ApiVersionsRequest.isValid: client software name and version must match
    # [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?; otherwise KafkaApis answers INVALID_REQUEST.
    body = compact_str(software[0]) + compact_str(software[1]) + b"\x00"
    payload = one_response(broker.port, frame(18, 3, body, corr=31, flexible_header=True))
    assert struct.unpack_from(">ih", payload) == (31, 42)  # INVALID_REQUEST


def test_valid_request_pipelined_before_garbage_is_answered_then_closed(broker, healthy):
    # SocketServer: replies already queued are sent before the connection closes.
    got, closed = exchange(broker.port, api_versions_v0(corr=77) + frame(999, 0, b""), half_close=False)
    assert closed
    size = struct.unpack_from(">i", got)[0]
    assert len(got) == 4 + size
    assert struct.unpack_from(">ih", got, 4) == (77, NONE)


def test_null_client_id_is_served(broker, healthy):
    payload = one_response(broker.port, frame(3, 1, struct.pack(">i", 0), corr=8, client_id=None))
    assert struct.unpack_from(">i", payload)[0] == 8


def test_other_api_above_max_version_closes_connection(broker, healthy):
    # RequestContext.parseRequest throws InvalidRequestException for an unsupported version of
    # any API other than ApiVersions; SocketServer.Processor closes the connection.
    got, closed = exchange(broker.port, frame(3, 99, struct.pack(">i", -1)), half_close=False)
    assert closed and got == b""


def test_unknown_api_key_closes_connection(broker, healthy):
    # ApiKeys.forId throws for an unknown key; SocketServer closes the channel.
    got, closed = exchange(broker.port, frame(999, 0, b""), half_close=False)
    assert closed and got == b""


@pytest.mark.parametrize("size", [2**31 - 1, 2**31 - 2**20, -1, -(2**31)])
def test_huge_or_negative_size_prefix_refused_without_reading(broker, healthy, size):
    # NetworkReceive.readFrom: a size above socket.request.max.bytes (or negative) is an
    # InvalidReceiveException and the connection closes before any body is read.
    started = time.monotonic()
    got, closed = exchange(broker.port, struct.pack(">i", size) + b"\x00" * 16, half_close=False)
    assert closed and got == b""
    assert time.monotonic() - started < 1.5


def test_client_id_of_32767_bytes_is_served(broker, healthy):
    # The client id is an int16-length string: 32767 bytes is the longest legal one.
    payload = one_response(broker.port, frame(3, 1, struct.pack(">i", 0), corr=5, client_id="c" * 32767))
    assert struct.unpack_from(">i", payload)[0] == 5


def test_client_id_length_of_32_kib_is_malformed_and_closes(broker, healthy):
    # 32768 does not fit int16: read as -32768, a negative non-null length → malformed header.
    body = struct.pack(">hhi", 3, 1, 6) + struct.pack(">H", 32768) + b"c" * 32768 + struct.pack(">i", 0)
    got, closed = exchange(broker.port, struct.pack(">i", len(body)) + body)
    assert closed and got == b""


@pytest.mark.parametrize("count", [2**31 - 1, 2**30, -5])
def test_metadata_with_impossible_array_length_closes_without_allocating(broker, healthy, count):
    # Kafka's generated readers refuse a collection longer than the bytes remaining
    # ("Tried to allocate a collection of size ..."), and negative non-null lengths; the request
    # is malformed and the connection closes (InvalidRequestException).
    rss_before = rss_bytes(broker)
    for version in (1, 4, 9, 12):
        if version >= 9:
            body = uvarint(count + 1 if count >= 0 else 2**32 - 1) + b"\x00" * 4
        else:
            body = struct.pack(">i", count) + b"\x00" * 4
        got, closed = exchange(broker.port, frame(3, version, body, flexible_header=version >= 9))
        assert closed and got == b"", f"Metadata v{version}"
    assert rss_bytes(broker) - rss_before < 64 << 20, "a hostile count must not allocate"


def rss_bytes(broker) -> int:
    for line in Path(f"/proc/{broker.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_huge_array_in_nested_produce_partitions(broker, healthy):
    body = kstr(None) + struct.pack(">hi", -1, 1000) + struct.pack(">i", 1) + kstr(KNOWN_TOPIC)
    body += struct.pack(">i", 2**31 - 1) + b"\x00" * 8
    got, closed = exchange(broker.port, frame(0, 3, body))
    assert closed and got == b""


# --- Produce: record validation ---------------------------------------------------------------

def produce_error(broker, topic: str, records: bytes, version: int = 3) -> int:
    payload = one_response(broker.port, produce_v3(topic, records, version=version))
    r = Reader(payload)
    r.take(">i")
    assert r.take(">i") == 1
    assert r.string() == topic
    assert r.take(">i") == 1
    assert r.take(">i") == 0
    return r.take(">h")


def test_produce_corrupt_crc_is_corrupt_message(broker, healthy):
    # LogValidator: DefaultRecordBatch.ensureValid → CorruptRecordException → CORRUPT_MESSAGE.
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([b"x"], corrupt_crc=True))
    assert err == CORRUPT_MESSAGE


@pytest.mark.parametrize("magic", [0, 1])
def test_produce_v3_with_legacy_magic_is_invalid_record(broker, healthy, magic):
    # ProduceRequest.validateRecords: "Produce requests with version 3 or later are only allowed
    # to contain record batches with magic version 2" → InvalidRecordException → INVALID_RECORD.
    err = produce_error(broker, KNOWN_TOPIC, message_set_v0(b"old", magic))
    assert err == INVALID_RECORD


@pytest.mark.parametrize("declared", [100, 1, 0])
def test_produce_batch_whose_record_count_lies_is_rejected(broker, healthy, declared):
    # DefaultRecordBatch iteration: a declared count that does not match the records present
    # is an InvalidRecordException ("Incorrect declared batch size") in LogValidator.
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([b"a", b"b", b"c"], declared_count=declared))
    assert err in (CORRUPT_MESSAGE, INVALID_RECORD), err


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_produce_garbage_compressed_payload_is_rejected(broker, healthy, codec):
    # LogValidator decompresses compressed batches to validate them: garbage fails there
    # (CorruptRecordException / InvalidRecordException), never reaching the log.
    rng = random.Random(SEED + codec)
    garbage = bytes(rng.randrange(256) for _ in range(64))
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([b"x"] * 3, codec=codec, payload=garbage),
                        version=7)
    assert err == CORRUPT_MESSAGE


def test_produce_zstd_before_v7_is_unsupported_compression_type(broker, healthy):
    # KIP-110 / ProduceRequest.validateRecords: ZStandard needs Produce v7+.
    rng = random.Random(SEED)
    garbage = bytes(rng.randrange(256) for _ in range(64))
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([b"x"], codec=4, payload=garbage))
    assert err == 76  # UNSUPPORTED_COMPRESSION_TYPE


@pytest.mark.parametrize("delta", [1000, 2**31 - 1])
def test_produce_batch_whose_offset_range_disagrees_with_its_count_is_invalid_record(broker, healthy, delta):
    # LogValidator.validateBatch: "Inconsistent batch offset range ... and count of records"
    # (lastOffsetDelta + 1 must equal recordCount for a produced batch); accepting it would let
    # one record advance the log end offset by 2^31.
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([b"a", b"b"], last_offset_delta=delta))
    assert err == INVALID_RECORD
    assert fetch_v4_error(broker, KNOWN_TOPIC, KNOWN_RECORDS) == NONE
    assert fetch_v4_error(broker, KNOWN_TOPIC, KNOWN_RECORDS + 1) == OFFSET_OUT_OF_RANGE


def test_produce_empty_batch_is_invalid_record(broker, healthy):
    # LogValidator.validateBatch: "Invalid reported count for record batch: 0".
    err = produce_error(broker, KNOWN_TOPIC, record_batch_v2([], declared_count=0))
    assert err == INVALID_RECORD


@pytest.mark.parametrize("partition", [-1, 7, 2**31 - 1])
def test_produce_to_unknown_partition_is_unknown_topic_or_partition(broker, healthy, partition):
    payload = one_response(broker.port, produce_v3(KNOWN_TOPIC, record_batch_v2([b"x"]), partition=partition))
    r = Reader(payload)
    r.take(">i")
    r.take(">i")
    r.string()
    r.take(">i")
    assert r.take(">i") == partition
    assert r.take(">h") == 3  # UNKNOWN_TOPIC_OR_PARTITION


# --- topic names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a/b", "..", ".", "x" * 250, "bad name", ""])
def test_create_topics_invalid_name_is_invalid_topic_exception(broker, healthy, name):
    # Topic.validate: legal chars [a-zA-Z0-9._-], not "." or "..", at most 249 chars.
    payload = one_response(broker.port, create_topics_v2(name))
    r = Reader(payload)
    r.take(">i")
    r.take(">i")  # throttle
    assert r.take(">i") == 1
    assert r.string() == name
    assert r.take(">h") == INVALID_TOPIC_EXCEPTION


def metadata_v4(name: str) -> bytes:
    return frame(3, 4, struct.pack(">i", 1) + kstr(name) + b"\x01")  # allow auto-creation


@pytest.mark.parametrize("name", ["a/b", "..", "x" * 250])
def test_metadata_auto_create_of_invalid_name_is_invalid_topic_exception(broker, healthy, name):
    # KafkaApis.handleTopicMetadataRequest: names that fail Topic.validate are answered with
    # INVALID_TOPIC_EXCEPTION and never auto-created.
    r = Reader(one_response(broker.port, metadata_v4(name)))
    r.take(">i")
    r.take(">i")  # throttle
    for _ in range(r.take(">i")):
        r.take(">i")
        r.string()
        r.take(">i")
        r.string()
    r.string()  # cluster id
    r.take(">i")  # controller id
    assert r.take(">i") == 1
    assert r.take(">h") == INVALID_TOPIC_EXCEPTION
    assert r.string() == name


def test_produce_to_invalid_topic_name_is_refused_and_creates_nothing(broker, healthy):
    # KafkaApis.handleProduceRequest: a partition the metadata cache does not know gets
    # UNKNOWN_TOPIC_OR_PARTITION; produce never creates topics.
    err = produce_error(broker, "a/b", record_batch_v2([b"x"]))
    assert err == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert not (broker.data_dir / "a").exists()


@pytest.mark.parametrize("partitions", [2**31 - 1, 10_001])
def test_create_topics_with_excessive_partitions_is_policy_violation(broker, healthy, partitions):
    # ReplicationControlManager.validateTotalNumberOfPartitions: more than
    # MAX_PARTITIONS_PER_BATCH (10000) partitions in one request → PolicyViolationException
    # "Excessively large number of partitions per request." Nothing is created.
    name = f"too-many-{partitions}"
    started = time.monotonic()
    r = Reader(one_response(broker.port, create_topics_v2(name, partitions), timeout=20))
    assert time.monotonic() - started < 5
    r.take(">i")
    r.take(">i")
    assert r.take(">i") == 1
    assert r.string() == name
    assert r.take(">h") == 44  # POLICY_VIOLATION
    assert not (broker.data_dir / f"{name}-0").exists()


# --- Fetch ------------------------------------------------------------------------------------

def fetch_v4_error(broker, topic: str, offset: int) -> int:
    payload = one_response(broker.port, fetch_v4(topic, offset))
    r = Reader(payload)
    r.take(">i")
    r.take(">i")  # throttle
    assert r.take(">i") == 1
    assert r.string() == topic
    assert r.take(">i") == 1
    assert r.take(">i") == 0
    return r.take(">h")


@pytest.mark.parametrize("offset", [-5, KNOWN_RECORDS + 1, 2**62])
def test_fetch_out_of_range_offset_is_offset_out_of_range(broker, healthy, offset):
    # ReplicaManager.readFromLog → OffsetOutOfRangeException for offsets outside
    # [logStartOffset, logEndOffset].
    assert fetch_v4_error(broker, KNOWN_TOPIC, offset) == OFFSET_OUT_OF_RANGE


def test_fetch_at_log_end_is_not_an_error(broker, healthy):
    assert fetch_v4_error(broker, KNOWN_TOPIC, KNOWN_RECORDS) == NONE


@pytest.mark.parametrize("max_bytes,partition_max_bytes", [(-1, -1), (0, 0), (2**31 - 1, 2**31 - 1)])
def test_fetch_with_hostile_byte_limits_is_answered(broker, healthy, max_bytes, partition_max_bytes):
    # FetchRequest.json: limits are int32s; KIP-74 returns at least the first batch even when
    # it exceeds them, so no limit value may crash or stall the broker.
    r = Reader(one_response(broker.port, fetch_v4_raw(KNOWN_TOPIC, 0, max_bytes, partition_max_bytes)))
    r.take(">i")
    r.take(">i")
    assert r.take(">i") == 1
    assert r.string() == KNOWN_TOPIC
    assert r.take(">i") == 1
    assert r.take(">i") == 0
    assert r.take(">h") == NONE


@pytest.mark.parametrize("partition", [-1, 7])
def test_fetch_unknown_partition_is_unknown_topic_or_partition(broker, healthy, partition):
    r = Reader(one_response(broker.port, fetch_v4(KNOWN_TOPIC, 0, partition=partition)))
    r.take(">i")
    r.take(">i")
    r.take(">i")
    r.string()
    r.take(">i")
    assert r.take(">i") == partition
    assert r.take(">h") == 3  # UNKNOWN_TOPIC_OR_PARTITION


@pytest.mark.parametrize("partition,timestamp,expected", [
    (0, -2, (NONE, 0)),                 # EARLIEST_TIMESTAMP
    (0, -1, (NONE, KNOWN_RECORDS)),     # LATEST_TIMESTAMP
    (0, -(2**63), None),                # not a special value: any answer but a crash
    (0, 2**63 - 1, (NONE, -1)),         # after every record: no offset (ListOffsetsResponse)
    (-1, -1, (3, None)),                # UNKNOWN_TOPIC_OR_PARTITION
    (9, -2, (3, None)),
])
def test_list_offsets_hostile_values(broker, healthy, partition, timestamp, expected):
    # ListOffsetsRequest.json v1 / KIP-79; unknown partitions: KafkaApis.handleListOffsetRequest.
    r = Reader(one_response(broker.port, list_offsets_v1(KNOWN_TOPIC, partition, timestamp)))
    r.take(">i")
    assert r.take(">i") == 1
    assert r.string() == KNOWN_TOPIC
    assert r.take(">i") == 1
    assert r.take(">i") == partition
    error = r.take(">h")
    r.take(">q")
    offset = r.take(">q")
    if expected is not None:
        assert error == expected[0]
        if expected[1] is not None:
            assert offset == expected[1]


def test_fetch_v13_unknown_topic_id_is_unknown_topic_id(broker, healthy):
    # KIP-516: Fetch v13+ names topics by id; an id the broker does not know gets
    # UNKNOWN_TOPIC_ID on the partition (KafkaApis.handleFetchRequest).
    payload = one_response(broker.port, fetch_v13(uuid.uuid4().bytes))
    r = Reader(payload)
    r.take(">i")
    assert r.uvarint() == 0  # response header v1 tags
    r.take(">i")  # throttle
    top_error = r.take(">h")
    r.take(">i")  # session id
    if top_error == UNKNOWN_TOPIC_ID:
        return
    assert top_error == NONE
    assert r.uvarint() == 2
    r.pos += 16
    assert r.uvarint() == 2
    r.take(">i")
    assert r.take(">h") == UNKNOWN_TOPIC_ID


# --- idle and stalled connections -------------------------------------------------------------

def test_silent_and_half_frame_clients_are_closed_after_idle_and_hold_no_worker(broker, healthy):
    # Selector idle expiry (connections.max.idle.ms): connections that send nothing, or half a
    # frame, are closed; meanwhile every other connection is served (one task per connection).
    stalled = []
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", broker.port))
        if i % 2:
            s.sendall(struct.pack(">i", 100) + b"\x00\x03\x00\x01")
        stalled.append(s)
    started = time.monotonic()
    for _ in range(5):
        assert_api_versions_answers(broker.port)
    assert time.monotonic() - started < 2.0
    for s in stalled:
        s.settimeout(IDLE_MS / 1000 * 3 + 5)
        assert s.recv(1) == b"", "an idle connection must be closed by the broker"
        s.close()
    assert time.monotonic() - started < IDLE_MS / 1000 * 3 + 5


# --- seeded mutation of every captured frame --------------------------------------------------

def mutations(raw: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    body = raw[4:]
    size = len(body)
    out = []
    for _ in range(3):
        cut = rng.randrange(0, len(raw))
        out.append((f"truncated@{cut}", raw[:cut]))
    for _ in range(3):
        cut = rng.randrange(0, size)
        out.append((f"short-body@{cut}", struct.pack(">i", cut) + body[:cut]))
    out.append(("prefix+17", struct.pack(">i", size + 17) + body))
    out.append(("prefix-3", struct.pack(">i", max(size - 3, 0)) + body))
    for _ in range(6):
        mutated = bytearray(body)
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(0, size)
            mutated[i] ^= 1 << rng.randrange(8)
        out.append(("flip", struct.pack(">i", size) + bytes(mutated)))
    out.append(("unknown-key", struct.pack(">i", size) + struct.pack(">h", 200) + body[2:]))
    out.append(("version+50", struct.pack(">i", size) + body[:2] + struct.pack(">h", 50 + body[3]) + body[4:]))
    for value in (2**31 - 1, -5):
        mutated = bytearray(body)
        i = rng.randrange(8, max(size - 4, 9))
        mutated[i:i + 4] = struct.pack(">i", value)
        out.append((f"int32={value}@{i}", struct.pack(">i", size) + bytes(mutated[:size])))
    return out


def test_seeded_mutations_of_every_captured_frame(broker, healthy):
    index = json.loads((WIRE / "index.json").read_text())
    rng = random.Random(SEED)
    variants = []
    for entry in index:
        raw = (WIRE / entry["file"]).read_bytes()
        for name, data in mutations(raw, rng):
            variants.append((f"{entry['file']}:{name}", data))
    # Produce to the known topic itself, with flips anywhere after the header: whatever the
    # broker accepts lands after the acknowledged records and must not disturb them.
    good = produce_v3(KNOWN_TOPIC, record_batch_v2([b"fuzz-a", b"fuzz-b", b"fuzz-c"]))
    for _ in range(200):
        mutated = bytearray(good)
        for _ in range(rng.randrange(1, 3)):
            i = rng.randrange(14, len(mutated))
            mutated[i] ^= 1 << rng.randrange(8)
        variants.append(("known-topic-produce:flip", bytes(mutated)))
    assert len(variants) >= 2100
    lock = threading.Lock()
    failures = []
    outcomes = {"answered": 0, "closed": 0, "timed out": 0}

    def run(variant):
        label, data = variant
        got, closed = exchange(broker.port, data, timeout=1.0)
        with lock:
            outcomes["answered" if got else "closed" if closed else "timed out"] += 1
        if broker.proc.poll() is not None:
            with lock:
                failures.append(f"{label}: broker died")
            return
        try:
            assert_api_versions_answers(broker.port)
        except Exception as error:  # noqa: BLE001 - collected and reported below
            with lock:
                failures.append(f"{label}: ApiVersions after it failed: {error!r}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(run, variants))
    elapsed = time.monotonic() - started
    print(f"{len(variants)} mutated frames in {elapsed:.1f}s: {outcomes}")
    assert not failures, (SEED, failures[:10])
    # Some mutations stay valid requests (flips in values): they must be answered. Everything
    # else closes at once; only a Fetch whose max_wait_ms was flipped may still be waiting.
    assert outcomes["answered"] > 100, outcomes
    assert outcomes["timed out"] < len(variants) // 50, outcomes
    assert elapsed < 90


def test_broker_log_has_no_panic_after_the_run(broker, healthy):
    # Runs last in this module: every variant above has been served; a panic in any
    # connection task would have been logged by the panic hook even if the process survived.
    panics = [line for line in broker.log_text().splitlines() if "panicked at" in line]
    assert not panics, panics[:5]
