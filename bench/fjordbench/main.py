"""`bench/run`: build release, start fjord and the peers on loopback, run scenarios (1)-(9) of
issue 7 on each, write docs/benchmarks.md and the plots."""
import argparse
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import loadgen, profile, report, scale, throughput
from .procs import raise_nofile
from .results import Results
from .servers import FJORD_BIN, ROOT, FjordServer, RedisServer, TansuServer


@dataclass
class Config:
    """Sizes of one run; `quick` fits in a few minutes, `full` is the published run."""
    mode: str
    sizes: tuple = (100, 1024, 16384)
    fjord_perf_sizes: tuple = (100,)
    count_100: int = 1_000_000
    count_1k: int = 200_000
    count_16k: int = 10_000
    count_multi: int = 250_000
    # Redis is slower per record; its counts are a fraction of the Kafka ones so a run keeps
    # its time budget (rates are per second either way).
    redis_fraction: float = 0.3
    e2e_rates: tuple = (1_000, 10_000, 50_000)
    e2e_seconds: float = 4.0
    redis_e2e_max_rate: int = 10_000
    e2e_closed_count: int = 2_000
    idle_conns: int = 10_000
    active_conns: int = 1_000
    conn_seconds: float = 3.0
    partitions: int = 10_000
    restart_gb: float = 1.0
    only: set = field(default_factory=set)

    def count_for(self, size: int) -> int:
        return {100: self.count_100, 1024: self.count_1k, 16384: self.count_16k}[size]

    def redis_count_for(self, size: int) -> int:
        return max(10_000, int(self.count_for(size) * self.redis_fraction) // 1000 * 1000)

    def wants(self, n: int) -> bool:
        return not self.only or n in self.only


def config(args) -> Config:
    if args.quick:
        cfg = Config("quick")
    else:
        cfg = Config("full", count_100=10_000_000, count_1k=2_000_000, count_16k=150_000,
                     count_multi=2_500_000, e2e_rates=(1_000, 10_000, 50_000, 100_000),
                     e2e_seconds=15.0, conn_seconds=15.0, restart_gb=10.0,
                     redis_fraction=0.5)
    if args.gb is not None:
        cfg.restart_gb = args.gb
    if args.partitions is not None:
        cfg.partitions = args.partitions
    cfg.only = set(args.only or [])
    return cfg


def merge_results(res: Results, later: Results, later_argv: list[str]) -> None:
    """Replaces `res`'s rows with `later`'s (a `--only` re-run) where both measured the same
    scenario and metric, adds `later`'s other rows, drops `res`'s notices about the scenarios
    `later` re-ran and adds `later`'s."""
    keys = {(r.scenario, r.metric) for r in later.rows}
    rerun = {r.scenario.split(")")[0] + ")" for r in later.rows
             if not r.scenario.startswith("(9)")}
    kept = [r for r in res.rows if (r.scenario, r.metric) not in keys]
    res.rows = kept + later.rows
    res.notices = [n for n in res.notices if not any(n.startswith(k) for k in rerun)]
    res.notices.append("scenario " + ", ".join(sorted(rerun)) + " (and its row in (9)) comes "
                       "from a later run (`" + " ".join(later_argv) + "`), merged with "
                       "`bench/run --render … --merge …`")
    res.notices.extend(later.notices)


def build() -> None:
    argv = ["cargo", "build", "--release", "-p", "fjord-cli"]
    loadgen.record_command("build", argv)
    print("building:", " ".join(argv), flush=True)
    subprocess.run(argv, cwd=ROOT, check=True)


def check_tools(res: Results) -> dict:
    have = {"tansu": TansuServer.installed(), "redis": shutil.which("redis-server") is not None,
            "redis-benchmark": shutil.which("redis-benchmark") is not None,
            "rdkafka_performance": loadgen.rdkperf_available()}
    if not have["tansu"]:
        res.notice("Tansu is not installed (bench/install-peers.sh): Tansu columns skipped")
    if not (have["redis"] and have["redis-benchmark"]):
        res.notice("redis-server/redis-benchmark not installed: Redis columns skipped")
    if not have["rdkafka_performance"]:
        raise SystemExit("rdkafka_performance not found: run bench/install-peers.sh")
    return have


def step(res: Results, name: str, fn, *args) -> None:
    """Runs one scenario step; a failure becomes a notice and the run goes on."""
    t0 = time.monotonic()
    print(f"== {name}", flush=True)
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - every failure is reported in the document
        traceback.print_exc()
        res.notice(f"{name} failed: {type(e).__name__}: {(str(e).splitlines() or [repr(e)])[0][:300]}")
    print(f"   ({time.monotonic() - t0:.1f}s)", flush=True)


def _profile(res: Results, fjord, cfg, img_dir: Path) -> None:
    out = profile.profile_produce(fjord, cfg.count_100 * 2, img_dir)
    res.extra["profile"] = out


def run_system(res: Results, name: str, srv, cfg, args, base: Path) -> None:
    """Scenarios (1)-(6) on one running server."""
    if cfg.wants(1) or cfg.wants(2) or cfg.wants(3) or cfg.wants(9):
        fn = throughput.produce_redis if name == "redis" else throughput.produce_kafka
        extra = (srv, cfg) if name == "redis" else (name, srv, cfg)
        step(res, f"(1)-(3) produce on {name}", fn, res, *extra)
    if name == "fjord" and cfg.wants(1) and not args.no_profile and profile.available():
        step(res, "(1) perf profile of fjord", _profile, res, srv, cfg, args.out.parent / "img")
    if cfg.wants(4):
        fn = throughput.consume_redis if name == "redis" else throughput.consume_kafka
        extra = (srv, cfg) if name == "redis" else (name, srv, cfg)
        step(res, f"(4) consume on {name}", fn, res, *extra)
    if cfg.wants(5):
        if name == "redis":
            step(res, "(5) e2e latency on redis", scale.e2e_redis, res, srv, cfg)
        else:
            step(res, f"(5) e2e latency on {name}", scale.e2e_kafka, res, name, srv, cfg)
    if cfg.wants(6):
        protocol = "redis" if name == "redis" else "kafka"
        step(res, f"(6) connections on {name}", scale.connections, res, name, srv, srv.port,
             protocol, cfg)
        if name == "fjord":
            row = next((r for r in res.rows if r.scenario.startswith("(6)")
                        and r.metric == "connections held"), None)
            if row and (row.values.get("fjord") or 0) < cfg.idle_conns + cfg.active_conns:
                res.notice("fjord's default max.connections refused part of scenario (6); "
                           "repeated with max.connections raised")
                step(res, "(6) connections on fjord, max.connections raised",
                     scale.connections_fjord_raised, res, base, cfg)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small counts, ~1 GB restart log: the whole run in < 5 minutes")
    parser.add_argument("--gb", type=float, help="log size for scenario (8) in GB "
                                                 "(default 10, 1 with --quick)")
    parser.add_argument("--partitions", type=int, help="partitions for scenario (7)")
    parser.add_argument("--only", type=int, nargs="*", help="run only these scenario numbers")
    parser.add_argument("--no-build", action="store_true", help="use the existing release build")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip perf record on the broker during scenario (1)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data directory")
    parser.add_argument("--render", type=Path, metavar="PICKLE",
                        help="only re-render --out from a finished run's saved results")
    parser.add_argument("--merge", type=Path, metavar="PICKLE",
                        help="with --render: take every scenario this (later, --only) run "
                             "measured from it instead, with its notices")
    args = parser.parse_args(argv)
    if args.render:
        # Re-render a finished run's report (e.g. after editing bench/notes.md).
        with open(args.render, "rb") as f:
            saved = pickle.load(f)
        loadgen.COMMANDS[:] = saved["commands"]
        images = saved["images"]
        if args.merge:
            with open(args.merge, "rb") as f:
                later = pickle.load(f)
            merge_results(saved["res"], later["res"], later["argv"])
            loadgen.COMMANDS.extend(c for c in later["commands"] if c not in loadgen.COMMANDS)
            saved["argv"] = saved["argv"] + ["+"] + later["argv"]
            images = report.plots(saved["res"], args.out.parent / "img")
        report.write(saved["res"], saved["facts"], saved["cfg"], loadgen.COMMANDS, args.out,
                     images, saved["argv"], saved["elapsed"])
        print(f"wrote {args.out} from {args.render}")
        return 0
    cfg = config(args)
    started = time.monotonic()
    res = Results()
    raise_nofile()
    if not args.no_build:
        build()
    if not FJORD_BIN.is_file():
        raise SystemExit(f"{FJORD_BIN} missing: build it with cargo build --release -p fjord-cli")
    have = check_tools(res)
    facts = report.machine_facts()
    base = Path(tempfile.mkdtemp(prefix="fjord-bench-"))
    servers = []
    try:
        # One system at a time: each runs (1)-(6) alone and is stopped before the next starts.
        # Tansu's memory engine and Redis keep every record in RAM (15 GB and 8 GB after the
        # full-size produce steps), which left fjord's page cache 1 GB when they ran side by
        # side, and fjord's consume read from disk.
        systems = [("fjord", lambda: FjordServer(base / "fjord"))]
        if have["tansu"]:
            systems.append(("tansu", lambda: TansuServer(base / "tansu")))
        if have["redis"] and have["redis-benchmark"]:
            systems.append(("redis", lambda: RedisServer(base / "redis")))
        for name, make in systems:
            srv = make()
            try:
                if name == "tansu":
                    srv.start(timeout=60)
                else:
                    srv.start()
            except RuntimeError as e:
                if name == "fjord":
                    raise
                res.notice(f"{name} did not start, skipped: {str(e)[:300]}")
                continue
            servers.append(srv)
            run_system(res, name, srv, cfg, args, base)
            srv.kill()
            servers.remove(srv)
            if name != "fjord":
                shutil.rmtree(srv.workdir, ignore_errors=True)
        # (7) and (8) use fresh servers.
        if cfg.wants(7):
            step(res, "(7) partitions on fjord", scale.partitions_fjord, res, base, cfg)
            if have["tansu"]:
                step(res, "(7) partitions on tansu", scale.partitions_tansu, res, base, cfg)
        if cfg.wants(8):
            step(res, "(8) restart on fjord", scale.restart_fjord, res, base, cfg)
            if have["redis"]:
                step(res, "(8) restart on redis", scale.restart_redis, res, base, cfg)
    finally:
        for s in servers:
            s.kill()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base}")
    images = report.plots(res, args.out.parent / "img")
    elapsed = time.monotonic() - started
    report.write(res, facts, cfg, loadgen.COMMANDS, args.out, images,
                 ["bench/run"] + argv, elapsed)
    saved = Path(tempfile.gettempdir()) / "fjord-bench-last-run.pickle"
    with open(saved, "wb") as f:
        pickle.dump({"res": res, "facts": facts, "cfg": cfg, "commands": list(loadgen.COMMANDS),
                     "images": images, "argv": ["bench/run"] + argv, "elapsed": elapsed}, f)
    print(f"results kept in {saved} (bench/run --render {saved} re-renders the report)")
    print(f"wrote {args.out} ({time.monotonic() - started:.0f}s)")
    print(report.table(res, [s for s in ("fjord", "tansu", "redis")
                             if any(s in r.values for r in res.rows)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
