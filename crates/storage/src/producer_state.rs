//! Per-partition producer state for the idempotent producer (KIP-98, KIP-360; Kafka
//! `ProducerStateManager`): producer id → [`ProducerStateEntry`], validation of appended
//! batches, and `<offset>.snapshot` files.
//!
//! How the [`crate::Log`] drives it (Kafka `UnifiedLog`):
//! - leader append: [`ProducerStateManager::analyze`] with [`AppendOrigin::Client`] before
//!   anything is written (a retried batch is reported as a duplicate with its original offsets;
//!   a bad epoch or sequence rejects the whole append), [`ProducerStateManager::update`] after;
//! - follower append: the same with [`AppendOrigin::Replication`] (no checks);
//! - roll and close: [`ProducerStateManager::take_snapshot`] at the new segment's base offset
//!   or the log end offset; segment deletion deletes the snapshot named after the segment;
//! - open and truncation: [`ProducerStateManager::truncate_and_reload`] loads the latest valid
//!   snapshot at or below the log end offset, then the log replays batch headers from
//!   [`ProducerStateManager::map_end_offset`] to its end.
//!
//! Not modelled (no transaction coordinator in fjord yet): ongoing/unreplicated transaction
//! indexes, the last stable offset and transaction-verification state (KIP-890).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::checkpoint::{write_atomically, write_renamed_unsynced};
use crate::disk::Disk;
use crate::error::{Result, StorageError};
pub use crate::producer_state_entry::{
    AppendOrigin, BatchMetadata, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
    NUM_BATCHES_TO_RETAIN, ProducerAppendInfo, ProducerBatch, ProducerStateEntry,
};
use crate::producer_state_snapshot::{
    decode_snapshot, encode_snapshot, parse_snapshot_offset, producer_snapshot_path,
};

/// Default `producer.id.expiration.ms` (Kafka `ProducerStateManagerConfig`, KIP-854): a producer
/// idle this long, with no open transaction, is forgotten. 1 day.
pub const PRODUCER_ID_EXPIRATION_MS_DEFAULT: i64 = 86_400_000;

/// What [`ProducerStateManager::analyze`] decided about one append.
#[derive(Debug, Clone)]
pub struct ProducerAnalysis {
    /// A batch of the append is a retry of one already in the log: the append must write
    /// nothing and answer with this batch's offsets (Kafka `UnifiedLog.analyzeAndValidateProducerState`).
    pub duplicate: Option<BatchMetadata>,
    /// One entry per producer in the append, in first-seen order (usually exactly one, so a
    /// vector beats a map).
    updates: Vec<ProducerAppendInfo>,
}

/// The producer state of one partition. See the module docs.
#[derive(Debug)]
pub struct ProducerStateManager {
    dir: PathBuf,
    disk: Arc<dyn Disk>,
    producers: BTreeMap<i64, ProducerStateEntry>,
    snapshots: BTreeSet<i64>,
    last_map_offset: i64,
    last_snap_offset: i64,
    producer_id_expiration_ms: i64,
}

impl ProducerStateManager {
    /// Lists the snapshot files in `dir`; the map starts empty at offset 0.
    pub fn open(disk: Arc<dyn Disk>, dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let snapshots = disk
            .read_dir(&dir)
            .map_err(|e| StorageError::io(&dir, e))?
            .iter()
            .filter_map(|p| parse_snapshot_offset(p))
            .collect();
        Ok(Self {
            dir,
            disk,
            producers: BTreeMap::new(),
            snapshots,
            last_map_offset: 0,
            last_snap_offset: 0,
            producer_id_expiration_ms: PRODUCER_ID_EXPIRATION_MS_DEFAULT,
        })
    }

    /// Sets `producer.id.expiration.ms`.
    pub fn set_producer_id_expiration_ms(&mut self, ms: i64) {
        self.producer_id_expiration_ms = ms;
    }

    /// The producers with state, by id.
    pub fn active_producers(&self) -> &BTreeMap<i64, ProducerStateEntry> {
        &self.producers
    }

    /// The state of one producer.
    pub fn last_entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    /// The log offset the map is up to date with (exclusive; Kafka `mapEndOffset`).
    pub fn map_end_offset(&self) -> i64 {
        self.last_map_offset
    }

    /// Offsets of the snapshot files on disk, ascending.
    pub fn snapshot_offsets(&self) -> Vec<i64> {
        self.snapshots.iter().copied().collect()
    }

