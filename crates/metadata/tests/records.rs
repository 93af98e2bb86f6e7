//! Goal: metadata records encode byte-for-byte as Kafka frames them, and every record decodes
//! back to itself.
//!
//! Method: golden hex for one TopicRecord and one PartitionRecord (v0, v1, v2), assembled by
//! hand from `AbstractApiMessageSerde` (frame version 1, apiKey, version as unsigned varints)
//! and the field order of `metadata/src/main/resources/common/metadata/TopicRecord.json` and
//! `PartitionRecord.json`; proptest round-trips for every record type; decode errors named.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fjord_metadata::records::{
    BrokerEndpoint, BrokerFeature, ConfigRecord, FeatureLevelRecord, MetadataRecord,
    PartitionChangeRecord, PartitionRecord, RecordDecodeError, RegisterBrokerRecord,
    RemoveTopicRecord, TopicRecord,
};
use proptest::prelude::*;
use uuid::Uuid;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

const TOPIC_ID: &str = "000102030405060708090a0b0c0d0e0f";

fn topic_id() -> Uuid {
    Uuid::from_slice(&unhex(TOPIC_ID)).unwrap()
}

fn partition_v0() -> PartitionRecord {
    PartitionRecord {
        partition_id: 0,
        topic_id: topic_id(),
        replicas: vec![1],
        isr: vec![1],
        removing_replicas: vec![],
        adding_replicas: vec![],
        leader: 1,
        leader_recovery_state: 0,
        leader_epoch: 0,
        partition_epoch: 0,
        directories: vec![],
        eligible_leader_replicas: None,
        last_known_elr: None,
    }
}

#[test]
fn topic_record_golden_bytes_match_kafka_framing() {
    let record = MetadataRecord::Topic(TopicRecord {
        name: "foo".to_string(),
        topic_id: topic_id(),
    });
    // frame version 1 | apiKey 2 | version 0 | Name: compact string len+1=4 "foo" | TopicId
    // 16 bytes | no tagged fields.
    let expected = format!("01 02 00 04 666f6f {TOPIC_ID} 00");
    assert_eq!(hex(&record.encode()), hex(&unhex(&expected)));
    assert_eq!(MetadataRecord::decode(&unhex(&expected)).unwrap(), record);
}

#[test]
fn partition_record_v0_golden_bytes_match_schema_field_order() {
    let record = MetadataRecord::Partition(partition_v0());
    let expected = format!(
        "01 03 00 \
         00000000 {TOPIC_ID} \
         02 00000001 \
         02 00000001 \
         01 01 \
         00000001 00000000 00000000 \
         00"
    );
    // PartitionId | TopicId | Replicas [1] | Isr [1] | RemovingReplicas [] | AddingReplicas []
    // | Leader 1 | LeaderEpoch 0 | PartitionEpoch 0 | no tagged fields (LeaderRecoveryState
    // 0 is its default, so tag 0 is omitted).
    assert_eq!(hex(&record.encode()), hex(&unhex(&expected)));
    assert_eq!(MetadataRecord::decode(&unhex(&expected)).unwrap(), record);
}

#[test]
fn partition_record_v1_adds_directories_kip_858() {
    let directory = Uuid::from_u128(0xaa);
    let record = MetadataRecord::Partition(PartitionRecord {
        directories: vec![directory],
        ..partition_v0()
    });
    let expected = format!(
        "01 03 01 00000000 {TOPIC_ID} 02 00000001 02 00000001 01 01 00000001 00000000 00000000 \
         02 {} 00",
        hex(directory.as_bytes())
    );
    assert_eq!(hex(&record.encode()), hex(&unhex(&expected)));
}

#[test]
fn partition_record_v2_tagged_fields_kip_966() {
    let record = MetadataRecord::Partition(PartitionRecord {
        leader_recovery_state: 1,
        eligible_leader_replicas: Some(vec![2]),
        last_known_elr: Some(vec![]),
        ..partition_v0()
    });
    // v2 writes Directories (empty: 01) then 3 tagged fields: tag 0 size 1 value 01; tag 1
    // size 5 compact array [2]; tag 2 size 1 empty compact array.
    let expected = format!(
        "01 03 02 00000000 {TOPIC_ID} 02 00000001 02 00000001 01 01 00000001 00000000 00000000 \
         01 \
         03 00 01 01 01 05 02 00000002 02 01 01"
    );
    assert_eq!(hex(&record.encode()), hex(&unhex(&expected)));
    assert_eq!(MetadataRecord::decode(&unhex(&expected)).unwrap(), record);
}

#[test]
fn frame_version_zero_is_refused_as_kafka_does() {
    let error = MetadataRecord::decode(&unhex("00 02 00")).unwrap_err();
    assert_eq!(error, RecordDecodeError::UnsupportedFrameVersion(0));
}

#[test]
fn trailing_garbage_is_refused() {
    let mut bytes = MetadataRecord::RemoveTopic(RemoveTopicRecord {
        topic_id: topic_id(),
    })
    .encode();
    bytes.push(0);
    assert_eq!(
        MetadataRecord::decode(&bytes).unwrap_err(),
        RecordDecodeError::TrailingBytes(1)
    );
}

#[test]
fn version_above_schema_is_refused() {
    let error = MetadataRecord::decode(&unhex("01 02 01")).unwrap_err();
    assert_eq!(
        error,
        RecordDecodeError::UnsupportedVersion {
            api_key: 2,
            version: 1,
            max: 0
        }
    );
}

