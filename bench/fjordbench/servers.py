"""The three servers of a benchmark run, each on 127.0.0.1 random ports with its data in a
temp directory: fjord (KRaft combined mode, Kafka's on-disk format), Tansu (its in-memory
storage engine) and Redis (Streams, AOF with appendfsync everysec)."""
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from . import kafkawire
from .procs import Server, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
FJORD_BIN = Path(os.environ.get("FJORD_BIN", ROOT / "target" / "release" / "fjord"))
CACHE = Path(os.environ.get("FJORD_BENCH_CACHE", "/work/cache"))
# Tansu's memory:// engine lives behind its `dynostore` cargo feature (tansu-storage's
# StorageContainer: "memory" without it is FeatureNotEnabled); install-peers.sh builds that.
TANSU_BIN = Path(os.environ.get("TANSU_BIN", CACHE / "tansu-mem" / "bin" / "tansu"))
REDIS_BIN = shutil.which("redis-server") or "/usr/bin/redis-server"


class KafkaServer(Server):
    """A Kafka-protocol server: has a bootstrap address and a readiness probe."""

    port = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 600.0) -> float:
        """Spawns and waits for the first successful Metadata answer; returns the seconds
        from spawn to it (the start-up time of scenarios 7 and 8)."""
        self.spawn()
        try:
            ready = kafkawire.wait_metadata(self.port, None, timeout=timeout, alive=self.alive)
        except (TimeoutError, ConnectionError):
            self.kill()
            raise RuntimeError(f"{self.name} did not start; log:\n{self.log_tail()}")
        return ready - self.started_at


class FjordServer(KafkaServer):
    """fjord as `kafka-server-start.sh` would run it: `fjord server start server.properties`
    with a formatted data directory (`kafka-storage.sh random-uuid` + `format`)."""

    name = "fjord"

    def __init__(self, workdir: Path, extra: dict | None = None):
        super().__init__(workdir)
        self.port = free_port()
        self.controller_port = free_port()
        self.data_dir = workdir / "data"
        self.config_path = workdir / "server.properties"
        config = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},"
                         f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
        }
        config.update(extra or {})
        self.config = config
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
        cluster_id = subprocess.run([str(FJORD_BIN), "storage", "random-uuid"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        subprocess.run([str(FJORD_BIN), "storage", "format", "-t", cluster_id, "-c",
                        str(self.config_path)], check=True, capture_output=True, text=True)

    def command(self) -> list[str]:
        # Started through a symlink named fjord-bench: `fjord server stop`
        # (kafka-server-stop.sh) signals every process whose program is named `fjord`, and
        # other test suites on a shared machine run it.
        link = self.workdir / "fjord-bench"
        if not link.exists():
            link.symlink_to(FJORD_BIN)
        return [str(link), "server", "start", str(self.config_path)]

    def data_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.data_dir):
            for f in files:
                if f.endswith(".log"):
                    total += os.path.getsize(os.path.join(dirpath, f))
        return total


class TansuServer(KafkaServer):
    """Tansu with its in-memory storage engine (`--storage-engine memory://tansu/`): no disk."""

    name = "tansu"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.port = free_port()

    @staticmethod
    def installed() -> bool:
        return TANSU_BIN.is_file() and os.access(TANSU_BIN, os.X_OK)

    def command(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [str(TANSU_BIN), "broker", "--kafka-listener-url", url,
                "--kafka-advertised-listener-url", url, "--storage-engine", "memory://tansu/"]

    def env(self) -> dict:
        env = dict(os.environ)
        # Tansu's optional HTTP endpoints: keep them on loopback ports of our choosing.
        env.setdefault("PROMETHEUS_LISTENER_URL", f"tcp://127.0.0.1:{free_port()}")
        env.setdefault("RUST_LOG", "warn")
        return env


class RedisServer(Server):
    """redis-server with Streams persisted by AOF, `appendfsync everysec` (Redis' default
    durability trade-off, the closest to Kafka's ack-from-page-cache)."""

    name = "redis"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.port = free_port()

    def command(self) -> list[str]:
        return [REDIS_BIN, "--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", str(self.workdir), "--appendonly", "yes", "--appendfsync", "everysec",
                "--save", "", "--maxclients", "20000", "--daemonize", "no",
                "--protected-mode", "yes"]

    def start(self, timeout: float = 600.0) -> float:
        """Spawns and waits until it answers a command other than with -LOADING (the AOF is
        replayed); returns the seconds from spawn to that."""
        self.spawn()
        wait_for_port(self.port, timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping_ready():
                return time.monotonic() - self.started_at
            time.sleep(0.01)
        raise RuntimeError(f"redis did not finish loading; log:\n{self.log_tail()}")

    def ping_ready(self) -> bool:
        """True if `DBSIZE` answers with an integer (not -LOADING while replaying the AOF)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
                return s.recv(64).startswith(b":")
        except OSError:
            return False

    def data_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.workdir):
            for f in files:
                if ".aof" in f:
                    total += os.path.getsize(os.path.join(dirpath, f))
        return total
