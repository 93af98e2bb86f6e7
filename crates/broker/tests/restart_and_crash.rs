//! Goal: what a client was told is stored stays stored. A clean restart on the same
//! directories keeps topic ids, topic configs and data and does not rescan segments (Kafka
//! `LogManager.loadLogs` skips recovery when `.kafka_cleanshutdown` exists); an unclean stop
//! keeps every acknowledged record and recovery truncates a torn tail (Kafka `LogLoader`);
//! deleting a topic deletes its logs (KIP-516: a re-created topic gets a new id and an empty
//! log).
//!
//! Method: an in-process broker on a temp dir, driven with raw Kafka requests; stopped with
//! `shutdown` (clean) or `abandon` (no flush, checkpoints or marker), then started again on
//! the same dir. Recovery work is read from `ReplicaManager::startup_stats`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::{RawClient, TestBroker, record_batch};
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use fjord_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use fjord_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{
    CreateTopicsRequest, DeleteTopicsRequest, DescribeConfigsRequest, FetchRequest, ProduceRequest,
    TopicName,
};
use fjord_protocol::kafka_protocol::protocol::StrBytes;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_owned()))
}

async fn create(
    client: &mut RawClient,
    topic: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> uuid::Uuid {
    let request = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from_string((*k).to_owned()))
                            .with_value(Some(StrBytes::from_string((*v).to_owned())))
                    })
                    .collect(),
            ),
    ]);
    let response = client.call(7, &request).await;
    let result = &response.topics[0];
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    result.topic_id
}

/// Produces one batch of `count` records with acks=all; returns the base offset.
async fn produce(client: &mut RawClient, topic: &str, partition: i32, count: i32) -> i64 {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(
                            record_batch(count, b"payload", 1_700_000_000_000).freeze(),
                        )),
                ]),
        ]);
    let response = client.call(9, &request).await;
    let result = &response.responses[0].partition_responses[0];
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    result.base_offset
}

/// Fetches from `offset`: (error code, high watermark, record bytes).
async fn fetch(
    client: &mut RawClient,
    topic: &str,
    partition: i32,
    offset: i64,
) -> (i16, i64, Bytes) {
    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 24)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(partition)
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 24),
                ]),
        ]);
    let response = client.call(11, &request).await;
    let p = &response.responses[0].partitions[0];
    (
        p.error_code,
        p.high_watermark,
        p.records.clone().unwrap_or_default(),
    )
}

/// Counts the batches in fetched bytes (walking batchLength fields).
fn batch_count(mut records: &[u8]) -> usize {
    let mut count = 0;
    while records.len() >= 12 {
        let length = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize;
        records = &records[12 + length..];
        count += 1;
    }
    assert!(records.is_empty(), "fetch returned whole batches only");
    count
}

async fn topic_config(client: &mut RawClient, topic: &str, key: &str) -> (Option<String>, i8) {
    let request = DescribeConfigsRequest::default().with_resources(vec![
        DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_string(topic.to_owned()))
            .with_configuration_keys(Some(vec![StrBytes::from_string(key.to_owned())])),
    ]);
    let response = client.call(4, &request).await;
    let result = &response.results[0];
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    let entry = &result.configs[0];
    (
        entry.value.as_ref().map(|v| v.as_str().to_owned()),
        entry.config_source,
    )
}

