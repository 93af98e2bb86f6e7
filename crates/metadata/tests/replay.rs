//! Goal: state depends only on the records: replaying the records of any sequence of admin
//! operations into a fresh image yields exactly the live image (what loading the log, or a
//! Raft follower, will do).
//!
//! Method: proptest generates sequences of CreateTopics, DeleteTopics, CreatePartitions,
//! IncrementalAlterConfigs and AlterConfigs over a small name space (so operations collide and
//! fail often); each result's records are replayed live as one batch and also kept; the kept
//! batches are encoded, decoded (the on-log path) and replayed into a fresh image.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fjord_metadata::controller::{
    AlterConfigOp, AlterConfigsResource, CreatableTopic, CreatePartitionsTopic,
    IncrementalAlterConfigsResource, SequentialTopicIds, TopicRef,
};
use fjord_metadata::records::{
    BrokerEndpoint, FeatureLevelRecord, MetadataRecord, RegisterBrokerRecord,
};
use fjord_metadata::{
    ConfigResource, Controller, ControllerOptions, KnownTopicConfigs, MetadataImage,
};
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Operation {
    Create {
        name: usize,
        partitions: i32,
        retention: Option<u16>,
    },
    Delete {
        name: usize,
    },
    AddPartitions {
        name: usize,
        count: i32,
    },
    Incremental {
        name: usize,
        op: u8,
        value: u16,
    },
    Legacy {
        name: usize,
        value: Option<u16>,
    },
}

const NAMES: [&str; 4] = ["a", "b", "a.b", "a_b"];

fn operation() -> impl Strategy<Value = Operation> {
    let name = 0..NAMES.len();
    prop_oneof![
        (name.clone(), -1..4i32, prop::option::of(any::<u16>())).prop_map(
            |(name, partitions, retention)| Operation::Create {
                name,
                partitions,
                retention
            }
        ),
        name.clone().prop_map(|name| Operation::Delete { name }),
        (name.clone(), 0..6i32).prop_map(|(name, count)| Operation::AddPartitions { name, count }),
        (name.clone(), 0..4u8, any::<u16>()).prop_map(|(name, op, value)| Operation::Incremental {
            name,
            op,
            value
        }),
        (name, prop::option::of(any::<u16>()))
            .prop_map(|(name, value)| Operation::Legacy { name, value }),
    ]
}

fn run(
    controller: &mut Controller,
    image: &MetadataImage,
    operation: &Operation,
) -> Vec<MetadataRecord> {
    match operation {
        Operation::Create {
            name,
            partitions,
            retention,
        } => {
            let topic = CreatableTopic {
                name: NAMES[*name].to_string(),
                num_partitions: *partitions,
                replication_factor: 1,
                assignments: vec![],
                configs: retention
                    .map(|r| ("retention.ms".to_string(), Some(r.to_string())))
                    .into_iter()
                    .collect(),
            };
            controller.create_topics(image, &[topic], false).records
        }
        Operation::Delete { name } => {
            controller
                .delete_topics(image, &[TopicRef::Name(NAMES[*name].into())])
                .records
        }
        Operation::AddPartitions { name, count } => {
            let request = CreatePartitionsTopic {
                name: NAMES[*name].into(),
                count: *count,
                assignments: None,
            };
            controller
                .create_partitions(image, &[request], false)
                .records
        }
        Operation::Incremental { name, op, value } => {
            let (key, op) = match op {
                0 => ("retention.ms", AlterConfigOp::Set(value.to_string())),
                1 => ("retention.ms", AlterConfigOp::Delete),
                2 => ("cleanup.policy", AlterConfigOp::Append("compact".into())),
                _ => ("cleanup.policy", AlterConfigOp::Subtract("delete".into())),
            };
            let resource = IncrementalAlterConfigsResource {
                resource: ConfigResource::topic(NAMES[*name]),
                ops: vec![(key.into(), op)],
            };
            controller
                .incremental_alter_configs(image, &[resource], false)
                .records
        }
        Operation::Legacy { name, value } => {
            let configs = value
                .map(|v| ("segment.ms".to_string(), Some(v.to_string())))
                .into_iter()
                .collect();
            let resource = AlterConfigsResource {
                resource: ConfigResource::topic(NAMES[*name]),
                configs,
            };
            controller.alter_configs(image, &[resource], false).records
        }
    }
}

fn bootstrap() -> Vec<MetadataRecord> {
    vec![
        MetadataRecord::FeatureLevel(FeatureLevelRecord {
            name: "metadata.version".into(),
            feature_level: 27,
        }),
        MetadataRecord::RegisterBroker(RegisterBrokerRecord {
            broker_id: 1,
            is_migrating_zk_broker: false,
            incarnation_id: Uuid::from_u128(3),
            broker_epoch: 1,
            end_points: vec![BrokerEndpoint {
                name: "PLAINTEXT".into(),
                host: "h".into(),
                port: 1,
                security_protocol: 0,
            }],
            features: vec![],
            rack: None,
            fenced: false,
            in_controlled_shutdown: false,
            log_dirs: vec![Uuid::from_u128(9)],
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replaying_the_records_rebuilds_the_live_image(operations in prop::collection::vec(operation(), 1..30)) {
        let mut controller = Controller::with_seams(
            ControllerOptions::default(),
            Box::new(KnownTopicConfigs),
            Box::new(SequentialTopicIds::default()),
        );
        let mut live = MetadataImage::empty("c", 1);
        let mut log: Vec<(i64, Vec<Vec<u8>>)> = Vec::new();
        let mut append = |image: &mut MetadataImage, records: Vec<MetadataRecord>| {
            if records.is_empty() {
                return;
            }
            let last = image.last_applied_offset() + records.len() as i64;
            image.replay_batch(last, &records);
            log.push((last, records.iter().map(MetadataRecord::encode).collect()));
        };
        append(&mut live, bootstrap());
        for operation in &operations {
            let records = run(&mut controller, &live, operation);
            append(&mut live, records);
        }

        let mut loaded = MetadataImage::empty("c", 1);
        for (last, values) in &log {
            let records: Vec<MetadataRecord> = values.iter().map(|v| MetadataRecord::decode(v).unwrap()).collect();
            loaded.replay_batch(*last, &records);
        }
        prop_assert_eq!(loaded, live);
    }
}
