//! Goal: `/metrics` (issue 6) reports what clients actually did: messages and bytes in per
//! partition, log offsets, a consumer group's committed offsets and lag, requests and errors
//! by API (Kafka `RequestMetrics`, `BrokerTopicMetrics`, `Log` MBeans), parked fetches
//! (`DelayedOperationPurgatory`), and that a deleted group's or topic's series leave the
//! exposition. Method: an in-process broker driven by real librdkafka clients (rdkafka) and
//! raw protocol requests; the rendered text is parsed and its values compared with what the
//! test produced, committed and deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{RawClient, TestBroker, record_batch};
use fjord_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{FetchRequest, ProduceRequest, TopicName};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};

const TIMEOUT: Duration = Duration::from_secs(30);

/// One parsed sample: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text format 0.0.4 (label values here hold no quotes or commas).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels close");
                let labels = body
                    .split("\",")
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once("=\"").expect("label k=\"v\"");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect("numeric value"),
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// The value of `name` with exactly `labels` (other labels must not exist).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map(|s| s.value)
}

/// Sum of `name` over samples whose labels include `labels`.
fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

fn admin(broker: &TestBroker) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap()
}

async fn create_topic(broker: &TestBroker, topic: &str, partitions: i32) {
    let results = admin(broker)
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(results[0], Ok(topic.to_owned()));
}

/// Produces `count` records of 100 bytes to `topic`/`partition`, acks=all, one at a time.
async fn produce(broker: &TestBroker, topic: &str, partition: i32, count: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("message.timeout.ms", "10000")
        .create()
        .unwrap();
    let payload = [b'x'; 100];
    for i in 0..count {
        let key = format!("k{i}");
        producer
            .send(
                FutureRecord::to(topic)
                    .key(&key)
                    .payload(&payload[..])
                    .partition(partition),
                TIMEOUT,
            )
            .await
            .unwrap();
    }
}

/// Consumes `expected` records of `topic` in `group`, commits synchronously, closes.
fn consume_and_commit(bootstrap: &str, group: &str, topic: &str, expected: usize) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut received = 0;
    while received < expected {
        assert!(
            Instant::now() < deadline,
            "received {received} of {expected}"
        );
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            assert_eq!(message.topic(), topic);
            received += 1;
        }
    }
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    // Leave the group (unsubscribe → LeaveGroup) while polling, so it is Empty and may be
    // deleted. The consumer is then leaked: closing a librdkafka consumer here can hang inside
    // the client (see tests/consumer_groups.rs; rust-rdkafka #509, #611).
    consumer.unsubscribe();
    let deadline = Instant::now() + Duration::from_secs(30);
    while consumer.assignment().map(|a| a.count()).unwrap_or(0) > 0 {
        assert!(Instant::now() < deadline, "consumer did not leave");
        let _ = consumer.poll(Duration::from_millis(50));
    }
    std::mem::forget(consumer);
}

fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_match_what_real_clients_produced_consumed_and_deleted() {
    let broker = TestBroker::start().await;
    const TOPIC: &str = "metered";
    const GROUP: &str = "meter-group";

    eprintln!("phase: produce 30 records to partition 0 and 20 to partition 1 with librdkafka");
    create_topic(&broker, TOPIC, 2).await;
    produce(&broker, TOPIC, 0, 30).await;
    produce(&broker, TOPIC, 1, 20).await;

    eprintln!("phase: a group consumes all 50 and commits, then 10 more arrive on partition 0");
    let bootstrap = broker.bootstrap();
    tokio::task::spawn_blocking(move || consume_and_commit(&bootstrap, GROUP, TOPIC, 50))
        .await
        .unwrap();
    produce(&broker, TOPIC, 0, 10).await;

    eprintln!("phase: one produce to a partition that does not exist (UNKNOWN_TOPIC_OR_PARTITION)");
    let mut raw = broker.connect().await;
    let bad = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic_name(TOPIC))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(99)
                        .with_records(Some(record_batch(1, b"v", 1_700_000_000_000).freeze())),
                ]),
        ]);
    let response = raw.call(9, &bad).await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 3);

    let samples = parse(&broker.handle.metrics_text());
    let p0 = [("topic", TOPIC), ("partition", "0")];
    let p1 = [("topic", TOPIC), ("partition", "1")];

    eprintln!("phase: per-partition messages in, offsets (Kafka BrokerTopicMetrics, Log)");
    assert_eq!(
        value(&samples, "fjord_partition_messages_in_total", &p0),
        Some(40.0)
    );
    assert_eq!(
        value(&samples, "fjord_partition_messages_in_total", &p1),
        Some(20.0)
    );
    assert_eq!(value(&samples, "fjord_messages_in_total", &[]), Some(60.0));
    assert_eq!(
        value(&samples, "fjord_partition_log_end_offset", &p0),
        Some(40.0)
    );
    assert_eq!(
        value(&samples, "fjord_partition_log_end_offset", &p1),
        Some(20.0)
    );
    assert_eq!(
        value(&samples, "fjord_partition_high_watermark", &p0),
        Some(40.0)
    );
    assert_eq!(
        value(&samples, "fjord_partition_log_start_offset", &p0),
        Some(0.0)
    );
    let bytes_in_p1 = value(&samples, "fjord_partition_bytes_in_total", &p1).unwrap();
    // 20 records of a 100-byte value each, plus batch and record overhead.
    assert!(bytes_in_p1 > 2000.0, "{bytes_in_p1}");
    // The batches are stored as produced, so the log holds exactly the bytes that came in.
    assert_eq!(
        value(&samples, "fjord_partition_size_bytes", &p1),
        Some(bytes_in_p1)
    );
    // The consumer read every batch of partition 1 at least once.
    let bytes_out_p1 = value(&samples, "fjord_partition_bytes_out_total", &p1).unwrap();
    assert!(
        bytes_out_p1 >= bytes_in_p1,
        "{bytes_out_p1} < {bytes_in_p1}"
    );
    assert_eq!(
        value(&samples, "fjord_bytes_in_total", &[]),
        Some(bytes_in_p1 + value(&samples, "fjord_partition_bytes_in_total", &p0).unwrap())
    );

    eprintln!("phase: the group's committed offsets and lag (kafka-consumer-groups.sh --describe)");
    let g0 = [("group", GROUP), ("topic", TOPIC), ("partition", "0")];
    let g1 = [("group", GROUP), ("topic", TOPIC), ("partition", "1")];
    assert_eq!(
        value(&samples, "fjord_consumer_group_committed_offset", &g0),
        Some(30.0)
    );
    assert_eq!(
        value(&samples, "fjord_consumer_group_committed_offset", &g1),
        Some(20.0)
    );
    assert_eq!(value(&samples, "fjord_consumer_group_lag", &g0), Some(10.0));
    assert_eq!(value(&samples, "fjord_consumer_group_lag", &g1), Some(0.0));

    eprintln!("phase: requests, latency and errors by API (Kafka RequestMetrics)");
    let produce_requests = sum(&samples, "fjord_requests_total", &[("api", "Produce")]);
    // 60 records sent one by one and awaited (one request each), plus the raw one.
    assert!(produce_requests >= 61.0, "{produce_requests}");
    assert_eq!(
        value(
            &samples,
            "fjord_request_duration_seconds_count",
            &[("api", "Produce")]
        ),
        Some(produce_requests)
    );
    assert_eq!(
        value(
            &samples,
            "fjord_request_duration_seconds_bucket",
            &[("api", "Produce"), ("le", "+Inf")]
        ),
        Some(produce_requests)
    );
    assert_eq!(
        value(
            &samples,
            "fjord_errors_total",
            &[("api", "Produce"), ("error", "UNKNOWN_TOPIC_OR_PARTITION")]
        ),
        Some(1.0)
    );
    assert!(sum(&samples, "fjord_requests_total", &[("api", "OffsetCommit")]) >= 1.0);
    assert!(sum(&samples, "fjord_requests_total", &[("api", "Fetch")]) >= 1.0);

    eprintln!("phase: network bytes and open connections");
    let received = value(&samples, "fjord_network_received_bytes_total", &[]).unwrap();
    assert!(received > bytes_in_p1, "{received}");
    assert!(value(&samples, "fjord_network_sent_bytes_total", &[]).unwrap() > bytes_out_p1);
    assert!(value(&samples, "fjord_active_connections", &[]).unwrap() >= 1.0);

    eprintln!("phase: DeleteGroups removes the group's series, the topic's stay");
    let deleted = admin(&broker)
        .delete_groups(&[GROUP], &AdminOptions::new())
        .await
        .unwrap();
    assert_eq!(deleted[0], Ok(GROUP.to_owned()));
    let samples = parse(&broker.handle.metrics_text());
    assert!(
        !samples
            .iter()
            .any(|s| s.labels.get("group").map(String::as_str) == Some(GROUP)),
        "deleted group still exported"
    );
    assert_eq!(
        value(&samples, "fjord_partition_log_end_offset", &p0),
        Some(40.0)
    );

    eprintln!("phase: DeleteTopics removes every series of the topic");
    let results = admin(&broker)
        .delete_topics(&[TOPIC], &AdminOptions::new())
        .await
        .unwrap();
    assert_eq!(results[0], Ok(TOPIC.to_owned()));
    let text = broker.handle.metrics_text();
    let samples = parse(&text);
    assert!(
        !samples
            .iter()
            .any(|s| s.labels.get("topic").map(String::as_str) == Some(TOPIC)),
        "deleted topic still exported:\n{text}"
    );
    // Broker-wide counters never go backwards.
    assert_eq!(value(&samples, "fjord_messages_in_total", &[]), Some(60.0));

    eprintln!("phase: a re-created topic of the same name starts from zero");
    create_topic(&broker, TOPIC, 1).await;
    let samples = parse(&broker.handle.metrics_text());
    assert_eq!(
        value(&samples, "fjord_partition_messages_in_total", &p0),
        Some(0.0)
    );
    assert_eq!(
        value(&samples, "fjord_partition_log_end_offset", &p0),
        Some(0.0)
    );
    broker.stop().await;
}

