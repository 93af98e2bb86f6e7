"""Process bookkeeping for the benchmark: CPU seconds and RSS read from /proc, and a Server
base class that starts one process on loopback and stops it by PID (never by name).

CPU time is utime+stime (fields 14 and 15 of /proc/<pid>/stat, proc(5)) in clock ticks;
RSS is VmRSS of /proc/<pid>/status, the resident set the kernel charges the process
(page cache of the log files is not part of it).
"""
import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")

# Connections in scenario (6) need more descriptors than the usual 1024 soft limit: every
# process we start inherits this soft limit (raised up to the hard limit).
NOFILE_WANTED = 65536


def raise_nofile() -> int:
    """Raises this process's soft RLIMIT_NOFILE as far as the hard limit allows; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE_WANTED if hard == resource.RLIM_INFINITY else min(NOFILE_WANTED, hard)
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            return soft
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def stat_cpu(stat_path: str) -> tuple[str, float]:
    """(command name, utime+stime in seconds) from a process's or thread's stat file,
    `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` (proc(5): fields 2, 14, 15)."""
    text = Path(stat_path).read_text()
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return name, (utime + stime) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """utime+stime of `pid` in seconds."""
    return stat_cpu(f"/proc/{pid}/stat")[1]


def rss_bytes(pid: int) -> int:
    """VmRSS of `pid` in bytes (proc(5): /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Waits until 127.0.0.1:`port` accepts a TCP connection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


class Server:
    """One server process started by the benchmark; subclasses fill in `command()`."""

    name = "server"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return dict(os.environ)

    def spawn(self) -> None:
        """Starts the process (stdout/stderr appended to its log), not waiting for readiness."""
        log = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     env=self.env(), cwd=self.workdir,
                                     preexec_fn=raise_nofile)
        log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} is not running"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def stop(self, timeout: float = 120.0) -> float:
        """SIGTERM and wait (a clean stop); returns the seconds it took to exit."""
        if not self.alive():
            return 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.monotonic() - t0

    def kill(self) -> None:
        """SIGKILL (kill -9): an unclean stop."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class CpuMeter:
    """Broker CPU seconds and RSS around one scenario step: `with CpuMeter(server) as m:`."""

    def __init__(self, server: Server):
        self.server = server
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self.rss_after = 0

    def __enter__(self):
        self._cpu0 = self.server.cpu()
        self._t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        if self.server.alive():
            self.cpu_s = self.server.cpu() - self._cpu0
            self.rss_after = self.server.rss()
        self.wall_s = time.monotonic() - self._t0
        return False
