//! Goal: the sans-IO controller answers each admin request item with Kafka's error code and
//! message, and emits exactly the records that make a successful request visible.
//!
//! Method: table tests against an image holding one registered broker (node 1), the
//! single-node layout. Expected messages are Kafka 4.1's: `ReplicationControlManager`
//! (createTopics/createTopic/createPartitions/validateManualPartitionAssignment),
//! `StripedReplicaPlacer`, `Topic.validate`, `ConfigurationControlManager` and KIP-339 for
//! incremental config operations.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fjord_metadata::controller::{
    AlterConfigOp, AlterConfigsResource, CreatableTopic, CreatePartitionsTopic,
    IncrementalAlterConfigsResource, SequentialTopicIds, TopicRef, codes,
};
use fjord_metadata::records::{
    BrokerEndpoint, ConfigResourceType, FeatureLevelRecord, MetadataRecord, RegisterBrokerRecord,
};
use fjord_metadata::{
    ConfigResource, Controller, ControllerError, ControllerOptions, KnownTopicConfigs,
    MetadataImage,
};
use uuid::Uuid;

const NODE: i32 = 1;
const LOG_DIR: Uuid = Uuid::from_u128(0xd1);

fn register(node: i32, fenced: bool) -> MetadataRecord {
    MetadataRecord::RegisterBroker(RegisterBrokerRecord {
        broker_id: node,
        is_migrating_zk_broker: false,
        incarnation_id: Uuid::from_u128(7),
        broker_epoch: 0,
        end_points: vec![BrokerEndpoint {
            name: "PLAINTEXT".into(),
            host: "127.0.0.1".into(),
            port: 9092,
            security_protocol: 0,
        }],
        features: vec![],
        rack: None,
        fenced,
        in_controlled_shutdown: false,
        log_dirs: vec![LOG_DIR],
    })
}

fn single_node_image() -> MetadataImage {
    let mut image = MetadataImage::empty("cluster", NODE);
    let bootstrap = vec![
        MetadataRecord::FeatureLevel(FeatureLevelRecord {
            name: "metadata.version".into(),
            feature_level: 27,
        }),
        register(NODE, false),
    ];
    image.replay_batch(1, &bootstrap);
    image
}

fn controller() -> Controller {
    Controller::with_seams(
        ControllerOptions::default(),
        Box::new(KnownTopicConfigs),
        Box::new(SequentialTopicIds::default()),
    )
}

fn topic(name: &str, partitions: i32, replication_factor: i16) -> CreatableTopic {
    CreatableTopic {
        name: name.to_string(),
        num_partitions: partitions,
        replication_factor,
        assignments: vec![],
        configs: vec![],
    }
}

/// Replays records as the next batch, as the store does after a durable append.
fn commit(image: &mut MetadataImage, records: &[MetadataRecord]) {
    if !records.is_empty() {
        let last = image.last_applied_offset() + records.len() as i64;
        image.replay_batch(last, records);
    }
}

fn create_one(
    controller: &mut Controller,
    image: &mut MetadataImage,
    request: CreatableTopic,
) -> Result<(), ControllerError> {
    let result = controller.create_topics(image, &[request], false);
    commit(image, &result.records);
    result.response.into_iter().next().unwrap().1.map(|_| ())
}

fn assert_error(result: Result<(), ControllerError>, code: i16, message: &str) {
    let error = result.expect_err("expected an error");
    assert_eq!((error.code(), error.to_string().as_str()), (code, message));
}

