"""kcat (Debian's, linking librdkafka 2.0.2) against a real fjord process: -L, -P, -C -e.

librdkafka 2.0 cannot parse some newer response encodings; these tests pin that our ApiVersions
and Metadata answers stay readable for it.
"""
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat not installed")


def kcat(*args, input=None, timeout=30):
    return subprocess.run(["kcat", *args], input=input, capture_output=True, text=True,
                          timeout=timeout)


def test_kcat_list_produce_consume(broker, topic_name):
    lines = "".join(f"line-{i}\n" for i in range(50))
    r = kcat("-b", broker.bootstrap, "-P", "-t", topic_name, "-z", "snappy", input=lines)
    assert r.returncode == 0, r.stderr
    r = kcat("-b", broker.bootstrap, "-L")
    assert r.returncode == 0, r.stderr
    assert f'topic "{topic_name}" with 1 partitions' in r.stdout
    assert "1 brokers:" in r.stdout
    r = kcat("-b", broker.bootstrap, "-C", "-t", topic_name, "-e", "-o", "beginning")
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines


def test_kcat_keys_and_offsets(broker, topic_name):
    r = kcat("-b", broker.bootstrap, "-P", "-t", topic_name, "-K", ":", input="a:1\nb:2\nc:3\n")
    assert r.returncode == 0, r.stderr
    r = kcat("-b", broker.bootstrap, "-C", "-t", topic_name, "-e", "-o", "1", "-f", "%k=%s@%o\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "b=2@1\nc=3@2\n"


def test_kcat_legacy_metadata_v0(broker, topic_name):
    """api.version.request=false with a 0.9 fallback makes librdkafka send Metadata v0, the
    oldest version we keep (as Kafka 4.1 does)."""
    r = kcat("-b", broker.bootstrap, "-P", "-t", topic_name, input="x\n")
    assert r.returncode == 0, r.stderr
    r = kcat("-b", broker.bootstrap, "-L", "-t", topic_name, "-X", "api.version.request=false",
             "-X", "broker.version.fallback=0.9.0")
    assert r.returncode == 0, r.stderr
    assert f'topic "{topic_name}" with 1 partitions' in r.stdout
    assert "partition 0, leader 1, replicas: 1, isrs: 1" in r.stdout
