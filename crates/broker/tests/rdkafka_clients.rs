//! Goal: librdkafka (via the `rdkafka` crate, librdkafka 2.12) produces to and consumes from
//! fjord end to end, with every compression codec, every acks level, keys, headers with
//! duplicate keys, timestamps, admin create/delete, watermarks and offsets_for_times.
//!
//! Method: an in-process broker on 127.0.0.1:0; clients use `assign` (no consumer group, the
//! group coordinator is not part of this broker yet). Each test uses its own topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::TestBroker;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, Timestamp, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(10);

fn admin(broker: &TestBroker) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .expect("admin client")
}

async fn create_topic(broker: &TestBroker, name: &str, partitions: i32) {
    let results = admin(broker)
        .create_topics(
            &[NewTopic::new(name, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create_topics request");
    assert_eq!(results[0], Ok(name.to_owned()));
}

fn producer(broker: &TestBroker, extra: &[(&str, &str)]) -> FutureProducer {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", broker.bootstrap())
        .set("message.timeout.ms", "10000")
        .set("linger.ms", "5");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    config.create().expect("producer")
}

/// Reads `count` messages of `topic`/0 from offset 0: (key, value, headers, timestamp, offset).
type Consumed = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Vec<u8>)>,
    Timestamp,
    i64,
);

/// Consumes on a blocking thread (librdkafka's poll blocks).
async fn consume(broker: &TestBroker, topic: &str, count: usize) -> Vec<Consumed> {
    let bootstrap = broker.bootstrap();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || consume_at(&bootstrap, &topic, count))
        .await
        .expect("consumer thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_every_codec_with_keys_duplicate_headers_and_timestamps() {
    let broker = TestBroker::start().await;
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("codec-{codec}");
        create_topic(&broker, &topic, 1).await;
        let producer = producer(&broker, &[("compression.type", codec), ("acks", "1")]);
        for i in 0..5i64 {
            let key = format!("key-{i}");
            let value = format!("value-{i}-{codec}");
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: "h1",
                    value: Some("a"),
                })
                .insert(Header {
                    key: "dup",
                    value: Some("first"),
                })
                .insert(Header {
                    key: "dup",
                    value: Some("second"),
                });
            let record = FutureRecord::to(&topic)
                .partition(0)
                .key(&key)
                .payload(&value)
                .headers(headers)
                .timestamp(1_700_000_000_000 + i);
            let delivery = producer
                .send(record, TIMEOUT)
                .await
                .map_err(|(e, _)| e)
                .expect("delivered");
            assert_eq!(
                (delivery.partition, delivery.offset),
                (0, i),
                "{codec}: offsets assigned in order"
            );
        }
        let consumed = consume(&broker, &topic, 5).await;
        for (i, (key, value, headers, timestamp, offset)) in consumed.into_iter().enumerate() {
            assert_eq!(offset, i as i64);
            assert_eq!(
                key.as_deref(),
                Some(format!("key-{i}").as_bytes()),
                "{codec}"
            );
            assert_eq!(
                value.as_deref(),
                Some(format!("value-{i}-{codec}").as_bytes()),
                "{codec}"
            );
            assert_eq!(
                headers,
                vec![
                    ("h1".to_owned(), b"a".to_vec()),
                    ("dup".to_owned(), b"first".to_vec()),
                    ("dup".to_owned(), b"second".to_vec()),
                ],
                "{codec}: duplicate header keys preserved in order"
            );
            assert_eq!(
                timestamp,
                Timestamp::CreateTime(1_700_000_000_000 + i as i64),
                "{codec}"
            );
        }
    }
    broker.stop().await;
}

