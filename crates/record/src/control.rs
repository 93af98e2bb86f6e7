//! Control records: the transaction markers (and KRaft control records) that fill control
//! batches (attributes bit 5).
//!
//! ```text
//! key   = version int16 (0) + type int16         Kafka ControlRecordType
//! value = version int16 (0) + coordinatorEpoch int32   (COMMIT/ABORT only; Kafka EndTransactionMarker)
//! ```
//! Source: Kafka documentation §5.3.3 "Control Batches"; `ControlRecordType.java`,
//! `EndTransactionMarker.java`.

use crate::error::RecordError;

/// Version of the control record key we write and the only one we read (Kafka
/// `ControlRecordType.CURRENT_CONTROL_RECORD_KEY_VERSION`).
pub const CONTROL_KEY_VERSION: i16 = 0;
/// Version of the end transaction marker value (Kafka `EndTransactionMarker.CURRENT_END_TXN_MARKER_VERSION`).
pub const END_TXN_MARKER_VERSION: i16 = 0;

/// The type of a control record, from the key's second int16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// 0: the transaction was aborted.
    Abort,
    /// 1: the transaction was committed.
    Commit,
    /// 2: KRaft leader change (`LeaderChangeMessage`, KIP-595).
    LeaderChange,
    /// 3: KRaft snapshot header (KIP-630).
    SnapshotHeader,
    /// 4: KRaft snapshot footer (KIP-630).
    SnapshotFooter,
    /// 5: KRaft version record (KIP-853).
    KRaftVersion,
    /// 6: KRaft voters record (KIP-853).
    KRaftVoters,
    /// Any other type id (Kafka maps these to `UNKNOWN` and skips them).
    Unknown(i16),
}

impl ControlRecordType {
    /// The type id stored in the key.
    pub fn id(self) -> i16 {
        match self {
            Self::Abort => 0,
            Self::Commit => 1,
            Self::LeaderChange => 2,
            Self::SnapshotHeader => 3,
            Self::SnapshotFooter => 4,
            Self::KRaftVersion => 5,
            Self::KRaftVoters => 6,
            Self::Unknown(id) => id,
        }
    }

    /// Maps a type id.
    pub fn from_id(id: i16) -> Self {
        match id {
            0 => Self::Abort,
            1 => Self::Commit,
            2 => Self::LeaderChange,
            3 => Self::SnapshotHeader,
            4 => Self::SnapshotFooter,
            5 => Self::KRaftVersion,
            6 => Self::KRaftVoters,
            other => Self::Unknown(other),
        }
    }

    /// The 4-byte control record key: version, type.
    pub fn encode_key(self) -> [u8; 4] {
        let [v0, v1] = CONTROL_KEY_VERSION.to_be_bytes();
        let [t0, t1] = self.id().to_be_bytes();
        [v0, v1, t0, t1]
    }

    /// Parses a control record key. Kafka's `ControlRecordType.parse` requires at least 4
    /// bytes and reads the type whatever the version (a newer version may add fields).
    pub fn parse_key(key: &[u8]) -> Result<Self, ControlRecordError> {
        let Some(bytes) = key.get(..4) else {
            return Err(ControlRecordError::KeyTooShort { len: key.len() });
        };
        let version = i16::from_be_bytes([bytes[0], bytes[1]]);
        if version < 0 {
            return Err(ControlRecordError::KeyVersion { version });
        }
        Ok(Self::from_id(i16::from_be_bytes([bytes[2], bytes[3]])))
    }
}

/// A COMMIT or ABORT marker written by the transaction coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndTransactionMarker {
    /// [`ControlRecordType::Commit`] or [`ControlRecordType::Abort`].
    pub control_type: ControlRecordType,
    /// The coordinator epoch that wrote the marker (fences zombie coordinators).
    pub coordinator_epoch: i32,
}

impl EndTransactionMarker {
    /// The 6-byte marker value: version, coordinatorEpoch.
    pub fn encode_value(&self) -> [u8; 6] {
        let mut out = [0u8; 6];
        out[..2].copy_from_slice(&END_TXN_MARKER_VERSION.to_be_bytes());
        out[2..].copy_from_slice(&self.coordinator_epoch.to_be_bytes());
        out
    }

