//! Goal: `__consumer_offsets` keys and values are byte-for-byte Kafka's. Method: golden hex
//! written by hand from the JSON schemas (Kafka `group-coordinator/src/main/resources/common/
//! message/OffsetCommitKey.json`, `OffsetCommitValue.json`, `GroupMetadataKey.json`,
//! `GroupMetadataValue.json`; field table in each test), decoded and re-encoded; plus the
//! group → partition hash against values Java computes (`String.hashCode`, `Utils.abs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use fjord_coordinator::*;

fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

// OffsetCommitKey, record type 1: group "g", topic "t", partition 0.
const OFFSET_KEY: &str = "0001 0001 67 0001 74 00000000";

fn offset_record(value: OffsetCommitValue) -> CoordinatorRecord {
    CoordinatorRecord::OffsetCommit {
        key: OffsetCommitKey {
            group: "g".into(),
            topic: "t".into(),
            partition: 0,
        },
        value: Some(value),
    }
}

fn offset_value(leader_epoch: i32, expire_timestamp: i64) -> OffsetCommitValue {
    OffsetCommitValue {
        offset: 100,
        leader_epoch,
        metadata: "m".into(),
        commit_timestamp: 1_000,
        expire_timestamp,
    }
}

#[test]
fn offset_commit_v3_is_what_kafka_4_1_writes() {
    // v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64.
    let value = "0003 0000000000000064 00000005 0001 6d 00000000000003e8";
    let record = offset_record(offset_value(5, -1));
    assert_eq!(record.encode_key(), hex(OFFSET_KEY));
    assert_eq!(record.encode_value().unwrap(), hex(value));
    assert_eq!(
        CoordinatorRecord::decode(&hex(OFFSET_KEY), Some(&hex(value))).unwrap(),
        record
    );
}

#[test]
fn offset_commit_v1_carries_expire_timestamp() {
    // v1: offset, metadata, commitTimestamp, expireTimestamp (OffsetCommit v2-v4 retention).
    let value = "0001 0000000000000064 0001 6d 00000000000003e8 00000000000007d0";
    let record = offset_record(offset_value(-1, 2_000));
    assert_eq!(record.encode_value().unwrap(), hex(value));
    assert_eq!(
        CoordinatorRecord::decode(&hex(OFFSET_KEY), Some(&hex(value))).unwrap(),
        record
    );
}

#[test]
fn offset_commit_old_and_flexible_versions_are_read() {
    let expected = offset_record(offset_value(-1, -1));
    // v0 and v2: offset, metadata, commitTimestamp.
    for version in ["0000", "0002"] {
        let value = format!("{version} 0000000000000064 0001 6d 00000000000003e8");
        assert_eq!(
            CoordinatorRecord::decode(&hex(OFFSET_KEY), Some(&hex(&value))).unwrap(),
            expected
        );
    }
    // v4 (flexible): compact string (length+1 as unsigned varint) and a tagged-field section,
    // here with one unknown tag (tag 7, 2 bytes) that must be skipped.
    let value = "0004 0000000000000064 00000005 02 6d 00000000000003e8 01 07 02 abcd";
    let decoded = CoordinatorRecord::decode(&hex(OFFSET_KEY), Some(&hex(value))).unwrap();
    assert_eq!(decoded, offset_record(offset_value(5, -1)));
    // Legacy key type 0 has the same layout.
    let legacy_key = "0000 0001 67 0001 74 00000000";
    assert_eq!(
        CoordinatorRecord::decode(
            &hex(legacy_key),
            Some(&hex("0000 0000000000000064 0001 6d 00000000000003e8"))
        )
        .unwrap(),
        expected
    );
}

#[test]
fn tombstones_unknown_types_and_damage() {
    let tombstone = CoordinatorRecord::decode(&hex(OFFSET_KEY), None).unwrap();
    assert!(matches!(
        tombstone,
        CoordinatorRecord::OffsetCommit { value: None, .. }
    ));
    assert_eq!(tombstone.encode_value(), None);
    // Type 3 is ConsumerGroupMetadataKey (KIP-848): a group tombstone.
    assert_eq!(
        CoordinatorRecord::decode(&hex("0003 0001 67"), None),
        Ok(CoordinatorRecord::ConsumerGroup(
            ConsumerGroupRecord::Metadata {
                group: "g".into(),
                epoch: None
            }
        ))
    );
    // Type 4 (ConsumerGroupPartitionMetadata, superseded in 4.1) and 9+ (share and streams
    // groups) are not ours: a loader skips them.
    for kind in ["0004", "0009", "000b"] {
        let key = hex(&format!("{kind} 0001 67"));
        assert!(matches!(
            CoordinatorRecord::decode(&key, None),
            Err(RecordDecodeError::UnknownRecordType(_))
        ));
    }
    assert!(matches!(
        CoordinatorRecord::decode(&hex(OFFSET_KEY), Some(&hex("0005 00"))),
        Err(RecordDecodeError::UnknownValueVersion { version: 5, .. })
    ));
    assert!(matches!(
        CoordinatorRecord::decode(&hex("0001 0005 67"), None),
        Err(RecordDecodeError::Truncated {
            field: "group",
            needed: 5,
            remaining: 1,
            ..
        })
    ));
    assert!(matches!(
        CoordinatorRecord::decode(&hex("0002 fffe"), None),
        Err(RecordDecodeError::NegativeLength { length: -2, .. })
    ));
}

