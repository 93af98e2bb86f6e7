//! One builder per API key: populated requests valid at a given version (every field set only
//! where the message JSON's `versions` has it) and the checks their answers must pass.
//! Data-path APIs live here; admin APIs in `admin_probes.rs`, group APIs in `group_probes.rs`,
//! the shared types in `model.rs`.

use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use fjord_protocol::kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use fjord_protocol::kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsTopic,
};
use fjord_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use fjord_protocol::kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, FetchRequest, InitProducerIdRequest, ListOffsetsRequest,
    MetadataRequest, OffsetForLeaderEpochRequest, ProduceRequest, RequestKind, ResponseKind,
};
use uuid::Uuid;

use crate::common::record_batch;
use crate::model::{
    Expect, Fixture, Probe, SETUP_TIMESTAMP_MS, code, ensure, find, name, s, unpack,
};
/// The builders for `api` at `version`, or `None` when the sweep has none for that API.
pub fn for_api(api: ApiKey, version: i16, fx: &Fixture) -> Option<Vec<Probe>> {
    let probes = match api {
        ApiKey::Produce => produce(version, fx),
        ApiKey::Fetch => fetch(version, fx),
        ApiKey::ListOffsets => list_offsets(version, fx),
        ApiKey::Metadata => metadata(version, fx),
        ApiKey::ApiVersions => api_versions(version),
        ApiKey::InitProducerId => init_producer_id(version),
        ApiKey::FindCoordinator => find_coordinator(version, fx),
        ApiKey::OffsetForLeaderEpoch => offset_for_leader_epoch(version, fx),
        other => {
            return crate::admin_probes::for_api(other, version, fx)
                .or_else(|| crate::group_probes::for_api(other, version, fx))
                .or_else(|| crate::security_probes::for_api(other, version, fx));
        }
    };
    Some(probes)
}

/// Produce (`ProduceRequest.json`, v13 names topics by id, KIP-516): one record to partition
/// 1, one to a missing partition and one to an unknown topic, at acks=-1; then acks=0.
fn produce(version: i16, fx: &Fixture) -> Vec<Probe> {
    let by_id = version >= 13;
    let topic = |topic_name: &str, id: Uuid, partitions: &[i32]| {
        let data = TopicProduceData::default().with_partition_data(
            partitions
                .iter()
                .map(|p| {
                    PartitionProduceData::default()
                        .with_index(*p)
                        .with_records(Some(record_batch(1, b"sweep", 1_700_000_000_000).freeze()))
                })
                .collect(),
        );
        if by_id {
            data.with_topic_id(id)
        } else {
            data.with_name(name(topic_name))
        }
    };
    let unknown_id = Uuid::from_u128(0x5eed);
    let populated = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![
            topic(&fx.topic, fx.topic_id, &[1, fx.missing_partition]),
            topic(&fx.unknown_topic, unknown_id, &[0]),
        ]);
    let mut acked = Probe::reply(
        "acks=-1: partition 1, missing partition, unknown topic",
        RequestKind::Produce(populated),
        move |response, fx| {
            let response = unpack!(response, Produce);
            let ours = find(&response.responses, "the sweep topic", |t| {
                if by_id {
                    t.topic_id == fx.topic_id
                } else {
                    t.name.0.as_str() == fx.topic
                }
            })?;
            let p1 = find(&ours.partition_responses, "partition 1", |p| p.index == 1)?;
            code("partition 1", p1.error_code, ErrorCode::None)?;
            ensure!(
                p1.base_offset >= 2,
                "partition 1 base offset {}",
                p1.base_offset
            );
            // `logStartOffset` "versions": "5+".
            if version >= 5 {
                ensure!(
                    p1.log_start_offset == 0,
                    "log start offset {}",
                    p1.log_start_offset
                );
            }
            let missing = find(&ours.partition_responses, "the missing partition", |p| {
                p.index == fx.missing_partition
            })?;
            code(
                "missing partition",
                missing.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )?;
            let unknown = find(&response.responses, "the unknown topic", |t| {
                if by_id {
                    t.topic_id == unknown_id
                } else {
                    t.name.0.as_str() == fx.unknown_topic
                }
            })?;
            let expected = if by_id {
                ErrorCode::UnknownTopicId
            } else {
                ErrorCode::UnknownTopicOrPartition
            };
            code(
                "unknown topic",
                unknown.partition_responses[0].error_code,
                expected,
            )
        },
    );
    acked.appends_p1 = 1;
    let unacked = ProduceRequest::default()
        .with_acks(0)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![topic(&fx.topic, fx.topic_id, &[1])]);
    vec![
        acked,
        Probe {
            label: "acks=0: partition 1".to_owned(),
            request: RequestKind::Produce(unacked),
            expect: Expect::NoReply,
            appends_p1: 1,
        },
    ]
}

