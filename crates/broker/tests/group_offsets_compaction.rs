//! Goal: `__consumer_offsets` is a compacted topic (Kafka `GroupCoordinator
//! .groupMetadataTopicConfigs`: `cleanup.policy=compact`), and the group coordinator's state
//! is rebuilt by replaying it (Kafka `CoordinatorLoaderImpl`). After the log cleaner has
//! removed superseded commits (Kafka docs §4.8 "Log Compaction"), a restarted broker must
//! still load every group's latest committed offsets, a commit made long before the
//! cleaning included, and an offset deleted with OffsetDelete (a tombstone) must stay deleted.
//!
//! Method: an in-process broker with a 300 ms cleaner backoff; the first commit creates
//! `__consumer_offsets`, whose configs are then altered (as `kafka-configs.sh` would) so
//! segments roll every 100 ms and any dirty ratio is cleanable; a commit-heavy run writes
//! many superseded commits; we wait until a read of the coordinator's partition shows fewer
//! records than were written, then stop the broker, start a new one on the same directory,
//! and fetch the committed offsets with librdkafka.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestBroker;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "payments";
const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// Commits of the heavy run (two partitions each).
const COMMITS: i64 = 40;

fn with_cleaner(config: &mut fjord_broker::BrokerConfig) {
    let mut props = config.server.raw().clone();
    props.set("log.cleaner.backoff.ms", "300");
    config.server = Arc::new(fjord_config::ServerConfig::from_properties(&props).unwrap());
}

fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap()
}

/// A consumer of `group` that never joins (a "simple" group committing with generation -1,
/// as Kafka's admin tools and assign()-based consumers do).
fn simple_consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

fn commit(consumer: &BaseConsumer, offsets: &[(i32, i64)]) {
    let mut tpl = TopicPartitionList::new();
    for (partition, offset) in offsets {
        tpl.add_partition_offset(TOPIC, *partition, Offset::Offset(*offset))
            .unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).unwrap();
}

fn committed(consumer: &BaseConsumer) -> Vec<(i32, Option<i64>)> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(TOPIC, 0);
    tpl.add_partition(TOPIC, 1);
    let result = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    result
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset().to_raw()))
        .collect()
}

/// How many records one `__consumer_offsets` partition holds from its start.
fn count_records(bootstrap: &str, partition: i32) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "record-counter")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(OFFSETS_TOPIC, partition, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut count = 0;
    let mut idle_since = Instant::now();
    while idle_since.elapsed() < Duration::from_millis(1500) {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            message.unwrap();
            count += 1;
            idle_since = Instant::now();
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_reload_after_the_cleaner_compacted_consumer_offsets() {
    let broker = TestBroker::start_with(with_cleaner).await;
    let bootstrap = broker.bootstrap();
    let results = admin(&bootstrap)
        .create_topics(
            &[NewTopic::new(TOPIC, 2, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(results[0], Ok(TOPIC.to_owned()));
    // Two groups on the same coordinator partition, so one cleaning covers both.
    let heavy = "heavy-committer";
    let partition = fjord_coordinator::partition_for_group(heavy, 50);
    let early = (0..10_000)
        .map(|i| format!("early-{i}"))
        .find(|g| fjord_coordinator::partition_for_group(g, 50) == partition)
        .unwrap();

    // Phase 1: the early group commits once; the record will sit in the oldest segment.
    let b = bootstrap.clone();
    let early_group = early.clone();
    tokio::task::spawn_blocking(move || {
        let consumer = simple_consumer(&b, &early_group);
        commit(&consumer, &[(0, 3), (1, 4)]);
        commit(&consumer, &[(0, 5)]);
    })
    .await
    .unwrap();
    // Roll __consumer_offsets segments quickly and make any dirty log cleanable. (Legacy
    // AlterConfigs replaces the whole topic config, so cleanup.policy is restated.)
    let config = AlterConfig::new(ResourceSpecifier::Topic(OFFSETS_TOPIC))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "100")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("min.compaction.lag.ms", "0");
    let altered = admin(&bootstrap)
        .alter_configs(&[config], &AdminOptions::new())
        .await
        .unwrap();
    assert!(altered[0].is_ok(), "{altered:?}");

    // Phase 2: a commit-heavy run: every commit supersedes the previous one per key.
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || {
        let consumer = simple_consumer(&b, heavy);
        for i in 1..=COMMITS {
            commit(&consumer, &[(0, i), (1, 2 * i)]);
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    // KIP-496 OffsetDelete of the early group's partition 1 leaves a tombstone.
    let deleted = delete_offset(&broker, &early).await;
    assert_eq!(deleted, 0, "OffsetDelete error code");
    // A last record past segment.ms so the heavy run's segments are all closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || commit(&simple_consumer(&b, heavy), &[(0, COMMITS)]))
        .await
        .unwrap();

    // Phase 3: wait for the cleaner to have removed superseded commits.
    let written = usize::try_from(2 * COMMITS + 4).unwrap();
    let started = Instant::now();
    loop {
        let b = bootstrap.clone();
        let count = tokio::task::spawn_blocking(move || count_records(&b, partition))
            .await
            .unwrap();
        if count < written / 4 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the cleaner never compacted {OFFSETS_TOPIC}-{partition}: {count} of {written} records; segments: {:?}",
            segments(&broker, partition)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Phase 4: restart on the compacted log; the coordinator replays it.
    let dir = broker.stop_keeping_dir().await;
    let broker = TestBroker::start_in(dir, with_cleaner).await;
    let b = broker.bootstrap();
    let (heavy_offsets, early_offsets) = tokio::task::spawn_blocking(move || {
        (
            committed(&simple_consumer(&b, heavy)),
            committed(&simple_consumer(&b, &early)),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        heavy_offsets,
        vec![(0, Some(COMMITS)), (1, Some(2 * COMMITS))]
    );
    // Partition 1 was deleted: librdkafka reports "no committed offset" as INVALID (-1001).
    assert_eq!(early_offsets, vec![(0, Some(5)), (1, Some(-1001))]);
    broker.stop().await;
}

/// The partition's files (for the failure message).
fn segments(broker: &TestBroker, partition: i32) -> Vec<String> {
    let dir = broker.dir().join(format!("{OFFSETS_TOPIC}-{partition}"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.push(
        std::fs::read_to_string(broker.dir().join("cleaner-offset-checkpoint")).unwrap_or_default(),
    );
    if names.is_empty() {
        names.push(format!(
            "{} missing; parent has {:?}",
            dir.display(),
            std::fs::read_dir(broker.dir()).map(|e| e
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect::<Vec<_>>())
        ));
    }
    names
}

/// OffsetDelete v0 (KIP-496) of (`group`, TOPIC, 1) over a raw connection to the group's
/// coordinator (this single broker); returns the partition's error code.
async fn delete_offset(broker: &TestBroker, group: &str) -> i16 {
    use fjord_protocol::kafka_protocol::messages::offset_delete_request::{
        OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    use fjord_protocol::kafka_protocol::messages::{GroupId, OffsetDeleteRequest, TopicName};
    use fjord_protocol::kafka_protocol::protocol::StrBytes;
    let mut client = broker.connect().await;
    let request = OffsetDeleteRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_topics(vec![
            OffsetDeleteRequestTopic::default()
                .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partitions(vec![
                    OffsetDeleteRequestPartition::default().with_partition_index(1),
                ]),
        ]);
    let response = client.call(0, &request).await;
    assert_eq!(response.error_code, 0);
    response.topics[0].partitions[0].error_code
}