#[tokio::test]
async fn clean_restart_keeps_ids_configs_and_data_without_rescanning() {
    tracing::info!("phase 1: create a topic with an override and produce to both partitions");
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let id = create(&mut client, "kept", 2, &[("retention.ms", "86400000")]).await;
    for count in [3, 4, 5] {
        produce(&mut client, "kept", 0, count).await;
    }
    produce(&mut client, "kept", 1, 2).await;
    let (_, hw_before, bytes_before) = fetch(&mut client, "kept", 0, 0).await;
    assert_eq!(hw_before, 12);

    tracing::info!("phase 2: clean shutdown writes Kafka's marker and checkpoints");
    let dir = broker.stop_keeping_dir().await;
    assert!(dir.path().join(".kafka_cleanshutdown").exists());
    assert!(dir.path().join("kept-0/00000000000000000000.log").exists());
    assert!(dir.path().join("kept-1/partition.metadata").exists());
    assert!(dir.path().join("recovery-point-offset-checkpoint").exists());
    let checkpoint =
        std::fs::read_to_string(dir.path().join("recovery-point-offset-checkpoint")).unwrap();
    assert!(checkpoint.contains("kept 0 12"), "{checkpoint}");

    tracing::info!("phase 3: restart on the same dir: same id, config, data; nothing rescanned");
    let broker = TestBroker::start_in(dir, |_| {}).await;
    let stats = broker.handle.context().replicas.startup_stats();
    assert_eq!(stats.logs_loaded, 2);
    assert_eq!(
        stats.batches_validated, 0,
        "a clean shutdown needs no recovery"
    );
    assert!(
        !broker.dir().join(".kafka_cleanshutdown").exists(),
        "marker consumed at start"
    );
    let image = broker.handle.context().replicas.image();
    assert_eq!(image.topic("kept").unwrap().id, id);
    let mut client = broker.connect().await;
    assert_eq!(
        topic_config(&mut client, "kept", "retention.ms").await,
        (Some("86400000".to_owned()), 1)
    );
    let (code, hw, bytes) = fetch(&mut client, "kept", 0, 0).await;
    assert_eq!((code, hw), (0, 12));
    assert_eq!(bytes, bytes_before, "byte-for-byte the same batches");
    assert_eq!(fetch(&mut client, "kept", 1, 0).await.1, 2);
    assert_eq!(
        produce(&mut client, "kept", 0, 1).await,
        12,
        "offsets continue"
    );
    broker.stop().await;
}

#[tokio::test]
async fn unclean_stop_keeps_every_acked_record_and_truncates_a_torn_tail() {
    tracing::info!("phase 1: ten acknowledged batches, then a crash");
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "crashy", 1, &[]).await;
    let mut acked = Vec::new();
    for _ in 0..10 {
        acked.push(produce(&mut client, "crashy", 0, 5).await);
    }
    assert_eq!(acked, (0..10).map(|i| i * 5).collect::<Vec<i64>>());
    let dir = broker.crash_keeping_dir().await;
    assert!(!dir.path().join(".kafka_cleanshutdown").exists());

    tracing::info!("phase 2: a torn write after the last acked batch (half a batch header)");
    let log = dir.path().join("crashy-0/00000000000000000000.log");
    let torn = record_batch(3, b"torn", 1);
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, &torn[..30]).unwrap();
    drop(file);

    tracing::info!("phase 3: restart recovers: every acked record, nothing else");
    let broker = TestBroker::start_in(dir, |_| {}).await;
    let stats = broker.handle.context().replicas.startup_stats();
    assert!(
        stats.batches_validated >= 10,
        "unclean stop rescans: {stats:?}"
    );
    let mut client = broker.connect().await;
    let (code, hw, bytes) = fetch(&mut client, "crashy", 0, 0).await;
    assert_eq!((code, hw), (0, 50));
    assert_eq!(batch_count(&bytes), 10);
    assert_eq!(
        produce(&mut client, "crashy", 0, 1).await,
        50,
        "torn tail truncated"
    );
    broker.stop().await;
}

#[tokio::test]
async fn deleting_a_topic_deletes_its_logs_and_a_recreated_topic_starts_empty() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let first = create(&mut client, "gone", 1, &[]).await;
    produce(&mut client, "gone", 0, 3).await;
    assert!(broker.dir().join("gone-0").exists());
    let response = client
        .call(6, &DeleteTopicsRequest::default().with_topics(vec![
            fjord_protocol::kafka_protocol::messages::delete_topics_request::DeleteTopicState::default()
                .with_name(Some(name("gone"))),
        ]))
        .await;
    assert_eq!(response.responses[0].error_code, 0);
    assert_eq!(response.responses[0].topic_id, first);
    assert!(
        !broker.dir().join("gone-0").exists(),
        "log directory removed"
    );
    let (code, _, _) = fetch(&mut client, "gone", 0, 0).await;
    assert_eq!(code, ErrorCode::UnknownTopicOrPartition.code());
    let second = create(&mut client, "gone", 1, &[]).await;
    assert_ne!(first, second, "KIP-516: a new topic, a new id");
    let (code, hw, bytes) = fetch(&mut client, "gone", 0, 0).await;
    assert_eq!((code, hw, bytes.len()), (0, 0, 0));
    broker.stop().await;
}