/// Fetch (`FetchRequest.json`; topic ids from v13, KIP-516; sessions v7+, KIP-227): partition
/// 0 and a missing partition of the sweep topic, and an unknown topic, session-less.
fn fetch(version: i16, fx: &Fixture) -> Vec<Probe> {
    let by_id = version >= 13;
    let unknown_id = Uuid::from_u128(0xf00d);
    let partition_at = |index: i32, offset: i64| {
        let partition = FetchPartition::default()
            .with_partition(index)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(1 << 20);
        // `CurrentLeaderEpoch` "versions": "9+" (KIP-320).
        if version >= 9 {
            partition.with_current_leader_epoch(fx.leader_epoch)
        } else {
            partition
        }
    };
    let partition = |index: i32| partition_at(index, 0);
    let topic = |topic_name: &str, id: Uuid, partitions: Vec<FetchPartition>| {
        let topic = FetchTopic::default().with_partitions(partitions);
        if by_id {
            topic.with_topic_id(id)
        } else {
            topic.with_topic(name(topic_name))
        }
    };
    let mut request = FetchRequest::default()
        .with_max_wait_ms(100)
        .with_min_bytes(1)
        .with_max_bytes(50 << 20)
        .with_topics(vec![
            topic(
                &fx.topic,
                fx.topic_id,
                vec![
                    partition(0),
                    partition_at(1, BEYOND_LOG_END),
                    partition(fx.missing_partition),
                ],
            ),
            topic(&fx.unknown_topic, unknown_id, vec![partition(0)]),
        ]);
    let stale_session = request
        .clone()
        .with_session_id(0x5e55)
        .with_session_epoch(1);
    if version >= 7 {
        // A full fetch without a session (KIP-227 FINAL_EPOCH).
        request = request.with_session_id(0).with_session_epoch(-1);
    }
    if version >= 11 {
        request = request.with_rack_id(s("sweep-rack"));
    }
    let mut probes = vec![Probe::reply(
        "partition 0, partition 1 beyond its end, missing partition, unknown topic",
        RequestKind::Fetch(request),
        move |response, fx| {
            let response = unpack!(response, Fetch);
            code("top level", response.error_code, ErrorCode::None)?;
            let ours = find(&response.responses, "the sweep topic", |t| {
                if by_id {
                    t.topic_id == fx.topic_id
                } else {
                    t.topic.0.as_str() == fx.topic
                }
            })?;
            let p0 = find(&ours.partitions, "partition 0", |p| p.partition_index == 0)?;
            code("partition 0", p0.error_code, ErrorCode::None)?;
            ensure!(
                p0.high_watermark == fx.records_p0,
                "high watermark {}",
                p0.high_watermark
            );
            ensure!(
                p0.last_stable_offset == fx.records_p0,
                "LSO {}",
                p0.last_stable_offset
            );
            if version >= 5 {
                ensure!(
                    p0.log_start_offset == 0,
                    "log start offset {}",
                    p0.log_start_offset
                );
            }
            let records = p0.records.clone().unwrap_or_default();
            ensure!(
                records.len() > 61 && records[..8] == [0u8; 8],
                "partition 0 records do not start with the batch at offset 0 ({} bytes)",
                records.len()
            );
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
            let unknown = find(&response.responses, "the unknown topic", |t| {
                if by_id {
                    t.topic_id == unknown_id
                } else {
                    t.topic.0.as_str() == fx.unknown_topic
                }
            })?;
            let expected = if by_id {
                ErrorCode::UnknownTopicId
            } else {
                ErrorCode::UnknownTopicOrPartition
            };
            code("unknown topic", unknown.partitions[0].error_code, expected)
        },
    )];
    // Sessions exist from v7 (KIP-227): an unknown session id is FETCH_SESSION_ID_NOT_FOUND.
    if version >= 7 {
        probes.push(Probe::reply(
            "unknown session",
            RequestKind::Fetch(stale_session),
            |r, _| {
                let response = unpack!(r, Fetch);
                code(
                    "top level",
                    response.error_code,
                    ErrorCode::FetchSessionIdNotFound,
                )
            },
        ));
    }
    probes
}

