"""Scenarios (1)-(4) and (9) of issue 7: produce throughput by record size and acks, 16
partitions with 4 producers, consume from the beginning, and broker CPU per GB ingested.

The same librdkafka client (`rdkafka_performance`) drives fjord and Tansu, so the ratio
compares brokers, not clients; `fjord perf` rows are the issue's named load generator.
Redis does the equivalent with redis-benchmark: XADD pipelined 100 deep, XREADGROUP ... NOACK
COUNT 1000 (no pending-entries list, like a Kafka consumer that does not commit).
Every produce step starts with no dirty pages (`loadgen.settle_disk`): the previous step's
writeback would otherwise throttle the next one's writes (the kernel's dirty limits), and how
much depended on the order of the steps, not the broker.
"""
import subprocess
import threading
import time

from . import loadgen
from .procs import CpuMeter
from .results import Results

SIZE_NAME = {100: "100 B", 1024: "1 KiB", 16384: "16 KiB"}


def _cpu_rows(res: Results, scenario: str, system: str, meter: CpuMeter, records: int,
              nbytes: int) -> None:
    res.put(scenario, "broker CPU per record", "µs", system,
            meter.cpu_s / records * 1e6 if records else None, higher_is_better=False,
            target="≤ ¼ of Tansu" if scenario.startswith("(1/2) produce 100 B") and
            "acks=1" in scenario else "")
    res.put("(9) broker CPU per GB ingested", scenario.split(" ", 1)[1], "CPU s/GB", system,
            meter.cpu_s / (nbytes / 1e9) if nbytes else None, higher_is_better=False)


def _client_rows(res: Results, scenario: str, system: str, meter, t) -> None:
    """CPU cores the client and the broker used during the run: whoever is near 1.0 (a core)
    or both near 2.0 together (the machine) is the bottleneck."""
    if t.seconds <= 0:
        return
    res.put(scenario, "client CPU (rdkafka_performance)", "cores", system,
            t.client_cpu_s / t.seconds, higher_is_better=False)
    if t.machine_busy:
        # Both cores near 100 % busy: the machine, shared by client and broker, is the limit.
        res.put(scenario, "machine CPU busy (both cores, /proc/stat)", "%", system,
                t.machine_busy * 100, higher_is_better=False)
    if t.busiest_thread_cores:
        # Near 1.0: the client's own producing (or fetch-parsing) thread is saturated.
        res.put(scenario, "client's busiest thread", "cores", system, t.busiest_thread_cores,
                higher_is_better=False)
    if meter is not None and meter.wall_s > 0:
        res.put(scenario, "broker CPU", "cores", system, meter.cpu_s / meter.wall_s,
                higher_is_better=False)


def _native_produce_rows(res: Results, scen: str, system: str, server, size: int, count: int,
                         acks: str) -> None:
    """The same step with fjord's own batch writer (`fjord perf producer --client fjord`):
    librdkafka's producer needs ~0.65 µs of client CPU per record, so on two cores it, not
    the broker, sets the 100 B rate; this shows what the broker ingests with a cheap client."""
    topic = f"np1-{size}-a{acks}"
    loadgen.create_topic(server.bootstrap, topic, 1)
    loadgen.settle_disk()
    with CpuMeter(server) as m:
        t = loadgen.fjord_perf_produce(server.bootstrap, topic, size, count,
                                       "-1" if acks == "all" else "1", client="fjord")
    native = "(fjord perf producer --client fjord)"
    target = "≥ 2.5 M/s; ≥ 1.5× Tansu" if size == 100 and acks == "1" else ""
    res.put(scen, f"records/s {native}", "rec/s", system, t.records_per_s, target=target)
    res.put(scen, f"MB/s {native}", "MB/s", system, t.mb_per_s)
    loadgen.delete_topic(server.bootstrap, topic)  # frees fjord's disk (Tansu keeps the memory)
    if acks == "1":
        res.put(scen, f"broker CPU per record {native}", "µs", system,
                m.cpu_s / t.records * 1e6 if t.records else None, higher_is_better=False,
                target="≤ ¼ of Tansu" if size == 100 else "")
        if m.wall_s > 0:
            res.put(scen, f"client CPU {native}", "cores", system, t.client_cpu_s / m.wall_s,
                    higher_is_better=False)
            res.put(scen, f"broker CPU {native}", "cores", system, m.cpu_s / m.wall_s,
                    higher_is_better=False)