#[test]
fn create_topic_single_node_places_every_partition_on_the_node() {
    let (mut controller, mut image) = (controller(), single_node_image());
    let result = controller.create_topics(&image, &[topic("orders", 3, 1)], false);
    let created = result.response[0].1.clone().unwrap();
    assert_eq!((created.num_partitions, created.replication_factor), (3, 1));
    // TopicRecord then one PartitionRecord per partition (ReplicationControlManager order).
    assert_eq!(result.records.len(), 4);
    assert!(
        matches!(&result.records[0], MetadataRecord::Topic(t) if t.name == "orders" && t.topic_id == created.topic_id)
    );
    commit(&mut image, &result.records);
    let topic = image.topic("orders").unwrap();
    assert_eq!(topic.partitions.len(), 3);
    for partition in topic.partitions.values() {
        assert_eq!(
            (partition.replicas.as_slice(), partition.isr.as_slice()),
            (&[NODE][..], &[NODE][..])
        );
        assert_eq!(
            (
                partition.leader,
                partition.leader_epoch,
                partition.partition_epoch
            ),
            (NODE, 0, 0)
        );
        assert_eq!(partition.directories, vec![LOG_DIR]);
    }
    assert_eq!(image.topic_by_id(&created.topic_id).unwrap().name, "orders");
}

#[test]
fn topic_ids_are_never_zero_or_the_metadata_topic_id() {
    struct Reserved(Vec<Uuid>);
    impl fjord_metadata::controller::TopicIdSource for Reserved {
        fn next_topic_id(&mut self) -> Uuid {
            self.0.remove(0)
        }
    }
    // Kafka Uuid.randomUuid skips ZERO_UUID, METADATA_TOPIC_ID and ids printing with a
    // leading '-' (0xf8.. base64-encodes to '-').
    let ids = vec![
        Uuid::nil(),
        Uuid::from_u128(1),
        Uuid::from_u128(0xf8 << 120),
        Uuid::from_u128(42),
    ];
    let mut controller = Controller::with_seams(
        ControllerOptions::default(),
        Box::new(KnownTopicConfigs),
        Box::new(Reserved(ids)),
    );
    let image = single_node_image();
    let result = controller.create_topics(&image, &[topic("t", 1, 1)], false);
    assert_eq!(
        result.response[0].1.as_ref().unwrap().topic_id,
        Uuid::from_u128(42)
    );
}

#[test]
fn topic_name_rules_follow_kafka_topic_validate() {
    let long = "x".repeat(250);
    let cases = [
        ("", "Topic name is illegal, it can't be empty".to_string()),
        (".", "Topic name cannot be \".\" or \"..\"".to_string()),
        ("..", "Topic name cannot be \".\" or \"..\"".to_string()),
        (
            long.as_str(),
            format!("Topic name is illegal, it can't be longer than 249 characters, topic name: {long}"),
        ),
        (
            "a b",
            "Topic name \"a b\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
                .to_string(),
        ),
    ];
    for (name, message) in cases {
        let (mut controller, mut image) = (controller(), single_node_image());
        assert_error(
            create_one(&mut controller, &mut image, topic(name, 1, 1)),
            codes::INVALID_TOPIC_EXCEPTION,
            &message,
        );
    }
    let (mut controller, mut image) = (controller(), single_node_image());
    assert!(
        create_one(&mut controller, &mut image, topic(&"y".repeat(249), 1, 1)).is_ok(),
        "249 characters is legal"
    );
}

#[test]
fn existing_and_colliding_names_are_refused() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("a.b", 1, 1)).unwrap();
    assert_error(
        create_one(&mut controller, &mut image, topic("a.b", 1, 1)),
        36,
        "Topic 'a.b' already exists.",
    );
    assert_error(
        create_one(&mut controller, &mut image, topic("a_b", 1, 1)),
        17,
        "Topic 'a_b' collides with existing topic: a.b",
    );
}

#[test]
fn partition_and_replication_factor_rules() {
    let cases: [(i32, i16, i16, &str); 5] = [
        (
            0,
            1,
            codes::INVALID_PARTITIONS,
            "Number of partitions was set to an invalid non-positive value.",
        ),
        (
            -2,
            1,
            codes::INVALID_PARTITIONS,
            "Number of partitions was set to an invalid non-positive value.",
        ),
        (
            1,
            0,
            codes::INVALID_REPLICATION_FACTOR,
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ),
        (
            1,
            -3,
            codes::INVALID_REPLICATION_FACTOR,
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ),
        (
            1,
            3,
            codes::INVALID_REPLICATION_FACTOR,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.",
        ),
    ];
    for (partitions, rf, code, message) in cases {
        let (mut controller, mut image) = (controller(), single_node_image());
        assert_error(
            create_one(&mut controller, &mut image, topic("t", partitions, rf)),
            code,
            message,
        );
        assert!(image.topic("t").is_none());
    }
}