/// An offset far beyond any log end the sweep reaches.
const BEYOND_LOG_END: i64 = 1_000_000;

/// ListOffsets (`ListOffsetsRequest.json`): latest of partition 0, earliest of partition 1, a
/// missing partition and an unknown topic.
fn list_offsets(version: i16, fx: &Fixture) -> Vec<Probe> {
    let partition = |index: i32, timestamp: i64| {
        let partition = ListOffsetsPartition::default()
            .with_partition_index(index)
            .with_timestamp(timestamp);
        // `CurrentLeaderEpoch` "versions": "4+" (KIP-320).
        if version >= 4 {
            partition.with_current_leader_epoch(fx.leader_epoch)
        } else {
            partition
        }
    };
    let mut request = ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(name(&fx.topic))
                .with_partitions(vec![
                    partition(0, -1),
                    partition(1, -2),
                    partition(fx.missing_partition, -1),
                ]),
            ListOffsetsTopic::default()
                .with_name(name(&fx.unknown_topic))
                .with_partitions(vec![partition(0, -1)]),
        ]);
    if version >= 2 {
        request = request.with_isolation_level(0);
    }
    if version >= 10 {
        request = request.with_timeout_ms(10_000);
    }
    // One partition-0 lookup per special or plain timestamp (a request may not name a
    // partition twice): the answer's (offset, timestamp) must satisfy `expect`.
    let only_p0 = |timestamp: i64| {
        let mut single = request.clone();
        single.topics.truncate(1);
        single.topics[0].partitions = vec![partition(0, timestamp)];
        RequestKind::ListOffsets(single)
    };
    let lookup = |label: &str, timestamp: i64, expect: fn(i64, i64, &Fixture) -> bool| {
        Probe::reply(label, only_p0(timestamp), move |r, fx| {
            let response = unpack!(r, ListOffsets);
            let ours = find(&response.topics, "the sweep topic", |t| {
                t.name.0.as_str() == fx.topic
            })?;
            let p0 = find(&ours.partitions, "partition 0", |p| p.partition_index == 0)?;
            code("partition 0", p0.error_code, ErrorCode::None)?;
            ensure!(
                expect(p0.offset, p0.timestamp, fx),
                "partition 0 at timestamp {timestamp}: offset {} timestamp {}",
                p0.offset,
                p0.timestamp
            );
            Ok(())
        })
    };
    let mut probes = vec![
        // KIP-79: the first record whose timestamp is at or after the target.
        lookup("partition 0 by timestamp", 0, |offset, timestamp, _| {
            offset == 0 && timestamp == SETUP_TIMESTAMP_MS
        }),
    ];
    if version >= 7 {
        // KIP-734 MAX_TIMESTAMP (-3): a record carrying the largest timestamp (all tie here).
        probes.push(lookup(
            "partition 0 max timestamp",
            -3,
            |offset, timestamp, fx| {
                (0..fx.records_p0).contains(&offset) && timestamp == SETUP_TIMESTAMP_MS
            },
        ));
    }
    if version >= 8 {
        // KIP-405 EARLIEST_LOCAL_TIMESTAMP (-4): the local log start, 0 without tiering.
        probes.push(lookup("partition 0 earliest local", -4, |offset, _, _| {
            offset == 0
        }));
    }
    probes.extend([Probe::reply(
        "latest p0, earliest p1, missing partition, unknown topic",
        RequestKind::ListOffsets(request),
        |response, fx| {
            let response = unpack!(response, ListOffsets);
            let ours = find(&response.topics, "the sweep topic", |t| {
                t.name.0.as_str() == fx.topic
            })?;
            let p0 = find(&ours.partitions, "partition 0", |p| p.partition_index == 0)?;
            code("partition 0", p0.error_code, ErrorCode::None)?;
            ensure!(
                p0.offset == fx.records_p0,
                "latest offset of partition 0 is {}",
                p0.offset
            );
            let p1 = find(&ours.partitions, "partition 1", |p| p.partition_index == 1)?;
            code("partition 1", p1.error_code, ErrorCode::None)?;
            ensure!(
                p1.offset == 0,
                "earliest offset of partition 1 is {}",
                p1.offset
            );
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
    )]);
    probes
}

