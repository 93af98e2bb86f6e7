//! Kafka's cluster metadata records and their exact on-log encoding.
//!
//! Each record is stored as the VALUE of one record (null key) in a record batch of the
//! `__cluster_metadata-0` partition. The value is framed by Kafka's `AbstractApiMessageSerde`
//! (`server-common/src/main/java/org/apache/kafka/server/common/serialization/AbstractApiMessageSerde.java`):
//!
//! ```text
//! unsigned varint  frame version (always 1; 0 was the 2.8 KRaft preview and is rejected)
//! unsigned varint  apiKey   (the "apiKey" of the record's JSON schema)
//! unsigned varint  version  (the record version)
//! ...              body     (flexible-version encoding of the JSON schema at that version)
//! ```
//! and no byte may follow the body ("Found N byte(s) of garbage after ...").
//!
//! The schemas are Kafka's `metadata/src/main/resources/common/metadata/*.json`; each record
//! type's module cites its file. Every schema used here has `"flexibleVersions": "0+"`, so every
//! body ends with a tagged-field section (KIP-482) and strings/arrays are compact.
//!
//! Version choice when encoding: the lowest version that can carry the record's content (for
//! example a `PartitionRecord` with `directories` needs v1, with ELR fields v2). Kafka's own
//! reader accepts every version up to its maximum, and decode→encode round-trips field-exact.

mod cluster;
pub mod codec;
mod config;
mod partition;
mod quota;
mod scram;
mod topic;

pub use cluster::{BrokerEndpoint, BrokerFeature, FeatureLevelRecord, RegisterBrokerRecord};
pub use config::{ConfigRecord, ConfigResourceType};
pub use partition::{PartitionChangeRecord, PartitionRecord};
pub use quota::{ClientQuotaRecord, QuotaEntityPart};
pub use scram::{RemoveUserScramCredentialRecord, UserScramCredentialRecord};
pub use topic::{RemoveTopicRecord, TopicRecord};

/// Sentinel values of `PartitionRecord` / `PartitionChangeRecord` fields.
pub mod partition_constants {
    pub use super::partition::{LEADER_RECOVERED, LEADER_RECOVERY_UNCHANGED, LEADER_UNCHANGED};
}

use codec::{Reader, Writer};

/// The only frame version Kafka writes and reads (`AbstractApiMessageSerde.DEFAULT_FRAME_VERSION`).
pub const FRAME_VERSION: u32 = 1;

/// Metadata record api keys, from the `"apiKey"` of each schema file.
pub mod api_keys {
    /// `RegisterBrokerRecord.json`.
    pub const REGISTER_BROKER: i16 = 0;
    /// `TopicRecord.json`.
    pub const TOPIC: i16 = 2;
    /// `PartitionRecord.json`.
    pub const PARTITION: i16 = 3;
    /// `ConfigRecord.json`.
    pub const CONFIG: i16 = 4;
    /// `PartitionChangeRecord.json`.
    pub const PARTITION_CHANGE: i16 = 5;
    /// `RemoveTopicRecord.json`.
    pub const REMOVE_TOPIC: i16 = 9;
    /// `UserScramCredentialRecord.json`.
    pub const USER_SCRAM_CREDENTIAL: i16 = 11;
    /// `FeatureLevelRecord.json`.
    pub const FEATURE_LEVEL: i16 = 12;
    /// `ClientQuotaRecord.json`.
    pub const CLIENT_QUOTA: i16 = 14;
    /// `NoOpRecord.json` (no fields; the active controller writes it periodically in Kafka).
    pub const NO_OP: i16 = 20;
    /// `RemoveUserScramCredentialRecord.json`.
    pub const REMOVE_USER_SCRAM_CREDENTIAL: i16 = 22;
}