#[test]
fn minus_one_uses_num_partitions_and_default_replication_factor() {
    let options = ControllerOptions {
        default_num_partitions: 4,
        default_replication_factor: 1,
    };
    let mut controller = Controller::with_seams(
        options,
        Box::new(KnownTopicConfigs),
        Box::new(SequentialTopicIds::default()),
    );
    let mut image = single_node_image();
    create_one(&mut controller, &mut image, topic("t", -1, -1)).unwrap();
    assert_eq!(image.topic("t").unwrap().partitions.len(), 4);
}

#[test]
fn fenced_only_broker_cannot_host_new_partitions() {
    let mut image = MetadataImage::empty("cluster", NODE);
    image.replay_batch(0, &[register(NODE, true)]);
    assert_error(
        create_one(&mut controller(), &mut image, topic("t", 1, 1)),
        codes::INVALID_REPLICATION_FACTOR,
        "Unable to replicate the partition 1 time(s): All brokers are currently fenced.",
    );
}

#[test]
fn manual_assignments_are_validated() {
    let manual = |assignments: Vec<(i32, Vec<i32>)>, partitions: i32, rf: i16| CreatableTopic {
        assignments,
        ..topic("m", partitions, rf)
    };
    let cases = [
        (
            manual(vec![(0, vec![1])], -1, 1),
            codes::INVALID_REQUEST,
            "A manual partition assignment was specified, but replication factor was not set to -1.",
        ),
        (
            manual(vec![(0, vec![1])], 1, -1),
            codes::INVALID_REQUEST,
            "A manual partition assignment was specified, but numPartitions was not set to -1.",
        ),
        (
            manual(vec![(0, vec![9])], -1, -1),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "The manual partition assignment includes broker 9, but no such broker is registered.",
        ),
        (
            manual(vec![(0, vec![1, 1])], -1, -1),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "The manual partition assignment includes the broker 1 more than once.",
        ),
        (
            manual(vec![(0, vec![])], -1, -1),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "The manual partition assignment includes an empty replica list.",
        ),
        (
            manual(vec![(1, vec![1])], -1, -1),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "partitions should be a consecutive 0-based integer sequence",
        ),
        (
            manual(vec![(0, vec![1]), (0, vec![1])], -1, -1),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "Found multiple manual partition assignments for partition 0",
        ),
    ];
    for (request, code, message) in cases {
        let (mut controller, mut image) = (controller(), single_node_image());
        assert_error(
            create_one(&mut controller, &mut image, request),
            code,
            message,
        );
    }
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(
        &mut controller,
        &mut image,
        manual(vec![(1, vec![1]), (0, vec![1])], -1, -1),
    )
    .unwrap();
    assert_eq!(image.topic("m").unwrap().partitions.len(), 2);
}

#[test]
fn topic_configs_are_validated_and_recorded_between_topic_and_partitions() {
    let (mut controller, mut image) = (controller(), single_node_image());
    let with = |configs: Vec<(&str, Option<&str>)>| CreatableTopic {
        configs: configs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect(),
        ..topic("c", 1, 1)
    };
    assert_error(
        create_one(
            &mut controller,
            &mut image,
            with(vec![("no.such.key", Some("1"))]),
        ),
        codes::INVALID_CONFIG,
        "Unknown topic config name: no.such.key",
    );
    assert_error(
        create_one(
            &mut controller,
            &mut image,
            with(vec![("retention.ms", None), ("segment.ms", None)]),
        ),
        codes::INVALID_CONFIG,
        "Null value not supported for topic configs: retention.ms,segment.ms",
    );
    let result =
        controller.create_topics(&image, &[with(vec![("retention.ms", Some("1000"))])], false);
    let kinds: Vec<i16> = result.records.iter().map(MetadataRecord::api_key).collect();
    assert_eq!(
        kinds,
        vec![2, 4, 3],
        "TopicRecord, ConfigRecord, PartitionRecord"
    );
    commit(&mut image, &result.records);
    let configs = image.configs(&ConfigResource::topic("c")).unwrap();
    assert_eq!(
        configs.get("retention.ms").map(String::as_str),
        Some("1000")
    );
}