/// Checks the brokers, controller and cluster id of a Metadata answer at `version`.
fn check_cluster(
    response: &fjord_protocol::kafka_protocol::messages::MetadataResponse,
    version: i16,
    fx: &Fixture,
) -> Result<(), String> {
    ensure!(
        response.brokers.len() == 1,
        "{} brokers",
        response.brokers.len()
    );
    let broker = &response.brokers[0];
    ensure!(
        broker.node_id.0 == fx.node_id && broker.port == fx.port,
        "broker {broker:?}"
    );
    if version >= 1 {
        ensure!(
            response.controller_id.0 == fx.node_id,
            "controller {:?}",
            response.controller_id
        );
    }
    if version >= 2 {
        ensure!(
            response.cluster_id.as_deref() == Some(fx.cluster_id.as_str()),
            "cluster id {:?}",
            response.cluster_id
        );
    }
    Ok(())
}

/// Checks the sweep topic in a Metadata answer: 2 partitions led by this node.
fn check_sweep_topic(
    response: &fjord_protocol::kafka_protocol::messages::MetadataResponse,
    version: i16,
    fx: &Fixture,
) -> Result<(), String> {
    let ours = find(&response.topics, "the sweep topic", |t| {
        t.name.as_ref().is_some_and(|n| n.0.as_str() == fx.topic)
    })?;
    code("sweep topic", ours.error_code, ErrorCode::None)?;
    ensure!(
        ours.partitions.len() == 2,
        "{} partitions",
        ours.partitions.len()
    );
    for partition in &ours.partitions {
        ensure!(
            partition.leader_id.0 == fx.node_id,
            "leader of {partition:?}"
        );
        // `LeaderEpoch` "versions": "7+" (KIP-320).
        if version >= 7 {
            ensure!(
                partition.leader_epoch == fx.leader_epoch,
                "leader epoch of {partition:?}"
            );
        }
    }
    // `TopicId` "versions": "10+" (KIP-516).
    if version >= 10 {
        ensure!(ours.topic_id == fx.topic_id, "topic id {}", ours.topic_id);
    }
    ensure!(!ours.is_internal, "the sweep topic is reported internal");
    Ok(())
}

/// A topic id no topic has.
const UNKNOWN_ID: Uuid = Uuid::from_u128(0x0bad_0001);

/// Metadata (`MetadataRequest.json`): named topics (existing and unknown), all topics, and
/// from v10 a lookup by topic id (KIP-516).
fn metadata(version: i16, fx: &Fixture) -> Vec<Probe> {
    let gated = |request: MetadataRequest| {
        let request = if version >= 4 {
            request.with_allow_auto_topic_creation(false)
        } else {
            request
        };
        if version >= 8 {
            request.with_include_topic_authorized_operations(true)
        } else {
            request
        }
    };
    let named = gated(MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(name(&fx.topic))),
        MetadataRequestTopic::default().with_name(Some(name(&fx.unknown_topic))),
    ])));
    // v0: an empty list means all topics; v1+: null does (`MetadataRequest.json` "Topics").
    let all_topics = if version == 0 { Some(Vec::new()) } else { None };
    let all = gated(MetadataRequest::default().with_topics(all_topics));
    let mut probes = vec![
        Probe::reply(
            "existing and unknown topic",
            RequestKind::Metadata(named),
            move |r, fx| {
                let response = unpack!(r, Metadata);
                check_cluster(response, version, fx)?;
                check_sweep_topic(response, version, fx)?;
                let unknown = find(&response.topics, "the unknown topic", |t| {
                    t.name
                        .as_ref()
                        .is_some_and(|n| n.0.as_str() == fx.unknown_topic)
                })?;
                code(
                    "unknown topic",
                    unknown.error_code,
                    ErrorCode::UnknownTopicOrPartition,
                )
            },
        ),
        Probe::reply("all topics", RequestKind::Metadata(all), move |r, fx| {
            let response = unpack!(r, Metadata);
            check_cluster(response, version, fx)?;
            check_sweep_topic(response, version, fx)?;
            if fx.groups_served() {
                let offsets = find(&response.topics, "__consumer_offsets", |t| {
                    t.name
                        .as_ref()
                        .is_some_and(|n| n.0.as_str() == "__consumer_offsets")
                })?;
                // `IsInternal` "versions": "1+".
                ensure!(
                    offsets.is_internal == (version >= 1),
                    "__consumer_offsets is_internal"
                );
            }
            Ok(())
        }),
    ];
    if version >= 10 {
        let by_id = gated(MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_topic_id(fx.topic_id).with_name(None),
            MetadataRequestTopic::default().with_topic_id(UNKNOWN_ID).with_name(None),
        ])));
        probes.push(Probe::reply(
            "by topic id, known and unknown",
            RequestKind::Metadata(by_id),
            move |r, fx| {
                let response = unpack!(r, Metadata);
                check_sweep_topic(response, version, fx)?;
                let unknown = find(&response.topics, "the unknown id", |t| {
                    t.topic_id == UNKNOWN_ID
                })?;
                code("unknown id", unknown.error_code, ErrorCode::UnknownTopicId)
            },
        ));
    }
    probes
}