    /// Validates the producer batches of one append without changing any state. Batches
    /// without a producer id are ignored. For [`AppendOrigin::Client`] a batch matching one of
    /// its producer's last [`NUM_BATCHES_TO_RETAIN`] batches ends the analysis as a duplicate.
    pub fn analyze(
        &self,
        batches: &[ProducerBatch],
        origin: AppendOrigin,
    ) -> Result<ProducerAnalysis> {
        let mut updates: Vec<ProducerAppendInfo> = Vec::new();
        for batch in batches.iter().filter(|b| b.has_producer_id()) {
            let current = self.producers.get(&batch.producer_id);
            if origin == AppendOrigin::Client
                && let Some(duplicate) = current.and_then(|e| e.find_duplicate_batch(batch))
            {
                return Ok(ProducerAnalysis {
                    duplicate: Some(duplicate),
                    updates: Vec::new(),
                });
            }
            let index = match updates
                .iter()
                .position(|u| u.producer_id() == batch.producer_id)
            {
                Some(index) => index,
                None => {
                    let info = match current {
                        Some(entry) => ProducerAppendInfo::new(entry, origin),
                        None => ProducerAppendInfo::new(
                            &ProducerStateEntry::empty(batch.producer_id),
                            origin,
                        ),
                    };
                    updates.push(info);
                    updates.len() - 1
                }
            };
            updates[index].append(batch)?;
        }
        Ok(ProducerAnalysis {
            duplicate: None,
            updates,
        })
    }

    /// Applies an analysis of batches that are now in the log (Kafka `update`) and moves the
    /// map end offset to `log_end_offset`.
    pub fn update(&mut self, analysis: ProducerAnalysis, log_end_offset: i64) {
        for info in analysis.updates {
            let producer_id = info.producer_id();
            let next = info.into_update();
            match self.producers.get_mut(&producer_id) {
                Some(entry) => entry.update(next),
                None => {
                    self.producers.insert(producer_id, next);
                }
            }
        }
        self.last_map_offset = log_end_offset;
    }

    /// Moves the map end offset (appends of batches without producer ids, log start moves).
    pub fn set_map_end_offset(&mut self, offset: i64) {
        self.last_map_offset = offset;
    }

    /// Writes `<map end offset>.snapshot` unless a snapshot at or beyond it was already taken
    /// (Kafka `takeSnapshot`). Written via temp file, fsync and rename, so a crash leaves
    /// either the old set of snapshots or the new one.
    pub fn take_snapshot(&mut self) -> Result<()> {
        self.write_snapshot(true).map(|_| ())
    }

    /// [`Self::take_snapshot`] without the fsyncs (Kafka `takeSnapshot(false)` at a segment
    /// roll, KAFKA-15046): returns the written file, which the caller syncs along with its
    /// directory off the append path. Until then a power loss may leave it missing or
    /// unreadable; loading deletes an unreadable snapshot and falls back to an older one.
    pub fn take_snapshot_unsynced(&mut self) -> Result<Option<PathBuf>> {
        self.write_snapshot(false)
    }

    fn write_snapshot(&mut self, sync: bool) -> Result<Option<PathBuf>> {
        if self.last_map_offset <= self.last_snap_offset {
            return Ok(None);
        }
        let offset = self.last_map_offset;
        let path = producer_snapshot_path(&self.dir, offset);
        let contents = encode_snapshot(self.producers.values());
        if sync {
            write_atomically(self.disk.as_ref(), &path, &contents)?;
        } else {
            write_renamed_unsynced(self.disk.as_ref(), &path, &contents)?;
        }
        tracing::debug!(path = %path.display(), producers = self.producers.len(), sync, "wrote producer snapshot");
        self.snapshots.insert(offset);
        self.last_snap_offset = offset;
        Ok(Some(path))
    }

    /// Deletes the snapshot at `offset`, if any (a deleted segment takes the snapshot named
    /// after its base offset with it, Kafka `removeAndMarkSnapshotForDeletion`).
    pub fn delete_snapshot(&mut self, offset: i64) -> Result<()> {
        if !self.snapshots.remove(&offset) {
            return Ok(());
        }
        let path = producer_snapshot_path(&self.dir, offset);
        if self.disk.exists(&path) {
            self.disk
                .remove_file(&path)
                .map_err(|e| StorageError::io(&path, e))?;
        }
        Ok(())
    }

    /// Forgets everything and deletes every snapshot; the map restarts at `offset` (Kafka
    /// `truncateFullyAndStartAt`).
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<()> {
        self.producers.clear();
        for snapshot in self.snapshot_offsets() {
            self.delete_snapshot(snapshot)?;
        }
        self.last_snap_offset = 0;
        self.last_map_offset = offset;
        Ok(())
    }

