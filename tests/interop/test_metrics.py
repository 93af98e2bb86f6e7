"""/metrics against a real `fjord server start` process (issue 6).

Goal: what Prometheus scrapes from the console listener's `/metrics` equals what real clients
did. Method: confluent-kafka (librdkafka) produces known record counts to two partitions, a
group consumes and commits part of them, then the exposition is fetched over HTTP and parsed
with the reference parser (`prometheus_client.parser.text_string_to_metric_families`); values
are compared with the test's own counts (Kafka `BrokerTopicMetrics` MessagesInPerSec, `Log`
LogEndOffset, `kafka-consumer-groups.sh --describe` LAG). Deleting the group, then the topic,
must remove their series.
"""
import time
import urllib.request

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families


def scrape(broker):
    """(content type, {(sample name, frozenset(labels)): value}, {family name: type})."""
    with urllib.request.urlopen(f"{broker.console_url}/metrics", timeout=10) as response:
        assert response.status == 200
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode()
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return content_type, samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def with_label(samples, key, val):
    return [k for k in samples if (key, val) in k[1]]


def produce(bootstrap, topic, partition, count):
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        p.produce(topic, value=b"x" * 100, key=str(i).encode(), partition=partition)
    assert p.flush(15) == 0


def consume_and_commit(bootstrap, topic, group, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = 0
    deadline = time.monotonic() + 45
    while got < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got += 1
    c.commit(asynchronous=False)
    c.close()
    assert got == count


def wait_for(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_metrics_values_match_what_confluent_kafka_did(fresh_broker, topic_name):
    b = fresh_broker
    group = f"g-{topic_name}"
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic_name, 2, 1)])[topic_name].result(15)

    # Phase 1: 25 + 15 records, a group reads and commits all 40, then 5 more land on p1.
    produce(b.bootstrap, topic_name, 0, 25)
    produce(b.bootstrap, topic_name, 1, 15)
    consume_and_commit(b.bootstrap, topic_name, group, 40)
    produce(b.bootstrap, topic_name, 1, 5)

    content_type, s, types = scrape(b)
    assert content_type.startswith("text/plain"), content_type
    p0 = {"topic": topic_name, "partition": "0"}
    p1 = {"topic": topic_name, "partition": "1"}

    # Phase 2: messages in and offsets per partition (BrokerTopicMetrics, Log MBeans).
    assert value(s, "fjord_partition_messages_in_total", **p0) == 25
    assert value(s, "fjord_partition_messages_in_total", **p1) == 20
    assert value(s, "fjord_messages_in_total") == 45
    assert value(s, "fjord_partition_log_end_offset", **p0) == 25
    assert value(s, "fjord_partition_log_end_offset", **p1) == 20
    assert value(s, "fjord_partition_log_start_offset", **p0) == 0
    assert value(s, "fjord_partition_bytes_in_total", **p0) > 25 * 100
    assert value(s, "fjord_partition_bytes_out_total", **p0) >= value(s, "fjord_partition_bytes_in_total", **p0)

    # Phase 3: the group's committed offsets and lag, as kafka-consumer-groups.sh shows them.
    g0 = {"group": group, "topic": topic_name, "partition": "0"}
    g1 = {"group": group, "topic": topic_name, "partition": "1"}
    assert value(s, "fjord_consumer_group_committed_offset", **g0) == 25
    assert value(s, "fjord_consumer_group_committed_offset", **g1) == 15
    assert value(s, "fjord_consumer_group_lag", **g0) == 0
    assert value(s, "fjord_consumer_group_lag", **g1) == 5

    # Phase 4: broker-level families are typed as Prometheus expects.
    assert types["fjord_requests"] == "counter"
    assert types["fjord_request_duration_seconds"] == "histogram"
    assert types["fjord_active_connections"] == "gauge"
    produce_requests = sum(v for (name, labels), v in s.items()
                           if name == "fjord_requests_total" and ("api", "Produce") in labels)
    assert produce_requests >= 2
    assert value(s, "fjord_request_duration_seconds_count", api="Produce") == produce_requests
    assert value(s, "fjord_network_received_bytes_total") > 45 * 100

    # Phase 5: a deleted group, then a deleted topic, leave the exposition.
    admin.delete_consumer_groups([group])[group].result(15)
    _, s, _ = scrape(b)
    assert with_label(s, "group", group) == []
    assert value(s, "fjord_partition_log_end_offset", **p0) == 25
    admin.delete_topics([topic_name])[topic_name].result(15)
    wait_for(lambda: with_label(scrape(b)[1], "topic", topic_name) == [], "deleted topic's series to go")
    _, s, _ = scrape(b)
    assert value(s, "fjord_messages_in_total") == 45  # counters never go backwards