/// Why a metadata record value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordDecodeError {
    /// The value ended before a field was complete.
    #[error("metadata record truncated in {field}: need {needed} bytes, have {available}")]
    Truncated {
        /// Kafka's field name (or the framing element) being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A field holds a value its schema does not allow.
    #[error("metadata record field {field} is invalid: {reason}")]
    Invalid {
        /// Kafka's field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The frame version is not 1 (`AbstractApiMessageSerde.read`).
    #[error(
        "could not deserialize metadata record with frame version {0} (only frame version 1 is supported)"
    )]
    UnsupportedFrameVersion(u32),
    /// The record version is above what the schema defines.
    #[error("metadata record apiKey {api_key} has unsupported version {version} (max {max})")]
    UnsupportedVersion {
        /// The record's apiKey.
        api_key: i16,
        /// The version found.
        version: i16,
        /// The highest version we know for this apiKey.
        max: i16,
    },
    /// Bytes follow the record body.
    #[error("found {0} byte(s) of garbage after the metadata record")]
    TrailingBytes(usize),
}

/// One cluster metadata record: the unit of change of the [`crate::MetadataImage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataRecord {
    /// A broker registered (apiKey 0).
    RegisterBroker(RegisterBrokerRecord),
    /// A topic was created (apiKey 2).
    Topic(TopicRecord),
    /// A partition was created (apiKey 3).
    Partition(PartitionRecord),
    /// A config was set or deleted (apiKey 4).
    Config(ConfigRecord),
    /// A partition's replicas, ISR or leader changed (apiKey 5).
    PartitionChange(PartitionChangeRecord),
    /// A topic was deleted (apiKey 9).
    RemoveTopic(RemoveTopicRecord),
    /// A feature's finalized level changed, e.g. `metadata.version` (apiKey 12).
    FeatureLevel(FeatureLevelRecord),
    /// A user's SCRAM credential was created or replaced (apiKey 11).
    UserScramCredential(UserScramCredentialRecord),
    /// A client quota was set or removed (apiKey 14).
    ClientQuota(ClientQuotaRecord),
    /// No change (apiKey 20).
    NoOp,
    /// A user's SCRAM credential was deleted (apiKey 22).
    RemoveUserScramCredential(RemoveUserScramCredentialRecord),
    /// A record type this version of fjord does not model (e.g. `ProducerIdsRecord` in a log
    /// written by Kafka). Kept byte-exact so it re-encodes
    /// unchanged; replay ignores it.
    Unknown {
        /// The record's apiKey.
        api_key: i16,
        /// The record's version.
        version: i16,
        /// The body after the frame header, as found.
        body: Vec<u8>,
    },
}

impl MetadataRecord {
    /// The record's apiKey.
    pub fn api_key(&self) -> i16 {
        match self {
            Self::RegisterBroker(_) => api_keys::REGISTER_BROKER,
            Self::Topic(_) => api_keys::TOPIC,
            Self::Partition(_) => api_keys::PARTITION,
            Self::Config(_) => api_keys::CONFIG,
            Self::PartitionChange(_) => api_keys::PARTITION_CHANGE,
            Self::RemoveTopic(_) => api_keys::REMOVE_TOPIC,
            Self::FeatureLevel(_) => api_keys::FEATURE_LEVEL,
            Self::NoOp => api_keys::NO_OP,
            Self::UserScramCredential(_) => api_keys::USER_SCRAM_CREDENTIAL,
            Self::ClientQuota(_) => api_keys::CLIENT_QUOTA,
            Self::RemoveUserScramCredential(_) => api_keys::REMOVE_USER_SCRAM_CREDENTIAL,
            Self::Unknown { api_key, .. } => *api_key,
        }
    }

    /// The version this record is encoded at (the lowest that carries its content).
    pub fn version(&self) -> i16 {
        match self {
            Self::RegisterBroker(record) => record.version(),
            Self::Partition(record) => record.version(),
            Self::PartitionChange(record) => record.version(),
            Self::Unknown { version, .. } => *version,
            Self::ClientQuota(_) => quota::CLIENT_QUOTA_RECORD_VERSION,
            Self::UserScramCredential(_) | Self::RemoveUserScramCredential(_) => 0,
            Self::Topic(_)
            | Self::Config(_)
            | Self::RemoveTopic(_)
            | Self::FeatureLevel(_)
            | Self::NoOp => 0,
        }
    }

