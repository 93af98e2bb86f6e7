"""Just enough of the Kafka wire protocol to probe a broker without a client library:
ApiVersions v0 and Metadata v1, request header v1, response header v0.

Sources: Kafka protocol guide ("Common Request and Response Structure"), and the message specs
clients/src/main/resources/common/message/{RequestHeader,ApiVersionsRequest,
ApiVersionsResponse,MetadataRequest,MetadataResponse}.json (v0/v1 are not flexible, so strings
are int16-length-prefixed and arrays int32-length-prefixed).
"""
import asyncio
import socket
import struct
import time

API_VERSIONS = 18
METADATA = 3


def request(api_key: int, version: int, correlation_id: int, body: bytes = b"",
            client_id: bytes = b"fjord-bench") -> bytes:
    """A size-prefixed request frame with header v1 (api_key, api_version, correlation_id,
    client_id)."""
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def api_versions_v0(correlation_id: int = 1) -> bytes:
    """ApiVersionsRequest v0 (empty body)."""
    return request(API_VERSIONS, 0, correlation_id)


def metadata_v1_all(correlation_id: int = 1) -> bytes:
    """MetadataRequest v1 with a null topic array: all topics."""
    return request(METADATA, 1, correlation_id, struct.pack(">i", -1))


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)


def recv_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    return recv_exact(sock, size)


class Reader:
    """Big-endian cursor over a response body."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def api_versions_error(frame: bytes) -> int:
    """error_code of an ApiVersionsResponse v0 frame (after the 4-byte correlation id)."""
    return struct.unpack_from(">h", frame, 4)[0]


def parse_metadata_v1(frame: bytes) -> dict[str, int]:
    """MetadataResponse v1 → {topic: partitions with a leader} (error-free topics only)."""
    r = Reader(frame)
    r.take(">i")  # correlation id
    for _ in range(r.take(">i")):  # brokers
        r.take(">i"), r.string(), r.take(">i"), r.string()
    r.take(">i")  # controller id
    topics = {}
    for _ in range(r.take(">i")):
        error, name, _internal = r.take(">h"), r.string(), r.take(">b")
        led = 0
        for _ in range(r.take(">i")):
            p_error, _index, leader = r.take(">h"), r.take(">i"), r.take(">i")
            for _ in range(r.take(">i")):
                r.take(">i")
            for _ in range(r.take(">i")):
                r.take(">i")
            if p_error == 0 and leader >= 0:
                led += 1
        if error == 0 and name is not None:
            topics[name] = led
    return topics


def probe_metadata(port: int, timeout: float = 5.0) -> dict[str, int]:
    """One Metadata v1 round trip to 127.0.0.1:`port`; raises OSError/ConnectionError if the
    broker is not answering yet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(metadata_v1_all())
        return parse_metadata_v1(recv_frame(sock))


def wait_metadata(port: int, topic: str | None, partitions: int = 1,
                  timeout: float = 600.0, alive=None) -> float:
    """Polls Metadata until `topic` shows `partitions` partitions with leaders (or, with no
    topic, until any Metadata answer); returns the monotonic time of the first success.
    `alive()` returning False (the server exited) ends the wait early with ConnectionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise ConnectionError(f"the server on port {port} exited")
        try:
            topics = probe_metadata(port)
            if topic is None or topics.get(topic, 0) >= partitions:
                return time.monotonic()
        except (OSError, ConnectionError, struct.error):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"no Metadata with {topic}/{partitions} on port {port} in {timeout}s")


def wait_metadata_all(port: int, wanted: dict[str, int], timeout: float = 600.0,
                      alive=None) -> float:
    """Polls Metadata until every topic of `wanted` shows its partition count with leaders;
    returns the monotonic time of the first such answer. `alive()` returning False (the
    server exited) ends the wait early with ConnectionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise ConnectionError(f"the server on port {port} exited")
        try:
            topics = probe_metadata(port, timeout=30)
            if all(topics.get(t, 0) >= n for t, n in wanted.items()):
                return time.monotonic()
        except (OSError, ConnectionError, struct.error):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"no Metadata with all of {len(wanted)} topics on port {port}")


async def open_api_versions(port: int, correlation_id: int):
    """Opens a connection and completes one ApiVersions v0 exchange; returns (reader, writer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(api_versions_v0(correlation_id))
    await writer.drain()
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    frame = await reader.readexactly(size)
    if api_versions_error(frame) != 0:
        raise ConnectionError(f"ApiVersions error {api_versions_error(frame)}")
    return reader, writer


async def api_versions_round_trip(reader, writer, correlation_id: int) -> None:
    """One more ApiVersions v0 on an open connection (checks the connection still works)."""
    writer.write(api_versions_v0(correlation_id))
    await writer.drain()
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    frame = await reader.readexactly(size)
    if api_versions_error(frame) != 0:
        raise ConnectionError(f"ApiVersions error {api_versions_error(frame)}")
