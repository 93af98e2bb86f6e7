//! The metadata log seam and its fjord-storage implementation.
//!
//! [`MetadataLog`] is what the store needs from a log: append one batch durably, and hand
//! back every batch on open. [`StorageMetadataLog`] implements it over fjord-storage's `Log`
//! in Kafka's `__cluster_metadata-0` partition directory (segments, indexes, leader epoch
//! checkpoint, recovery of a torn tail); the Raft log will implement the same trait.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fjord_record::Batches;
use fjord_storage::{Log, LogConfig, LogOpenOptions, RealDisk};

use super::StoreError;

/// Kafka's metadata topic partition directory name (`__cluster_metadata-0`).
pub const METADATA_PARTITION_DIR: &str = "__cluster_metadata-0";
/// Largest metadata batch, bounding allocation on read. Kafka's KRaft batches are at most
/// 8 MiB (`KafkaRaftClient.MAX_BATCH_SIZE_BYTES`).
pub const METADATA_BATCH_BYTES_MAX: usize = 8 * 1024 * 1024;

/// A log of metadata record batches.
///
/// Errors: an `Err` from `append_durable` leaves the log's tail unknown (the batch may be
/// partly written); the caller must stop writing (the store fails all later writes) and recover
/// by reopening, which truncates a torn tail.
pub trait MetadataLog: Send {
    /// Appends one batch (built at base offset 0): assigns offsets from the log end, stamps
    /// `leader_epoch`, and makes it durable (fsync) before returning. Returns the base offset.
    fn append_durable(
        &mut self,
        batch: Vec<u8>,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<i64, StoreError>;

    /// The next offset to be assigned.
    fn log_end_offset(&self) -> i64;

    /// Hands over the batches found when the log was opened, in offset order, validated
    /// (CRC, lengths). Later calls return nothing.
    fn take_loaded_batches(&mut self) -> Result<Vec<Vec<u8>>, StoreError>;
}

/// The metadata log in `<metadata.log.dir>/__cluster_metadata-0/`, through fjord-storage's
/// `Log` (so `kafka-dump-log.sh --cluster-metadata-decoder` reads it).
#[derive(Debug)]
pub struct StorageMetadataLog {
    dir: PathBuf,
    log: Log,
    loaded: Vec<Vec<u8>>,
}

impl StorageMetadataLog {
    /// Opens (creating if needed) the metadata partition under `metadata_log_dir`. Recovery
    /// validates every batch and truncates at the first incomplete or corrupt one (a torn
    /// write from an unclean stop), as Kafka's `LogLoader` does.
    pub fn open(metadata_log_dir: &Path, now_ms: i64) -> Result<Self, StoreError> {
        let dir = metadata_log_dir.join(METADATA_PARTITION_DIR);
        let config = LogConfig {
            max_message_bytes: METADATA_BATCH_BYTES_MAX as u64,
            ..LogConfig::default()
        };
        let log = Log::open(
            &dir,
            config,
            Arc::new(RealDisk),
            LogOpenOptions::new(now_ms),
        )?;
        let loaded = read_all(&log)?;
        Ok(Self { dir, log, loaded })
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Every batch from the log start to the log end.
fn read_all(log: &Log) -> Result<Vec<Vec<u8>>, StoreError> {
    if log.log_end_offset() == log.log_start_offset() {
        return Ok(Vec::new());
    }
    let data = log.read(log.log_start_offset(), usize::MAX, None, true)?;
    let mut bytes = Vec::with_capacity(usize::try_from(data.total_bytes).unwrap_or(0));
    for range in &data.ranges {
        let start = bytes.len();
        bytes.resize(start + usize::try_from(range.len).unwrap_or(0), 0);
        range
            .file
            .read_exact_at(&mut bytes[start..], range.position)
            .map_err(|source| StoreError::Io {
                path: log.dir().to_path_buf(),
                source,
            })?;
    }
    Batches::new(&bytes, METADATA_BATCH_BYTES_MAX)
        .map(|batch| {
            batch
                .map(|batch| batch.bytes.to_vec())
                .map_err(|error| StoreError::Corrupt {
                    offset: -1,
                    reason: format!(
                        "batch at byte {} after recovery: {}",
                        error.position, error.error
                    ),
                })
        })
        .collect()
}

impl MetadataLog for StorageMetadataLog {
    fn append_durable(
        &mut self,
        batch: Vec<u8>,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let info = self.log.append_as_leader(&batch, leader_epoch, now_ms)?;
        // Metadata must be durable before the request is acknowledged.
        self.log.flush()?;
        Ok(info.first_offset)
    }

    fn log_end_offset(&self) -> i64 {
        self.log.log_end_offset()
    }

    fn take_loaded_batches(&mut self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(std::mem::take(&mut self.loaded))
    }
}

impl Drop for StorageMetadataLog {
    fn drop(&mut self) {
        // Seal the active segment so indexes are trimmed; every append was already flushed.
        if let Err(error) = self.log.close() {
            tracing::warn!(dir = %self.dir.display(), %error, "closing the metadata log failed");
        }
    }
}