def produce_kafka(res: Results, system: str, server, cfg) -> None:
    """(1) and (2) on a Kafka-protocol broker, (3) with 16 partitions and 4 producers."""
    for size in cfg.sizes:
        count = cfg.count_for(size)
        for acks in ("1", "all"):
            scen = f"(1/2) produce {SIZE_NAME[size]}, 1 partition, acks={acks}, linger.ms 5"
            topic = f"p1-{size}-a{acks}"
            loadgen.create_topic(server.bootstrap, topic, 1)
            loadgen.settle_disk()
            with CpuMeter(server) as m:
                t = loadgen.rdkperf_produce(server.bootstrap, topic, size, count,
                                            "-1" if acks == "all" else "1")
            target = ""
            if size == 100 and acks == "1":
                target = "≥ 2.5 M/s; ≥ 1.5× Tansu; ≥ 3× Redis"
            res.put(scen, "records/s", "rec/s", system, t.records_per_s,
                    target=target)
            res.put(scen, "MB/s", "MB/s", system, t.mb_per_s)
            if acks == "1":
                _cpu_rows(res, scen, system, m, t.records, t.bytes)
                _client_rows(res, scen, system, m, t)
                res.by_size.setdefault(system, {})[size] = (t.records_per_s, t.mb_per_s)
                res.extra.setdefault("consume_topics", {}).setdefault(system, {})[size] = (
                    topic, t.records)
            if size in cfg.fjord_perf_sizes:
                ft = f"fp1-{size}-a{acks}"
                loadgen.create_topic(server.bootstrap, ft, 1)
                loadgen.settle_disk()
                t2 = loadgen.fjord_perf_produce(server.bootstrap, ft, size, count,
                                                "-1" if acks == "all" else "1")
                res.put(scen, "records/s (fjord perf producer)", "rec/s", system,
                        t2.records_per_s)
            if size == 100:
                # 100 B only: Tansu's memory engine keeps every record (~15 GB after the
                # librdkafka steps, and it frees nothing when a topic is deleted); more steps
                # ran it out of the machine's 24 GB.
                _native_produce_rows(res, scen, system, server, size, count, acks)
            print(f"  {system} {scen}: {t.records_per_s:,.0f} rec/s, cpu {m.cpu_s:.2f}s",
                  flush=True)
    # (3) 16 partitions, 4 producers at once (default partitioner: random without keys).
    scen = "(3) produce 100 B, 16 partitions, 4 producers, acks=1"
    loadgen.create_topic(server.bootstrap, "p16", 16)
    loadgen.settle_disk()
    outs, errors = [], []

    def one():
        try:
            outs.append(loadgen.rdkperf_produce(server.bootstrap, "p16", 100,
                                                cfg.count_multi, "1", partition=None))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    with CpuMeter(server) as m:
        threads = [threading.Thread(target=one) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    if errors:
        raise errors[0]
    total = sum(t.records for t in outs)
    res.put(scen, "records/s, all producers", "rec/s", system, total / m.wall_s)
    _cpu_rows(res, scen, system, m, total, total * 100)


def consume_kafka(res: Results, system: str, server, cfg) -> None:
    """(4) consume from the beginning what (1)/(2) produced (the log is in the page cache)."""
    topics = res.extra.get("consume_topics", {}).get(system, {})
    for size in (100, 1024):
        if size not in topics:
            continue
        topic, count = topics[size]
        scen = f"(4) consume {SIZE_NAME[size]} from the beginning"
        with CpuMeter(server) as m:
            t = loadgen.rdkperf_consume(server.bootstrap, topic, count, [0])
        target = "≥ 5 M/s" if size == 100 else "≥ 1.5 GB/s"
        res.put(scen, "records/s", "rec/s", system, t.records_per_s,
                target=target if size == 100 else "")
        res.put(scen, "MB/s", "MB/s", system, t.mb_per_s,
                target=target if size != 100 else "")
        if size in cfg.fjord_perf_sizes:
            t2 = loadgen.fjord_perf_consume(server.bootstrap, topic, count, size)
            res.put(scen, "records/s (fjord perf consumer)", "rec/s", system, t2.records_per_s)
        _client_rows(res, scen, system, m, t)
        # The same read with fjord's own Fetch reader: librdkafka's consumer spends ~0.65 µs
        # of CPU per record (an op allocated and queued per record, two threads), which caps
        # any broker near 2 M/s on two cores; this shows what the broker itself serves.
        with CpuMeter(server) as m3:
            t3 = loadgen.fjord_perf_consume(server.bootstrap, topic, count, size, client="fjord")
        native = "(fjord perf consumer --client fjord)"
        res.put(scen, f"records/s {native}", "rec/s", system, t3.records_per_s,
                target=target if size == 100 else "")
        res.put(scen, f"MB/s {native}", "MB/s", system, t3.mb_per_s,
                target=target if size != 100 else "")
        if t3.seconds > 0:
            res.put(scen, f"client CPU {native}", "cores", system,
                    t3.client_cpu_s / max(t3.seconds, m3.wall_s), higher_is_better=False)
        if m3.wall_s > 0:
            res.put(scen, f"broker CPU {native}", "cores", system, m3.cpu_s / m3.wall_s,
                    higher_is_better=False)
        print(f"  {system} {scen}: {t.records_per_s:,.0f} rec/s", flush=True)


def _redis_cli(port: int, *args: str) -> str:
    argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args]
    loadgen.record_command("redis-cli", argv)
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def produce_redis(res: Results, server, cfg) -> None:
    """XADD pipelined (100 per round trip) with a payload field of the record size."""
    for size in cfg.sizes:
        count = cfg.redis_count_for(size)
        stream = f"s{size}"
        for acks in ("1", "all"):
            scen = f"(1/2) produce {SIZE_NAME[size]}, 1 partition, acks={acks}, linger.ms 5"
            loadgen.settle_disk()
            with CpuMeter(server) as m:
                rps = loadgen.redis_benchmark(server.port, ["XADD", stream, "*", "p",
                                                            loadgen.payload(size)],
                                              count, clients=1, pipeline=100,
                                              label="redis-benchmark XADD")
            res.put(scen, "records/s", "rec/s", "redis", rps)
            res.put(scen, "MB/s", "MB/s", "redis", rps * size / 1e6)
            if acks == "1":
                _cpu_rows(res, scen, "redis", m, count, count * size)
                res.by_size.setdefault("redis", {})[size] = (rps, rps * size / 1e6)
            print(f"  redis {scen}: {rps:,.0f} XADD/s", flush=True)
    scen = "(3) produce 100 B, 16 partitions, 4 producers, acks=1"
    total = cfg.redis_count_for(100) * 2
    loadgen.settle_disk()
    with CpuMeter(server) as m:
        rps = loadgen.redis_benchmark(server.port, ["XADD", "s16:__rand_int__", "*", "p",
                                                    loadgen.payload(100)],
                                      total, clients=4, pipeline=100, keyspace=16,
                                      label="redis-benchmark XADD 16 streams")
    res.put(scen, "records/s, all producers", "rec/s", "redis", rps)
    _cpu_rows(res, scen, "redis", m, total, total * 100)


def consume_redis(res: Results, server, cfg) -> None:
    """XREADGROUP GROUP g c COUNT 1000 NOACK STREAMS s > from id 0, 1000 entries per call."""
    for size in (100, 1024):
        if size not in cfg.sizes:
            continue
        count = cfg.redis_count_for(size)
        stream = f"s{size}"
        group = f"g{int(time.time())}"
        _redis_cli(server.port, "XGROUP", "CREATE", stream, group, "0")
        scen = f"(4) consume {SIZE_NAME[size]} from the beginning"
        calls = count // 1000
        rps = loadgen.redis_benchmark(server.port, ["XREADGROUP", "GROUP", group, "c", "COUNT",
                                                    "1000", "NOACK", "STREAMS", stream, ">"],
                                      calls, clients=1, pipeline=1,
                                      label="redis-benchmark XREADGROUP")
        res.put(scen, "records/s", "rec/s", "redis", rps * 1000)
        res.put(scen, "MB/s", "MB/s", "redis", rps * 1000 * size / 1e6)
        print(f"  redis {scen}: {rps * 1000:,.0f} entries/s", flush=True)
