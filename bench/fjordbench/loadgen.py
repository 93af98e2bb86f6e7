"""Load generators and their output parsers.

- `fjord perf producer|consumer` (Kafka's ProducerPerformance / ConsumerPerformance flags and
  summary lines, over librdkafka),
- librdkafka's `rdkafka_performance` example (built from the rdkafka-sys sources in target/,
  see bench/install-peers.sh) as the second opinion and for end-to-end latency (`-l`),
- `redis-benchmark` (C, pipelined) for Redis Streams XADD / XREADGROUP.

Every command line run is appended to `COMMANDS` so the report can print them exactly.
"""
import os
import random
import re
import resource
import shlex
import string
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .procs import stat_cpu
from .servers import CACHE, FJORD_BIN

RDKPERF_BIN = Path(os.environ.get("RDKAFKA_PERFORMANCE", CACHE / "bin" / "rdkafka_performance"))
REDIS_BENCHMARK = "redis-benchmark"

COMMANDS: list[tuple[str, str]] = []


def record_command(label: str, argv: list[str]) -> None:
    shown = []
    for a in argv:
        # Payload arguments of redis-benchmark can be KiBs long: abbreviate them.
        shown.append(a if len(a) <= 64 else f"<{len(a)}-byte value>")
    line = shlex.join(shown)
    if (label, line) not in COMMANDS:
        COMMANDS.append((label, line))


def children_cpu() -> float:
    """utime+stime of this process's reaped children so far (getrusage(RUSAGE_CHILDREN))."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# The busiest thread of the last `run(..., threads=True)`: (thread name, CPU seconds, wall
# seconds). A client whose busiest thread is near 1.0 core is the bottleneck of its run
# ("or the producer client saturates its core first", issue 7).
LAST_BUSIEST: tuple[str, float, float] | None = None


def _thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """{tid: (name, CPU seconds)} of a live process's threads (empty once it is gone)."""
    out = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            out[int(tid)] = stat_cpu(f"/proc/{pid}/task/{tid}/stat")
        except (OSError, ValueError):
            continue
    return out


def run(label: str, argv: list[str], timeout: float = 1800.0, threads: bool = False) -> str:
    """Runs a load generator to completion; returns stdout+stderr; raises on non-zero exit.
    With `threads`, samples the client's threads every 0.2 s into LAST_BUSIEST."""
    global LAST_BUSIEST
    record_command(label, argv)
    if not threads:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        out, code = proc.stdout + proc.stderr, proc.returncode
    else:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        seen: dict[int, tuple[str, float]] = {}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                seen.update(_thread_cpu(proc.pid))
                stop.wait(0.2)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        finally:
            stop.set()
            sampler.join()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        code = proc.returncode
        wall = time.monotonic() - started
        if seen:
            name, cpu_s = max(seen.values(), key=lambda v: v[1])
            LAST_BUSIEST = (name, cpu_s, wall)
    if code != 0:
        raise RuntimeError(f"{label}: exit {code}: {shlex.join(argv)[:300]}\n"
                           f"{out[-2000:]}")
    return out


@dataclass
class Throughput:
    """Records and bytes moved in `seconds` by one client run."""
    records: int
    bytes: int
    seconds: float
    latency_ms: dict = field(default_factory=dict)
    client_cpu_s: float = 0.0  # the client process's utime+stime (single runs only)
    busiest_thread_cores: float = 0.0  # CPU of the client's busiest thread / its wall time
    machine_busy: float = 0.0  # share of the machine's CPU time busy during the run

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0


# --- rdkafka_performance -------------------------------------------------------------------

RDK_PRODUCED = re.compile(
    r"% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\)"
    r" in (\d+)ms: (\d+) msgs/s")
RDK_CONSUMED = re.compile(r"% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs/s")


def machine_busy() -> list[int]:
    """The aggregate `cpu` line of /proc/stat (jiffies: user nice system idle iowait …)."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def busy_fraction(before: list[int], after: list[int]) -> float:
    """Share of all CPUs' time that was not idle/iowait between two `machine_busy` reads."""
    d = [b - a for a, b in zip(before, after)]
    total = sum(d)
    return (total - d[3] - d[4]) / total if total > 0 else 0.0


