"""Scenarios (5)-(8) of issue 7: end-to-end latency at fixed rates, many connections, many
partitions, and restart with a large log (clean and after kill -9)."""
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import conns, kafkawire, loadgen, redis_clients
from .results import Results
from .servers import FJORD_BIN, FjordServer, RedisServer, TansuServer

MB = 1e6


def e2e_kafka(res: Results, system: str, server, cfg) -> None:
    """(5) `fjord perf e2e-latency --throughput R` at each rate of `cfg.e2e_rates`: one
    librdkafka producer paced by sleeping and one consumer in the same process (one clock),
    100 B records, client defaults (librdkafka linger.ms 5, fetch.wait.max.ms 500). At 10k/s
    also: producer linger.ms 0 (the Java producer's default before Kafka 4.0, KIP-1030),
    Kafka's closed loop (EndToEndLatency: one record at a time), and librdkafka's
    `rdkafka_performance -l` as a second opinion — it paces by busy-waiting, so on two cores
    its spinning thread delays everyone else's wake-ups by a scheduler tick (~4 ms) now and
    then, which shows in its tail."""
    for rate in cfg.e2e_rates:
        loadgen.settle_disk()  # the produce steps' writeback must not land in this one
        s = loadgen.fjord_perf_e2e(server.bootstrap, f"e2e-{rate}", int(rate * cfg.e2e_seconds),
                                   100, rate)
        _e2e_rows(res, system, s)
    variants = [
        (" (producer linger.ms 0)", "e2e-linger0", 10_000, {"linger.ms": "0"}),
        (" (fjord perf e2e-latency, Kafka's closed loop)", "e2e-closed", None, None),
    ]
    for variant, topic, rate, props in variants:
        count = int(10_000 * cfg.e2e_seconds) if rate else cfg.e2e_closed_count
        loadgen.settle_disk()
        try:
            s = loadgen.fjord_perf_e2e(server.bootstrap, topic, count, 100, rate, props)
        except RuntimeError as e:
            res.notice(f"fjord perf e2e-latency{variant} on {system}: "
                       f"{(str(e).splitlines() or [repr(e)])[0][:200]}")
            continue
        if rate is None:
            s["rate"] = "one at a time"
        _e2e_rows(res, system, s, variant)
    loadgen.create_topic(server.bootstrap, "e2e-rdkperf", 1)
    loadgen.settle_disk()
    with tempfile.TemporaryDirectory() as tmp:
        summary = loadgen.rdkperf_e2e(server.bootstrap, "e2e-rdkperf", 10_000, cfg.e2e_seconds,
                                      100, Path(tmp) / "lat.txt")
    _e2e_rows(res, system, summary, " (rdkafka_performance -l, busy-wait pacing)")


def e2e_redis(res: Results, server, cfg) -> None:
    """(5) for Redis: XADD one entry at a time at the rate, XREAD BLOCK on the other side
    (redis-py; the Python client is slower than librdkafka, so rates it cannot hold are
    skipped with a notice)."""
    for rate in cfg.e2e_rates:
        if rate > cfg.redis_e2e_max_rate:
            res.notice(f"redis e2e at {rate}/s skipped: the Python client cannot pace it")
            continue
        loadgen.settle_disk()
        lat = redis_clients.e2e(server.port, f"e2e-{rate}", rate, cfg.e2e_seconds, 100)
        loadgen.record_command("redis e2e", ["python3", "-m", "fjordbench.redis_clients",
                                             f"# XADD at {rate}/s, XREAD BLOCK"])
        if len(lat) < rate * cfg.e2e_seconds * 0.99:
            res.notice(f"redis e2e at {rate}/s: only {len(lat)} latencies")
            continue
        _e2e_rows(res, "redis", loadgen.latency_summary(lat, rate))


