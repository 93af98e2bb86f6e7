//! KIP-848 consumer-group records (Kafka `group-coordinator/src/main/resources/common/
//! message/ConsumerGroup*.json`, Kafka 4.1): keys are record type + non-flexible strings,
//! values are flexible v0 (compact strings and arrays, tagged fields).
//!
//! - type 3 `ConsumerGroupMetadataKey(GroupId)` → `ConsumerGroupMetadataValue { Epoch }`
//! - type 5 `ConsumerGroupMemberMetadataKey(GroupId, MemberId)` →
//!   `ConsumerGroupMemberMetadataValue { InstanceId, RackId, ClientId, ClientHost,
//!   SubscribedTopicNames, SubscribedTopicRegex, RebalanceTimeoutMs, ServerAssignor }`
//! - type 6 `ConsumerGroupTargetAssignmentMetadataKey(GroupId)` →
//!   `ConsumerGroupTargetAssignmentMetadataValue { AssignmentEpoch }`
//! - type 7 `ConsumerGroupTargetAssignmentMemberKey(GroupId, MemberId)` →
//!   `ConsumerGroupTargetAssignmentMemberValue { TopicPartitions [TopicId, Partitions] }`
//! - type 8 `ConsumerGroupCurrentMemberAssignmentKey(GroupId, MemberId)` →
//!   `ConsumerGroupCurrentMemberAssignmentValue { MemberEpoch, PreviousMemberEpoch, State,
//!   AssignedPartitions, PartitionsPendingRevocation }`
//!
//! Type 4 (`ConsumerGroupPartitionMetadata`, replaced by the metadata hash in 4.1) is not
//! written; tagged fields (MetadataHash, ClassicMemberMetadata, AssignmentEpochs) are
//! skipped when read and not written.

use std::collections::{BTreeMap, BTreeSet};

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// Partitions by topic id.
pub type TopicPartitions = BTreeMap<[u8; 16], BTreeSet<i32>>;

/// `ConsumerGroupMemberMetadataValue` v0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerMemberMetadata {
    /// Static membership id.
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host.
    pub client_host: String,
    /// Subscribed topic names.
    pub subscribed_topics: Vec<String>,
    /// Subscribed topic regex (stored, not evaluated by fjord).
    pub subscribed_regex: Option<String>,
    /// Rebalance timeout.
    pub rebalance_timeout_ms: i32,
    /// Preferred server assignor.
    pub server_assignor: Option<String>,
}

/// `ConsumerGroupCurrentMemberAssignmentValue` v0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerMemberAssignment {
    /// The epoch the member must send.
    pub member_epoch: i32,
    /// The epoch before the last bump (a lost response is retried with it).
    pub previous_member_epoch: i32,
    /// Kafka `MemberState` value (0 unrevoked, 1 unreleased, 2 stable).
    pub state: i8,
    /// Partitions the member owns.
    pub assigned: TopicPartitions,
    /// Partitions the member must revoke.
    pub pending_revocation: TopicPartitions,
}

/// One KIP-848 record; `None` values are tombstones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerGroupRecord {
    /// Type 3: the group epoch.
    Metadata {
        /// Group id.
        group: String,
        /// Group epoch, or delete the group.
        epoch: Option<i32>,
    },
    /// Type 5: a member's subscription.
    Member {
        /// Group id.
        group: String,
        /// Member id.
        member: String,
        /// Subscription, or remove the member.
        value: Option<ConsumerMemberMetadata>,
    },
    /// Type 6: the epoch of the target assignment.
    TargetMetadata {
        /// Group id.
        group: String,
        /// Assignment epoch.
        epoch: Option<i32>,
    },
    /// Type 7: one member's target assignment.
    TargetMember {
        /// Group id.
        group: String,
        /// Member id.
        member: String,
        /// Target partitions.
        value: Option<TopicPartitions>,
    },
    /// Type 8: one member's current assignment and epochs.
    CurrentAssignment {
        /// Group id.
        group: String,
        /// Member id.
        member: String,
        /// Current assignment.
        value: Option<ConsumerMemberAssignment>,
    },
}

/// Record types (key versions) of the KIP-848 records.
pub(crate) const TYPE_METADATA: i16 = 3;
pub(crate) const TYPE_MEMBER: i16 = 5;
pub(crate) const TYPE_TARGET_METADATA: i16 = 6;
pub(crate) const TYPE_TARGET_MEMBER: i16 = 7;
pub(crate) const TYPE_CURRENT_ASSIGNMENT: i16 = 8;

impl ConsumerGroupRecord {
    /// The group id.
    pub fn group_id(&self) -> &str {
        match self {
            Self::Metadata { group, .. }
            | Self::Member { group, .. }
            | Self::TargetMetadata { group, .. }
            | Self::TargetMember { group, .. }
            | Self::CurrentAssignment { group, .. } => group,
        }
    }