    /// Drops snapshots outside `[log_start_offset, log_end_offset]` and, unless the map is
    /// already at `log_end_offset`, reloads it with [`Self::load`]. Returns whether it
    /// reloaded: the caller then replays the log from [`Self::map_end_offset`] to
    /// `log_end_offset` (Kafka `truncateAndReload`).
    pub fn truncate_and_reload(
        &mut self,
        log_start_offset: i64,
        log_end_offset: i64,
        now_ms: i64,
    ) -> Result<bool> {
        if log_end_offset == self.last_map_offset {
            self.delete_snapshots_outside(log_start_offset, log_end_offset)?;
            return Ok(false);
        }
        self.load(log_start_offset, log_end_offset, now_ms)?;
        Ok(true)
    }

    /// Drops snapshots outside `[log_start_offset, log_end_offset]` and reloads the map from
    /// the latest remaining valid snapshot, or empty at `log_start_offset` when there is none.
    /// A snapshot failing its CRC or format check is deleted and the next older one tried.
    /// Producers idle past `producer.id.expiration.ms` at `now_ms` are not loaded. The caller
    /// replays the log from [`Self::map_end_offset`] to `log_end_offset` afterwards.
    ///
    /// Kafka also drops the snapshot *at* the log start offset; fjord keeps it because it is
    /// the only record of producers whose batches were all deleted by retention.
    pub fn load(&mut self, log_start_offset: i64, log_end_offset: i64, now_ms: i64) -> Result<()> {
        self.delete_snapshots_outside(log_start_offset, log_end_offset)?;
        self.producers.clear();
        self.load_from_snapshot(log_start_offset, now_ms)
    }

    fn delete_snapshots_outside(
        &mut self,
        log_start_offset: i64,
        log_end_offset: i64,
    ) -> Result<()> {
        for snapshot in self.snapshot_offsets() {
            if snapshot > log_end_offset || snapshot < log_start_offset {
                self.delete_snapshot(snapshot)?;
            }
        }
        Ok(())
    }

    fn load_from_snapshot(&mut self, log_start_offset: i64, now_ms: i64) -> Result<()> {
        while let Some(offset) = self.snapshots.last().copied() {
            let path = producer_snapshot_path(&self.dir, offset);
            let loaded = self
                .disk
                .read(&path)
                .map_err(|e| StorageError::io(&path, e))
                .and_then(|bytes| decode_snapshot(&path, &bytes));
            match loaded {
                Ok(entries) => {
                    for entry in entries {
                        if !self.is_expired(&entry, now_ms) {
                            self.producers.insert(entry.producer_id, entry);
                        }
                    }
                    self.last_snap_offset = offset;
                    self.last_map_offset = offset;
                    tracing::info!(path = %path.display(), producers = self.producers.len(), "loaded producer state snapshot");
                    return Ok(());
                }
                Err(err @ StorageError::Corrupt { .. }) => {
                    tracing::warn!(%err, "deleting unreadable producer state snapshot");
                    self.delete_snapshot(offset)?;
                }
                Err(err) => return Err(err),
            }
        }
        self.last_snap_offset = log_start_offset;
        self.last_map_offset = log_start_offset;
        Ok(())
    }

    fn is_expired(&self, entry: &ProducerStateEntry, now_ms: i64) -> bool {
        entry.current_txn_first_offset.is_none()
            && now_ms.saturating_sub(entry.last_timestamp) >= self.producer_id_expiration_ms
    }

    /// Forgets producers idle for `producer.id.expiration.ms` with no open transaction (Kafka
    /// `removeExpiredProducers`). Returns how many were removed.
    pub fn remove_expired_producers(&mut self, now_ms: i64) -> usize {
        let before = self.producers.len();
        let expiration = self.producer_id_expiration_ms;
        self.producers.retain(|_, entry| {
            entry.current_txn_first_offset.is_some()
                || now_ms.saturating_sub(entry.last_timestamp) < expiration
        });
        before - self.producers.len()
    }

    /// Brings the map end offset up to a raised log start offset (Kafka
    /// `onLogStartOffsetIncremented`).
    pub fn on_log_start_offset_incremented(&mut self, log_start_offset: i64) {
        if self.last_map_offset < log_start_offset {
            self.last_map_offset = log_start_offset;
        }
        self.last_snap_offset = self.snapshots.last().copied().unwrap_or(log_start_offset);
    }
}
