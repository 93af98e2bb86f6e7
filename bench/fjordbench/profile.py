"""`bench/run --profile`: `perf record` on the fjord broker while it takes scenario (1)'s load
(100 B, acks=1), then the hottest functions (self time) for the report and, when inferno is
installed (bench/install-peers.sh), a flamegraph SVG in docs/img/."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from . import flame as flame_png
from . import loadgen
from .servers import CACHE

PERF = shutil.which("perf") or "/usr/bin/perf"
INFERNO = Path(os.environ.get("INFERNO_DIR", CACHE / "inferno" / "bin"))


def available() -> bool:
    return Path(PERF).exists()


def profile_produce(server, count: int, img_dir: Path, seconds: float = 6.0) -> dict:
    """Samples the broker (DWARF call graphs, 499 Hz) for `seconds` while rdkafka_performance
    produces `count` 100 B records with acks=1; returns {"top": [(percent, symbol)],
    "flamegraph": file name or None}."""
    loadgen.create_topic(server.bootstrap, "profile", 1)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "perf.data"
        argv = [PERF, "record", "-F", "499", "--call-graph", "dwarf,16384", "-p",
                str(server.pid), "-o", str(data), "--", "sleep", str(seconds)]
        loadgen.record_command("perf record (broker)", argv)
        rec = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        producer = threading.Thread(target=loadgen.rdkperf_produce,
                                    args=(server.bootstrap, "profile", 100, count, "1"))
        producer.start()
        rec.wait()
        producer.join()
        report = subprocess.run([PERF, "report", "-i", str(data), "--no-children", "--stdio",
                                 "--sort", "symbol", "-g", "none", "--percent-limit", "0.7"],
                                capture_output=True, text=True).stdout
        top = []
        for line in report.splitlines():
            m = re.match(r"\s+([\d.]+)%\s+\[[.k]\]\s+(.*)$", line)
            if m:
                top.append((float(m.group(1)), m.group(2).split("  ")[0].strip()[:110]))
        flame = None
        collapse, flamegraph = INFERNO / "inferno-collapse-perf", INFERNO / "inferno-flamegraph"
        script = subprocess.run([PERF, "script", "-i", str(data)], capture_output=True)
        title = "fjord broker, produce 100 B acks=1 (rdkafka_performance)"
        if flame_png.render(flame_png.fold(script.stdout.decode(errors="replace")),
                            img_dir / "bench-flamegraph-produce.png", title):
            flame = "bench-flamegraph-produce.png"
        if collapse.exists() and flamegraph.exists():
            folded = subprocess.run([str(collapse)], input=script.stdout, capture_output=True)
            svg = subprocess.run([str(flamegraph), "--title", title],
                                 input=folded.stdout, capture_output=True)
            if svg.returncode == 0 and svg.stdout:
                img_dir.mkdir(parents=True, exist_ok=True)
                (img_dir / "bench-flamegraph-produce.svg").write_bytes(svg.stdout)
        return {"top": top[:25], "flamegraph": flame}