    /// Parses a marker from a control record's key and value (Kafka
    /// `EndTransactionMarker.deserialize`: the type must be COMMIT or ABORT and the value at
    /// least 6 bytes; versions above 0 may append fields, which are ignored).
    pub fn parse(key: &[u8], value: Option<&[u8]>) -> Result<Self, ControlRecordError> {
        let control_type = ControlRecordType::parse_key(key)?;
        if !matches!(
            control_type,
            ControlRecordType::Commit | ControlRecordType::Abort
        ) {
            return Err(ControlRecordError::NotAMarker {
                type_id: control_type.id(),
            });
        }
        let value = value.ok_or(ControlRecordError::ValueTooShort { len: 0 })?;
        let Some(bytes) = value.get(..6) else {
            return Err(ControlRecordError::ValueTooShort { len: value.len() });
        };
        let version = i16::from_be_bytes([bytes[0], bytes[1]]);
        if version < 0 {
            return Err(ControlRecordError::ValueVersion { version });
        }
        Ok(Self {
            control_type,
            coordinator_epoch: i32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]),
        })
    }
}

/// Why a control record could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ControlRecordError {
    /// The key holds fewer than 4 bytes (or is null).
    #[error("control record key has {len} bytes, needs 4")]
    KeyTooShort {
        /// The key length.
        len: usize,
    },
    /// The key version is negative.
    #[error("control record key has invalid version {version}")]
    KeyVersion {
        /// The version found.
        version: i16,
    },
    /// The control record is not a COMMIT/ABORT marker.
    #[error("control record type {type_id} is not an end transaction marker")]
    NotAMarker {
        /// The type id found.
        type_id: i16,
    },
    /// The marker value holds fewer than 6 bytes (or is null).
    #[error("end transaction marker value has {len} bytes, needs 6")]
    ValueTooShort {
        /// The value length.
        len: usize,
    },
    /// The marker value version is negative.
    #[error("end transaction marker has invalid version {version}")]
    ValueVersion {
        /// The version found.
        version: i16,
    },
}

impl ControlRecordError {
    /// Converts into a [`RecordError`] for record `record_index` of the batch at `base_offset`.
    pub fn into_record_error(self, base_offset: i64, record_index: usize) -> RecordError {
        let field = match self {
            Self::KeyTooShort { .. } | Self::KeyVersion { .. } | Self::NotAMarker { .. } => "key",
            Self::ValueTooShort { .. } | Self::ValueVersion { .. } => "value",
        };
        RecordError::InvalidRecord {
            base_offset,
            record_index,
            field,
            reason: self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_marker_bytes_follow_end_transaction_marker_java() {
        // EndTransactionMarker: key 00 00 | 00 01 (COMMIT), value 00 00 | epoch int32.
        assert_eq!(ControlRecordType::Commit.encode_key(), [0, 0, 0, 1]);
        assert_eq!(ControlRecordType::Abort.encode_key(), [0, 0, 0, 0]);
        let marker = EndTransactionMarker {
            control_type: ControlRecordType::Commit,
            coordinator_epoch: 0x0102_0304,
        };
        assert_eq!(marker.encode_value(), [0, 0, 1, 2, 3, 4]);
        assert_eq!(
            EndTransactionMarker::parse(&[0, 0, 0, 1], Some(&marker.encode_value())),
            Ok(marker)
        );
    }

    #[test]
    fn malformed_control_records_are_typed_errors() {
        assert_eq!(
            ControlRecordType::parse_key(&[0, 0, 0]),
            Err(ControlRecordError::KeyTooShort { len: 3 })
        );
        assert_eq!(
            ControlRecordType::parse_key(&[0xff, 0xff, 0, 1]),
            Err(ControlRecordError::KeyVersion { version: -1 })
        );
        assert_eq!(
            ControlRecordType::parse_key(&[0, 0, 0, 9]),
            Ok(ControlRecordType::Unknown(9))
        );
        assert_eq!(
            EndTransactionMarker::parse(&[0, 0, 0, 2], Some(&[0; 6])),
            Err(ControlRecordError::NotAMarker { type_id: 2 })
        );
        assert_eq!(
            EndTransactionMarker::parse(&[0, 0, 0, 0], Some(&[0; 5])),
            Err(ControlRecordError::ValueTooShort { len: 5 })
        );
        assert_eq!(
            EndTransactionMarker::parse(&[0, 0, 0, 0], None),
            Err(ControlRecordError::ValueTooShort { len: 0 })
        );
    }
}
