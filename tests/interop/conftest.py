"""Fixtures for interop tests: a real `fjord` broker process driven by real Kafka clients.

Each test module gets its own broker on random loopback ports, with a data directory formatted
the way Kafka's quickstart does it (`kafka-storage.sh random-uuid`, then `format -t ID -c CONFIG`),
started with `fjord server start CONFIG`, and stopped by PID (SIGTERM, then SIGKILL if needed).
The binary is $FJORD_BIN or target/debug/fjord.
"""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FJORD_BIN = os.environ.get("FJORD_BIN", str(ROOT / "target" / "debug" / "fjord"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"broker did not listen on 127.0.0.1:{port} within {timeout}s")


def kafka_python_consumer(topics: list[str], **config):
    """A kafka-python `KafkaConsumer` subscribed to `topics` only after its bootstrap finished.

    kafka-python 3.0.12 races when the topics are given to its constructor: the IO thread's
    bootstrap Metadata request (topics=[]) can still be in flight when the constructor
    subscribes, and that response then clears the pending metadata update, so the consumer
    asks for the topic's partitions only after metadata.max.age.ms (5 min) and consumes
    nothing (1 consumer in ~45 here; any broker, the client log shows the request order).
    `topics()` waits for a metadata response; the subscription's update comes after it."""
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(**config)
    known = consumer.topics()
    missing = [t for t in topics if t not in known]
    assert not missing, f"topics not in the cluster's metadata: {missing}"
    consumer.subscribe(topics)
    return consumer


class FjordBroker:
    """One fjord process in KRaft combined mode on loopback."""

    def __init__(self, workdir: Path, extra_config: dict | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.controller_port = free_port()
        # The built-in web console (console.listeners) on a port of its own.
        self.console_port = free_port()
        self.data_dir = workdir / "data"
        self.config_path = workdir / "server.properties"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "console.listeners": f"http://127.0.0.1:{self.console_port}",
        }
        lines.update(extra_config or {})
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        cluster_id = subprocess.run([FJORD_BIN, "storage", "random-uuid"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        subprocess.run([FJORD_BIN, "storage", "format", "-t", cluster_id, "-c", str(self.config_path)],
                       check=True, capture_output=True, text=True)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([FJORD_BIN, "server", "start", str(self.config_path)],
                                     stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"fjord did not start; log:\n{self.log_path.read_text()[-4000:]}")

    def stop(self, timeout: float = 15.0) -> int:
        """Controlled shutdown with SIGTERM; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """kill -9: an unclean stop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = FjordBroker(tmp_path_factory.mktemp("fjord"))
    b.start()
    yield b
    b.kill()


@pytest.fixture
def fresh_broker(tmp_path):
    """A broker of the test's own, for tests that stop or kill it."""
    b = FjordBroker(tmp_path)
    b.start()
    yield b
    b.kill()


_counter = 0


@pytest.fixture
def topic_name(request):
    global _counter
    _counter += 1
    safe = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60]
    return f"t-{safe}-{_counter}-{int(time.time() * 1000) % 100000}"
