"""Redis Streams clients that redis-benchmark cannot play: end-to-end latency at a fixed rate
(one process XADDs a wall-clock timestamp, another blocks in XREAD on the stream and records
receive minus send time), each in its own process so neither steals the other's GIL."""
import multiprocessing as mp
import time

import redis


def _consumer(port: int, stream: str, count: int, ready, out_q) -> None:
    r = redis.Redis(host="127.0.0.1", port=port)
    last = "$"
    latencies = []
    ready.set()
    while len(latencies) < count:
        reply = r.xread({stream: last}, count=1000, block=10_000)
        if not reply:
            break
        now = time.time_ns() // 1000
        for _name, entries in reply:
            for entry_id, fields in entries:
                last = entry_id
                latencies.append((now - int(fields[b"t"])) / 1000.0)
    out_q.put(latencies)


def _producer(port: int, stream: str, count: int, rate: int, size: int) -> None:
    r = redis.Redis(host="127.0.0.1", port=port)
    pad = b"x" * max(0, size - 16)
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        r.xadd(stream, {"t": str(time.time_ns() // 1000), "p": pad})


def e2e(port: int, stream: str, rate: int, seconds: float, size: int) -> list[float]:
    """Latencies in ms of `rate * seconds` entries XADDed one at a time at `rate`/s."""
    count = int(rate * seconds)
    ctx = mp.get_context("spawn")
    ready, out_q = ctx.Event(), ctx.Queue()
    cons = ctx.Process(target=_consumer, args=(port, stream, count, ready, out_q))
    cons.start()
    ready.wait(10)
    time.sleep(0.5)  # the consumer is blocked in XREAD on "$"
    prod = ctx.Process(target=_producer, args=(port, stream, count, rate, size))
    prod.start()
    prod.join(seconds * 4 + 60)
    latencies = out_q.get(timeout=60)
    cons.join(10)
    for p in (prod, cons):
        if p.is_alive():
            p.kill()
    return latencies
