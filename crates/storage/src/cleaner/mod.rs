//! The log cleaner: compaction of logs whose `cleanup.policy` includes `compact` (Kafka
//! documentation §4.8 "Log Compaction"; `LogCleaner`, `Cleaner`, `LogCleanerManager`,
//! KIP-58 `min.compaction.lag.ms`, KIP-354 `max.compaction.lag.ms`, KIP-534 delete horizon).
//!
//! A cleaning round over one log:
//! 1. [`log_to_clean`] splits the log at the cleaner checkpoint into a clean head and a dirty
//!    section that ends at the first uncleanable offset (never the active segment, never past
//!    the high watermark, never a segment holding records younger than
//!    `min.compaction.lag.ms`); the log is due when the dirty ratio exceeds
//!    `min.cleanable.dirty.ratio` or `max.compaction.lag.ms` passed.
//! 2. [`clean_log`] maps every key of the dirty section to its latest offset, then rewrites the
//!    log from its first segment to the end of the mapped section, group by group
//!    ([`filter`] says what each batch becomes), keeping offsets as they were: consumers see
//!    gaps.
//! 3. Each rewritten group is swapped in crash-safely ([`swap`]).
//! 4. [`LogCleanerManager`] moves the `cleaner-offset-checkpoint` of the log directory to the
//!    end of the cleaned section; a log whose cleaning fails is marked uncleanable and skipped
//!    until restart, the others go on.
//!
//! # Layout
//! - [`offset_map`]: [`OffsetMap`], key → latest offset.
//! - [`filter`]: per-batch retention and rebuilding.
//! - `clean`: [`log_to_clean`], [`clean_log`].
//! - [`swap`]: `.cleaned` / `.swap` files and recovery of interrupted swaps on open.
//! - `manager`: [`LogCleanerManager`], checkpoints and the choice of logs.
//!
//! # Not implemented (yet)
//! - Transactions: aborted transactional records are not removed and transaction markers
//!   are always kept (Kafka removes both once their delete horizon passes).
//! - Cleaning holds the log's lock for the whole round (Kafka cleans without it and only
//!   swaps under it), so appends to that partition wait while it is cleaned.
//! - `max.compaction.lag.ms` does not shorten `segment.ms` for the active segment.

mod clean;
pub mod filter;
mod manager;
pub mod offset_map;
pub mod swap;

pub use clean::{CleanStats, LogToClean, clean_log, log_to_clean};
pub use manager::{
    CLEANER_OFFSET_CHECKPOINT_FILE, CleanerCandidate, CleanerRunSummary, LogCleanerManager,
};
pub use offset_map::OffsetMap;

use fjord_record::RecordError;

use crate::error::StorageError;

/// Cap on a batch's decompressed size, as a multiple of `max.message.bytes`: generous for
/// real compression ratios, bounded against decompression bombs.
pub const DECOMPRESSION_RATIO_MAX: usize = 64;

/// Settings of the cleaner itself (Kafka `CleanerConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerConfig {
    /// Most keys in one round's offset map. Kafka sizes its map by
    /// `log.cleaner.dedupe.buffer.size` (128 MiB of 24-byte slots ≈ 5M keys); whole segments
    /// are mapped while they fit, the first one always.
    pub offset_map_entries_max: usize,
}

impl Default for CleanerConfig {
    fn default() -> Self {
        Self {
            offset_map_entries_max: 4 * 1024 * 1024,
        }
    }
}

/// Why cleaning a log failed. The log stays readable; only the group being swapped when the
/// error struck may be half done, and opening the log again completes or discards it.
#[derive(Debug, thiserror::Error)]
pub enum CleanerError {
    /// Reading or writing segment files failed (I/O errors also take the log directory
    /// offline).
    #[error("log cleaner storage error: {0}")]
    Storage(#[from] StorageError),
    /// A stored batch could not be decoded.
    #[error("log cleaner found an undecodable batch: {0}")]
    Record(#[from] RecordError),
}