def _busiest_cores() -> float:
    """The busiest client thread's CPU over the run's wall time (LAST_BUSIEST)."""
    if LAST_BUSIEST is None:
        return 0.0
    _name, cpu_s, wall_s = LAST_BUSIEST
    return cpu_s / wall_s if wall_s > 0 else 0.0


def rdkperf_available() -> bool:
    return RDKPERF_BIN.is_file()


def rdkperf_produce(bootstrap: str, topic: str, size: int, count: int, acks: str,
                    partition: int | None = 0, linger_ms: int = 5,
                    extra: list[str] | None = None,
                    label: str = "rdkafka_performance") -> Throughput:
    """`rdkafka_performance -P`: `count` records of `size` bytes; acks and linger.ms as given
    (the tool's own linger default is 1000 ms, so it is always passed)."""
    argv = [str(RDKPERF_BIN), "-P", "-t", topic, "-b", bootstrap, "-s", str(size),
            "-c", str(count), "-a", acks, "-X", f"linger.ms={linger_ms}", "-i", "60000"]
    if partition is not None:
        argv += ["-p", str(partition)]
    argv += extra or []
    cpu0, busy0 = children_cpu(), machine_busy()
    out = run(label, argv, threads=True)
    client_cpu = children_cpu() - cpu0
    busy = busy_fraction(busy0, machine_busy())
    busiest = _busiest_cores()
    last = RDK_PRODUCED.findall(out)
    if not last:
        raise RuntimeError(f"{label}: no summary line in output:\n{out[-2000:]}")
    produced, nbytes, delivered, _off, failed, ms, _rate = last[-1]
    if int(failed) or int(delivered) < int(produced):
        raise RuntimeError(f"{label}: {failed} failed, {delivered}/{produced} delivered")
    return Throughput(int(delivered), int(nbytes), int(ms) / 1000.0, client_cpu_s=client_cpu,
                      busiest_thread_cores=busiest, machine_busy=busy)


def rdkperf_consume(bootstrap: str, topic: str, count: int, partitions: list[int],
                    label: str = "rdkafka_performance") -> Throughput:
    """`rdkafka_performance -C -o beginning`: reads `count` records from `partitions`."""
    argv = [str(RDKPERF_BIN), "-C", "-t", topic, "-b", bootstrap, "-o", "beginning",
            "-c", str(count), "-i", "60000"]
    for p in partitions:
        argv += ["-p", str(p)]
    cpu0, busy0 = children_cpu(), machine_busy()
    out = run(label, argv, timeout=600, threads=True)
    client_cpu = children_cpu() - cpu0
    busy = busy_fraction(busy0, machine_busy())
    busiest = _busiest_cores()
    last = RDK_CONSUMED.findall(out)
    if not last:
        raise RuntimeError(f"{label}: no summary line in output:\n{out[-2000:]}")
    msgs, nbytes, ms, _rate = last[-1]
    return Throughput(int(msgs), int(nbytes), int(ms) / 1000.0, client_cpu_s=client_cpu,
                      busiest_thread_cores=busiest, machine_busy=busy)