def _e2e_rows(res: Results, system: str, s: dict, variant: str = "") -> None:
    rate = s["rate"]
    if not variant:
        res.by_load.setdefault(system, []).append(s)
    at = f"{rate:,} records/s" if isinstance(rate, int) else rate
    scen = f"(5) end-to-end latency at {at}, client defaults{variant}"
    if "closed loop" in variant:
        scen = f"(5) end-to-end latency, one record at a time{variant}"
    wanted = rate == 10_000 and variant in ("", " (producer linger.ms 0)")
    target = {"p99": "≤ 2 ms", "p99.9": "≤ 5 ms"} if wanted else {}
    for k in ("p50", "p99", "p99.9", "max"):
        res.put(scen, k, "ms", system, s[k], higher_is_better=False, target=target.get(k, ""))
    if "steal_ms" in s:
        res.put(scen, "host steal during the run (all vCPUs)", "ms", system, s["steal_ms"],
                higher_is_better=False, comparable=False)
    steal = f", host steal {s['steal_ms']:.0f} ms" if "steal_ms" in s else ""
    print(f"  {system} e2e {rate}/s{variant}: p50 {s['p50']:.2f} p99 {s['p99']:.2f} "
          f"p99.9 {s['p99.9']:.2f} max {s['max']:.2f} ms{steal}", flush=True)


def connections(res: Results, system: str, server, port: int, protocol: str, cfg) -> None:
    """(6) `cfg.idle_conns` idle + `cfg.active_conns` active connections."""
    rss_before = server.rss()
    sample = {}

    def on_held():
        sample["rss"] = server.rss()
    out = conns.run(protocol, port, cfg.idle_conns, cfg.active_conns, cfg.conn_seconds, on_held)
    scen = f"(6) {cfg.idle_conns:,} idle + {cfg.active_conns:,} active connections"
    wanted = cfg.idle_conns + cfg.active_conns
    held = out["idle_held"] + out["active_opened"] - out["active_errors"]
    res.put(scen, "connections held", "conns", system, held, target=f"{wanted:,} held")
    res.put(scen, "active requests/s (ApiVersions; Redis PING)", "req/s", system, out["active_rps"])
    res.put(scen, "active request p99", "ms", system, out["active_p99_ms"],
            higher_is_better=False)
    grown = sample.get("rss", rss_before) - rss_before
    res.put(scen, "server RSS per connection", "KiB", system, grown / max(held, 1) / 1024,
            higher_is_better=False)
    print(f"  {system} conns: {out}", flush=True)


def connections_fjord_raised(res: Results, workdir: Path, cfg) -> None:
    """(6) again on a fresh fjord with `max.connections` raised above the scenario's count,
    for when the default cap refused some (the default is reported by `connections`)."""
    wanted = cfg.idle_conns + cfg.active_conns
    server = FjordServer(workdir / "fjord-conns",
                         {"max.connections": str(wanted + 1000),
                          "max.connections.per.ip": str(wanted + 1000)})
    try:
        server.start()
        rss_before = server.rss()
        sample = {}
        out = conns.run("kafka", server.port, cfg.idle_conns, cfg.active_conns, cfg.conn_seconds,
                        lambda: sample.setdefault("rss", server.rss()))
        scen = (f"(6) {cfg.idle_conns:,} idle + {cfg.active_conns:,} active connections, "
                f"max.connections={wanted + 1000}")
        held = out["idle_held"] + out["active_opened"] - out["active_errors"]
        res.put(scen, "connections held", "conns", "fjord", held, target=f"{wanted:,} held")
        res.put(scen, "active requests/s (ApiVersions)", "req/s", "fjord", out["active_rps"])
        res.put(scen, "active request p99", "ms", "fjord", out["active_p99_ms"],
                higher_is_better=False)
        res.put(scen, "server RSS per connection", "KiB", "fjord",
                (sample.get("rss", rss_before) - rss_before) / max(held, 1) / 1024,
                higher_is_better=False)
        print(f"  fjord conns (raised): {out}", flush=True)
    finally:
        server.kill()


PARTITIONS_PER_TOPIC = 1000


def _create_many(server, total: int) -> dict[str, int]:
    """Creates `total` partitions as topics of at most PARTITIONS_PER_TOPIC each (one
    CreateTopics of 10,000 partitions outlasts kafka-topics.sh's 30 s request timeout on fjord
    today); returns {topic: partitions} once Metadata shows them all led."""
    wanted = {}
    left, i = total, 0
    while left > 0:
        n = min(PARTITIONS_PER_TOPIC, left)
        wanted[f"many-{i}"] = n
        loadgen.create_topic(server.bootstrap, f"many-{i}", n)
        left -= n
        i += 1
    kafkawire.wait_metadata_all(server.port, wanted)
    return wanted


