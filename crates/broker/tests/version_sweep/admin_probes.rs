//! Sweep builders for the admin APIs: topics, records, configs, log dirs and the cluster.

use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use fjord_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use fjord_protocol::kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use fjord_protocol::kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use fjord_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use fjord_protocol::kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use fjord_protocol::kafka_protocol::messages::{
    AlterConfigsRequest, ApiKey, CreatePartitionsRequest, CreateTopicsRequest,
    DeleteRecordsRequest, DeleteTopicsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    DescribeLogDirsRequest, IncrementalAlterConfigsRequest, RequestKind, ResponseKind,
    alter_configs_request, incremental_alter_configs_request,
};
use uuid::Uuid;

use crate::model::{Fixture, Plane, Probe, code, ensure, find, name, s, unpack};

/// `ConfigResource.Type.TOPIC` / `BROKER`.
const RESOURCE_TOPIC: i8 = 2;
const RESOURCE_BROKER: i8 = 4;
/// Kafka's default `retention.ms` (7 days): setting it changes nothing the sweep reads.
const RETENTION_MS: &str = "604800000";
/// An offset far beyond any log end the sweep reaches.
const BEYOND_LOG_END: i64 = 1_000_000;

/// The admin builders for `api` at `version`, or `None` when this module has none.
pub fn for_api(api: ApiKey, version: i16, fx: &Fixture) -> Option<Vec<Probe>> {
    Some(match api {
        ApiKey::CreateTopics => create_topics(version, fx),
        ApiKey::DeleteTopics => delete_topics(version, fx),
        ApiKey::DeleteRecords => delete_records(fx),
        ApiKey::DescribeConfigs => describe_configs(version, fx),
        ApiKey::AlterConfigs => alter_configs(fx),
        ApiKey::DescribeLogDirs => describe_log_dirs(fx),
        ApiKey::CreatePartitions => create_partitions(fx),
        ApiKey::IncrementalAlterConfigs => incremental_alter_configs(fx),
        ApiKey::DescribeCluster => describe_cluster(version, fx.plane),
        _ => return None,
    })
}

/// CreateTopics (`CreateTopicsRequest.json`; configs/num_partitions in the answer v5+,
/// KIP-525; topic id v7+, KIP-516): a new topic with a config, and the existing one.
fn create_topics(version: i16, fx: &Fixture) -> Vec<Probe> {
    let new_topic = fx.versioned("new", version);
    let topic = |topic_name: &str, partitions: i32| {
        CreatableTopic::default()
            .with_name(name(topic_name))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
            .with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(s("retention.ms"))
                    .with_value(Some(s(RETENTION_MS))),
            ])
    };
    let validated = fx.versioned("validated", version);
    let invalid = fx.versioned("invalid", version);
    let validate_only = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_validate_only(true)
        .with_topics(vec![topic(&validated, 1), topic(&invalid, 0)]);
    let validate_probe = Probe::reply(
        "validate only: valid and zero partitions",
        RequestKind::CreateTopics(validate_only),
        move |r, _| {
            let response = unpack!(r, CreateTopics);
            let valid = find(&response.topics, "the valid topic", |t| {
                t.name.0.as_str() == validated
            })?;
            code("valid topic", valid.error_code, ErrorCode::None)?;
            if version >= 5 {
                ensure!(
                    valid.num_partitions == 1,
                    "valid topic: {} partitions",
                    valid.num_partitions
                );
            }
            // Kafka `ReplicationControlManager`: "Number of partitions was set to an invalid
            // non-positive value."
            let bad = find(&response.topics, "the invalid topic", |t| {
                t.name.0.as_str() == invalid
            })?;
            code(
                "zero partitions",
                bad.error_code,
                ErrorCode::InvalidPartitions,
            )?;
            ensure!(
                bad.error_message.is_some(),
                "zero partitions: no error message"
            );
            Ok(())
        },
    );
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![topic(&new_topic, 1), topic(&fx.topic, 2)]);
    vec![
        validate_probe,
        Probe::reply(
            "new topic and existing topic",
            RequestKind::CreateTopics(request),
            move |r, fx| {
                let response = unpack!(r, CreateTopics);
                let created = find(&response.topics, "the new topic", |t| {
                    t.name.0.as_str() == new_topic
                })?;
                code("new topic", created.error_code, ErrorCode::None)?;
                if version >= 5 {
                    ensure!(
                        created.num_partitions == 1 && created.replication_factor == 1,
                        "new topic described as {} partitions, rf {}",
                        created.num_partitions,
                        created.replication_factor
                    );
                    let configs = created.configs.as_deref().unwrap_or_default();
                    let retention = find(configs, "retention.ms", |c| {
                        c.name.as_str() == "retention.ms"
                    })?;
                    ensure!(
                        retention.value.as_deref() == Some(RETENTION_MS),
                        "retention.ms {:?}",
                        retention.value
                    );
                }
                if version >= 7 {
                    ensure!(!created.topic_id.is_nil(), "new topic has no id");
                }
                let existing = find(&response.topics, "the existing topic", |t| {
                    t.name.0.as_str() == fx.topic
                })?;
                code(
                    "existing topic",
                    existing.error_code,
                    ErrorCode::TopicAlreadyExists,
                )
            },
        ),
    ]
}

