"""Kafka 3.x's ZooKeeper-mode quickstart (https://kafka.apache.org/35/documentation/#quickstart,
"Kafka with ZooKeeper") followed verbatim on fjord, with the shipped config/zookeeper.properties
and config/server.properties.

Method: copy config/ into a temp dir and edit it the way an operator would on a shared machine
(dataDir and log.dirs to temp paths, clientPort and the broker listener to free loopback ports,
zookeeper.connect to match), then run bin/ scripts as processes and check what they print.
Every process started is stopped by PID in teardown. bin/kafka-server-stop.sh stops every fjord
server on the machine, so these tests must not run in parallel with other broker tests.
Design: docs/design/zookeeper-mode.md.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FJORD_BIN, ROOT, free_port, wait_for_port

BIN = ROOT / "bin"


def run(script, *args, env, input=None, timeout=60):
    return subprocess.run([str(BIN / script), *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env)


def four_letter_word(port: int, word: str) -> str:
    """What `echo ruok | nc localhost 2181` prints (ZooKeeper Administrator's Guide, 4lw)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"{word}\n".encode())  # echo's newline included, as nc sends it
        chunks = []
        while True:
            data = s.recv(4096)
            if not data:
                return b"".join(chunks).decode()
            chunks.append(data)


def pids_of(pattern: str) -> list[int]:
    out = subprocess.run(["ps", "axww", "-o", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if pattern in line]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pids, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


class Install:
    """A copy of config/ edited for this machine, plus the processes started from it."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.zk_port, self.port = free_port(), free_port()
        shutil.copytree(ROOT / "config", tmp / "config")
        zk = tmp / "config" / "zookeeper.properties"
        text = zk.read_text()
        text = re.sub(r"(?m)^dataDir=.*$", f"dataDir={tmp / 'zookeeper'}", text)
        text = re.sub(r"(?m)^clientPort=.*$", f"clientPort={self.zk_port}", text)
        zk.write_text(text)
        server = tmp / "config" / "server.properties"
        text = server.read_text()
        text = re.sub(r"(?m)^log\.dirs=.*$", f"log.dirs={tmp / 'kafka-logs'}", text)
        text = re.sub(r"(?m)^zookeeper\.connect=.*$",
                      f"zookeeper.connect=localhost:{self.zk_port}", text)
        text += f"\nlisteners=PLAINTEXT://127.0.0.1:{self.port}\n"
        text += f"console.listeners=http://127.0.0.1:{free_port()}\n"
        server.write_text(text)
        self.env = dict(os.environ, FJORD_BIN=FJORD_BIN, LOG_DIR=str(tmp / "logs"))
        self.foreground: list[subprocess.Popen] = []
        self.bootstrap = f"localhost:{self.port}"

    def start_foreground(self, script: str, config: str) -> subprocess.Popen:
        log = open(self.tmp / f"{script}.log", "ab")
        proc = subprocess.Popen([str(BIN / script), config], cwd=self.tmp, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.foreground.append(proc)
        return proc

    def teardown(self):
        # Daemons started from this install: fjord processes whose working directory is ours.
        for pid in pids_of("fjord "):
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(self.tmp):
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for proc in self.foreground:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def install(tmp_path):
    inst = Install(tmp_path)
    yield inst
    inst.teardown()


def produce_and_consume(inst, lines, expected):
    env, bootstrap = inst.env, inst.bootstrap
    if lines:
        r = run("kafka-console-producer.sh", "--topic", "quickstart-events",
                "--bootstrap-server", bootstrap, input="".join(f"{l}\n" for l in lines), env=env)
        assert r.returncode == 0, r.stderr
    r = run("kafka-console-consumer.sh", "--topic", "quickstart-events", "--from-beginning",
            "--bootstrap-server", bootstrap, "--max-messages", str(len(expected)), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "".join(f"{l}\n" for l in expected)


def test_zookeeper_mode_quickstart_as_daemons(install):
    inst, env = install, install.env
    zk_cfg, server_cfg = "config/zookeeper.properties", "config/server.properties"

    # Step 2: start ZooKeeper (fjord's stand-in), then the broker, both with -daemon.
    r = subprocess.run([str(BIN / "zookeeper-server-start.sh"), "-daemon", zk_cfg],
                       cwd=inst.tmp, env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    wait_for_port(inst.zk_port)
    assert four_letter_word(inst.zk_port, "ruok") == "imok"
    srvr = four_letter_word(inst.zk_port, "srvr")
    assert "Mode: standalone" in srvr and "stand-in" in srvr, srvr
    assert (inst.tmp / "logs" / "zookeeper.out").exists()

    r = subprocess.run([str(BIN / "kafka-server-start.sh"), "-daemon", server_cfg],
                       cwd=inst.tmp, env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    wait_for_port(inst.port)
    # No format step: meta.properties is written on first start, version 0 as Kafka's
    # ZooKeeper-mode brokers write it (broker.id from the shipped file: 0).
    meta = (inst.tmp / "kafka-logs" / "meta.properties").read_text()
    assert "version=0" in meta and "broker.id=0" in meta, meta
    cluster_id = re.search(r"(?m)^cluster\.id=(.+)$", meta).group(1)
    assert "single-node" in (inst.tmp / "logs" / "server.log").read_text()

    # Step 3: create a topic.
    r = run("kafka-topics.sh", "--create", "--topic", "quickstart-events",
            "--bootstrap-server", inst.bootstrap, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Created topic quickstart-events."
    r = run("kafka-topics.sh", "--describe", "--topic", "quickstart-events",
            "--bootstrap-server", inst.bootstrap, env=env)
    assert "\tLeader: 0\tReplicas: 0\tIsr: 0" in r.stdout, r.stdout

    # Steps 4 and 5: write two events and read them back in order.
    events = ["This is my first event", "This is my second event"]
    produce_and_consume(inst, events, events)

    # Step 8: stop the broker, then ZooKeeper; both processes are gone.
    broker_pids = pids_of("server start config/server.properties")
    zk_pids = pids_of("zookeeper-server-start config/zookeeper.properties")
    assert broker_pids and zk_pids
    r = run("kafka-server-stop.sh", env=env, timeout=40)
    assert r.returncode == 0, r.stderr
    r = run("zookeeper-server-stop.sh", env=env, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert wait_gone(broker_pids + zk_pids)
    r = run("zookeeper-server-stop.sh", env=env, timeout=20)
    assert r.returncode == 1 and r.stdout.strip() == "No zookeeper server to stop"

    # Restart both: the events are still there and the cluster id is the same.
    r = subprocess.run([str(BIN / "zookeeper-server-start.sh"), "-daemon", zk_cfg],
                       cwd=inst.tmp, env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    wait_for_port(inst.zk_port)
    r = subprocess.run([str(BIN / "kafka-server-start.sh"), "-daemon", server_cfg],
                       cwd=inst.tmp, env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    wait_for_port(inst.port)
    produce_and_consume(inst, [], events)
    meta = (inst.tmp / "kafka-logs" / "meta.properties").read_text()
    assert f"cluster.id={cluster_id}" in meta
    run("kafka-server-stop.sh", env=env, timeout=40)
    run("zookeeper-server-stop.sh", env=env, timeout=20)


def test_zookeeper_mode_quickstart_in_the_foreground(install):
    inst, env = install, install.env
    zk = inst.start_foreground("zookeeper-server-start.sh", "config/zookeeper.properties")
    wait_for_port(inst.zk_port)
    assert four_letter_word(inst.zk_port, "ruok") == "imok"
    broker = inst.start_foreground("kafka-server-start.sh", "config/server.properties")
    wait_for_port(inst.port)
    r = run("kafka-topics.sh", "--create", "--topic", "quickstart-events",
            "--bootstrap-server", inst.bootstrap, env=env)
    assert r.stdout.strip() == "Created topic quickstart-events.", r.stderr
    produce_and_consume(inst, ["one", "two"], ["one", "two"])

    # A second broker with another broker.id against the same ZooKeeper is refused (fjord has no
    # replication yet) instead of starting a split cluster.
    second = inst.tmp / "config" / "second.properties"
    text = (inst.tmp / "config" / "server.properties").read_text()
    text = re.sub(r"(?m)^broker\.id=.*$", "broker.id=1", text)
    text = re.sub(r"(?m)^log\.dirs=.*$", f"log.dirs={inst.tmp / 'second-logs'}", text)
    text = re.sub(r"(?m)^listeners=.*$", f"listeners=PLAINTEXT://127.0.0.1:{free_port()}", text)
    second.write_text(text)
    r = subprocess.run([FJORD_BIN, "server", "start", str(second)], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode != 0
    assert "multi-broker" in r.stderr, r.stderr

    r = run("kafka-server-stop.sh", env=env, timeout=40)
    assert r.returncode == 0, r.stderr
    assert broker.wait(timeout=30) == 0
    r = run("zookeeper-server-stop.sh", env=env, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    zk.wait(timeout=20)
    assert not alive(zk.pid) and not alive(broker.pid)


def test_broker_without_zookeeper_times_out_with_kafkas_message(install):
    # Kafka ZooKeeperClient.waitUntilConnected: ZooKeeperClientTimeoutException after
    # zookeeper.connection.timeout.ms; nothing listens on the configured client port.
    inst, env = install, install.env
    started = time.monotonic()
    r = subprocess.run([str(BIN / "kafka-server-start.sh"), "config/server.properties",
                        "--override", "zookeeper.connection.timeout.ms=3000"],
                       cwd=inst.tmp, env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert r.returncode != 0
    assert "Timed out waiting for connection while in state: CONNECTING" in r.stderr, r.stderr
    assert 3.0 <= took < 15.0, took
    assert not (inst.tmp / "kafka-logs" / "meta.properties").exists()


def test_storage_format_keeps_kafkas_refusal_for_a_zookeeper_config(install):
    # Kafka StorageTool: format refuses a config without process.roles.
    r = run("kafka-storage.sh", "format", "-t", "QzVxWjJqS0txWVhtTjJ0cQ", "-c",
            str(install.tmp / "config" / "server.properties"), env=install.env)
    assert r.returncode != 0
    assert r.stderr.strip() == ("The kafka configuration file appears to be for a legacy cluster. "
                                "Formatting is only supported for clusters in KRaft mode.")


def test_generated_broker_id_is_1001_and_a_chroot_is_its_own_cluster(install):
    # Kafka 3.x KafkaServer.getOrGenerateBrokerId: broker.id=-1 → broker sequence (1) +
    # reserved.broker.max.id (1000); zookeeper.connect's /chroot suffix names the cluster's root.
    inst, env = install, install.env
    inst.start_foreground("zookeeper-server-start.sh", "config/zookeeper.properties")
    wait_for_port(inst.zk_port)
    broker = subprocess.Popen(
        [str(BIN / "kafka-server-start.sh"), "config/server.properties",
         "--override", "broker.id=-1",
         "--override", f"zookeeper.connect=localhost:{inst.zk_port}/kafka"],
        cwd=inst.tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    inst.foreground.append(broker)
    wait_for_port(inst.port)
    meta = (inst.tmp / "kafka-logs" / "meta.properties").read_text()
    assert "broker.id=1001" in meta and "version=0" in meta, meta
    r = run("kafka-topics.sh", "--create", "--topic", "quickstart-events",
            "--bootstrap-server", inst.bootstrap, env=env)
    assert r.returncode == 0, r.stderr
    r = run("kafka-topics.sh", "--describe", "--topic", "quickstart-events",
            "--bootstrap-server", inst.bootstrap, env=env)
    assert "\tLeader: 1001\tReplicas: 1001\tIsr: 1001" in r.stdout, r.stdout
    assert (inst.tmp / "zookeeper" / "fjord-zookeeper-standin" / "root" / "kafka"
            / "cluster.id").exists()
    broker.send_signal(signal.SIGTERM)
    assert broker.wait(timeout=30) == 0