    pub(super) fn encode_key(&self) -> Vec<u8> {
        let mut w = Writer::default();
        let (kind, group, member) = match self {
            Self::Metadata { group, .. } => (TYPE_METADATA, group, None),
            Self::Member { group, member, .. } => (TYPE_MEMBER, group, Some(member)),
            Self::TargetMetadata { group, .. } => (TYPE_TARGET_METADATA, group, None),
            Self::TargetMember { group, member, .. } => (TYPE_TARGET_MEMBER, group, Some(member)),
            Self::CurrentAssignment { group, member, .. } => {
                (TYPE_CURRENT_ASSIGNMENT, group, Some(member))
            }
        };
        w.i16(kind);
        w.string(group);
        if let Some(member) = member {
            w.string(member);
        }
        w.buf
    }

    pub(super) fn encode_value(&self) -> Option<Vec<u8>> {
        let mut w = Writer::default();
        w.i16(0);
        match self {
            Self::Metadata { epoch, .. } | Self::TargetMetadata { epoch, .. } => {
                w.i32((*epoch)?);
            }
            Self::Member { value, .. } => {
                let v = value.as_ref()?;
                w.compact_nullable_string(v.instance_id.as_deref());
                w.compact_nullable_string(v.rack_id.as_deref());
                w.compact_nullable_string(Some(&v.client_id));
                w.compact_nullable_string(Some(&v.client_host));
                w.compact_len(Some(v.subscribed_topics.len()));
                for topic in &v.subscribed_topics {
                    w.compact_nullable_string(Some(topic));
                }
                w.compact_nullable_string(v.subscribed_regex.as_deref());
                w.i32(v.rebalance_timeout_ms);
                w.compact_nullable_string(v.server_assignor.as_deref());
            }
            Self::TargetMember { value, .. } => write_partitions(&mut w, value.as_ref()?),
            Self::CurrentAssignment { value, .. } => {
                let v = value.as_ref()?;
                w.i32(v.member_epoch);
                w.i32(v.previous_member_epoch);
                w.i8(v.state);
                write_partitions(&mut w, &v.assigned);
                write_partitions(&mut w, &v.pending_revocation);
            }
        }
        w.no_tagged_fields();
        Some(w.buf)
    }