def rdkperf_e2e(bootstrap: str, topic: str, rate: int, seconds: float, size: int,
                latency_file: Path, linger_ms: int = 5) -> dict:
    """End-to-end latency at a fixed rate with client defaults (librdkafka: linger.ms 5,
    fetch.wait.max.ms 500, fetch.min.bytes 1): a consumer `-C -l -A file -o end` and a
    producer `-P -l -r rate` (payload "LATENCY:<wall clock µs>"); percentiles of the consumer's
    per-record receive time minus the producer's send time."""
    count = int(rate * seconds)
    consumer = [str(RDKPERF_BIN), "-C", "-l", "-A", str(latency_file), "-t", topic, "-p", "0",
                "-b", bootstrap, "-o", "end", "-c", str(count), "-i", "60000"]
    producer = [str(RDKPERF_BIN), "-P", "-l", "-t", topic, "-p", "0", "-b", bootstrap,
                "-s", str(size), "-c", str(count), "-r", str(rate), "-a", "1",
                "-X", f"linger.ms={linger_ms}", "-i", "60000"]
    record_command("e2e consumer", consumer)
    record_command("e2e producer", producer)
    cons = subprocess.Popen(consumer, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(2.0)  # the consumer has its assignment and sits at the end offset
    try:
        run("e2e producer", producer, timeout=seconds * 4 + 60)
        out, _ = cons.communicate(timeout=60)
    finally:
        if cons.poll() is None:
            cons.kill()
            cons.wait()
    samples = sorted(int(x) for x in latency_file.read_text().split() if x.strip())
    if len(samples) < count * 0.99:
        raise RuntimeError(f"e2e: only {len(samples)} of {count} latencies recorded:\n"
                           f"{out[-1500:]}")
    return latency_summary([s / 1000.0 for s in samples], rate)


def latency_summary(samples_ms: list[float], rate: float) -> dict:
    """p50/p99/p99.9/max of sorted samples (nearest-rank)."""
    s = sorted(samples_ms)

    def pct(p):
        return s[min(len(s) - 1, int(p * len(s)))]
    return {"rate": rate, "n": len(s), "p50": pct(0.5), "p99": pct(0.99), "p99.9": pct(0.999),
            "max": s[-1]}


# --- fjord perf ----------------------------------------------------------------------------

FJ_PRODUCED = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), "
                         r"([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, "
                         r"(\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")


def fjord_perf_produce(bootstrap: str, topic: str, size: int, count: int, acks: str,
                       linger_ms: int = 5, client: str = "librdkafka") -> Throughput:
    """`fjord perf producer` (kafka-producer-perf-test.sh flags), unthrottled. `client` is its
    `--client`: librdkafka, or fjord's own batch writer (librdkafka's batch.size 1000000)."""
    argv = [str(FJORD_BIN), "perf", "producer", "--topic", topic, "--num-records", str(count),
            "--record-size", str(size), "--throughput", "-1", "--client", client,
            "--producer-props", f"bootstrap.servers={bootstrap}", f"acks={acks}",
            f"linger.ms={linger_ms}"]
    label = "fjord perf producer" + ("" if client == "librdkafka" else f" --client {client}")
    cpu0 = children_cpu()
    out = run(label, argv)
    client_cpu = children_cpu() - cpu0
    last = FJ_PRODUCED.findall(out)
    if not last:
        raise RuntimeError(f"{label}: no summary:\n{out[-2000:]}")
    n, rate, _mb, avg, mx, p50, p95, p99, p999 = last[-1]
    seconds = int(n) / float(rate) if float(rate) > 0 else 0.0
    lat = {"avg": float(avg), "max": float(mx), "p50": int(p50), "p99": int(p99),
           "p99.9": int(p999)}
    return Throughput(int(n), int(n) * size, seconds, lat, client_cpu_s=client_cpu)


def fjord_perf_consume(bootstrap: str, topic: str, count: int, size: int,
                       client: str = "librdkafka") -> Throughput:
    """`fjord perf consumer` (kafka-consumer-perf-test.sh flags) from the beginning; the
    summary's fetch.time.ms excludes start-up, as Kafka's does. `client` is its `--client`:
    librdkafka, or fjord's own Fetch reader (no per-record allocation or thread hand-off)."""
    argv = [str(FJORD_BIN), "perf", "consumer", "--bootstrap-server", bootstrap, "--topic", topic,
            "--messages", str(count), "--timeout", "30000", "--client", client]
    label = "fjord perf consumer" + ("" if client == "librdkafka" else f" --client {client}")
    cpu0 = children_cpu()
    out = run(label, argv, timeout=600)
    client_cpu = children_cpu() - cpu0
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 10 and parts[4].isdigit():
            msgs, fetch_ms = int(parts[4]), int(parts[7])
            mb = float(parts[2])
            return Throughput(msgs, int(mb * 1024 * 1024), max(fetch_ms, 1) / 1000.0,
                              client_cpu_s=client_cpu)
    raise RuntimeError(f"{label}: no summary:\n{out[-2000:]}")


