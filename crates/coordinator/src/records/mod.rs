//! The records of `__consumer_offsets` in Kafka's exact binary format.
//!
//! A record's key starts with an i16 *record type* (Kafka calls it the key version):
//! 0 = `LegacyOffsetCommitKey`, 1 = `OffsetCommitKey` (same layout), 2 = `GroupMetadataKey`.
//! Types 3, 5, 6, 7, 8 are KIP-848 consumer-group records (`consumer_group`); type 4 and
//! the share/streams group types (9+) are not implemented: [`CoordinatorRecord::decode`]
//! reports them as [`RecordDecodeError::UnknownRecordType`] so a loader can skip them.
//! A value starts with an i16 schema version; a null value is a tombstone (a delete under
//! compaction).
//!
//! Versions written are those of Kafka 4.1's `GroupCoordinatorRecordHelpers`: key type 1 for
//! offsets, `OffsetCommitValue` v3 (v1 when an explicit expire timestamp is present),
//! `GroupMetadataValue` v3. Every older version and the flexible v4 are read.
//!
//! Schemas: Kafka `group-coordinator/src/main/resources/common/message/`
//! `OffsetCommitKey.json`, `OffsetCommitValue.json`, `GroupMetadataKey.json`,
//! `GroupMetadataValue.json`.

mod codec;
mod consumer_group;
mod group_metadata;
mod offset_commit;

pub use consumer_group::{
    ConsumerGroupRecord, ConsumerMemberAssignment, ConsumerMemberMetadata, TopicPartitions,
};
pub use group_metadata::{GroupMetadataValue, MemberMetadata};
pub use offset_commit::OffsetCommitValue;

use codec::{Reader, Writer};

/// Record type (key version) of `LegacyOffsetCommitKey`, written by Kafka before 0.10.
pub const RECORD_TYPE_LEGACY_OFFSET_COMMIT: i16 = 0;
/// Record type (key version) of `OffsetCommitKey`.
pub const RECORD_TYPE_OFFSET_COMMIT: i16 = 1;
/// Record type (key version) of `GroupMetadataKey`.
pub const RECORD_TYPE_GROUP_METADATA: i16 = 2;

/// Why a `__consumer_offsets` key or value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordDecodeError {
    /// The buffer ended inside a field.
    #[error("{record}.{field}: needs {needed} bytes, {remaining} remain")]
    Truncated {
        /// Record schema name.
        record: &'static str,
        /// Field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the buffer.
        remaining: usize,
    },
    /// A length prefix below -1.
    #[error("{record}.{field}: negative length {length}")]
    NegativeLength {
        /// Record schema name.
        record: &'static str,
        /// Field being read.
        field: &'static str,
        /// The length read.
        length: i64,
    },
    /// A null where the schema does not allow one.
    #[error("{record}.{field}: null in a non-nullable field")]
    UnexpectedNull {
        /// Record schema name.
        record: &'static str,
        /// Field being read.
        field: &'static str,
    },
    /// A string that is not UTF-8.
    #[error("{record}.{field}: string is not valid UTF-8")]
    InvalidUtf8 {
        /// Record schema name.
        record: &'static str,
        /// Field being read.
        field: &'static str,
    },
    /// An unsigned varint longer than 5 bytes.
    #[error("{record}.{field}: unsigned varint longer than 5 bytes")]
    VarintTooLong {
        /// Record schema name.
        record: &'static str,
        /// Field being read.
        field: &'static str,
    },
    /// A key whose record type this coordinator does not know (KIP-848/share/streams records
    /// or a newer Kafka).
    #[error("unknown __consumer_offsets record type {0}")]
    UnknownRecordType(i16),
    /// A value version outside the schema's `validVersions`.
    #[error("{record}: unsupported value version {version}")]
    UnknownValueVersion {
        /// Record schema name.
        record: &'static str,
        /// Version read.
        version: i16,
    },
    /// A record without a key (every `__consumer_offsets` record has one).
    #[error("record without a key")]
    MissingKey,
}

/// Key of an offset commit: one committed offset per (group, topic, partition).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OffsetCommitKey {
    /// The group id.
    pub group: String,
    /// The topic name.
    pub topic: String,
    /// The partition index.
    pub partition: i32,
}

/// One decoded record of `__consumer_offsets`; `None` values are tombstones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinatorRecord {
    /// An `OffsetCommitKey` (type 0 or 1) with its value or a tombstone.
    OffsetCommit {
        /// The key.
        key: OffsetCommitKey,
        /// The committed offset, or `None` to delete it.
        value: Option<OffsetCommitValue>,
    },
    /// A `GroupMetadataKey` (type 2) with its value or a tombstone.
    GroupMetadata {
        /// The group id.
        group: String,
        /// The group's persisted state, or `None` to delete the group.
        value: Option<GroupMetadataValue>,
    },
    /// A KIP-848 consumer-group record (types 3, 5, 6, 7, 8).
    ConsumerGroup(ConsumerGroupRecord),
}

impl CoordinatorRecord {
    /// The group this record belongs to (it decides the `__consumer_offsets` partition).
    pub fn group_id(&self) -> &str {
        match self {
            Self::OffsetCommit { key, .. } => &key.group,
            Self::GroupMetadata { group, .. } => group,
            Self::ConsumerGroup(record) => record.group_id(),
        }
    }

    /// The key bytes as Kafka 4.1 writes them.
    pub fn encode_key(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        match self {
            Self::OffsetCommit { key, .. } => {
                writer.i16(RECORD_TYPE_OFFSET_COMMIT);
                writer.string(&key.group);
                writer.string(&key.topic);
                writer.i32(key.partition);
            }
            Self::GroupMetadata { group, .. } => {
                writer.i16(RECORD_TYPE_GROUP_METADATA);
                writer.string(group);
            }
            Self::ConsumerGroup(record) => return record.encode_key(),
        }
        writer.buf
    }

    /// The value bytes as Kafka 4.1 writes them, `None` for a tombstone.
    pub fn encode_value(&self) -> Option<Vec<u8>> {
        match self {
            Self::OffsetCommit { value, .. } => value.as_ref().map(OffsetCommitValue::encode),
            Self::GroupMetadata { value, .. } => value.as_ref().map(GroupMetadataValue::encode),
            Self::ConsumerGroup(record) => record.encode_value(),
        }
    }

    /// Decodes a record from its key and value (`None` = tombstone). Trailing bytes after the
    /// last field are ignored, as Kafka's generated readers do.
    pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Self, RecordDecodeError> {
        let mut reader = Reader::new(key, "CoordinatorRecordKey");
        let record_type = reader.i16("version")?;
        match record_type {
            RECORD_TYPE_LEGACY_OFFSET_COMMIT | RECORD_TYPE_OFFSET_COMMIT => {
                let mut reader = Reader::new(&key[2..], "OffsetCommitKey");
                let key = OffsetCommitKey {
                    group: reader.string("group", false)?,
                    topic: reader.string("topic", false)?,
                    partition: reader.i32("partition")?,
                };
                let value = value.map(OffsetCommitValue::decode).transpose()?;
                Ok(Self::OffsetCommit { key, value })
            }
            RECORD_TYPE_GROUP_METADATA => {
                let mut reader = Reader::new(&key[2..], "GroupMetadataKey");
                let group = reader.string("group", false)?;
                let value = value.map(GroupMetadataValue::decode).transpose()?;
                Ok(Self::GroupMetadata { group, value })
            }
            other => ConsumerGroupRecord::decode(other, &key[2..], value)?
                .map(Self::ConsumerGroup)
                .ok_or(RecordDecodeError::UnknownRecordType(other)),
        }
    }
}