def partitions_fjord(res: Results, workdir: Path, cfg) -> None:
    """(7) `cfg.partitions` partitions on a fresh fjord: RSS, and the time from spawn to the
    first Metadata that shows them all led, after a clean restart."""
    scen = f"(7) {cfg.partitions:,} partitions"
    server = FjordServer(workdir / "fjord-partitions")
    try:
        server.start()
        base = server.rss()
        t0 = time.monotonic()
        wanted = _create_many(server, cfg.partitions)
        res.put(scen, "create topics until all led", "s", "fjord", time.monotonic() - t0,
                higher_is_better=False)
        res.put(scen, "broker RSS", "MB", "fjord", server.rss() / MB, higher_is_better=False,
                target="≤ 300 MB")
        res.put(scen, "RSS per partition", "KiB", "fjord",
                (server.rss() - base) / cfg.partitions / 1024, higher_is_better=False)
        fds = len(list(Path(f"/proc/{server.pid}/fd").iterdir()))
        res.put(scen, "open file descriptors per partition", "fds", "fjord",
                fds / cfg.partitions, higher_is_better=False)
        res.put(scen, "clean shutdown", "s", "fjord", server.stop(), higher_is_better=False)
        errors = [line for line in server.log_tail(200_000).splitlines() if " ERROR " in line]
        if errors:
            res.notice(f"(7) fjord logged {len(errors)} errors while creating partitions; "
                       f"first: {errors[0][:300]}")
        server.spawn()
        try:
            ready = kafkawire.wait_metadata_all(server.port, wanted, timeout=300,
                                                alive=server.alive)
        except (ConnectionError, TimeoutError) as e:
            last = [line for line in server.log_tail(20_000).splitlines() if " ERROR " in line]
            raise RuntimeError(f"restart with {cfg.partitions} partitions failed ({e}): "
                               f"{last[-1][:400] if last else 'no ERROR line'}") from e
        res.put(scen, "start-up to first full Metadata", "s", "fjord", ready - server.started_at,
                higher_is_better=False)
        res.put(scen, "broker RSS after restart", "MB", "fjord", server.rss() / MB,
                higher_is_better=False)
    finally:
        server.kill()


def partitions_tansu(res: Results, workdir: Path, cfg) -> None:
    scen = f"(7) {cfg.partitions:,} partitions"
    server = TansuServer(workdir / "tansu-partitions")
    try:
        server.start()
        base = server.rss()
        t0 = time.monotonic()
        _create_many(server, cfg.partitions)
        res.put(scen, "create topics until all led", "s", "tansu", time.monotonic() - t0,
                higher_is_better=False)
        res.put(scen, "broker RSS", "MB", "tansu", server.rss() / MB, higher_is_better=False)
        res.put(scen, "RSS per partition", "KiB", "tansu",
                (server.rss() - base) / cfg.partitions / 1024, higher_is_better=False)
    finally:
        server.kill()


def _end_offsets(bootstrap: str, topic: str) -> int:
    """Sum of the end offsets of `topic` (kafka-get-offsets.sh, `topic:partition:offset`)."""
    argv = [str(FJORD_BIN), "get-offsets", "--bootstrap-server", bootstrap, "--topic", topic]
    out = loadgen.run("kafka-get-offsets.sh", argv)
    return sum(int(m) for m in re.findall(rf"^{re.escape(topic)}:\d+:(\d+)$", out, re.M))