/// ApiVersions (`ApiVersionsRequest.json`, KIP-511 client software from v3): the listed APIs
/// are the ones the sweep derived, and v3 carries no top-level tagged fields (librdkafka < 2.2
/// cannot skip them).
fn api_versions(version: i16) -> Vec<Probe> {
    let request = if version >= 3 {
        ApiVersionsRequest::default()
            .with_client_software_name(s("fjord-version-sweep"))
            .with_client_software_version(s("1.0"))
    } else {
        ApiVersionsRequest::default()
    };
    vec![Probe::reply(
        "populated",
        RequestKind::ApiVersions(request),
        move |r, fx| {
            let response = unpack!(r, ApiVersions);
            code("top level", response.error_code, ErrorCode::None)?;
            let mut listed: Vec<(i16, i16, i16)> = response
                .api_keys
                .iter()
                .map(|a| (a.api_key, a.min_version, a.max_version))
                .collect();
            listed.sort_unstable();
            let expected: Vec<(i16, i16, i16)> = fx
                .advertised
                .iter()
                .map(|(api, min, max)| (*api as i16, *min, *max))
                .collect();
            ensure!(
                listed == expected,
                "lists {listed:?}, v3 listed {expected:?}"
            );
            if version == 3 {
                ensure!(
                    response.supported_features.is_empty()
                        && response.finalized_features.is_empty()
                        && response.finalized_features_epoch == -1
                        && !response.zk_migration_ready
                        && response.unknown_tagged_fields.is_empty(),
                    "v3 answer carries top-level tagged fields"
                );
            }
            Ok(())
        },
    )]
}

/// InitProducerId (`InitProducerIdRequest.json`, KIP-360 producer id/epoch from v3): an
/// idempotent (non-transactional) producer gets an id.
fn init_producer_id(version: i16) -> Vec<Probe> {
    // An idempotent producer: `TransactionalId` null (the generated default is "").
    let mut request = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(60_000);
    if version >= 3 {
        request = request
            .with_producer_id((-1).into())
            .with_producer_epoch(-1);
    }
    let transactional = request
        .clone()
        .with_transactional_id(Some(s("sweep-txn").into()));
    let idempotent = Probe::reply(
        "idempotent producer",
        RequestKind::InitProducerId(request),
        |r, _| {
            let response = unpack!(r, InitProducerId);
            code("top level", response.error_code, ErrorCode::None)?;
            ensure!(
                response.producer_id.0 >= 0 && response.producer_epoch >= 0,
                "producer id {:?} epoch {}",
                response.producer_id,
                response.producer_epoch
            );
            Ok(())
        },
    );
    // No transaction coordinator yet: COORDINATOR_NOT_AVAILABLE (see `api::init_producer_id`).
    let transactional = Probe::reply(
        "transactional id",
        RequestKind::InitProducerId(transactional),
        |r, _| {
            let response = unpack!(r, InitProducerId);
            code(
                "top level",
                response.error_code,
                ErrorCode::CoordinatorNotAvailable,
            )
        },
    );
    vec![idempotent, transactional]
}

