"""kafkajs 2.2.4 (npm) against a real fjord process: admin, produce with gzip and duplicate
header keys, and a consumer group that reads from the beginning and commits (kafkajs consumers
always use a group)."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "kafkajs"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (HERE / "node_modules" / "kafkajs").exists(),
    reason="node or kafkajs not installed (.ci/run installs them)")


def test_kafkajs_produce_and_group_consume(broker, topic_name):
    r = subprocess.run(["node", str(HERE / "roundtrip.js"), broker.bootstrap, topic_name,
                        f"g-{topic_name}"], capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["sent"] == 20
    values = sorted(m["value"] for m in out["seen"])
    assert values == sorted(f"v{n}" for n in range(20))
    for m in out["seen"]:
        assert m["key"] == "k" + m["value"][1:]
        assert m["headers"] == {"h1": "a", "dup": ["first", "second"]}
        assert int(m["value"][1:]) % 2 == m["partition"]
    committed = {p["partition"]: int(p["offset"]) for p in out["committed"]}
    assert committed == {0: 10, 1: 10}
