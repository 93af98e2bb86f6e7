"""kafka-console-producer.sh piped into kafka-console-consumer.sh, as processes against a real
fjord broker. Reader properties follow Kafka's LineMessageReader (parse.key, key.separator,
parse.headers with headers.delimiter "\\t", headers.separator ",", headers.key.separator ":"),
output follows DefaultMessageFormatter (print.timestamp → "CreateTime:<ms>", print.partition →
"Partition:<n>", print.offset → "Offset:<n>", print.headers → "k:v,…" or "NO_HEADERS", each
column followed by key.separator), and ConsoleConsumer's "Processed a total of N messages" goes
to stderr. --progress is a fjord addition (Kafka's ConsoleProducer has none).
"""
import os
import re
import subprocess

import pytest

from conftest import FJORD_BIN, ROOT, FjordBroker

BIN = ROOT / "bin"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """conftest's broker, but with group.initial.rebalance.delay.ms=0 (Kafka's default is 3 s,
    which each group join here would wait for)."""
    b = FjordBroker(tmp_path_factory.mktemp("fjord-console"),
                    {"group.initial.rebalance.delay.ms": "0"})
    b.start()
    yield b
    b.kill()


def run(script, *args, input=None, stdin=None, timeout=60):
    env = dict(os.environ, FJORD_BIN=FJORD_BIN)
    return subprocess.run([str(BIN / script), *args], input=input, stdin=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def create(broker, topic, partitions=1):
    r = run("kafka-topics.sh", "--bootstrap-server", broker.bootstrap, "--create", "--topic",
            topic, "--partitions", str(partitions))
    assert r.returncode == 0, r.stdout + r.stderr


def produce(broker, topic, text, *args):
    r = run("kafka-console-producer.sh", "--bootstrap-server", broker.bootstrap, "--topic", topic,
            *args, input=text)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r


def consume(broker, *args, timeout=60):
    return run("kafka-console-consumer.sh", "--bootstrap-server", broker.bootstrap, *args,
               timeout=timeout)


def test_parse_key_and_separator_round_trip_with_print_key(broker, topic_name):
    create(broker, topic_name)
    produce(broker, topic_name, "k1:v1\nk2:v2\nk1:v3\n", "--property", "parse.key=true",
            "--property", "key.separator=:")
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--from-beginning",
                "--max-messages", "3", "--property", "print.key=true", "--property",
                "key.separator==")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "k1=v1\nk2=v2\nk1=v3\n"
    assert "Processed a total of 3 messages" in r.stderr


def test_parse_headers_and_every_print_property(broker, topic_name):
    create(broker, topic_name)
    produce(broker, topic_name, "h1:x,h2:y\tka\tva\n", "--property", "parse.key=true",
            "--property", "parse.headers=true")
    produce(broker, topic_name, "kb\tvb\n", "--property", "parse.key=true")
    r = consume(broker, "--topic", topic_name, "--from-beginning", "--max-messages", "2",
                "--property", "print.key=true", "--property", "print.timestamp=true",
                "--property", "print.headers=true", "--property", "print.partition=true",
                "--property", "print.offset=true", "--property", "key.separator=|")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2, r.stdout
    assert re.fullmatch(r"CreateTime:\d{13}\|Partition:0\|Offset:0\|h1:x,h2:y\|ka\|va", lines[0])
    assert re.fullmatch(r"CreateTime:\d{13}\|Partition:0\|Offset:1\|NO_HEADERS\|kb\|vb", lines[1])


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compression_codec_round_trips(broker, topic_name, codec):
    create(broker, topic_name)
    lines = [f"{codec}-{i}-" + "x" * 200 for i in range(20)]
    produce(broker, topic_name, "\n".join(lines) + "\n", "--compression-codec", codec)
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--from-beginning",
                "--max-messages", "20")
    assert r.stdout.splitlines() == lines, r.stderr


@pytest.mark.parametrize("acks", ["0", "1", "-1", "all"])
def test_request_required_acks_and_sync_keep_every_line_in_order(broker, topic_name, acks):
    create(broker, topic_name)
    produce(broker, topic_name, "a\nb\nc\n", "--request-required-acks", acks, "--sync",
            "--timeout", "10")
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--from-beginning",
                "--max-messages", "3")
    assert r.stdout == "a\nb\nc\n", r.stderr


def test_partition_and_offset_start_where_asked(broker, topic_name):
    create(broker, topic_name)
    produce(broker, topic_name, "".join(f"m{i}\n" for i in range(6)))
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--offset", "3",
                "--max-messages", "2", "--property", "print.offset=true")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Offset:3\tm3\nOffset:4\tm4\n"
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--offset", "earliest",
                "--max-messages", "1")
    assert r.stdout == "m0\n"


def test_parse_headers_refuses_a_pair_without_key_separator(broker, topic_name):
    # LineMessageReader.splitHeaders: an empty header section is one pair without ":".
    create(broker, topic_name)
    r = run("kafka-console-producer.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--property", "parse.headers=true", input="ok:1\tv1\n\tv2\n")
    assert r.returncode == 1
    assert "No header key separator found in pair '' on line number 2" in r.stderr


