//! Goal: the admin APIs answer what Kafka answers, as a user sees it: DescribeConfigs values
//! and sources (KIP-226), AlterConfigs replacing a topic's set, IncrementalAlterConfigs
//! (KIP-339) with Kafka's error codes and messages, config changes reaching the partition
//! logs, CreatePartitions (KIP-195), DeleteRecords (low watermark, OFFSET_OUT_OF_RANGE beyond
//! the high watermark), DescribeCluster (KIP-700/KIP-919), DescribeLogDirs (sizes, KIP-827
//! space) and OffsetForLeaderEpoch (KIP-101/KIP-320).
//!
//! Method: an in-process broker; librdkafka's admin client (rdkafka 0.39: describe_configs,
//! alter_configs, create_partitions, delete_records) where it has the call, raw requests
//! through `RawClient` where it does not or where the error message matters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RawClient, TestBroker, record_batch};
use fjord_common::TopicPartition;
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use fjord_protocol::kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use fjord_protocol::kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{
    CreatePartitionsRequest, DeleteRecordsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    DescribeLogDirsRequest, IncrementalAlterConfigsRequest, OffsetForLeaderEpochRequest,
    ProduceRequest, TopicName,
};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic,
    ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_owned())
}

fn admin(broker: &TestBroker) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .expect("admin client")
}

fn options() -> AdminOptions {
    AdminOptions::new().request_timeout(Some(Duration::from_secs(10)))
}

async fn create_topic(
    admin: &AdminClient<DefaultClientContext>,
    name: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) {
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let results = admin.create_topics(&[topic], &options()).await.unwrap();
    assert_eq!(results[0], Ok(name.to_owned()));
}