#[test]
fn unknown_record_types_round_trip_unchanged() {
    // ProducerIdsRecord (apiKey 15) is not modelled: kept as bytes.
    let bytes = unhex("01 0f 00 00000001 0000000000000000 00");
    let record = MetadataRecord::decode(&bytes).unwrap();
    assert!(matches!(
        record,
        MetadataRecord::Unknown {
            api_key: 15,
            version: 0,
            ..
        }
    ));
    assert_eq!(record.encode(), bytes);
}

#[test]
fn truncated_records_name_the_field() {
    let bytes = MetadataRecord::Partition(partition_v0()).encode();
    let error = MetadataRecord::decode(&bytes[..bytes.len() - 5]).unwrap_err();
    assert!(
        matches!(
            error,
            RecordDecodeError::Truncated {
                field: "PartitionEpoch",
                ..
            }
        ),
        "{error:?}"
    );
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn ints() -> impl Strategy<Value = Vec<i32>> {
    prop::collection::vec(any::<i32>(), 0..5)
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._-]{0,20}"
}

fn partition_record() -> impl Strategy<Value = PartitionRecord> {
    (
        (any::<i32>(), uuid(), ints(), ints(), ints(), ints()),
        (any::<i32>(), any::<i8>(), any::<i32>(), any::<i32>()),
        (
            prop::collection::vec(uuid(), 0..3),
            prop::option::of(ints()),
            prop::option::of(ints()),
        ),
    )
        .prop_map(|(a, b, c)| PartitionRecord {
            partition_id: a.0,
            topic_id: a.1,
            replicas: a.2,
            isr: a.3,
            removing_replicas: a.4,
            adding_replicas: a.5,
            leader: b.0,
            leader_recovery_state: b.1,
            leader_epoch: b.2,
            partition_epoch: b.3,
            directories: c.0,
            eligible_leader_replicas: c.1,
            last_known_elr: c.2,
        })
}

fn partition_change_record() -> impl Strategy<Value = PartitionChangeRecord> {
    (
        (
            any::<i32>(),
            uuid(),
            prop::option::of(ints()),
            any::<i32>(),
            prop::option::of(ints()),
        ),
        (
            prop::option::of(ints()),
            prop::option::of(ints()),
            any::<i8>(),
        ),
        (
            prop::option::of(ints()),
            prop::option::of(ints()),
            prop::option::of(prop::collection::vec(uuid(), 0..3)),
        ),
    )
        .prop_map(|(a, b, c)| PartitionChangeRecord {
            partition_id: a.0,
            topic_id: a.1,
            isr: a.2,
            leader: a.3,
            replicas: a.4,
            removing_replicas: b.0,
            adding_replicas: b.1,
            leader_recovery_state: b.2,
            eligible_leader_replicas: c.0,
            last_known_elr: c.1,
            directories: c.2,
        })
}

fn register_broker_record() -> impl Strategy<Value = RegisterBrokerRecord> {
    let endpoint = (text(), text(), any::<u16>(), any::<i16>()).prop_map(
        |(name, host, port, security_protocol)| BrokerEndpoint {
            name,
            host,
            port,
            security_protocol,
        },
    );
    let feature = (text(), any::<i16>(), any::<i16>()).prop_map(|(name, min, max)| BrokerFeature {
        name,
        min_supported_version: min,
        max_supported_version: max,
    });
    (
        (any::<i32>(), any::<bool>(), uuid(), any::<i64>()),
        (
            prop::collection::vec(endpoint, 0..3),
            prop::collection::vec(feature, 0..3),
            prop::option::of(text()),
        ),
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(uuid(), 0..3),
        ),
    )
        .prop_map(|(a, b, c)| RegisterBrokerRecord {
            broker_id: a.0,
            is_migrating_zk_broker: a.1,
            incarnation_id: a.2,
            broker_epoch: a.3,
            end_points: b.0,
            features: b.1,
            rack: b.2,
            fenced: c.0,
            in_controlled_shutdown: c.1,
            log_dirs: c.2,
        })
}

fn metadata_record() -> impl Strategy<Value = MetadataRecord> {
    prop_oneof![
        (text(), uuid())
            .prop_map(|(name, topic_id)| MetadataRecord::Topic(TopicRecord { name, topic_id })),
        partition_record().prop_map(MetadataRecord::Partition),
        partition_change_record().prop_map(MetadataRecord::PartitionChange),
        register_broker_record().prop_map(MetadataRecord::RegisterBroker),
        (any::<i8>(), text(), text(), prop::option::of(text())).prop_map(
            |(resource_type, resource_name, name, value)| {
                MetadataRecord::Config(ConfigRecord {
                    resource_type,
                    resource_name,
                    name,
                    value,
                })
            }
        ),
        uuid().prop_map(|topic_id| MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id })),
        (text(), any::<i16>()).prop_map(|(name, feature_level)| MetadataRecord::FeatureLevel(
            FeatureLevelRecord {
                name,
                feature_level
            }
        )),
        Just(MetadataRecord::NoOp),
    ]
}

proptest! {
    #[test]
    fn every_record_round_trips(record in metadata_record()) {
        let bytes = record.encode();
        prop_assert_eq!(MetadataRecord::decode(&bytes).unwrap(), record);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = MetadataRecord::decode(&bytes);
    }

    #[test]
    fn truncating_any_record_is_an_error(record in metadata_record(), cut in any::<prop::sample::Index>()) {
        let bytes = record.encode();
        let cut = cut.index(bytes.len());
        prop_assert!(MetadataRecord::decode(&bytes[..cut]).is_err());
    }
}