fn group_value(
    instance: Option<&str>,
    rebalance_timeout_ms: i32,
    timestamp: i64,
) -> GroupMetadataValue {
    GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 1,
        protocol: Some("range".into()),
        leader: Some("m1".into()),
        current_state_timestamp: timestamp,
        members: vec![MemberMetadata {
            member_id: "m1".into(),
            group_instance_id: instance.map(str::to_string),
            client_id: "c".into(),
            client_host: "/h".into(),
            rebalance_timeout_ms,
            session_timeout_ms: 45_000,
            subscription: Bytes::from_static(&[1, 2]),
            assignment: Bytes::from_static(&[3]),
        }],
    }
}

#[test]
fn group_metadata_v3_is_what_kafka_4_1_writes() {
    // Key type 2: group "g". Value v3: protocolType, generation, protocol (nullable), leader
    // (nullable), currentStateTimestamp, members [memberId, groupInstanceId (nullable),
    // clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment].
    let key = "0002 0001 67";
    let value = "0003 0008 636f6e73756d6572 00000001 0005 72616e6765 0002 6d31 00000000000003e8
                 00000001 0002 6d31 0003 693031 0001 63 0002 2f68 000493e0 0000afc8
                 00000002 0102 00000001 03";
    let record = CoordinatorRecord::GroupMetadata {
        group: "g".into(),
        value: Some(group_value(Some("i01"), 300_000, 1_000)),
    };
    assert_eq!(record.encode_key(), hex(key));
    assert_eq!(record.encode_value().unwrap(), hex(value));
    assert_eq!(
        CoordinatorRecord::decode(&hex(key), Some(&hex(value))).unwrap(),
        record
    );
    // A null instance id is length -1.
    let record = CoordinatorRecord::GroupMetadata {
        group: "g".into(),
        value: Some(group_value(None, 300_000, 1_000)),
    };
    assert!(
        record
            .encode_value()
            .unwrap()
            .windows(8)
            .any(|w| w == hex("0002 6d31 ffff 0001"))
    );
}

#[test]
fn group_metadata_old_and_flexible_versions_are_read() {
    let key = hex("0002 0001 67");
    // v0: no currentStateTimestamp, groupInstanceId or rebalanceTimeout (taken from the
    // session timeout, as Kafka's loader did).
    let v0 = "0000 0008 636f6e73756d6572 00000001 0005 72616e6765 0002 6d31
              00000001 0002 6d31 0001 63 0002 2f68 0000afc8 00000002 0102 00000001 03";
    let decoded = CoordinatorRecord::decode(&key, Some(&hex(v0))).unwrap();
    assert_eq!(
        decoded,
        CoordinatorRecord::GroupMetadata {
            group: "g".into(),
            value: Some(group_value(None, 45_000, -1))
        }
    );
    // v2: adds currentStateTimestamp and rebalanceTimeout (v1+), still no instance id.
    let v2 = "0002 0008 636f6e73756d6572 00000001 0005 72616e6765 0002 6d31 00000000000003e8
              00000001 0002 6d31 0001 63 0002 2f68 000493e0 0000afc8 00000002 0102 00000001 03";
    let decoded = CoordinatorRecord::decode(&key, Some(&hex(v2))).unwrap();
    assert_eq!(
        decoded,
        CoordinatorRecord::GroupMetadata {
            group: "g".into(),
            value: Some(group_value(None, 300_000, 1_000))
        }
    );
    // v4 (flexible): compact strings/bytes/arrays, a null instance id as 00, tag sections.
    let v4 = "0004 09 636f6e73756d6572 00000001 06 72616e6765 03 6d31 00000000000003e8
              02 03 6d31 00 02 63 03 2f68 000493e0 0000afc8 03 0102 02 03 00 00";
    let decoded = CoordinatorRecord::decode(&key, Some(&hex(v4))).unwrap();
    assert_eq!(
        decoded,
        CoordinatorRecord::GroupMetadata {
            group: "g".into(),
            value: Some(group_value(None, 300_000, 1_000))
        }
    );
    // An empty group as Kafka writes it: protocol and leader null, no members.
    let empty = "0003 0000 00000002 ffff ffff 00000000000003e8 00000000";
    let decoded = CoordinatorRecord::decode(&key, Some(&hex(empty))).unwrap();
    let CoordinatorRecord::GroupMetadata {
        value: Some(value), ..
    } = decoded
    else {
        panic!("not a group record")
    };
    assert_eq!(
        (
            value.protocol,
            value.leader,
            value.generation,
            value.members.len()
        ),
        (None, None, 2, 0)
    );
}

#[test]
fn java_string_hash_code_known_values() {
    // Values from Java's String.hashCode.
    assert_eq!(java_string_hash_code(""), 0);
    assert_eq!(java_string_hash_code("a"), 97);
    assert_eq!(java_string_hash_code("hello"), 99_162_322);
    assert_eq!(java_string_hash_code("Hello World"), -862_545_276);
    assert_eq!(java_string_hash_code("polygenelubricants"), i32::MIN);
    // Outside the BMP: two UTF-16 code units (0xD83D, 0xDE00).
    assert_eq!(java_string_hash_code("\u{1F600}"), 0xD83D * 31 + 0xDE00);
}

#[test]
fn partition_for_group_is_kafka_utils_abs_mod_partitions() {
    assert_eq!(partition_for_group("hello", 50), 99_162_322 % 50);
    // Negative hash: Math.abs, not a sign-bit mask (which would give 1284938372 % 50 = 22).
    assert_eq!(partition_for_group("Hello World", 50), 862_545_276 % 50);
    assert_eq!(partition_for_group("Hello World", 50), 26);
    // Utils.abs(Integer.MIN_VALUE) == 0.
    assert_eq!(partition_for_group("polygenelubricants", 50), 0);
    assert_eq!(partition_for_group("my-group", 50), 1_906_497_762 % 50);
    assert!((0..1000).all(|i| (0..50).contains(&partition_for_group(&format!("group-{i}"), 50))));
}
