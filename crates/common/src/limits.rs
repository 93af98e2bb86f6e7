//! Named limits and defaults, with units in the name and the reason in the doc comment.
//!
//! Values follow Apache Kafka's defaults (`LogConfig`, `ServerLogConfigs`) so that an operator's
//! knowledge carries over.

/// Default `segment.bytes`: 1 GiB, Kafka's `log.segment.bytes` default.
pub const SEGMENT_BYTES_DEFAULT: u64 = 1024 * 1024 * 1024;
/// Default `segment.ms`: 7 days, Kafka's `log.roll.hours=168`.
pub const SEGMENT_MS_DEFAULT: i64 = 7 * 24 * 60 * 60 * 1000;
/// Default `segment.index.bytes`: 10 MiB, Kafka's `log.index.size.max.bytes`.
pub const SEGMENT_INDEX_BYTES_DEFAULT: u64 = 10 * 1024 * 1024;
/// Default `index.interval.bytes`: 4096, Kafka's `log.index.interval.bytes`.
pub const INDEX_INTERVAL_BYTES_DEFAULT: u64 = 4096;
/// Default `retention.ms`: 7 days (`log.retention.hours=168`); -1 means infinite.
pub const RETENTION_MS_DEFAULT: i64 = 7 * 24 * 60 * 60 * 1000;
/// Default `retention.bytes`: -1 (no size limit).
pub const RETENTION_BYTES_DEFAULT: i64 = -1;
/// Default `max.message.bytes`: 1048588 bytes (1 MiB + record batch overhead), Kafka's
/// `message.max.bytes` default.
pub const MAX_MESSAGE_BYTES_DEFAULT: u64 = 1_048_588;
/// Default `file.delete.delay.ms`: 60 s, Kafka's `log.segment.delete.delay.ms`.
pub const FILE_DELETE_DELAY_MS_DEFAULT: i64 = 60_000;
/// Largest offset delta a segment can hold: relative offsets are stored as 4-byte integers in
/// `.index`/`.timeindex` (Kafka `AbstractIndex.toRelative`), so `offset - base_offset` must be
/// at most `i32::MAX`.
pub const SEGMENT_RELATIVE_OFFSET_MAX: i64 = i32::MAX as i64;
/// Largest segment size in bytes: index positions are 4-byte signed integers (Kafka's
/// `FileRecords` uses `int` positions), so a segment cannot exceed `i32::MAX` bytes.
pub const SEGMENT_BYTES_MAX: u64 = i32::MAX as u64;
