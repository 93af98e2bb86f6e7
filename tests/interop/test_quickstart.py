"""Kafka's quickstart (https://kafka.apache.org/quickstart, KRaft mode), followed with the same
scripts, flags and shipped config file. The only changes are the ones a shared test machine
needs: loopback listeners on free ports and a temporary log.dirs, made by editing a copy of
config/kraft/server.properties — the way an operator would edit theirs.
"""
import os
import re
import subprocess
import time
from pathlib import Path

from conftest import FJORD_BIN, ROOT, free_port, wait_for_port

BIN = ROOT / "bin"


def run(script, *args, input=None, timeout=60, env=None):
    return subprocess.run([str(BIN / script), *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_kraft_quickstart_verbatim(tmp_path):
    port, controller_port = free_port(), free_port()
    config = (ROOT / "config" / "kraft" / "server.properties").read_text()
    config = config.replace("PLAINTEXT://:9092", f"PLAINTEXT://127.0.0.1:{port}")
    config = config.replace("CONTROLLER://:9093", f"CONTROLLER://127.0.0.1:{controller_port}")
    config = config.replace("localhost:9093", f"localhost:{controller_port}")
    config = config.replace("PLAINTEXT://localhost:9092", f"PLAINTEXT://localhost:{port}")
    config = re.sub(r"(?m)^log\.dirs=.*$", f"log.dirs={tmp_path / 'kraft-combined-logs'}", config)
    cfg = tmp_path / "server.properties"
    cfg.write_text(config)
    env = dict(os.environ, FJORD_BIN=FJORD_BIN, LOG_DIR=str(tmp_path / "logs"))
    bootstrap = f"localhost:{port}"

    # Step 2: generate a cluster UUID and format the log directories.
    r = run("kafka-storage.sh", "random-uuid", env=env)
    assert r.returncode == 0, r.stderr
    cluster_id = r.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    r = run("kafka-storage.sh", "format", "-t", cluster_id, "-c", str(cfg), env=env)
    assert r.returncode == 0, r.stderr
    assert "Formatting" in r.stdout
    assert (tmp_path / "kraft-combined-logs" / "meta.properties").exists()

    # Step 2: start the server (as a daemon, logging to $LOG_DIR/server.log).
    r = run("kafka-server-start.sh", "-daemon", str(cfg), env=env, timeout=20)
    assert r.returncode == 0, r.stderr
    try:
        wait_for_port(port)

        # Step 3: create a topic and describe it.
        r = run("kafka-topics.sh", "--create", "--topic", "quickstart-events",
                "--bootstrap-server", bootstrap, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "Created topic quickstart-events."
        r = run("kafka-topics.sh", "--describe", "--topic", "quickstart-events",
                "--bootstrap-server", bootstrap, env=env)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.strip().splitlines()
        assert re.match(r"Topic: quickstart-events\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1"
                        r"\tReplicationFactor: 1\tConfigs:", lines[0]), lines[0]
        assert lines[1].startswith("\tTopic: quickstart-events\tPartition: 0\tLeader: 1"
                                   "\tReplicas: 1\tIsr: 1"), lines[1]

        # Step 4: write some events.
        r = run("kafka-console-producer.sh", "--topic", "quickstart-events",
                "--bootstrap-server", bootstrap,
                input="This is my first event\nThis is my second event\n", env=env)
        assert r.returncode == 0, r.stderr

        # Step 5: read the events (the quickstart stops it with Ctrl-C; --max-messages ends it).
        r = run("kafka-console-consumer.sh", "--topic", "quickstart-events", "--from-beginning",
                "--bootstrap-server", bootstrap, "--max-messages", "2", env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "This is my first event\nThis is my second event\n"
        assert "Processed a total of 2 messages" in r.stderr
    finally:
        # Step 8: stop the server.
        r = run("kafka-server-stop.sh", env=env, timeout=40)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            wait_for_port(port, timeout=0.2)
        except TimeoutError:
            break
    log = (tmp_path / "logs" / "server.log").read_text()
    assert "shut down completed" in log