/// FindCoordinator (`FindCoordinatorRequest.json`; key type v1+, batched keys v4+, KIP-699):
/// a group key finds this node when it runs a group coordinator; a transaction key gets
/// COORDINATOR_NOT_AVAILABLE (no transaction coordinator yet).
fn find_coordinator(version: i16, fx: &Fixture) -> Vec<Probe> {
    let (found, empty_key) = if fx.groups_served() {
        // An empty group id is INVALID_REQUEST (Kafka `KafkaApis.handleFindCoordinatorRequest`).
        (ErrorCode::None, ErrorCode::InvalidRequest)
    } else {
        (
            ErrorCode::CoordinatorNotAvailable,
            ErrorCode::CoordinatorNotAvailable,
        )
    };
    let keyed = |key_type: i8, keys: [&str; 2]| {
        let request = if version >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(keys.map(s).to_vec())
        } else {
            FindCoordinatorRequest::default().with_key(s(keys[0]))
        };
        if version >= 1 {
            request.with_key_type(key_type)
        } else {
            request
        }
    };
    let request = |key_type: i8| keyed(key_type, ["sweep-group", "sweep-group-2"]);
    let check = move |expected: ErrorCode| {
        move |r: &ResponseKind, fx: &Fixture| {
            let response = unpack!(r, FindCoordinator);
            let answers: Vec<(i16, i32, i32)> = if version >= 4 {
                ensure!(
                    response.coordinators.len() == 2,
                    "{} coordinators",
                    response.coordinators.len()
                );
                response
                    .coordinators
                    .iter()
                    .map(|c| (c.error_code, c.node_id.0, c.port))
                    .collect()
            } else {
                vec![(response.error_code, response.node_id.0, response.port)]
            };
            for (error, node, port) in answers {
                code("coordinator", error, expected)?;
                if expected == ErrorCode::None {
                    ensure!(
                        node == fx.node_id && port == fx.port,
                        "coordinator {node}:{port}"
                    );
                }
            }
            Ok(())
        }
    };
    let mut probes = vec![Probe::reply(
        "group key",
        RequestKind::FindCoordinator(request(0)),
        check(found),
    )];
    if version >= 1 {
        probes.push(Probe::reply(
            "transaction key",
            RequestKind::FindCoordinator(request(1)),
            check(ErrorCode::CoordinatorNotAvailable),
        ));
    }
    probes.push(Probe::reply(
        "empty group id",
        RequestKind::FindCoordinator(keyed(0, ["", ""])),
        check(empty_key),
    ));
    probes
}

/// OffsetForLeaderEpoch (`OffsetForLeaderEpochRequest.json`, KIP-101/KIP-320; ReplicaId v3+):
/// the current epoch of partition 0 ends at its log end offset.
fn offset_for_leader_epoch(version: i16, fx: &Fixture) -> Vec<Probe> {
    let partition = |index: i32| {
        OffsetForLeaderPartition::default()
            .with_partition(index)
            .with_current_leader_epoch(fx.leader_epoch)
            .with_leader_epoch(fx.leader_epoch)
    };
    let mut request = OffsetForLeaderEpochRequest::default().with_topics(vec![
        OffsetForLeaderTopic::default()
            .with_topic(name(&fx.topic))
            .with_partitions(vec![partition(0), partition(fx.missing_partition)]),
        OffsetForLeaderTopic::default()
            .with_topic(name(&fx.unknown_topic))
            .with_partitions(vec![partition(0)]),
    ]);
    if version >= 3 {
        // A consumer's request (`CONSUMER_REPLICA_ID`).
        request = request.with_replica_id((-1).into());
    }
    vec![Probe::reply(
        "partition 0, missing partition, unknown topic",
        RequestKind::OffsetForLeaderEpoch(request),
        |r, fx| {
            let response = unpack!(r, OffsetForLeaderEpoch);
            let ours = find(&response.topics, "the sweep topic", |t| {
                t.topic.0.as_str() == fx.topic
            })?;
            let p0 = find(&ours.partitions, "partition 0", |p| p.partition == 0)?;
            code("partition 0", p0.error_code, ErrorCode::None)?;
            ensure!(
                p0.leader_epoch == fx.leader_epoch && p0.end_offset == fx.records_p0,
                "partition 0 epoch {} ends at {}",
                p0.leader_epoch,
                p0.end_offset
            );
            let missing = find(&ours.partitions, "the missing partition", |p| {
                p.partition == fx.missing_partition
            })?;
            code(
                "missing partition",
                missing.error_code,
                ErrorCode::UnknownTopicOrPartition,
            )?;
            let unknown = find(&response.topics, "the unknown topic", |t| {
                t.topic.0.as_str() == fx.unknown_topic
            })?;
            code(
                "unknown topic",
                unknown.partitions[0].error_code,
                ErrorCode::UnknownTopicOrPartition,
            )
        },
    )]
}