async fn produce(client: &mut RawClient, topic: &str, count: i32) {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(s(topic)))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(record_batch(count, b"v", 1_700_000_000_000).freeze())),
                ]),
        ]);
    let response = client.call(9, &request).await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_configs_reports_values_and_kafka_sources_for_topics_and_the_broker() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    create_topic(&admin, "described", 1, &[("retention.ms", "3600000")]).await;
    let results = admin
        .describe_configs(
            &[
                ResourceSpecifier::Topic("described"),
                ResourceSpecifier::Broker(1),
            ],
            &options(),
        )
        .await
        .unwrap();
    let topic = results[0].as_ref().expect("topic described");
    let retention = topic.get("retention.ms").expect("retention.ms listed");
    assert_eq!(retention.value.as_deref(), Some("3600000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    let segment = topic.get("segment.bytes").expect("segment.bytes listed");
    assert_eq!(segment.value.as_deref(), Some("1073741824"));
    assert_eq!(segment.source, ConfigSource::Default);
    assert!(topic.get("cleanup.policy").is_some());
    let broker_configs = results[1].as_ref().expect("broker described");
    let log_dirs = broker_configs.get("log.dirs").expect("log.dirs listed");
    assert_eq!(
        log_dirs.source,
        ConfigSource::StaticBroker,
        "set in the server config"
    );
    assert_eq!(
        log_dirs.value.as_deref(),
        Some(broker.dir().to_str().unwrap())
    );
    let threads = broker_configs
        .get("num.io.threads")
        .expect("num.io.threads listed");
    assert_eq!(
        (threads.value.as_deref(), &threads.source),
        (Some("8"), &ConfigSource::Default)
    );

    // Raw: unknown topic and another broker's id, with Kafka's codes and messages.
    let mut client = broker.connect().await;
    let response = client
        .call(
            4,
            &DescribeConfigsRequest::default().with_resources(vec![
                DescribeConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(s("nope")),
                DescribeConfigsResource::default()
                    .with_resource_type(4)
                    .with_resource_name(s("9")),
            ]),
        )
        .await;
    assert_eq!(
        response.results[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    assert_eq!(
        response.results[0].error_message.as_deref(),
        Some("The topic 'nope' does not exist.")
    );
    assert_eq!(
        response.results[1].error_code,
        ErrorCode::InvalidRequest.code()
    );
    assert_eq!(
        response.results[1].error_message.as_deref(),
        Some("Unexpected broker id, expected 1 or empty string, but received 9")
    );
    // include_synonyms + config type (KIP-569), as Kafka's ConfigHelper.createTopicConfigEntry:
    // the override first, then the rows of the primary broker synonym. log.retention.ms has a
    // null default, so Kafka's `dropWhile(s.name != "log.retention.ms")` leaves no broker row
    // for retention.ms; segment.bytes shows its default broker synonym.
    let response = client
        .call(
            4,
            &DescribeConfigsRequest::default()
                .with_include_synonyms(true)
                .with_resources(vec![
                    DescribeConfigsResource::default()
                        .with_resource_type(2)
                        .with_resource_name(s("described"))
                        .with_configuration_keys(Some(vec![s("retention.ms"), s("segment.bytes")])),
                ]),
        )
        .await;
    type Row<'a> = (&'a str, i8, Vec<(&'a str, i8)>);
    let rows: Vec<Row> = response.results[0]
        .configs
        .iter()
        .map(|entry| {
            (
                entry.name.as_str(),
                entry.config_type,
                entry
                    .synonyms
                    .iter()
                    .map(|s| (s.name.as_str(), s.source))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("retention.ms", 5, vec![("retention.ms", 1)]),
            ("segment.bytes", 3, vec![("log.segment.bytes", 5)]),
        ]
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_configs_replace_the_set_and_reach_the_partition_log() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    create_topic(&admin, "altered", 1, &[("max.message.bytes", "2048")]).await;
    let results = admin
        .alter_configs(
            &[AlterConfig::new(ResourceSpecifier::Topic("altered")).set("retention.ms", "1000")],
            &options(),
        )
        .await
        .unwrap();
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic("altered")], &options())
        .await
        .unwrap();
    let topic = described[0].as_ref().unwrap();
    assert_eq!(
        topic.get("retention.ms").unwrap().value.as_deref(),
        Some("1000")
    );
    let max = topic.get("max.message.bytes").unwrap();
    assert_eq!(
        (max.value.as_deref(), &max.source),
        (Some("1048588"), &ConfigSource::Default),
        "legacy AlterConfigs replaces the whole set"
    );
    let log = broker
        .handle
        .context()
        .replicas
        .log(&TopicPartition::new("altered", 0))
        .unwrap();
    assert_eq!(
        log.lock().unwrap().config().retention_ms,
        1000,
        "the log got the new LogConfig"
    );
    // An invalid value is refused with INVALID_CONFIG and Kafka's message; nothing changes.
    let mut client = broker.connect().await;
    let request = fjord_protocol::kafka_protocol::messages::AlterConfigsRequest::default()
        .with_resources(vec![
            fjord_protocol::kafka_protocol::messages::alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(s("altered"))
                .with_configs(vec![
                    fjord_protocol::kafka_protocol::messages::alter_configs_request::AlterableConfig::default()
                        .with_name(s("retention.ms"))
                        .with_value(Some(s("soon"))),
                ]),
        ]);
    let response = client.call(2, &request).await;
    assert_eq!(
        response.responses[0].error_code,
        ErrorCode::InvalidConfig.code(),
        "{:?}",
        response.responses[0].error_message
    );
    let message = response.responses[0]
        .error_message
        .as_deref()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("Invalid value soon for configuration retention.ms"),
        "{message}"
    );
    assert_eq!(log.lock().unwrap().config().retention_ms, 1000);
    broker.stop().await;
}

fn incremental(topic: &str, ops: &[(&str, i8, Option<&str>)]) -> IncrementalAlterConfigsRequest {
    IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(s(topic))
            .with_configs(
                ops.iter()
                    .map(|(k, op, v)| {
                        AlterableConfig::default()
                            .with_name(s(k))
                            .with_config_operation(*op)
                            .with_value(v.map(s))
                    })
                    .collect(),
            ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_alter_configs_set_append_delete_with_kafka_errors() {
    let broker = TestBroker::start().await;
    create_topic(&admin(&broker), "inc", 1, &[("flush.messages", "10")]).await;
    let mut client = broker.connect().await;
    // KIP-339: SET, APPEND to a LIST (from its default "delete"), DELETE an override.
    let response = client
        .call(
            1,
            &incremental(
                "inc",
                &[
                    ("retention.ms", 0, Some("2000")),
                    ("cleanup.policy", 2, Some("compact")),
                    ("flush.messages", 1, None),
                ],
            ),
        )
        .await;
    assert_eq!(
        response.responses[0].error_code, 0,
        "{:?}",
        response.responses[0].error_message
    );
    let log = broker
        .handle
        .context()
        .replicas
        .log(&TopicPartition::new("inc", 0))
        .unwrap();
    assert_eq!(log.lock().unwrap().config().retention_ms, 2000);
    assert_eq!(
        log.lock().unwrap().config().flush_messages,
        u64::MAX,
        "override deleted"
    );
    let configs = broker.handle.context().replicas.image();
    let explicit = configs
        .configs(&fjord_metadata::ConfigResource::topic("inc"))
        .unwrap();
    assert_eq!(
        explicit.get("cleanup.policy").map(String::as_str),
        Some("delete,compact")
    );
    assert!(!explicit.contains_key("flush.messages"));

    let response = client
        .call(1, &incremental("inc", &[("retention.ms", 0, Some("soon"))]))
        .await;
    assert_eq!(
        response.responses[0].error_code,
        ErrorCode::InvalidConfig.code()
    );
    let message = response.responses[0]
        .error_message
        .as_deref()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("Invalid value soon for configuration retention.ms"),
        "{message}"
    );

    let response = client
        .call(1, &incremental("inc", &[("retention.ms", 7, Some("1"))]))
        .await;
    assert_eq!(
        response.responses[0].error_code,
        ErrorCode::InvalidRequest.code()
    );
    assert_eq!(
        response.responses[0].error_message.as_deref(),
        Some("Unknown alter config operation type 7")
    );
    let response = client
        .call(
            1,
            &incremental("missing", &[("retention.ms", 0, Some("1"))]),
        )
        .await;
    assert_eq!(
        response.responses[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_partitions_adds_logs_and_refuses_a_decrease() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    create_topic(&admin, "grown", 1, &[]).await;
    let results = admin
        .create_partitions(&[NewPartitions::new("grown", 3)], &options())
        .await
        .unwrap();
    assert_eq!(results[0], Ok("grown".to_owned()));
    let image = broker.handle.context().replicas.image();
    assert_eq!(image.topic("grown").unwrap().partitions.len(), 3);
    assert!(
        broker.dir().join("grown-2").exists(),
        "new partition has its log"
    );
    let results = admin
        .create_partitions(&[NewPartitions::new("grown", 2)], &options())
        .await
        .unwrap();
    assert_eq!(
        results[0],
        Err(("grown".to_owned(), RDKafkaErrorCode::InvalidPartitions))
    );
    let mut client = broker.connect().await;
    let response = client
        .call(
            3,
            &CreatePartitionsRequest::default().with_timeout_ms(5000).with_topics(vec![
                fjord_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic::default()
                    .with_name(TopicName(s("grown")))
                    .with_count(2),
            ]),
        )
        .await;
    assert_eq!(
        response.results[0].error_message.as_deref(),
        Some("The topic grown currently has 3 partition(s); 2 would not be an increase.")
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_records_moves_the_low_watermark_and_refuses_offsets_past_the_high_watermark() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    create_topic(&admin, "trimmed", 1, &[]).await;
    let mut client = broker.connect().await;
    produce(&mut client, "trimmed", 10).await;
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("trimmed", 0, Offset::Offset(4))
        .unwrap();
    let result = admin.delete_records(&offsets, &options()).await.unwrap();
    let element = result.find_partition("trimmed", 0).unwrap();
    assert_eq!(element.offset(), Offset::Offset(4), "new low watermark");
    assert!(element.error().is_ok());
    let log = broker
        .handle
        .context()
        .replicas
        .log(&TopicPartition::new("trimmed", 0))
        .unwrap();
    assert_eq!(log.lock().unwrap().log_start_offset(), 4);
    let response = client
        .call(
            2,
            &DeleteRecordsRequest::default().with_timeout_ms(5000).with_topics(vec![
                fjord_protocol::kafka_protocol::messages::delete_records_request::DeleteRecordsTopic::default()
                    .with_name(TopicName(s("trimmed")))
                    .with_partitions(vec![
                        fjord_protocol::kafka_protocol::messages::delete_records_request::DeleteRecordsPartition::default()
                            .with_partition_index(0)
                            .with_offset(100),
                    ]),
            ]),
        )
        .await;
    let partition = &response.topics[0].partitions[0];
    assert_eq!(partition.error_code, ErrorCode::OffsetOutOfRange.code());
    assert_eq!(partition.low_watermark, -1);
    assert_eq!(log.lock().unwrap().log_start_offset(), 4, "unchanged");
    broker.stop().await;
}

#[tokio::test]
async fn describe_cluster_log_dirs_and_offset_for_leader_epoch() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let versions = client.call(3, &common::api_versions_v3()).await;
    for key in [32i16, 33, 35, 37, 44, 60, 21, 23] {
        assert!(
            versions.api_keys.iter().any(|k| k.api_key == key),
            "ApiVersions lists key {key}"
        );
    }
    // KIP-700 / KIP-919.
    let cluster = client
        .call(1, &DescribeClusterRequest::default().with_endpoint_type(1))
        .await;
    assert_eq!(cluster.error_code, 0);
    assert_eq!(cluster.cluster_id.as_str(), "fjord-test-cluster");
    assert_eq!(cluster.controller_id.0, 1);
    assert_eq!(cluster.brokers.len(), 1);
    assert_eq!(cluster.brokers[0].port, i32::from(broker.addr.port()));
    let cluster = client
        .call(1, &DescribeClusterRequest::default().with_endpoint_type(2))
        .await;
    assert_eq!(
        cluster.error_code, 114,
        "MISMATCHED_ENDPOINT_TYPE on a broker listener"
    );

    let admin = admin(&broker);
    create_topic(&admin, "dirs", 1, &[]).await;
    produce(&mut client, "dirs", 7).await;
    let dirs = client
        .call(4, &DescribeLogDirsRequest::default().with_topics(None))
        .await;
    assert_eq!(dirs.results.len(), 1);
    let dir = &dirs.results[0];
    assert_eq!(dir.log_dir.as_str(), broker.dir().to_str().unwrap());
    assert!(dir.total_bytes > 0 && dir.usable_bytes > 0);
    let topic = dir
        .topics
        .iter()
        .find(|t| t.name.0.as_str() == "dirs")
        .unwrap();
    let size = std::fs::metadata(broker.dir().join("dirs-0/00000000000000000000.log"))
        .unwrap()
        .len();
    assert_eq!(topic.partitions[0].partition_size, size as i64);

    // KIP-101/KIP-279: epoch 0 ends at the log end offset; KIP-320 epoch checks.
    let request = |current: i32, epoch: i32| {
        OffsetForLeaderEpochRequest::default().with_topics(vec![
            OffsetForLeaderTopic::default()
                .with_topic(TopicName(s("dirs")))
                .with_partitions(vec![
                    OffsetForLeaderPartition::default()
                        .with_partition(0)
                        .with_current_leader_epoch(current)
                        .with_leader_epoch(epoch),
                ]),
        ])
    };
    let answer = client.call(4, &request(-1, 0)).await;
    let p = &answer.topics[0].partitions[0];
    assert_eq!((p.error_code, p.leader_epoch, p.end_offset), (0, 0, 7));
    let answer = client.call(4, &request(3, 0)).await;
    assert_eq!(
        answer.topics[0].partitions[0].error_code,
        ErrorCode::UnknownLeaderEpoch.code()
    );
    broker.stop().await;
}