/// A consumer fetch request that parks (nothing to read, max_wait 10 s).
fn long_poll(topic: &str) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(10_000)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic_name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parked_long_poll_fetch_shows_in_the_fetch_purgatory_until_an_append_wakes_it() {
    let broker = TestBroker::start().await;
    create_topic(&broker, "idle", 1).await;
    let purgatory = |broker: &TestBroker| {
        let samples = parse(&broker.handle.metrics_text());
        (
            value(
                &samples,
                "fjord_purgatory_delayed_operations",
                &[("delayed_operation", "Fetch")],
            ),
            value(
                &samples,
                "fjord_purgatory_size",
                &[("delayed_operation", "Fetch")],
            ),
        )
    };
    assert_eq!(purgatory(&broker), (Some(0.0), Some(0.0)));

    eprintln!("phase: a fetch on an empty partition parks (Kafka DelayedFetch)");
    let mut consumer: RawClient = broker.connect().await;
    let parked = tokio::spawn(async move {
        let response = consumer.call(11, &long_poll("idle")).await;
        response.responses[0].partitions[0].high_watermark
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while purgatory(&broker) != (Some(1.0), Some(1.0)) {
        assert!(
            Instant::now() < deadline,
            "fetch never showed as parked: {:?}",
            purgatory(&broker)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    eprintln!("phase: an append wakes it and the purgatory empties");
    produce(&broker, "idle", 0, 1).await;
    assert_eq!(parked.await.unwrap(), 1);
    assert_eq!(purgatory(&broker), (Some(0.0), Some(0.0)));
    let samples = parse(&broker.handle.metrics_text());
    assert_eq!(
        value(
            &samples,
            "fjord_purgatory_delayed_operations",
            &[("delayed_operation", "Produce")]
        ),
        Some(0.0)
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_log_flusher_pass_is_timed_when_flush_ms_makes_a_log_due() {
    // Kafka LogFlushStats.LogFlushRateAndTimeMs times each flush the flusher runs
    // (`log.flush.scheduler.interval.ms`, topic `flush.ms`).
    let broker = TestBroker::start_with(|config| {
        config.log_flush_scheduler_interval = Duration::from_millis(50);
    })
    .await;
    let flushes = |broker: &TestBroker| {
        let samples = parse(&broker.handle.metrics_text());
        value(&samples, "fjord_log_flush_duration_seconds_count", &[]).unwrap()
    };
    eprintln!("phase: nothing is due with Kafka's defaults, so nothing is timed");
    create_topic(&broker, "plain", 1).await;
    produce(&broker, "plain", 0, 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(flushes(&broker), 0.0);

    eprintln!("phase: a topic with flush.ms=1 is flushed by the next pass, which is timed");
    let results = admin(&broker)
        .create_topics(
            &[NewTopic::new("flushed", 1, TopicReplication::Fixed(1)).set("flush.ms", "1")],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(results[0], Ok("flushed".to_owned()));
    produce(&broker, "flushed", 0, 5).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while flushes(&broker) < 1.0 {
        assert!(Instant::now() < deadline, "no flush pass was timed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let samples = parse(&broker.handle.metrics_text());
    let count = value(&samples, "fjord_log_flush_duration_seconds_count", &[]).unwrap();
    assert_eq!(
        value(
            &samples,
            "fjord_log_flush_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        Some(count)
    );
    assert!(value(&samples, "fjord_log_flush_duration_seconds_sum", &[]).unwrap() > 0.0);
    broker.stop().await;
}