def test_timeout_ms_ends_an_idle_consumer_with_kafkas_message(broker, topic_name):
    create(broker, topic_name)
    r = consume(broker, "--topic", topic_name, "--timeout-ms", "1500", timeout=30)
    # ConsoleConsumer.process logs the TimeoutException and exits normally.
    assert r.returncode == 0
    assert r.stdout == ""
    assert "Error processing message, terminating consumer process" in r.stderr
    assert "TimeoutException" in r.stderr
    assert r.stderr.rstrip().endswith("Processed a total of 0 messages")


def test_group_resumes_from_its_committed_offset(broker, topic_name):
    create(broker, topic_name)
    produce(broker, topic_name, "".join(f"r{i}\n" for i in range(5)))
    group = f"g-{topic_name}"
    r = consume(broker, "--topic", topic_name, "--group", group, "--from-beginning",
                "--max-messages", "2")
    assert r.stdout == "r0\nr1\n", r.stderr
    # The group committed on close. Like Kafka's ConsoleConsumer (whose consumer commits its
    # position after the whole poll), that can be past the last printed record: read it back.
    r = run("kafka-consumer-groups.sh", "--bootstrap-server", broker.bootstrap, "--describe",
            "--group", group)
    row = next(l.split() for l in r.stdout.splitlines() if l.startswith(group + " "))
    committed = int(row[3])
    assert 2 <= committed <= 5, r.stdout
    produce(broker, topic_name, "r5\nr6\n")
    # Without --from-beginning the group continues from its committed offset.
    expected = [f"r{i}" for i in range(committed, 7)]
    r = consume(broker, "--topic", topic_name, "--group", group, "--max-messages",
                str(len(expected)), "--timeout-ms", "15000")
    assert r.stdout.splitlines() == expected, r.stderr


def test_include_regex_consumes_every_matching_topic(broker, topic_name):
    create(broker, f"{topic_name}-x")
    create(broker, f"{topic_name}-y")
    create(broker, f"not-{topic_name}")
    produce(broker, f"{topic_name}-x", "x1\nx2\n")
    produce(broker, f"{topic_name}-y", "y1\n")
    produce(broker, f"not-{topic_name}", "n1\n")
    r = consume(broker, "--include", f"{topic_name}-.*", "--from-beginning", "--max-messages",
                "3", "--timeout-ms", "10000")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["x1", "x2", "y1"]


PROGRESS_LINE = re.compile(r"\[\d\d:\d\d:\d\d\] (?P<amount>.+) 10000 records sent, "
                           r"10000 acknowledged, [\d.]+ records/sec")


def test_progress_on_a_10000_line_file_delivers_every_line(broker, topic_name, tmp_path):
    create(broker, topic_name)
    lines = [f"line-{i:05d}" for i in range(10_000)]
    data = tmp_path / "input.txt"
    data.write_text("\n".join(lines) + "\n")
    with data.open() as f:
        r = run("kafka-console-producer.sh", "--bootstrap-server", broker.bootstrap, "--topic",
                topic_name, "--progress", stdin=f)
    assert r.returncode == 0, r.stderr
    final = r.stderr.splitlines()[-1]
    m = PROGRESS_LINE.fullmatch(final)
    assert m, r.stderr[-500:]
    # stdin is a regular file: a percentage of its size (110,000 bytes = 107.42 KiB).
    assert re.fullmatch(r"100% 107\.42 KiB/107\.42 KiB", m.group("amount")), final
    r = consume(broker, "--topic", topic_name, "--partition", "0", "--from-beginning",
                "--max-messages", "10000")
    assert r.stdout.splitlines() == lines


def test_progress_on_a_pipe_shows_bytes_and_without_the_flag_stderr_stays_quiet(broker,
                                                                                topic_name):
    create(broker, topic_name)
    text = "".join(f"p{i}\n" for i in range(10_000))
    r = run("kafka-console-producer.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, "--progress", input=text)
    assert r.returncode == 0, r.stderr
    m = PROGRESS_LINE.fullmatch(r.stderr.splitlines()[-1])
    assert m and "%" not in m.group("amount"), r.stderr[-500:]
    # Without --progress and with stderr not a terminal, nothing is drawn (Kafka's behaviour).
    r = run("kafka-console-producer.sh", "--bootstrap-server", broker.bootstrap, "--topic",
            topic_name, input=text)
    assert (r.returncode, r.stderr) == (0, "")
    r = run("kafka-get-offsets.sh", "--bootstrap-server", broker.bootstrap, "--topic", topic_name)
    assert r.stdout == f"{topic_name}:0:20000\n"


def test_progress_is_documented_in_help():
    r = run("kafka-console-producer.sh", "--help")
    assert r.returncode == 0
    assert "--progress" in r.stdout
    assert "fjord addition" in r.stdout