#[test]
fn validate_only_reports_without_records() {
    let (mut controller, image) = (controller(), single_node_image());
    let result = controller.create_topics(&image, &[topic("v", 2, 1), topic("", 1, 1)], true);
    assert!(result.records.is_empty());
    assert_eq!(result.response[0].1.as_ref().unwrap().num_partitions, 2);
    assert_eq!(
        result.response[1].1.as_ref().unwrap_err().code(),
        codes::INVALID_TOPIC_EXCEPTION
    );
    let partitions = controller.create_partitions(&image, &[], true);
    assert!(partitions.records.is_empty());
}

#[test]
fn duplicate_names_and_oversized_requests_are_refused() {
    let (mut controller, image) = (controller(), single_node_image());
    let result = controller.create_topics(
        &image,
        &[topic("d", 1, 1), topic("d", 1, 1), topic("e", 1, 1)],
        false,
    );
    assert_eq!(result.response.len(), 2);
    assert_eq!(
        result.response[0].1.as_ref().unwrap_err().code(),
        codes::INVALID_REQUEST
    );
    assert!(result.response[1].1.is_ok());
    assert_eq!(result.records.len(), 2, "only topic e's records remain");
    let result = controller.create_topics(&image, &[topic("big", 10_001, 1)], false);
    let error = result.response[0].1.as_ref().unwrap_err();
    assert_eq!(
        (error.code(), error.to_string().as_str()),
        (44, "Excessively large number of partitions per request.")
    );
    assert!(result.records.is_empty());
}

#[test]
fn delete_topics_by_name_and_by_id() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("x", 1, 1)).unwrap();
    create_one(&mut controller, &mut image, topic("y", 1, 1)).unwrap();
    let y_id = image.topic("y").unwrap().id;
    let result = controller.delete_topics(
        &image,
        &[
            TopicRef::Name("x".into()),
            TopicRef::Name("nope".into()),
            TopicRef::Id(y_id),
            TopicRef::Id(Uuid::from_u128(99)),
            TopicRef::Id(Uuid::nil()),
        ],
    );
    let codes_seen: Vec<i16> = result
        .response
        .iter()
        .map(|(_, r)| r.as_ref().map_or_else(|e| e.code(), |_| 0))
        .collect();
    assert_eq!(
        codes_seen,
        vec![
            0,
            codes::UNKNOWN_TOPIC_OR_PARTITION,
            0,
            codes::UNKNOWN_TOPIC_ID,
            codes::INVALID_REQUEST
        ]
    );
    assert_eq!(
        result.response[1].1.as_ref().unwrap_err().to_string(),
        "This server does not host this topic-partition."
    );
    assert_eq!(
        result.response[3].1.as_ref().unwrap_err().to_string(),
        "This server does not host this topic ID."
    );
    commit(&mut image, &result.records);
    assert!(image.topics().is_empty());
    assert!(image.topic_by_id(&y_id).is_none());
}

#[test]
fn delete_topic_drops_its_configs() {
    let (mut controller, mut image) = (controller(), single_node_image());
    let request = CreatableTopic {
        configs: vec![("retention.ms".into(), Some("5".into()))],
        ..topic("z", 1, 1)
    };
    create_one(&mut controller, &mut image, request).unwrap();
    let z_id = image.topic("z").unwrap().id;
    // By name and by id in one request: both succeed, one RemoveTopicRecord.
    let result =
        controller.delete_topics(&image, &[TopicRef::Name("z".into()), TopicRef::Id(z_id)]);
    assert!(result.response.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(
        result.records.len(),
        1,
        "a topic named twice is removed once"
    );
    commit(&mut image, &result.records);
    assert!(image.configs(&ConfigResource::topic("z")).is_none());
}

#[test]
fn delete_topics_repeated_name_is_refused_once_kafka_controller_apis() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("r", 1, 1)).unwrap();
    let result = controller.delete_topics(
        &image,
        &[TopicRef::Name("r".into()), TopicRef::Name("r".into())],
    );
    assert_eq!(result.response.len(), 1);
    assert_error(
        result.response[0].1.clone().map(|_| ()),
        codes::INVALID_REQUEST,
        "Duplicate topic name.",
    );
    assert!(result.records.is_empty());
}

