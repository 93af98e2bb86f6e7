//! Kafka-format partition logs: segments, sparse indexes, checkpoints, recovery, retention and
//! a log manager, all file I/O going through a [`Disk`] seam.
//!
//! On-disk layout is Apache Kafka's (documentation §5.4 "Log", `LogSegment`, `OffsetIndex`,
//! `TimeIndex`, `CheckpointFile`, `LeaderEpochCheckpointFile`, `PartitionMetadataFile`), so
//! Kafka's own `kafka-dump-log.sh` can read our segments:
//!
//! ```text
//! <log.dir>/.lock                               held while the LogManager runs
//! <log.dir>/.kafka_cleanshutdown                present only after a clean shutdown
//! <log.dir>/recovery-point-offset-checkpoint    "0\n<n>\n<topic> <partition> <offset>\n"...
//! <log.dir>/log-start-offset-checkpoint         same format
//! <log.dir>/replication-offset-checkpoint       same format (high watermarks)
//! <log.dir>/<topic>-<partition>/00000000000000000000.log        record batches as produced
//! <log.dir>/<topic>-<partition>/00000000000000000000.index      (u32 relOffset, u32 position)*
//! <log.dir>/<topic>-<partition>/00000000000000000000.timeindex  (i64 timestamp, u32 relOffset)*
//! <log.dir>/<topic>-<partition>/leader-epoch-checkpoint          "0\n<n>\n<epoch> <startOffset>\n"...
//! <log.dir>/<topic>-<partition>/partition.metadata               "version: 0\ntopic_id: <base64url>"
//! <log.dir>/<topic>-<partition>/00000000000000000000.snapshot     producer state at that offset
//! ```
//!
//! # Layout
//! - [`disk`]: the [`Disk`]/[`DiskFile`] seam and [`RealDisk`]; [`faulty_disk`]: [`FaultyDisk`].
//! - `mmap`: the only `unsafe` (memory maps of index files).
//! - [`index`]: `.index` and `.timeindex`.
//! - `segment`: one `.log` file plus its indexes (append, lookup, recovery, truncation).
//! - [`log`]: [`Log`], one partition (append as leader/follower, read as file ranges,
//!   ListOffsets, roll, flush, truncate, retention, DeleteRecords, close).
//! - [`epoch_cache`]: [`LeaderEpochCache`] (`leader-epoch-checkpoint`, OffsetForLeaderEpoch).
//! - [`checkpoint`]: checkpoint file formats, written via temp file + fsync + rename.
//! - [`log_manager`]: [`LogManager`] over several `log.dirs`.
//! - [`producer_state`]: [`ProducerStateManager`], the idempotent producer's per-partition
//!   state and checks (KIP-98); `producer_state_entry`: one producer's entry and the rules;
//!   [`producer_state_snapshot`]: the `<offset>.snapshot` file format;
//!   [`producer_state_id_allocator`]: [`ProducerIdAllocator`] (`producer-id-block`).
//! - [`cleaner`]: log compaction (`cleanup.policy=compact`), [`cleaner::LogCleanerManager`]
//!   and `cleaner-offset-checkpoint`.
//! - [`config`]: [`LogConfig`]; [`error`]: [`StorageError`].
//!
//! # Using it
//! ```no_run
//! # use std::sync::Arc;
//! # use fjord_storage::*;
//! # fn main() -> Result<(), StorageError> {
//! let disk: Arc<dyn Disk> = Arc::new(RealDisk);
//! let mut log = Log::open("/data/t-0", LogConfig::default(), disk, LogOpenOptions::new(0))?;
//! # let mut batches = vec![0u8; 0];
//! let info = log.append_as_leader(&batches, 0, 1_700_000_000_000)?;
//! let fetch = log.read(info.first_offset, 1 << 20, None, true)?; // fetch.ranges → sendfile
//! # let _ = fetch; Ok(()) }
//! ```

pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod disk;
pub mod epoch_cache;
pub mod error;
pub mod faulty_disk;
pub mod index;
pub mod log;
pub mod log_manager;
mod mmap;
pub mod producer_state;
mod producer_state_entry;
pub mod producer_state_id_allocator;
pub mod producer_state_snapshot;
mod segment;

pub use config::{CleanupPolicy, DirtyRatio, LogConfig};
pub use disk::{Disk, DiskFile, RealDisk};
pub use epoch_cache::LeaderEpochCache;
pub use error::StorageError;
pub use faulty_disk::FaultyDisk;
pub use fjord_record::TimestampType;
pub use log::{
    AppendInfo, FetchData, FileRange, Log, LogDirHealth, LogOffsetMetadata, LogOpenOptions,
    TimestampAndOffset, special_timestamps,
};
pub use log_manager::{LogManager, SharedLog};
pub use producer_state::{ProducerStateEntry, ProducerStateManager};
pub use producer_state_id_allocator::ProducerIdAllocator;
pub use segment::segment_file_path;