/// DeleteTopics (`DeleteTopicsRequest.json`; names v1-5, topic states with ids v6, KIP-516):
/// a topic created for this version, an unknown name, and from v6 an unknown id.
fn delete_topics(version: i16, fx: &Fixture) -> Vec<Probe> {
    let doomed = fx.versioned("doomed", version);
    let unknown_id = Uuid::from_u128(0xdead);
    let request = if version >= 6 {
        DeleteTopicsRequest::default().with_topics(vec![
            DeleteTopicState::default().with_name(Some(name(&doomed))),
            DeleteTopicState::default().with_name(Some(name(&fx.unknown_topic))),
            DeleteTopicState::default().with_topic_id(unknown_id),
        ])
    } else {
        DeleteTopicsRequest::default()
            .with_topic_names(vec![name(&doomed), name(&fx.unknown_topic)])
    };
    let request = request.with_timeout_ms(10_000);
    vec![Probe::reply(
        "doomed topic, unknown name, unknown id",
        RequestKind::DeleteTopics(request),
        move |r, fx| {
            let response = unpack!(r, DeleteTopics);
            let named = |wanted: &str| {
                find(&response.responses, wanted, |t| {
                    t.name.as_ref().is_some_and(|n| n.0.as_str() == wanted)
                })
            };
            code("doomed topic", named(&doomed)?.error_code, ErrorCode::None)?;
            let unknown = named(&fx.unknown_topic)?;
            code(
                "unknown topic",
                unknown.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )?;
            if version >= 6 {
                let by_id = find(&response.responses, "the unknown id", |t| {
                    t.topic_id == unknown_id
                })?;
                code("unknown id", by_id.error_code, ErrorCode::UnknownTopicId)?;
            }
            Ok(())
        },
    )]
}

/// DeleteRecords (`DeleteRecordsRequest.json`): up to offset 0 of partition 0 (a no-op that
/// reports the low watermark), a missing partition and an unknown topic.
fn delete_records(fx: &Fixture) -> Vec<Probe> {
    let partition = |index: i32| {
        DeleteRecordsPartition::default()
            .with_partition_index(index)
            .with_offset(0)
    };
    let request = DeleteRecordsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![
            DeleteRecordsTopic::default()
                .with_name(name(&fx.topic))
                .with_partitions(vec![
                    partition(0),
                    partition(1).with_offset(BEYOND_LOG_END),
                    partition(fx.missing_partition),
                ]),
            DeleteRecordsTopic::default()
                .with_name(name(&fx.unknown_topic))
                .with_partitions(vec![partition(0)]),
        ]);
    vec![Probe::reply(
        "partition 0 to offset 0, partition 1 beyond its end, missing partition, unknown topic",
        RequestKind::DeleteRecords(request),
        |r, fx| {
            let response = unpack!(r, DeleteRecords);
            let ours = find(&response.topics, "the sweep topic", |t| {
                t.name.0.as_str() == fx.topic
            })?;
            let p0 = find(&ours.partitions, "partition 0", |p| p.partition_index == 0)?;
            code("partition 0", p0.error_code, ErrorCode::None)?;
            ensure!(p0.low_watermark == 0, "low watermark {}", p0.low_watermark);
            // Beyond the high watermark: OFFSET_OUT_OF_RANGE (Kafka `UnifiedLog.deleteRecords`).
            let p1 = find(&ours.partitions, "partition 1", |p| p.partition_index == 1)?;
            code(
                "partition 1 beyond its end",
                p1.error_code,
                ErrorCode::OffsetOutOfRange,
            )?;
            let missing = find(&ours.partitions, "the missing partition", |p| {
                p.partition_index == fx.missing_partition
            })?;
            code(
                "missing partition",
                missing.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )?;
            let unknown = find(&response.topics, "the unknown topic", |t| {
                t.name.0.as_str() == fx.unknown_topic
            })?;
            code(
                "unknown topic",
                unknown.partitions[0].error_code,
                ErrorCode::UnknownTopicOrPartition,
            )
        },
    )]
}