fn consume_at(bootstrap: &str, topic: &str, count: usize) -> Vec<Consumed> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "fjord-test-assign-only")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .create()
        .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .expect("assign");
    consumer.assign(&assignment).expect("assign");
    let deadline = std::time::Instant::now() + TIMEOUT;
    let mut out = Vec::new();
    while out.len() < count && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                let headers = message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((
                    message.key().map(<[u8]>::to_vec),
                    message.payload().map(<[u8]>::to_vec),
                    headers,
                    message.timestamp(),
                    message.offset(),
                ));
            }
            Some(Err(error)) => panic!("consume error: {error}"),
            None => {}
        }
    }
    assert_eq!(out.len(), count, "consumed {} of {count}", out.len());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_0_1_all_append_and_watermarks_follow() {
    let broker = TestBroker::start().await;
    create_topic(&broker, "acks", 1).await;
    for acks in ["0", "1", "all"] {
        let producer = producer(&broker, &[("acks", acks)]);
        for i in 0..3 {
            let value = format!("acks-{acks}-{i}");
            producer
                .send(
                    FutureRecord::<(), _>::to("acks")
                        .partition(0)
                        .payload(&value),
                    TIMEOUT,
                )
                .await
                .map_err(|(e, _)| e)
                .expect("delivered");
        }
        // acks=0 completes locally; flush so every request reached the broker.
        rdkafka::producer::Producer::flush(&producer, TIMEOUT).expect("flush");
    }
    let bootstrap = broker.bootstrap();
    let (low, high) = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("consumer");
        consumer
            .fetch_watermarks("acks", 0, TIMEOUT)
            .expect("watermarks")
    })
    .await
    .expect("thread");
    assert_eq!((low, high), (0, 9));
    let values: Vec<_> = consume(&broker, "acks", 9)
        .await
        .into_iter()
        .map(|m| m.1.unwrap_or_default())
        .collect();
    assert_eq!(values[0], b"acks-0-0");
    assert_eq!(values[8], b"acks-all-2");
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_for_times_finds_the_first_offset_at_or_after_a_timestamp() {
    // KIP-79 ListOffsets by timestamp; one record per batch here, so batch granularity is exact.
    let broker = TestBroker::start().await;
    create_topic(&broker, "times", 1).await;
    let producer = producer(&broker, &[("linger.ms", "0")]);
    for (i, ts) in [1_000i64, 2_000, 3_000].into_iter().enumerate() {
        let value = format!("t{i}");
        producer
            .send(
                FutureRecord::<(), _>::to("times")
                    .partition(0)
                    .payload(&value)
                    .timestamp(ts),
                TIMEOUT,
            )
            .await
            .map_err(|(e, _)| e)
            .expect("delivered");
    }
    let bootstrap = broker.bootstrap();
    let found = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("consumer");
        [1_500i64, 3_000, 9_000]
            .into_iter()
            .map(|ts| {
                let mut query = TopicPartitionList::new();
                query
                    .add_partition_offset("times", 0, Offset::Offset(ts))
                    .expect("query");
                let result = consumer
                    .offsets_for_times(query, TIMEOUT)
                    .expect("offsets_for_times");
                result
                    .find_partition("times", 0)
                    .expect("partition")
                    .offset()
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("thread");
    assert_eq!(
        found,
        vec![Offset::Offset(1), Offset::Offset(2), Offset::End]
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_and_delete_topics_with_kafka_errors() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let created = admin
        .create_topics(
            &[
                NewTopic::new("admin-a", 3, TopicReplication::Fixed(1))
                    .set("message.timestamp.type", "LogAppendTime"),
                NewTopic::new("admin-rf3", 1, TopicReplication::Fixed(3)),
                NewTopic::new("admin-bad-config", 1, TopicReplication::Fixed(1))
                    .set("no.such.config", "1"),
            ],
            &options,
        )
        .await
        .expect("create_topics");
    assert_eq!(created[0], Ok("admin-a".to_owned()));
    assert_eq!(
        created[1].as_ref().err().map(|(_, code)| *code),
        Some(rdkafka::types::RDKafkaErrorCode::InvalidReplicationFactor)
    );
    assert_eq!(
        created[2].as_ref().err().map(|(_, code)| *code),
        Some(rdkafka::types::RDKafkaErrorCode::InvalidConfig)
    );
    let again = admin
        .create_topics(
            &[NewTopic::new("admin-a", 1, TopicReplication::Fixed(1))],
            &options,
        )
        .await
        .expect("create");
    assert_eq!(
        again[0].as_ref().err().map(|(_, code)| *code),
        Some(rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)
    );

    let deleted = admin
        .delete_topics(&["admin-a", "never-existed"], &options)
        .await
        .expect("delete_topics");
    assert_eq!(deleted[0], Ok("admin-a".to_owned()));
    assert_eq!(
        deleted[1].as_ref().err().map(|(_, code)| *code),
        Some(rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition)
    );
    let bootstrap = broker.bootstrap();
    let names = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("consumer");
        let metadata = consumer.fetch_metadata(None, TIMEOUT).expect("metadata");
        metadata
            .topics()
            .iter()
            .map(|t| t.name().to_owned())
            .collect::<Vec<_>>()
    })
    .await
    .expect("thread");
    assert!(
        !names.contains(&"admin-a".to_owned()),
        "deleted topic gone: {names:?}"
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_append_time_topics_report_broker_time() {
    let broker = TestBroker::start().await;
    let results = admin(&broker)
        .create_topics(
            &[NewTopic::new("lat", 1, TopicReplication::Fixed(1))
                .set("message.timestamp.type", "LogAppendTime")],
            &AdminOptions::new(),
        )
        .await
        .expect("create");
    assert_eq!(results[0], Ok("lat".to_owned()));
    let before = common_now_ms();
    producer(&broker, &[])
        .send(
            FutureRecord::<(), _>::to("lat")
                .partition(0)
                .payload("x")
                .timestamp(5),
            TIMEOUT,
        )
        .await
        .map_err(|(e, _)| e)
        .expect("delivered");
    let consumed = consume(&broker, "lat", 1).await;
    match consumed[0].3 {
        Timestamp::LogAppendTime(ts) => assert!(ts >= before, "append time {ts} >= {before}"),
        other => panic!("expected LogAppendTime, got {other:?}"),
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producing_to_an_unknown_topic_auto_creates_it() {
    // auto.create.topics.enable=true (default): Metadata for a missing topic creates it with
    // num.partitions.
    let broker = TestBroker::start_with(|c| c.num_partitions = 2).await;
    let producer = producer(&broker, &[]);
    producer
        .send(
            FutureRecord::<(), _>::to("auto-created")
                .partition(1)
                .payload("hello"),
            TIMEOUT,
        )
        .await
        .map_err(|(e, _)| e)
        .expect("delivered");
    let image = broker.handle.context().replicas.image();
    let topic = image.topic("auto-created").expect("created");
    assert_eq!(topic.partitions.len(), 2);
    broker.stop().await;
}

fn common_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
