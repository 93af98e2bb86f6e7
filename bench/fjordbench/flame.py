"""A flamegraph PNG from `perf script` text without extra tools: stacks are folded (root
first) into a prefix tree and drawn with matplotlib, one row per stack depth, widths
proportional to samples. Used when inferno is not installed."""
from collections import defaultdict
from pathlib import Path


def fold(perf_script: str) -> dict[tuple, int]:
    """`perf script` output → {(root, …, leaf): samples}."""
    stacks: dict[tuple, int] = defaultdict(int)
    frames: list[str] = []
    for line in perf_script.splitlines() + [""]:
        if not line.strip():
            if frames:
                stacks[tuple(reversed(frames))] += 1
            frames = []
            continue
        if line.startswith(("\t", " ")):
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                sym = parts[1].rsplit(" (", 1)[0]
                sym = sym.split("+0x", 1)[0]
                frames.append(_short(sym))
    return stacks


def _short(sym: str) -> str:
    """Drops Rust generic arguments and hash suffixes so frames stay readable."""
    out, depth = [], 0
    for ch in sym:
        if ch == "<":
            depth += 1
            if depth == 1:
                out.append("<…>")
            continue
        if ch == ">":
            depth = max(0, depth - 1)
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out).replace("::{{closure}}", "::{closure}")


PLUMBING = ("poll", "{closure", "call_once", "catch_unwind", "do_call", "try_with", "with<",
            "with_mut", "with_budget", "budget", "set_scheduler", "enter_runtime", "run<",
            "run_task", "run_worker", "poll_future", "poll_inner", "tokio::runtime::",
            "std::", "core::", "<…>::", "start_thread", "clone3", "run", "set<", "[unknown]",
            "__rust_begin_short_backtrace", "{{closure")


def _plumbing(frame: str) -> bool:
    """Async-runtime and closure frames that only add depth (tokio task polling, unwinding
    shims): dropped so the rows show the broker's own calls and the kernel."""
    return frame.startswith(PLUMBING) or frame in ("run", "set")


def render(stacks: dict[tuple, int], out: Path, title: str, max_depth: int = 40) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    total = sum(stacks.values())
    if not total:
        return False
    # Prefix tree: node = (name, count, children dict).
    root = {"n": "all", "c": 0, "k": {}}
    for stack, count in stacks.items():
        node = root
        node["c"] += count
        useful = [f for f in stack if not _plumbing(f)]
        for frame in useful[-max_depth:]:
            node = node["k"].setdefault(frame, {"n": frame, "c": 0, "k": {}})
            node["c"] += count
    depth_seen = [0]
    rects = []

    def walk(node, x, depth):
        depth_seen[0] = max(depth_seen[0], depth)
        rects.append((x, depth, node["c"], node["n"]))
        cx = x
        for child in sorted(node["k"].values(), key=lambda n: n["n"]):
            walk(child, cx, depth + 1)
            cx += child["c"]
    walk(root, 0, 0)
    height = depth_seen[0] + 1
    fig, ax = plt.subplots(figsize=(16, max(4, height * 0.28)))
    for x, d, w, name in rects:
        frac = w / total
        hue = (hash(name) % 1000) / 1000.0
        color = (0.85 + 0.15 * hue, 0.35 + 0.45 * hue, 0.15)
        ax.add_patch(plt.Rectangle((x / total, d), frac, 0.95, color=color, linewidth=0))
        if frac > 0.025:
            label = name if len(name) * 0.0055 < frac else name[:max(3, int(frac / 0.0055))] + "…"
            ax.text(x / total + 0.002, d + 0.45, f"{label} ({100 * frac:.1f}%)",
                    fontsize=6.5, va="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.set_title(f"{title} — {total} samples, root at the bottom")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True