/// DescribeConfigs (`DescribeConfigsRequest.json`; synonyms v1+, KIP-226; documentation v3+,
/// KIP-569): the sweep topic, an unknown topic and this broker.
fn describe_configs(version: i16, fx: &Fixture) -> Vec<Probe> {
    let resource = |kind: i8, resource_name: &str| {
        DescribeConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(s(resource_name))
            .with_configuration_keys(None)
    };
    let mut request = DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_resources(vec![
            resource(RESOURCE_TOPIC, &fx.topic),
            resource(RESOURCE_TOPIC, &fx.unknown_topic),
            resource(RESOURCE_BROKER, &fx.node_id.to_string())
                .with_configuration_keys(Some(vec![s("log.retention.hours")])),
        ]);
    if version >= 3 {
        request = request.with_include_documentation(true);
    }
    vec![Probe::reply(
        "topic, unknown topic, broker",
        RequestKind::DescribeConfigs(request),
        |r, fx| {
            let response = unpack!(r, DescribeConfigs);
            let result = |kind: i8, wanted: &str| {
                find(&response.results, wanted, |c| {
                    c.resource_type == kind && c.resource_name.as_str() == wanted
                })
            };
            let topic = result(RESOURCE_TOPIC, &fx.topic)?;
            code("sweep topic", topic.error_code, ErrorCode::None)?;
            find(&topic.configs, "cleanup.policy", |c| {
                c.name.as_str() == "cleanup.policy"
            })?;
            let unknown = result(RESOURCE_TOPIC, &fx.unknown_topic)?;
            code(
                "unknown topic",
                unknown.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )?;
            let broker = result(RESOURCE_BROKER, &fx.node_id.to_string())?;
            code("broker", broker.error_code, ErrorCode::None)?;
            find(&broker.configs, "log.retention.hours", |c| {
                c.name.as_str() == "log.retention.hours"
            })?;
            Ok(())
        },
    )]
}

/// AlterConfigs (`AlterConfigsRequest.json`): the sweep topic's retention (unchanged value)
/// and an unknown topic.
fn alter_configs(fx: &Fixture) -> Vec<Probe> {
    use alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let resource = |topic: &str| {
        AlterConfigsResource::default()
            .with_resource_type(RESOURCE_TOPIC)
            .with_resource_name(s(topic))
            .with_configs(vec![
                AlterableConfig::default()
                    .with_name(s("retention.ms"))
                    .with_value(Some(s(RETENTION_MS))),
            ])
    };
    let request = AlterConfigsRequest::default()
        .with_resources(vec![resource(&fx.topic), resource(&fx.unknown_topic)]);
    vec![Probe::reply(
        "sweep topic and unknown topic",
        RequestKind::AlterConfigs(request),
        |r, fx| {
            let response = unpack!(r, AlterConfigs);
            let topic = find(&response.responses, "the sweep topic", |c| {
                c.resource_name.as_str() == fx.topic
            })?;
            code("sweep topic", topic.error_code, ErrorCode::None)?;
            let unknown = find(&response.responses, "the unknown topic", |c| {
                c.resource_name.as_str() == fx.unknown_topic
            })?;
            code(
                "unknown topic",
                unknown.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )
        },
    )]
}

/// IncrementalAlterConfigs (`IncrementalAlterConfigsRequest.json`, KIP-339): SET the sweep
/// topic's retention (unchanged value), and an unknown topic.
fn incremental_alter_configs(fx: &Fixture) -> Vec<Probe> {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let resource = |topic: &str| {
        AlterConfigsResource::default()
            .with_resource_type(RESOURCE_TOPIC)
            .with_resource_name(s(topic))
            .with_configs(vec![
                AlterableConfig::default()
                    .with_name(s("retention.ms"))
                    .with_config_operation(0)
                    .with_value(Some(s(RETENTION_MS))),
            ])
    };
    let request = IncrementalAlterConfigsRequest::default()
        .with_resources(vec![resource(&fx.topic), resource(&fx.unknown_topic)]);
    vec![Probe::reply(
        "SET on sweep topic and unknown topic",
        RequestKind::IncrementalAlterConfigs(request),
        |r, fx| {
            let response = unpack!(r, IncrementalAlterConfigs);
            let topic = find(&response.responses, "the sweep topic", |c| {
                c.resource_name.as_str() == fx.topic
            })?;
            code("sweep topic", topic.error_code, ErrorCode::None)?;
            let unknown = find(&response.responses, "the unknown topic", |c| {
                c.resource_name.as_str() == fx.unknown_topic
            })?;
            code(
                "unknown topic",
                unknown.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )
        },
    )]
}

