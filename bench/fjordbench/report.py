"""Writes docs/benchmarks.md (machine facts, the result table with fjord/peer ratios, the
exact commands) and the PNG plots under docs/img/."""
import datetime
import os
import platform
import subprocess
from pathlib import Path

from .results import SYSTEMS, Results

ROOT = Path(__file__).resolve().parents[2]


def machine_facts() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), "unknown")
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    mem = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "crates"],
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        commit += " plus uncommitted changes in crates/ (a shared working tree)"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "nproc": os.cpu_count(),
        "avx2": "avx2" in flags.split(),
        "kernel": platform.release(),
        "free": mem,
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "commit": commit,
    }


def _fmt(v, unit: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if unit in ("rec/s", "req/s", "conns", "records"):
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 0.1 else f"{v:.3f}"


def _ratio(row, peer: str) -> str:
    r = row.ratio(peer)
    if r is None:
        return "–"
    return f"{r:.2f}×"


def _scenario_number(row) -> int:
    """Rows sort by the scenario number their label starts with, "(1/2)" as 1."""
    digits = ""
    for ch in row.scenario[1:]:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 99


def table(res: Results, systems: list[str]) -> str:
    peers = [s for s in systems if s != "fjord"]
    head = ["scenario", "metric", "unit"] + systems + [f"fjord/{p}" for p in peers] + ["target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    last = None
    for row in sorted(res.rows, key=_scenario_number):
        scen = row.scenario if row.scenario != last else ""
        last = row.scenario
        better = "" if row.unit in ("GB",) else (" ↑" if row.higher_is_better else " ↓")
        cells = [scen, row.metric + better, row.unit]
        cells += [_fmt(row.values.get(s), row.unit) for s in systems]
        cells += [_ratio(row, p) for p in peers]
        cells.append(row.target)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plots(res: Results, img_dir: Path) -> list[str]:
    """bench-throughput-vs-size.png and bench-latency-vs-load.png; returns the names written
    (none if matplotlib is missing)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        res.notice("matplotlib not installed: no plots (pip install matplotlib)")
        return []
    img_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if res.by_size:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for system, points in sorted(res.by_size.items()):
            sizes = sorted(points)
            a1.plot(sizes, [points[s][0] for s in sizes], marker="o", label=system)
            a2.plot(sizes, [points[s][1] for s in sizes], marker="o", label=system)
        for ax, label in ((a1, "records/s"), (a2, "MB/s")):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("record size (bytes)")
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.suptitle("Produce throughput vs record size (1 partition, acks=1, linger.ms 5)")
        fig.tight_layout()
        fig.savefig(img_dir / "bench-throughput-vs-size.png", dpi=90)
        plt.close(fig)
        written.append("bench-throughput-vs-size.png")
    if res.by_load:
        fig, ax = plt.subplots(figsize=(9, 4.8))
        styles = {"p50": ":", "p99": "-", "p99.9": "--"}
        for system, summaries in sorted(res.by_load.items()):
            summaries = sorted(summaries, key=lambda s: s["rate"])
            rates = [s["rate"] for s in summaries]
            color = None
            for p, style in styles.items():
                line, = ax.plot(rates, [s[p] for s in summaries], style, marker="o",
                                color=color, label=f"{system} {p}")
                color = line.get_color()
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("offered load (records/s, 100 B)")
        ax.set_ylabel("end-to-end latency (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=3)
        ax.set_title("End-to-end latency percentiles vs load (client defaults)")
        fig.tight_layout()
        fig.savefig(img_dir / "bench-latency-vs-load.png", dpi=90)
        plt.close(fig)
        written.append("bench-latency-vs-load.png")
    return written


def write(res: Results, facts: dict, cfg, commands: list, out: Path, images: list[str],
          argv: list[str], elapsed_s: float) -> None:
    systems = [s for s in SYSTEMS if any(s in r.values for r in res.rows)]
    notes_path = ROOT / "bench" / "notes.md"
    notes = notes_path.read_text() if notes_path.exists() else ""
    parts = [
        "# Benchmarks",
        "",
        "Generated by `bench/run` — do not edit by hand; the analysis section is "
        "`bench/notes.md`, included verbatim. Each ratio is fjord/peer from the **same run** "
        "(this machine's absolute numbers drift). ↑ higher is better, ↓ lower is better.",
        "",
        f"Run: `{' '.join(argv)}` ({cfg.mode} mode) at commit `{facts['commit']}`, "
        f"{elapsed_s / 60:.1f} min.",
        "",
        "## Machine",
        "",
        f"- date: {facts['date']}",
        f"- CPU: {facts['cpu']} × {facts['nproc']} (nproc), AVX2: {facts['avx2']}",
        f"- kernel: Linux {facts['kernel']}",
        f"- load average at start: {facts['load']} (clients and brokers share the machine)",
        "- memory (`free -m`):",
        "",
        "```",
        facts["free"],
        "```",
        "",
        "## Results",
        "",
        table(res, systems),
        "",
    ]
    if res.notices:
        parts += ["Notices from this run:", ""] + [f"- {n}" for n in res.notices] + [""]
    for img in images:
        parts += [f"![{img}](img/{img})", ""]
    prof = res.extra.get("profile")
    if prof:
        parts += ["## Where fjord's broker spends its CPU (scenario 1)", "",
                  "`perf record` on the broker while rdkafka_performance produces 100 B records "
                  "with acks=1; self time per symbol (`[k]` kernel, `[.]` user space):", "",
                  "| self % | symbol |", "|---|---|"]
        parts += [f"| {p:.1f} | `{sym}` |" for p, sym in prof["top"]]
        parts.append("")
        if prof.get("flamegraph"):
            parts += [f"Flamegraph: [img/{prof['flamegraph']}](img/{prof['flamegraph']})", ""]
    if notes:
        parts += [notes.rstrip(), ""]
    parts += ["## Method", "", METHOD.strip(), "", "## Exact commands", "",
              "Ports and temp paths differ per run.", "", "```"]
    parts += [f"# {label}\n{line}" for label, line in commands]
    parts += ["```", ""]
    out.write_text("\n".join(parts))


METHOD = """
- Servers: fjord (`fjord server start server.properties`, KRaft combined mode, Kafka's log
  format on disk, Kafka's defaults); Tansu with its in-memory storage engine
  (`--storage-engine memory://tansu/`, no disk at all); Redis Streams (`redis-server
  --appendonly yes --appendfsync everysec`). All on 127.0.0.1, data in a temp dir, stopped by PID.
  One system at a time: each runs (1)–(6) alone and is stopped before the next starts (Tansu and
  Redis hold every record in RAM, which would otherwise squeeze fjord's page cache).
- Kafka clients: the same librdkafka `rdkafka_performance` binary drives fjord and Tansu
  (`-X linger.ms=5`, because the tool's own default is 1000 ms); `fjord perf producer|consumer`
  rows are the Kafka perf-test tools over rdkafka. Redis: `redis-benchmark` with 100 commands per
  pipeline (XADD), XREADGROUP … COUNT 1000 NOACK for consumption, redis-py for latency.
- Every produce and latency step starts after a `sync` (no dirty pages), so one step's
  writeback does not throttle the next step's writes through the kernel's dirty-page limits.
- Broker CPU: utime+stime of the server process from `/proc/<pid>/stat` before/after the step;
  machine CPU busy: the non-idle share of both cores from `/proc/stat` over the client's run;
  RSS is `VmRSS` from `/proc/<pid>/status` (page cache excluded).
- (5) latency: `fjord perf e2e-latency --throughput R` (kafka-e2e-latency.sh's arguments plus
  an open loop): a librdkafka producer sends 100 B records at R/s, sleeping between them, with
  the send time in the payload; a consumer in the same process at the end offset records each
  receive−send delta; percentiles are nearest-rank over all records. Client defaults
  (librdkafka linger.ms 5, fetch.wait.max.ms 500, fetch.min.bytes 1): a broker that long-polls
  without waking on append shows ~500 ms. At 10k/s also with linger.ms 0, in Kafka's closed
  loop, and with `rdkafka_performance -l` (which busy-waits a core to keep its rate).
  The client's busiest thread (cores) is its hottest thread's CPU time over the run's wall time
  from `/proc/<pid>/task/*/stat`: near 1.0 means that client thread, not the broker, set the pace.
- (6) connections: one asyncio process opens the idle connections (each completes ApiVersions
  v0, or PING for Redis), then the active ones, which loop the same request; at the end every
  idle connection must answer once more to count as held.
- (7) one topic with that many partitions; start-up is spawn → first Metadata v1 that lists all
  partitions with a leader, after a clean stop.
- (8) 1 KiB records into 8 partitions; clean = SIGTERM then start; unclean = 5 % more data,
  `kill -9`, start. Start time is spawn → first Metadata listing the topic (Redis: first
  non-LOADING reply). Tansu's memory engine keeps nothing across restarts, so it has no (8).
"""