FJ_E2E_US = re.compile(r"Percentiles \(us\): 50th = (\d+), 99th = (\d+), 99\.9th = (\d+), "
                       r"max = (\d+)")


def host_steal_ms() -> float:
    """CPU time the hypervisor took from this VM so far, summed over its CPUs (`steal` in
    /proc/stat): a latency step that saw some may owe its tail to the host, not the broker."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) * 1000.0 / os.sysconf("SC_CLK_TCK")


def fjord_perf_e2e(bootstrap: str, topic: str, count: int, size: int,
                   rate: int | None, props: dict | None = None) -> dict:
    """`fjord perf e2e-latency` (kafka-e2e-latency.sh): Kafka's closed loop when `rate` is
    None, else the open loop at `rate` records/s (the producer sleeps between records) with
    client defaults, overridden by `props` (its properties file)."""
    argv = [str(FJORD_BIN), "perf", "e2e-latency", bootstrap, topic, str(count), "1", str(size)]
    props_file = None
    if props:
        props_file = tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False)
        props_file.write("".join(f"{k}={v}\n" for k, v in props.items()))
        props_file.close()
        argv.append(props_file.name)
    if rate is not None:
        argv += ["--throughput", str(rate)]
    steal_before = host_steal_ms()
    try:
        out = run("fjord perf e2e-latency", argv, timeout=count / (rate or 500) * 4 + 120)
    finally:
        if props_file is not None:
            os.unlink(props_file.name)
    steal = host_steal_ms() - steal_before
    m = FJ_E2E_US.findall(out)
    if not m:
        raise RuntimeError(f"fjord perf e2e-latency: no summary:\n{out[-1500:]}")
    p50, p99, p999, mx = (int(x) / 1000.0 for x in m[-1])
    return {"rate": rate or 0, "n": count, "p50": p50, "p99": p99, "p99.9": p999, "max": mx,
            "steal_ms": steal}


def create_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 600) -> None:
    """`fjord topics --create` (kafka-topics.sh), used against fjord and Tansu alike."""
    run("kafka-topics.sh --create", [str(FJORD_BIN), "topics", "--bootstrap-server", bootstrap,
                                     "--create", "--topic", topic, "--partitions", str(partitions),
                                     "--replication-factor", "1"], timeout=timeout)


def settle_disk() -> None:
    """Writes back all dirty pages (`sync`) so a step starts below the kernel's dirty limits
    whatever the steps before it wrote."""
    os.sync()


def delete_topic(bootstrap: str, topic: str, timeout: float = 120) -> None:
    """`fjord topics --delete` (kafka-topics.sh)."""
    run("kafka-topics.sh --delete", [str(FJORD_BIN), "topics", "--bootstrap-server", bootstrap,
                                     "--delete", "--topic", topic], timeout=timeout)


# --- redis-benchmark -----------------------------------------------------------------------

def redis_benchmark(port: int, command: list[str], requests: int, clients: int = 1,
                    pipeline: int = 100, keyspace: int | None = None,
                    label: str = "redis-benchmark") -> float:
    """Runs one custom command `requests` times; returns requests/s (from `--csv`)."""
    argv = [REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(port), "-n", str(requests),
            "-c", str(clients), "-P", str(pipeline), "--csv"]
    if keyspace:
        argv += ["-r", str(keyspace)]
    argv += command
    out = run(label, argv)
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split('","')]
        if len(cells) >= 2 and cells[0] != "test":
            try:
                return float(cells[1])
            except ValueError:
                continue
    raise RuntimeError(f"{label}: no csv result:\n{out[-1500:]}")


def payload(size: int) -> str:
    """Random uppercase letters, like Kafka's ProducerPerformance payload: a repeated byte
    would let Redis' RDB-preamble AOF rewrite (LZF) shrink the data it reloads."""
    rng = random.Random(size)
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(size))