/// DescribeLogDirs (`DescribeLogDirsRequest.json`; sizes v4+, KIP-827): the sweep topic's
/// partitions (and a missing one), an unknown topic, then every topic (null).
fn describe_log_dirs(fx: &Fixture) -> Vec<Probe> {
    let named = DescribeLogDirsRequest::default().with_topics(Some(vec![
        DescribableLogDirTopic::default()
            .with_topic(name(&fx.topic))
            .with_partitions(vec![0, 1, fx.missing_partition]),
        DescribableLogDirTopic::default()
            .with_topic(name(&fx.unknown_topic))
            .with_partitions(vec![0]),
    ]));
    vec![
        Probe::reply(
            "named topics",
            RequestKind::DescribeLogDirs(named),
            check_log_dirs,
        ),
        Probe::reply(
            "all topics",
            RequestKind::DescribeLogDirs(DescribeLogDirsRequest::default().with_topics(None)),
            check_log_dirs,
        ),
    ]
}

/// The log dir lists the sweep topic's partitions 0 (with data) and 1, not the missing one.
fn check_log_dirs(r: &ResponseKind, fx: &Fixture) -> Result<(), String> {
    let response = unpack!(r, DescribeLogDirs);
    ensure!(!response.results.is_empty(), "no log dirs");
    let dir = &response.results[0];
    code("log dir", dir.error_code, ErrorCode::None)?;
    let ours = find(&dir.topics, "the sweep topic", |t| {
        t.name.0.as_str() == fx.topic
    })?;
    let p0 = find(&ours.partitions, "partition 0", |p| p.partition_index == 0)?;
    ensure!(
        p0.partition_size > 0,
        "partition 0 size {}",
        p0.partition_size
    );
    find(&ours.partitions, "partition 1", |p| p.partition_index == 1)?;
    ensure!(
        ours.partitions
            .iter()
            .all(|p| p.partition_index != fx.missing_partition),
        "a missing partition is listed"
    );
    Ok(())
}

/// CreatePartitions (`CreatePartitionsRequest.json`, KIP-195), validate only: the sweep
/// topic at its current count (INVALID_PARTITIONS) and an unknown topic.
fn create_partitions(fx: &Fixture) -> Vec<Probe> {
    let request = CreatePartitionsRequest::default()
        .with_timeout_ms(10_000)
        .with_validate_only(true)
        .with_topics(vec![
            CreatePartitionsTopic::default()
                .with_name(name(&fx.topic))
                .with_count(2)
                .with_assignments(None),
            CreatePartitionsTopic::default()
                .with_name(name(&fx.unknown_topic))
                .with_count(3)
                .with_assignments(None),
        ]);
    vec![Probe::reply(
        "same count, unknown topic",
        RequestKind::CreatePartitions(request),
        |r, fx| {
            let response = unpack!(r, CreatePartitions);
            let ours = find(&response.results, "the sweep topic", |t| {
                t.name.0.as_str() == fx.topic
            })?;
            code("sweep topic", ours.error_code, ErrorCode::InvalidPartitions)?;
            let unknown = find(&response.results, "the unknown topic", |t| {
                t.name.0.as_str() == fx.unknown_topic
            })?;
            code(
                "unknown topic",
                unknown.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )
        },
    )]
}

/// DescribeCluster (`DescribeClusterRequest.json`; endpoint type v1+, KIP-919; fenced brokers
/// v2+, KIP-1073): this node, with the cluster id. A broker listener is asked for brokers, a
/// controller listener (v1+) for controllers, as Kafka's `computeDescribeClusterResponse`
/// expects on each.
fn describe_cluster(version: i16, plane: Plane) -> Vec<Probe> {
    // `EndpointType`: BROKER 1, CONTROLLER 2.
    let endpoint_type: i8 = match plane {
        Plane::Broker => 1,
        Plane::Controller => 2,
    };
    let mut request = DescribeClusterRequest::default();
    if version >= 1 {
        request = request.with_endpoint_type(endpoint_type);
    }
    if version >= 2 {
        request = request.with_include_fenced_brokers(true);
    }
    vec![Probe::reply(
        "this listener's endpoints",
        RequestKind::DescribeCluster(request),
        move |r, fx| {
            let response = unpack!(r, DescribeCluster);
            if version == 0 && plane == Plane::Controller {
                // v0 cannot ask for controllers; Kafka answers INVALID_REQUEST, fjord lists
                // the brokers. Either decodes, which is what the sweep asserts here.
                return Ok(());
            }
            code("top level", response.error_code, ErrorCode::None)?;
            ensure!(
                response.cluster_id.as_str() == fx.cluster_id,
                "cluster id {}",
                response.cluster_id
            );
            ensure!(
                response.brokers.len() == 1,
                "{} nodes",
                response.brokers.len()
            );
            let node = &response.brokers[0];
            ensure!(
                node.broker_id.0 == fx.node_id && node.port == fx.port,
                "node {node:?}, this listener is port {}",
                fx.port
            );
            if version >= 1 {
                ensure!(
                    response.endpoint_type == endpoint_type,
                    "endpoint type {}",
                    response.endpoint_type
                );
            }
            Ok(())
        },
    )]
}