#[test]
fn create_partitions_rules_and_records() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("p", 3, 1)).unwrap();
    let request = |count: i32, assignments: Option<Vec<Vec<i32>>>| CreatePartitionsTopic {
        name: "p".into(),
        count,
        assignments,
    };
    let cases = [
        (
            request(2, None),
            codes::INVALID_PARTITIONS,
            "The topic p currently has 3 partition(s); 2 would not be an increase.",
        ),
        (
            request(3, None),
            codes::INVALID_PARTITIONS,
            "Topic already has 3 partition(s).",
        ),
        (
            request(5, Some(vec![vec![1]])),
            codes::INVALID_REPLICA_ASSIGNMENT,
            "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.",
        ),
        (
            CreatePartitionsTopic {
                name: "nope".into(),
                count: 5,
                assignments: None,
            },
            codes::UNKNOWN_TOPIC_OR_PARTITION,
            "This server does not host this topic-partition.",
        ),
    ];
    for (topic_request, code, message) in cases {
        let result = controller.create_partitions(&image, &[topic_request], false);
        assert!(result.records.is_empty());
        assert_error(result.response[0].1.clone(), code, message);
    }
    let result = controller.create_partitions(&image, &[request(5, None)], false);
    assert!(result.response[0].1.is_ok());
    commit(&mut image, &result.records);
    let partitions: Vec<i32> = image
        .topic("p")
        .unwrap()
        .partitions
        .keys()
        .copied()
        .collect();
    assert_eq!(partitions, vec![0, 1, 2, 3, 4]);
    assert_eq!(image.topic("p").unwrap().partitions[&4].leader, NODE);
}

fn incremental(
    resource: ConfigResource,
    ops: Vec<(&str, AlterConfigOp)>,
) -> IncrementalAlterConfigsResource {
    IncrementalAlterConfigsResource {
        resource,
        ops: ops.into_iter().map(|(k, op)| (k.to_string(), op)).collect(),
    }
}

fn topic_configs(image: &MetadataImage, name: &str) -> Vec<(String, String)> {
    image
        .configs(&ConfigResource::topic(name))
        .map(|c| c.clone().into_iter().collect())
        .unwrap_or_default()
}

#[test]
fn incremental_alter_configs_set_delete_append_subtract_kip_339() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("t", 1, 1)).unwrap();
    let resource = ConfigResource::topic("t");
    type Phase<'a> = (Vec<(&'a str, AlterConfigOp)>, Vec<(&'a str, &'a str)>);
    let phases: Vec<Phase> = vec![
        (
            vec![("retention.ms", AlterConfigOp::Set("100".into()))],
            vec![("retention.ms", "100")],
        ),
        // APPEND to an unset LIST key starts from its default ("delete").
        (
            vec![("cleanup.policy", AlterConfigOp::Append("compact".into()))],
            vec![
                ("cleanup.policy", "delete,compact"),
                ("retention.ms", "100"),
            ],
        ),
        (
            vec![
                ("cleanup.policy", AlterConfigOp::Subtract("delete".into())),
                ("retention.ms", AlterConfigOp::Delete),
            ],
            vec![("cleanup.policy", "compact")],
        ),
    ];
    for (ops, expected) in phases {
        let result = controller.incremental_alter_configs(
            &image,
            &[incremental(resource.clone(), ops)],
            false,
        );
        assert!(result.response[0].1.is_ok(), "{:?}", result.response);
        commit(&mut image, &result.records);
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(topic_configs(&image, "t"), expected);
    }
    // Setting the current value again changes nothing, so no record (topics only).
    let again = vec![("cleanup.policy", AlterConfigOp::Set("compact".into()))];
    assert!(
        controller
            .incremental_alter_configs(&image, &[incremental(resource.clone(), again)], false)
            .records
            .is_empty()
    );
}