def _fill(bootstrap: str, topic: str, total_bytes: int, size: int, producers: int) -> int:
    """Produces about `total_bytes` of `size`-byte records with `producers` concurrent
    rdkafka_performance processes (acks=1, random partitions); returns records produced."""
    per = max(1, total_bytes // size // producers)
    errors = []

    def one():
        try:
            loadgen.rdkperf_produce(bootstrap, topic, size, per, "1", partition=None,
                                    label="rdkafka_performance fill")
        except Exception as e:  # noqa: BLE001 - re-raised below
            errors.append(e)
    threads = [threading.Thread(target=one) for _ in range(producers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return per * producers


def restart_fjord(res: Results, workdir: Path, cfg) -> None:
    """(8) ~`cfg.restart_gb` GB of log in 8 partitions of 1 KiB records; RSS after ingest;
    clean stop + start; then a tail more, kill -9, start; end offsets must match."""
    scen = f"(8) restart with {cfg.restart_gb:g} GB of log"
    server = FjordServer(workdir / "fjord-restart")
    try:
        server.start()
        loadgen.create_topic(server.bootstrap, "big", 8)
        t0 = time.monotonic()
        cpu0 = server.cpu()
        produced = _fill(server.bootstrap, "big", int(cfg.restart_gb * 1e9), 1024, 2)
        ingest_s = time.monotonic() - t0
        res.put(scen, "ingest rate (2 producers, 1 KiB, acks=1)", "MB/s", "fjord",
                produced * 1024 / ingest_s / MB)
        res.put(scen, "broker RSS after ingest", "MB", "fjord", server.rss() / MB,
                higher_is_better=False, target="≤ 100 MB")
        res.put("(9) broker CPU per GB ingested", "8 partitions, 1 KiB, 2 producers", "CPU s/GB",
                "fjord", (server.cpu() - cpu0) / (produced * 1024 / 1e9), higher_is_better=False)
        on_disk = server.data_bytes()
        res.put(scen, "log bytes on disk", "GB", "fjord", on_disk / 1e9)
        res.put(scen, "clean shutdown", "s", "fjord", server.stop(), higher_is_better=False)
        res.put(scen, "clean start to first Metadata", "s", "fjord",
                _timed_restart(server, "big", 8), higher_is_better=False, target="≤ 2 s")
        tail = _fill(server.bootstrap, "big", int(cfg.restart_gb * 1e9 * 0.05), 1024, 1)
        produced += tail
        server.kill()
        res.put(scen, "start after kill -9 to first Metadata", "s", "fjord",
                _timed_restart(server, "big", 8), higher_is_better=False,
                target="scans only the unflushed tail")
        got = _end_offsets(server.bootstrap, "big")
        res.put(scen, "acknowledged records missing after kill -9", "records", "fjord",
                produced - got, higher_is_better=False, target="0")
        res.extra["restart_log"] = server.log_tail(4000)
    finally:
        server.kill()


def _timed_restart(server, topic: str, partitions: int) -> float:
    server.spawn()
    ready = kafkawire.wait_metadata(server.port, topic, partitions, timeout=1800)
    return ready - server.started_at


def _mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def restart_redis(res: Results, workdir: Path, cfg) -> None:
    """(8) for Redis: the same bytes of 1 KiB XADDs into 8 streams, then SIGTERM (Redis
    fsyncs the AOF and exits) + start until loaded; kill -9 + start until loaded."""
    scen = f"(8) restart with {cfg.restart_gb:g} GB of log"
    available = _mem_available()
    if available < cfg.restart_gb * 1e9 * 1.6:
        res.notice(f"(8) on redis skipped: Redis keeps the {cfg.restart_gb:g} GB in RAM and "
                   f"only {available / 1e9:.1f} GB is available")
        return
    server = RedisServer(workdir / "redis-restart")
    try:
        server.start()
        count = int(cfg.restart_gb * 1e9 / 1024)
        t0 = time.monotonic()
        loadgen.redis_benchmark(server.port, ["XADD", "big:__rand_int__", "*", "p",
                                              loadgen.payload(1024)],
                                count, clients=2, pipeline=100, keyspace=8,
                                label="redis-benchmark XADD fill")
        res.put(scen, "ingest rate (2 producers, 1 KiB, acks=1)", "MB/s", "redis",
                count * 1024 / (time.monotonic() - t0) / MB)
        res.put(scen, "broker RSS after ingest", "MB", "redis", server.rss() / MB,
                higher_is_better=False)
        time.sleep(1.5)  # appendfsync everysec: let the last second reach the AOF
        res.put(scen, "log bytes on disk", "GB", "redis", server.data_bytes() / 1e9)
        res.put(scen, "clean shutdown", "s", "redis", server.stop(), higher_is_better=False)
        res.put(scen, "clean start to first Metadata", "s", "redis", server.start(),
                higher_is_better=False)
        server.kill()
        res.put(scen, "start after kill -9 to first Metadata", "s", "redis", server.start(),
                higher_is_better=False)
    finally:
        server.kill()
        subprocess.run(["rm", "-rf", str(server.workdir)], check=False)