    /// Decodes a record of type 3, 5, 6, 7 or 8 (`key` after its 2-byte type).
    pub(super) fn decode(
        kind: i16,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<Option<Self>, RecordDecodeError> {
        let mut k = Reader::new(key, "ConsumerGroupKey");
        let group = k.string("groupId", false)?;
        let mut member = || k.string("memberId", false);
        let record = match kind {
            TYPE_METADATA => Self::Metadata {
                group,
                epoch: value
                    .map(|v| read_epoch(v, "ConsumerGroupMetadataValue"))
                    .transpose()?,
            },
            TYPE_TARGET_METADATA => Self::TargetMetadata {
                group,
                epoch: value
                    .map(|v| read_epoch(v, "ConsumerGroupTargetAssignmentMetadataValue"))
                    .transpose()?,
            },
            TYPE_MEMBER => Self::Member {
                member: member()?,
                group,
                value: value.map(read_member).transpose()?,
            },
            TYPE_TARGET_MEMBER => Self::TargetMember {
                member: member()?,
                group,
                value: value
                    .map(|v| {
                        let mut r = value_reader(v, "ConsumerGroupTargetAssignmentMemberValue")?;
                        let partitions = read_partitions(&mut r)?;
                        r.skip_tagged_fields()?;
                        Ok(partitions)
                    })
                    .transpose()?,
            },
            TYPE_CURRENT_ASSIGNMENT => Self::CurrentAssignment {
                member: member()?,
                group,
                value: value.map(read_assignment).transpose()?,
            },
            _ => return Ok(None),
        };
        Ok(Some(record))
    }
}

fn write_partitions(w: &mut Writer, partitions: &TopicPartitions) {
    w.compact_len(Some(partitions.len()));
    for (topic_id, indexes) in partitions {
        w.uuid(topic_id);
        w.compact_len(Some(indexes.len()));
        for index in indexes {
            w.i32(*index);
        }
        w.no_tagged_fields();
    }
}

fn value_reader<'a>(value: &'a [u8], name: &'static str) -> Result<Reader<'a>, RecordDecodeError> {
    let mut r = Reader::new(value, name);
    let version = r.i16("version")?;
    if version != 0 {
        return Err(RecordDecodeError::UnknownValueVersion {
            record: name,
            version,
        });
    }
    Ok(r)
}

fn read_epoch(value: &[u8], name: &'static str) -> Result<i32, RecordDecodeError> {
    let mut r = value_reader(value, name)?;
    let epoch = r.i32("epoch")?;
    r.skip_tagged_fields()?;
    Ok(epoch)
}

fn read_member(value: &[u8]) -> Result<ConsumerMemberMetadata, RecordDecodeError> {
    let mut r = value_reader(value, "ConsumerGroupMemberMetadataValue")?;
    let instance_id = r.nullable_string("instanceId", true)?;
    let rack_id = r.nullable_string("rackId", true)?;
    let client_id = r.string("clientId", true)?;
    let client_host = r.string("clientHost", true)?;
    let count = r.array_len("subscribedTopicNames", true)?;
    let mut subscribed_topics = Vec::with_capacity(count);
    for _ in 0..count {
        subscribed_topics.push(r.string("subscribedTopicNames", true)?);
    }
    let subscribed_regex = r.nullable_string("subscribedTopicRegex", true)?;
    let rebalance_timeout_ms = r.i32("rebalanceTimeoutMs")?;
    let server_assignor = r.nullable_string("serverAssignor", true)?;
    r.skip_tagged_fields()?;
    Ok(ConsumerMemberMetadata {
        instance_id,
        rack_id,
        client_id,
        client_host,
        subscribed_topics,
        subscribed_regex,
        rebalance_timeout_ms,
        server_assignor,
    })
}

fn read_partitions(r: &mut Reader<'_>) -> Result<TopicPartitions, RecordDecodeError> {
    let topics = r.array_len("topicPartitions", true)?;
    let mut out = TopicPartitions::new();
    for _ in 0..topics {
        let topic_id = r.uuid("topicId")?;
        let count = r.array_len("partitions", true)?;
        let entry = out.entry(topic_id).or_default();
        for _ in 0..count {
            entry.insert(r.i32("partitions")?);
        }
        r.skip_tagged_fields()?;
    }
    Ok(out)
}

fn read_assignment(value: &[u8]) -> Result<ConsumerMemberAssignment, RecordDecodeError> {
    let mut r = value_reader(value, "ConsumerGroupCurrentMemberAssignmentValue")?;
    let member_epoch = r.i32("memberEpoch")?;
    let previous_member_epoch = r.i32("previousMemberEpoch")?;
    let state = r.i8("state")?;
    let assigned = read_partitions(&mut r)?;
    let pending_revocation = read_partitions(&mut r)?;
    r.skip_tagged_fields()?;
    Ok(ConsumerMemberAssignment {
        member_epoch,
        previous_member_epoch,
        state,
        assigned,
        pending_revocation,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn roundtrip(record: ConsumerGroupRecord) {
        let key = record.encode_key();
        let value = record.encode_value();
        let kind = i16::from_be_bytes([key[0], key[1]]);
        let decoded = ConsumerGroupRecord::decode(kind, &key[2..], value.as_deref())
            .unwrap()
            .unwrap();
        assert_eq!(decoded, record);
    }

    /// Every KIP-848 record and its tombstone survive encode → decode.
    #[test]
    fn consumer_group_records_roundtrip() {
        let partitions: TopicPartitions = [([7u8; 16], [0, 2, 5].into_iter().collect())].into();
        roundtrip(ConsumerGroupRecord::Metadata {
            group: "g".into(),
            epoch: Some(3),
        });
        roundtrip(ConsumerGroupRecord::Metadata {
            group: "g".into(),
            epoch: None,
        });
        roundtrip(ConsumerGroupRecord::Member {
            group: "g".into(),
            member: "m".into(),
            value: Some(ConsumerMemberMetadata {
                instance_id: None,
                rack_id: Some("r1".into()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                subscribed_topics: vec!["a".into(), "b".into()],
                subscribed_regex: None,
                rebalance_timeout_ms: 300_000,
                server_assignor: Some("uniform".into()),
            }),
        });
        roundtrip(ConsumerGroupRecord::TargetMember {
            group: "g".into(),
            member: "m".into(),
            value: Some(partitions.clone()),
        });
        roundtrip(ConsumerGroupRecord::CurrentAssignment {
            group: "g".into(),
            member: "m".into(),
            value: Some(ConsumerMemberAssignment {
                member_epoch: 4,
                previous_member_epoch: 3,
                state: 0,
                assigned: partitions.clone(),
                pending_revocation: partitions,
            }),
        });
        roundtrip(ConsumerGroupRecord::TargetMetadata {
            group: "g".into(),
            epoch: Some(4),
        });
    }

    /// The value layout of `ConsumerGroupMetadataValue` v0: version, epoch, empty tags.
    #[test]
    fn metadata_value_bytes_match_the_json_schema() {
        let record = ConsumerGroupRecord::Metadata {
            group: "g".into(),
            epoch: Some(5),
        };
        assert_eq!(record.encode_key(), vec![0, 3, 0, 1, b'g']);
        assert_eq!(record.encode_value().unwrap(), vec![0, 0, 0, 0, 0, 5, 0]);
    }
}