#[test]
fn incremental_alter_configs_errors() {
    let (mut controller, mut image) = (controller(), single_node_image());
    create_one(&mut controller, &mut image, topic("t", 1, 1)).unwrap();
    let cases = [
        (
            incremental(
                ConfigResource::topic("t"),
                vec![("retention.ms", AlterConfigOp::Append("1".into()))],
            ),
            codes::INVALID_CONFIG,
            "Can't APPEND to key retention.ms because its type is not LIST.",
        ),
        (
            incremental(
                ConfigResource::topic("t"),
                vec![("bogus", AlterConfigOp::Set("1".into()))],
            ),
            codes::INVALID_CONFIG,
            "Unknown topic config name: bogus",
        ),
        (
            incremental(
                ConfigResource::topic("missing"),
                vec![("retention.ms", AlterConfigOp::Set("1".into()))],
            ),
            codes::UNKNOWN_TOPIC_OR_PARTITION,
            "The topic 'missing' does not exist.",
        ),
        (
            incremental(
                ConfigResource {
                    resource_type: ConfigResourceType::Broker,
                    name: "abc".into(),
                },
                vec![("log.retention.ms", AlterConfigOp::Set("1".into()))],
            ),
            codes::INVALID_REQUEST,
            "Invalid broker name abc",
        ),
        (
            incremental(
                ConfigResource::broker(Some(7)),
                vec![("log.retention.ms", AlterConfigOp::Set("1".into()))],
            ),
            codes::BROKER_ID_NOT_REGISTERED,
            "No broker with id 7 found.",
        ),
    ];
    for (resource, code, message) in cases {
        let result = controller.incremental_alter_configs(&image, &[resource], false);
        assert!(result.records.is_empty());
        assert_error(result.response[0].1.clone(), code, message);
    }
}

#[test]
fn broker_configs_always_emit_a_record() {
    let (controller, mut image) = (controller(), single_node_image());
    let set = incremental(
        ConfigResource::broker(None),
        vec![("log.retention.ms", AlterConfigOp::Set("1".into()))],
    );
    for _ in 0..2 {
        let result =
            controller.incremental_alter_configs(&image, std::slice::from_ref(&set), false);
        assert_eq!(
            result.records.len(),
            1,
            "broker config listeners reload on every record"
        );
        commit(&mut image, &result.records);
    }
    let node = incremental(
        ConfigResource::broker(Some(NODE)),
        vec![("log.retention.ms", AlterConfigOp::Set("2".into()))],
    );
    assert!(
        controller
            .incremental_alter_configs(&image, &[node], false)
            .response[0]
            .1
            .is_ok()
    );
}

#[test]
fn legacy_alter_configs_replaces_the_whole_set() {
    let (mut controller, mut image) = (controller(), single_node_image());
    let request = CreatableTopic {
        configs: vec![
            ("retention.ms".into(), Some("1".into())),
            ("segment.ms".into(), Some("2".into())),
        ],
        ..topic("t", 1, 1)
    };
    create_one(&mut controller, &mut image, request).unwrap();
    let resource = AlterConfigsResource {
        resource: ConfigResource::topic("t"),
        configs: vec![
            ("retention.ms".into(), Some("1".into())),
            ("cleanup.policy".into(), Some("compact".into())),
        ],
    };
    let result = controller.alter_configs(&image, &[resource], false);
    // cleanup.policy set, segment.ms deleted; retention.ms unchanged so no record.
    assert_eq!(result.records.len(), 2);
    commit(&mut image, &result.records);
    assert_eq!(
        topic_configs(&image, "t"),
        vec![
            ("cleanup.policy".to_string(), "compact".to_string()),
            ("retention.ms".to_string(), "1".to_string())
        ]
    );
    let validate_only = AlterConfigsResource {
        resource: ConfigResource::topic("t"),
        configs: vec![],
    };
    assert!(
        controller
            .alter_configs(&image, &[validate_only], true)
            .records
            .is_empty()
    );
}
