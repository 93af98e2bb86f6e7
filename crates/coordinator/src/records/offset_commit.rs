//! `OffsetCommitValue` (Kafka `OffsetCommitValue.json`, validVersions 0-4, flexible 4+):
//!
//! | field | versions |
//! |---|---|
//! | offset int64 | 0+ |
//! | leaderEpoch int32 (default -1) | 3+ |
//! | metadata string | 0+ |
//! | commitTimestamp int64 | 0+ |
//! | expireTimestamp int64 (default -1) | 1 only |

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

const NAME: &str = "OffsetCommitValue";
/// Highest version read.
const VERSION_MAX: i16 = 4;

/// A committed offset as stored in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitValue {
    /// The committed offset (the next offset the consumer will read).
    pub offset: i64,
    /// Leader epoch of the last consumed record (KIP-320), -1 when unknown.
    pub leader_epoch: i32,
    /// Client-provided metadata string.
    pub metadata: String,
    /// When the commit was accepted, ms since the epoch.
    pub commit_timestamp: i64,
    /// Explicit expiry (OffsetCommit v1..v4 `retention_time_ms`), -1 when none.
    pub expire_timestamp: i64,
}

impl OffsetCommitValue {
    /// The version Kafka 4.1 writes for this value (`GroupCoordinatorRecordHelpers
    /// .offsetCommitValueVersion`): 1 when an expire timestamp is set, else 3.
    pub fn write_version(&self) -> i16 {
        if self.expire_timestamp != -1 { 1 } else { 3 }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let version = self.write_version();
        let mut writer = Writer::default();
        writer.i16(version);
        writer.i64(self.offset);
        if version >= 3 {
            writer.i32(self.leader_epoch);
        }
        writer.string(&self.metadata);
        writer.i64(self.commit_timestamp);
        if version == 1 {
            writer.i64(self.expire_timestamp);
        }
        writer.buf
    }

    pub(super) fn decode(value: &[u8]) -> Result<Self, RecordDecodeError> {
        let mut reader = Reader::new(value, NAME);
        let version = reader.i16("version")?;
        if !(0..=VERSION_MAX).contains(&version) {
            return Err(RecordDecodeError::UnknownValueVersion {
                record: NAME,
                version,
            });
        }
        let flexible = version >= 4;
        let offset = reader.i64("offset")?;
        let leader_epoch = if version >= 3 {
            reader.i32("leaderEpoch")?
        } else {
            -1
        };
        let metadata = reader.string("metadata", flexible)?;
        let commit_timestamp = reader.i64("commitTimestamp")?;
        let expire_timestamp = if version == 1 {
            reader.i64("expireTimestamp")?
        } else {
            -1
        };
        if flexible {
            reader.skip_tagged_fields()?;
        }
        Ok(Self {
            offset,
            leader_epoch,
            metadata,
            commit_timestamp,
            expire_timestamp,
        })
    }
}