    /// Encodes the record as a `__cluster_metadata` record value (frame header + body).
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::new();
        writer.unsigned_varint(FRAME_VERSION);
        // apiKey and version are non-negative by construction (decode rejects negatives
        // through the unsigned varint; typed records use constants).
        writer.unsigned_varint(self.api_key() as u16 as u32);
        let version = self.version();
        writer.unsigned_varint(version as u16 as u32);
        match self {
            Self::RegisterBroker(record) => record.write(&mut writer, version),
            Self::Topic(record) => record.write(&mut writer),
            Self::Partition(record) => record.write(&mut writer, version),
            Self::Config(record) => record.write(&mut writer),
            Self::PartitionChange(record) => record.write(&mut writer, version),
            Self::RemoveTopic(record) => record.write(&mut writer),
            Self::FeatureLevel(record) => record.write(&mut writer),
            Self::NoOp => writer.tagged_fields(&[]),
            Self::UserScramCredential(record) => record.write(&mut writer),
            Self::ClientQuota(record) => record.write(&mut writer),
            Self::RemoveUserScramCredential(record) => record.write(&mut writer),
            Self::Unknown { body, .. } => writer.raw(body),
        }
        writer.into_bytes()
    }

    /// Decodes a `__cluster_metadata` record value.
    pub fn decode(value: &[u8]) -> Result<Self, RecordDecodeError> {
        let mut reader = Reader::new(value);
        let frame_version = reader.unsigned_varint("frame version")?;
        if frame_version != FRAME_VERSION {
            return Err(RecordDecodeError::UnsupportedFrameVersion(frame_version));
        }
        let api_key = short(reader.unsigned_varint("type")?, "type")?;
        let version = short(reader.unsigned_varint("version")?, "version")?;
        let check = |max: i16| {
            if version > max {
                Err(RecordDecodeError::UnsupportedVersion {
                    api_key,
                    version,
                    max,
                })
            } else {
                Ok(())
            }
        };
        let record = match api_key {
            api_keys::REGISTER_BROKER => {
                check(RegisterBrokerRecord::VERSION_MAX)?;
                Self::RegisterBroker(RegisterBrokerRecord::read(&mut reader, version)?)
            }
            api_keys::TOPIC => {
                check(0)?;
                Self::Topic(TopicRecord::read(&mut reader)?)
            }
            api_keys::PARTITION => {
                check(PartitionRecord::VERSION_MAX)?;
                Self::Partition(PartitionRecord::read(&mut reader, version)?)
            }
            api_keys::CONFIG => {
                check(0)?;
                Self::Config(ConfigRecord::read(&mut reader)?)
            }
            api_keys::PARTITION_CHANGE => {
                check(PartitionChangeRecord::VERSION_MAX)?;
                Self::PartitionChange(PartitionChangeRecord::read(&mut reader, version)?)
            }
            api_keys::REMOVE_TOPIC => {
                check(0)?;
                Self::RemoveTopic(RemoveTopicRecord::read(&mut reader)?)
            }
            api_keys::FEATURE_LEVEL => {
                check(0)?;
                Self::FeatureLevel(FeatureLevelRecord::read(&mut reader)?)
            }
            api_keys::USER_SCRAM_CREDENTIAL => {
                check(0)?;
                Self::UserScramCredential(UserScramCredentialRecord::read(&mut reader)?)
            }
            api_keys::CLIENT_QUOTA => {
                check(quota::CLIENT_QUOTA_RECORD_VERSION_MAX)?;
                Self::ClientQuota(ClientQuotaRecord::read(&mut reader, version)?)
            }
            api_keys::REMOVE_USER_SCRAM_CREDENTIAL => {
                check(0)?;
                Self::RemoveUserScramCredential(RemoveUserScramCredentialRecord::read(&mut reader)?)
            }
            api_keys::NO_OP => {
                check(0)?;
                reader.tagged_fields(|_, _| Ok(()))?;
                Self::NoOp
            }
            _ => {
                let rest = value[value.len() - reader.remaining()..].to_vec();
                return Ok(Self::Unknown {
                    api_key,
                    version,
                    body: rest,
                });
            }
        };
        if reader.remaining() > 0 {
            return Err(RecordDecodeError::TrailingBytes(reader.remaining()));
        }
        Ok(record)
    }
}

/// Kafka's `unsignedIntToShort`: values above `Short.MAX_VALUE` are errors.
fn short(value: u32, field: &'static str) -> Result<i16, RecordDecodeError> {
    i16::try_from(value).map_err(|_| RecordDecodeError::Invalid {
        field,
        reason: format!("value {value} was too large"),
    })
}
