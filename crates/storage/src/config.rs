//! Per-log configuration with Kafka's topic-level keys and defaults (Kafka `LogConfig`).

use fjord_common::limits;
use fjord_record::TimestampType;

/// `cleanup.policy` (Kafka `TopicConfig.CLEANUP_POLICY_CONFIG`): a list of `delete` and/or
/// `compact`. `delete` applies `retention.ms`/`retention.bytes`; `compact` runs the log cleaner
/// (Kafka documentation §4.8 "Log Compaction"); both together do both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// The list contains `delete`.
    pub delete: bool,
    /// The list contains `compact`.
    pub compact: bool,
}

impl CleanupPolicy {
    /// Kafka's default, `delete`.
    pub const DELETE: Self = Self {
        delete: true,
        compact: false,
    };
    /// `compact`.
    pub const COMPACT: Self = Self {
        delete: false,
        compact: true,
    };
    /// `compact,delete`.
    pub const COMPACT_DELETE: Self = Self {
        delete: true,
        compact: true,
    };
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        Self::DELETE
    }
}

/// `min.cleanable.dirty.ratio`, a fraction in `[0, 1]` (Kafka default 0.5). Compared bitwise
/// so that [`LogConfig`] stays `Eq`.
#[derive(Debug, Clone, Copy)]
pub struct DirtyRatio(pub f64);

impl DirtyRatio {
    /// Kafka's default `min.cleanable.dirty.ratio`.
    pub const DEFAULT: Self = Self(0.5);
}

impl PartialEq for DirtyRatio {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for DirtyRatio {}

/// Kafka's default `delete.retention.ms`: one day.
pub const DELETE_RETENTION_MS_DEFAULT: i64 = 86_400_000;

/// Configuration of one partition log. Field names are Kafka's topic config keys with `.`
/// replaced by `_`; defaults are Kafka's (see [`fjord_common::limits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: roll when the next append would push the segment past this size.
    pub segment_bytes: u64,
    /// `segment.ms`: roll when the active segment is older than this (by first batch timestamp).
    pub segment_ms: i64,
    /// `segment.index.bytes`: preallocated size of each index file (rounded down to the entry
    /// size).
    pub segment_index_bytes: u64,
    /// `index.interval.bytes`: bytes of log between offset index entries.
    pub index_interval_bytes: u64,
    /// `retention.ms`: delete segments whose newest timestamp is older than this; -1 = infinite.
    pub retention_ms: i64,
    /// `retention.bytes`: delete oldest segments while the log exceeds this; -1 = unlimited.
    pub retention_bytes: i64,
    /// `flush.messages`: fsync after this many appended records; `u64::MAX` = never.
    pub flush_messages: u64,
    /// `flush.ms`: fsync when the last flush is older than this; `i64::MAX` = never.
    pub flush_ms: i64,
    /// `max.message.bytes`: the largest record batch accepted, in bytes.
    pub max_message_bytes: u64,
    /// `message.timestamp.type`: `CreateTime` keeps producer timestamps, `LogAppendTime`
    /// overwrites them with the broker clock.
    pub message_timestamp_type: TimestampType,
    /// `file.delete.delay.ms`: how long deleted segments linger as `.deleted` files.
    pub file_delete_delay_ms: i64,
    /// `preallocate`: preallocate the `.log` file to `segment.bytes` on roll.
    pub preallocate: bool,
    /// `cleanup.policy`: retention (`delete`) and/or the log cleaner (`compact`).
    pub cleanup_policy: CleanupPolicy,
    /// `delete.retention.ms`: how long tombstones survive after the cleaner first rewrote
    /// their batch (KIP-534 delete horizon).
    pub delete_retention_ms: i64,
    /// `min.compaction.lag.ms`: records younger than this are never compacted (KIP-58).
    pub min_compaction_lag_ms: i64,
    /// `max.compaction.lag.ms`: a dirty record older than this forces cleaning regardless of
    /// the dirty ratio (KIP-354); `i64::MAX` = never.
    pub max_compaction_lag_ms: i64,
    /// `min.cleanable.dirty.ratio`: clean when dirty bytes / (clean + dirty bytes) reach it.
    pub min_cleanable_dirty_ratio: DirtyRatio,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: limits::SEGMENT_BYTES_DEFAULT,
            segment_ms: limits::SEGMENT_MS_DEFAULT,
            segment_index_bytes: limits::SEGMENT_INDEX_BYTES_DEFAULT,
            index_interval_bytes: limits::INDEX_INTERVAL_BYTES_DEFAULT,
            retention_ms: limits::RETENTION_MS_DEFAULT,
            retention_bytes: limits::RETENTION_BYTES_DEFAULT,
            flush_messages: u64::MAX,
            flush_ms: i64::MAX,
            max_message_bytes: limits::MAX_MESSAGE_BYTES_DEFAULT,
            message_timestamp_type: TimestampType::CreateTime,
            file_delete_delay_ms: limits::FILE_DELETE_DELAY_MS_DEFAULT,
            preallocate: false,
            cleanup_policy: CleanupPolicy::DELETE,
            delete_retention_ms: DELETE_RETENTION_MS_DEFAULT,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
            min_cleanable_dirty_ratio: DirtyRatio::DEFAULT,
        }
    }
}

impl LogConfig {
    /// `segment.bytes` capped at what 4-byte index positions can address.
    pub(crate) fn segment_bytes_effective(&self) -> u64 {
        self.segment_bytes.clamp(1, limits::SEGMENT_BYTES_MAX)
    }
}
