//! Goal: the broker schedules the log cleaner (`log.cleaner.backoff.ms`, Kafka
//! `LogCleaner.CleanerThread`): a `cleanup.policy=compact` topic keeps only the latest value
//! per key below its active segment, with offset gaps where older values were removed
//! (Kafka docs §4.8 "Log Compaction"). Method: an in-process broker with a 300 ms cleaner
//! backoff; rdkafka produces three rounds of values per key with `segment.ms` rolls in
//! between, then a consumer reads from the beginning until the cleaner's effect shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestBroker;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};

const TOPIC: &str = "compacted";
const KEYS: usize = 5;
const ROUNDS: usize = 3;

/// Reads the whole partition from offset 0 up to its high watermark: (offset, key, value) in
/// order. Ends on a condition (the last offset below the high watermark was read), never on
/// an idle gap: under load a first fetch can take seconds, and stopping after an idle spell
/// returned an empty read that looked like "the cleaner removed everything".
fn read_all(bootstrap: &str) -> Vec<(i64, String, String)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("reader-{}", rand_suffix()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let (_, high) = consumer
        .fetch_watermarks(TOPIC, 0, Duration::from_secs(30))
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(TOPIC, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut out: Vec<(i64, String, String)> = Vec::new();
    let started = Instant::now();
    while out.last().is_none_or(|(offset, _, _)| *offset < high - 1) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "read stopped below the high watermark {high}: {out:?}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let key = String::from_utf8(m.key().unwrap_or_default().to_vec()).unwrap();
                let value = String::from_utf8(m.payload().unwrap_or_default().to_vec()).unwrap();
                out.push((m.offset(), key, value));
            }
            Some(Err(error)) => panic!("consume failed: {error}"),
            None => {}
        }
    }
    out
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_cleaner_keeps_the_latest_value_per_key() {
    let broker = TestBroker::start_with(|c| {
        let mut props = c.server.raw().clone();
        props.set("log.cleaner.backoff.ms", "300");
        c.server = Arc::new(fjord_config::ServerConfig::from_properties(&props).unwrap());
    })
    .await;
    let bootstrap = broker.bootstrap();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    let topic = NewTopic::new(TOPIC, 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "100")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("min.compaction.lag.ms", "0");
    let results = admin
        .create_topics(&[topic], &AdminOptions::new())
        .await
        .unwrap();
    assert_eq!(results[0], Ok(TOPIC.to_owned()));

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let send = |key: String, value: String| {
        let producer = producer.clone();
        async move {
            producer
                .send(
                    FutureRecord::to(TOPIC)
                        .partition(0)
                        .key(&key)
                        .payload(&value),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
        }
    };
    for round in 0..ROUNDS {
        for key in 0..KEYS {
            send(format!("k{key}"), format!("v{round}-{key}")).await;
        }
        // Past segment.ms: the next append rolls a new segment.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // One more record so the last round sits in a closed (cleanable) segment.
    send("filler".to_owned(), "f".to_owned()).await;
    let produced = KEYS * ROUNDS + 1;

    // Wait for the condition "every key appears once" rather than "fewer records than
    // produced": the cleaner may run between rounds (backoff 300 ms), so a read can catch a
    // log whose older segments are cleaned while the last round's are still dirty.
    let started = Instant::now();
    let records = loop {
        let b = bootstrap.clone();
        let records = tokio::task::spawn_blocking(move || read_all(&b))
            .await
            .unwrap();
        if records.len() == KEYS + 1 {
            break records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the cleaner never finished: {} of {produced} records remain: {records:?}",
            records.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for (_, key, value) in &records {
        assert!(
            latest.insert(key.clone(), value.clone()).is_none(),
            "key {key} appears twice after cleaning: {records:?}"
        );
    }
    let expected: BTreeMap<String, String> = (0..KEYS)
        .map(|k| (format!("k{k}"), format!("v{}-{k}", ROUNDS - 1)))
        .chain([("filler".to_owned(), "f".to_owned())])
        .collect();
    assert_eq!(latest, expected);
    // Offsets keep their values: the survivors of the last round sit at their original
    // offsets, leaving a gap where the earlier rounds were.
    let offsets: Vec<i64> = records.iter().map(|r| r.0).collect();
    let last_round_start = i64::try_from(KEYS * (ROUNDS - 1)).unwrap();
    assert_eq!(offsets[0], last_round_start, "{records:?}");
    broker.stop().await;
}
