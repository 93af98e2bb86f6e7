"""Scenario (6): many idle connections plus active ones, from one asyncio process.

Each idle connection completes one handshake (Kafka: ApiVersions v0, the first request every
client sends, KIP-35/KIP-511; Redis: PING) and then stays silent. The active connections loop
the same request for `seconds`. At the end every idle connection must still answer one more
request: "held" counts those that do.
"""
import asyncio
import resource
import time

from . import kafkawire


async def _redis_ping(reader, writer) -> None:
    writer.write(b"*1\r\n$4\r\nPING\r\n")
    await writer.drain()
    line = await reader.readline()
    if not line.startswith(b"+PONG"):
        raise ConnectionError(line)


async def _open(protocol: str, port: int, i: int):
    if protocol == "kafka":
        return await kafkawire.open_api_versions(port, i)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _redis_ping(reader, writer)
    return reader, writer


async def _again(protocol: str, conn, i: int) -> None:
    reader, writer = conn
    if protocol == "kafka":
        await kafkawire.api_versions_round_trip(reader, writer, i)
    else:
        await _redis_ping(reader, writer)


async def _scenario(protocol: str, port: int, idle: int, active: int, seconds: float,
                    on_held=None) -> dict:
    sem = asyncio.Semaphore(200)  # connect in waves so the accept backlog is not overrun

    async def open_one(i):
        async with sem:
            try:
                return await asyncio.wait_for(_open(protocol, port, i), 30)
            except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                return None

    t0 = time.monotonic()
    idle_conns = await asyncio.gather(*(open_one(i) for i in range(idle)))
    opened_idle = sum(c is not None for c in idle_conns)
    active_conns = await asyncio.gather(*(open_one(idle + i) for i in range(active)))
    opened_active = sum(c is not None for c in active_conns)
    connect_s = time.monotonic() - t0
    if on_held is not None:
        on_held()
    latencies = []
    errors = 0
    stop_at = time.monotonic() + seconds

    async def drive(conn, base):
        nonlocal errors
        n = 0
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            try:
                await _again(protocol, conn, base + n)
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                errors += 1
                return
            latencies.append((time.perf_counter() - t) * 1000.0)
            n += 1

    await asyncio.gather(*(drive(c, 1_000_000 + i * 100_000)
                           for i, c in enumerate(active_conns) if c is not None))

    async def recheck(i, conn):
        try:
            await asyncio.wait_for(_again(protocol, conn, 50_000_000 + i), 30)
            return True
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            return False

    held = await asyncio.gather(*(recheck(i, c) for i, c in enumerate(idle_conns) if c))
    for c in list(idle_conns) + list(active_conns):
        if c is not None:
            c[1].close()
    latencies.sort()
    n = len(latencies)
    return {
        "idle_opened": opened_idle, "active_opened": opened_active,
        "idle_held": sum(held), "connect_s": connect_s, "active_requests": n,
        "active_rps": n / seconds if seconds else 0.0, "active_errors": errors,
        "active_p99_ms": latencies[int(0.99 * n)] if n else None,
    }


def run(protocol: str, port: int, idle: int, active: int, seconds: float, on_held=None) -> dict:
    """Runs scenario (6) against 127.0.0.1:`port`; `on_held()` is called once all connections
    are open (to sample the server's RSS)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = idle + active + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    return asyncio.run(_scenario(protocol, port, idle, active, seconds, on_held))
