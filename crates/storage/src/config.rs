//! Per-log configuration with Kafka's topic-level keys and defaults (Kafka `LogConfig`).

use fjord_common::limits;
use fjord_record::TimestampType;

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
        }
    }
}

impl LogConfig {
    /// `segment.bytes` capped at what 4-byte index positions can address.
    pub(crate) fn segment_bytes_effective(&self) -> u64 {
        self.segment_bytes.clamp(1, limits::SEGMENT_BYTES_MAX)
    }
}
