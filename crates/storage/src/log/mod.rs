//! One partition's log (Kafka `UnifiedLog` + `LocalLog`): an ordered set of segments, the
//! log start and end offsets, the recovery point and the leader epoch cache.
//!
//! Threading: a `Log` has a single writer; callers wrap it in a `Mutex` (the
//! [`crate::LogManager`] hands out `Arc<Mutex<Log>>`). Reads return file ranges that stay valid
//! after the lock is released (the ranges hold the segment file open).
//!
//! # Layout
//! - `mod.rs`: the type, opening and recovery, accessors.
//! - `append.rs`: leader and follower appends, rolling, flushing.
//! - `read.rs`: reads as file ranges, offset-by-timestamp lookups.
//! - `retention.rs`: truncation, retention, DeleteRecords, close.
//! - `cleaning.rs`: hooks for the log cleaner (segment access, swapping cleaned segments in).
//! - `producer.rs`: keeping the producer state (idempotent producer) in step with the log.

mod append;
mod cleaning;
mod producer;
mod read;
mod retention;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use append::AppendInfo;
pub use read::{FetchData, FileRange, LogOffsetMetadata, TimestampAndOffset, special_timestamps};

use crate::checkpoint::LEADER_EPOCH_CHECKPOINT_FILE;
use crate::config::LogConfig;
use crate::disk::Disk;
use crate::epoch_cache::LeaderEpochCache;
use crate::error::{Result, StorageError};
use crate::producer_state::ProducerStateManager;
use crate::segment::{
    DELETED_FILE_SUFFIX, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX,
};

/// Whether a log directory is still usable (Kafka `LogDirFailureChannel`): shared by every
/// log in the directory; the first I/O error marks it offline for all of them.
#[derive(Debug)]
pub struct LogDirHealth {
    dir: PathBuf,
    offline: AtomicBool,
}

impl LogDirHealth {
    /// A healthy directory.
    pub fn new(dir: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            dir: dir.into(),
            offline: AtomicBool::new(false),
        })
    }
    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Whether an I/O error took the directory offline.
    pub fn is_offline(&self) -> bool {
        self.offline.load(Ordering::SeqCst)
    }
    /// Marks the directory offline.
    pub fn mark_offline(&self) {
        if !self.offline.swap(true, Ordering::SeqCst) {
            tracing::error!(dir = %self.dir.display(), "log directory marked offline after an I/O error");
        }
    }
    /// Passes `result` on, marking the directory offline first when it is an I/O failure.
    pub fn guard<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(err) = &result
            && err.is_dir_failure()
        {
            self.mark_offline();
        }
        result
    }
}

/// How to open a log.
#[derive(Debug, Clone)]
pub struct LogOpenOptions {
    /// Offset below which everything is known durable (from `recovery-point-offset-checkpoint`).
    pub recovery_point: i64,
    /// Log start offset (from `log-start-offset-checkpoint`).
    pub log_start_offset: i64,
    /// Whether the log directory had a `.kafka_cleanshutdown` marker.
    pub had_clean_shutdown: bool,
    /// The current time in ms.
    pub now_ms: i64,
    /// The health flag of the log directory holding this log.
    pub dir_health: Option<Arc<LogDirHealth>>,
}

impl LogOpenOptions {
    /// Options for a log with no checkpoints and no clean shutdown marker (full recovery).
    pub fn new(now_ms: i64) -> Self {
        Self {
            recovery_point: 0,
            log_start_offset: 0,
            had_clean_shutdown: false,
            now_ms,
            dir_health: None,
        }
    }
}

/// One partition's log. See the module docs.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    config: LogConfig,
    disk: Arc<dyn Disk>,
    segments: BTreeMap<i64, LogSegment>,
    log_start_offset: i64,
    log_end_offset: i64,
    recovery_point: i64,
    high_watermark: Option<i64>,
    epoch_cache: LeaderEpochCache,
    dir_health: Arc<LogDirHealth>,
    unflushed_messages: u64,
    last_flush_ms: i64,
    /// The latest `now_ms` seen (for operations that take no clock argument).
    clock_ms: i64,
    batches_validated_on_open: u64,
    pending_deletes: Vec<(i64, PathBuf)>,
    producer_state: ProducerStateManager,
    producer_batches_replayed: u64,
    /// The syncs of recently rolled segments, oldest first, running off the append path.
    roll_flushes: std::collections::VecDeque<RollFlush>,
}

/// Rolled segments whose sync may run at once (Kafka queues any number of "flush-log" tasks on
/// its scheduler; a bound keeps a producer that outruns the disk from piling up threads).
pub(crate) const ROLL_SYNCS_PENDING_MAX: usize = 3;

/// A rolled segment being synced on its own thread: Kafka's `UnifiedLog.roll` schedules the
/// flush ("flush-log") instead of syncing under the log's lock, where a 1 GiB segment's
/// `fdatasync` would stall every producer of the partition for seconds.
#[derive(Debug)]
pub(crate) struct RollFlush {
    /// The recovery point once the sync is done (the new segment's base offset).
    pub(crate) upto: i64,
    /// The rolled `.log` (named if the thread panics).
    pub(crate) path: PathBuf,
    pub(crate) handle: std::thread::JoinHandle<std::result::Result<(), (PathBuf, std::io::Error)>>,
}

/// What a roll makes durable off the append path, in order: the rolled `.log`, its two
/// indexes, the producer snapshot written at the roll, then the directory (the new segment's
/// and the snapshot's entries). Files deleted meanwhile (retention) need no sync.
#[derive(Debug, Clone)]
pub(crate) struct RollSync {
    pub(crate) disk: Arc<dyn Disk>,
    pub(crate) log: Arc<dyn crate::disk::DiskFile>,
    pub(crate) log_path: PathBuf,
    pub(crate) indexes: [PathBuf; 2],
    pub(crate) snapshot: Option<PathBuf>,
    pub(crate) dir: PathBuf,
}

impl RollSync {
    pub(crate) fn run(&self) -> std::result::Result<(), (PathBuf, std::io::Error)> {
        self.log
            .sync_data()
            .map_err(|e| (self.log_path.clone(), e))?;
        for path in self.indexes.iter().chain(self.snapshot.as_ref()) {
            match self.disk.open(path, false) {
                Ok(file) => file.sync_data().map_err(|e| (path.clone(), e))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err((path.clone(), e)),
            }
        }
        match self.disk.sync_dir(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err((self.dir.clone(), e)),
            _ => Ok(()),
        }
    }
}

fn parse_segment_base(path: &Path, suffix: &str) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(suffix)?.strip_suffix('.')?;
    (stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}

impl Log {
    /// Opens (creating when missing) the log in `dir`.
    ///
    /// After a clean shutdown the segments are opened and their last index entries
    /// sanity-checked; batches are not re-validated. Otherwise every segment from the one
    /// holding the recovery point on is recovered (Kafka `LogLoader`): batches re-validated,
    /// indexes rebuilt, a torn or corrupt tail truncated and later segments deleted.
    pub fn open(
        dir: impl Into<PathBuf>,
        config: LogConfig,
        disk: Arc<dyn Disk>,
        opts: LogOpenOptions,
    ) -> Result<Log> {
        let dir = dir.into();
        let dir_health = opts
            .dir_health
            .clone()
            .unwrap_or_else(|| LogDirHealth::new(dir.parent().unwrap_or(&dir)));
        if dir_health.is_offline() {
            return Err(StorageError::LogDirOffline {
                dir: dir_health.dir().to_path_buf(),
            });
        }
        dir_health.guard(Self::open_inner(
            dir,
            config,
            disk,
            opts,
            dir_health.clone(),
        ))
    }

    fn open_inner(
        dir: PathBuf,
        config: LogConfig,
        disk: Arc<dyn Disk>,
        opts: LogOpenOptions,
        dir_health: Arc<LogDirHealth>,
    ) -> Result<Log> {
        disk.create_dir_all(&dir)
            .map_err(|e| StorageError::io(&dir, e))?;
        // Kafka `LogLoader`: finish interrupted cleaner swaps before anything else looks at
        // the segment files; swapped-in segments get their indexes rebuilt.
        let swapped = crate::cleaner::swap::complete_interrupted_swaps(disk.as_ref(), &dir)?;
        let bases = Self::clean_directory(disk.as_ref(), &dir)?;
        let mut segments = BTreeMap::new();
        for base in bases {
            segments.insert(
                base,
                LogSegment::open(&disk, &dir, base, &config, opts.now_ms)?,
            );
        }
        let epoch_cache =
            LeaderEpochCache::load(disk.clone(), dir.join(LEADER_EPOCH_CHECKPOINT_FILE))?;
        let producer_state = ProducerStateManager::open(disk.clone(), &dir)?;
        let mut log = Log {
            dir,
            config,
            disk,
            segments,
            log_start_offset: opts.log_start_offset.max(0),
            log_end_offset: 0,
            recovery_point: opts.recovery_point.max(0),
            high_watermark: None,
            epoch_cache,
            dir_health,
            unflushed_messages: 0,
            last_flush_ms: opts.now_ms,
            clock_ms: opts.now_ms,
            batches_validated_on_open: 0,
            pending_deletes: Vec::new(),
            producer_state,
            producer_batches_replayed: 0,
            roll_flushes: std::collections::VecDeque::new(),
        };
        log.load_segments(opts.had_clean_shutdown, &swapped)?;
        if log.segments.is_empty() {
            let base = log.log_start_offset;
            let segment = LogSegment::create(&log.disk, &log.dir, base, &log.config, opts.now_ms)?;
            log.segments.insert(base, segment);
        }
        let index_bytes = log.config.segment_index_bytes;
        if let Some(active) = log.segments.values_mut().next_back() {
            active.unseal(index_bytes)?;
            log.log_end_offset = active.next_offset();
        }
        if let Some(first) = log.segments.keys().next() {
            log.log_start_offset = log.log_start_offset.max(*first).min(log.log_end_offset);
        }
        log.recovery_point = log.recovery_point.min(log.log_end_offset);
        if !opts.had_clean_shutdown {
            // What recovery kept is now the durable log. Only the segments from the recovery
            // point were scanned, and only they can hold unsynced bytes (the kernel may still
            // have them after a process kill): syncing from offset 0 made a kill -9 restart
            // write back the whole page cache.
            log.flush_segments_from(log.recovery_point)?;
            log.recovery_point = log.log_end_offset;
        }
        log.epoch_cache.truncate_from_end(log.log_end_offset)?;
        log.epoch_cache.truncate_from_start(log.log_start_offset)?;
        // Kafka `LogLoader` → `rebuildProducerState`: snapshots above what recovery kept are
        // dropped, the latest remaining one loaded, the rest replayed from batch headers.
        log.reload_producer_state(opts.now_ms)?;
        Ok(log)
    }

    /// Deletes leftovers (`.deleted`, `.tmp`, `.cleaned`, `.swap` files, indexes without a
    /// `.log`) and returns the segment base offsets, ascending.
    fn clean_directory(disk: &dyn Disk, dir: &Path) -> Result<Vec<i64>> {
        let entries = disk.read_dir(dir).map_err(|e| StorageError::io(dir, e))?;
        let mut bases = Vec::new();
        let mut orphans = Vec::new();
        for path in &entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if [DELETED_FILE_SUFFIX, ".tmp", ".cleaned", ".swap"]
                .iter()
                .any(|s| name.ends_with(s))
            {
                disk.remove_file(path)
                    .map_err(|e| StorageError::io(path, e))?;
            } else if let Some(base) = parse_segment_base(path, LOG_FILE_SUFFIX) {
                bases.push(base);
            } else if let Some(base) = parse_segment_base(path, INDEX_FILE_SUFFIX)
                .or_else(|| parse_segment_base(path, TIME_INDEX_FILE_SUFFIX))
            {
                orphans.push((base, path.clone()));
            }
        }
        for (base, path) in orphans {
            if !bases.contains(&base) {
                disk.remove_file(&path)
                    .map_err(|e| StorageError::io(&path, e))?;
            }
        }
        bases.sort_unstable();
        Ok(bases)
    }

    fn load_segments(&mut self, clean: bool, swapped: &[i64]) -> Result<()> {
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        // Segments overlapping [recovery_point, ∞) are recovered after an unclean stop.
        let recover_from = bases
            .iter()
            .rev()
            .find(|b| **b <= self.recovery_point)
            .copied()
            .unwrap_or(i64::MIN);
        let index_bytes = self.config.segment_index_bytes;
        let last = bases.last().copied();
        let mut truncated_at: Option<i64> = None;
        for base in bases {
            if truncated_at.is_some() {
                self.delete_segment_now(base, "follows a truncated segment")?;
                continue;
            }
            let Some(segment) = self.segments.get_mut(&base) else {
                continue;
            };
            let needs_recovery = (!clean && base >= recover_from) || swapped.contains(&base);
            let insane = if needs_recovery {
                None
            } else {
                segment.load_clean().err()
            };
            if let Some(reason) = &insane {
                tracing::warn!(segment = %segment.log_path().display(), %reason, "rebuilding index that failed its sanity check");
            }
            if needs_recovery || insane.is_some() {
                let outcome = segment.recover(index_bytes)?;
                self.batches_validated_on_open += outcome.valid_batches;
                if outcome.truncated_bytes > 0 && Some(base) != last {
                    truncated_at = Some(base);
                }
            }
            if Some(base) != last {
                segment.seal()?;
            }
        }
        Ok(())
    }

    fn delete_segment_now(&mut self, base: i64, why: &str) -> Result<()> {
        if let Some(segment) = self.segments.remove(&base) {
            tracing::warn!(segment = %segment.log_path().display(), why, "deleting log segment");
            let paths = segment.paths();
            drop(segment);
            for path in paths {
                if self.disk.exists(&path) {
                    self.disk
                        .remove_file(&path)
                        .map_err(|e| StorageError::io(&path, e))?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn active_segment(&self) -> Result<&LogSegment> {
        self.segments
            .values()
            .next_back()
            .ok_or_else(|| self.no_segments())
    }

    pub(crate) fn active_segment_mut(&mut self) -> Result<&mut LogSegment> {
        let dir = self.dir.clone();
        self.segments
            .values_mut()
            .next_back()
            .ok_or(StorageError::Corrupt {
                path: dir,
                reason: "log has no segments".into(),
            })
    }

    fn no_segments(&self) -> StorageError {
        StorageError::Corrupt {
            path: self.dir.clone(),
            reason: "log has no segments".into(),
        }
    }

    /// Fails with [`StorageError::LogDirOffline`] once the directory is offline.
    pub(crate) fn check_online(&self) -> Result<()> {
        if self.dir_health.is_offline() {
            return Err(StorageError::LogDirOffline {
                dir: self.dir_health.dir().to_path_buf(),
            });
        }
        Ok(())
    }

    /// Marks the directory offline when `result` is an I/O failure.
    pub(crate) fn guard<T>(&self, result: Result<T>) -> Result<T> {
        self.dir_health.guard(result)
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The configuration in force.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }
    /// Replaces the configuration (topic config change); applies from the next operation.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }
    /// The first offset still readable.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }
    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }
    /// Offset below which the log is known durable.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }
    /// Total bytes of all segments.
    pub fn size_bytes(&self) -> u64 {
        self.segments.values().map(LogSegment::size).sum()
    }
    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
    /// Base offsets of the segments, ascending.
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.keys().copied().collect()
    }
    /// The leader epoch cache (OffsetForLeaderEpoch answers via
    /// [`LeaderEpochCache::end_offset_for`]).
    pub fn leader_epoch_cache(&self) -> &LeaderEpochCache {
        &self.epoch_cache
    }
    /// `(epoch, end_offset)` for OffsetForLeaderEpoch (KIP-101), using this log's end offset.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        self.epoch_cache.end_offset_for(epoch, self.log_end_offset)
    }
    /// The high watermark set by the replication layer, if any.
    pub fn high_watermark(&self) -> Option<i64> {
        self.high_watermark
    }
    /// Sets the high watermark (clamped to `[log_start_offset, log_end_offset]`). Retention
    /// and DeleteRecords never go past it; without one they are bounded by the log end offset.
    pub fn update_high_watermark(&mut self, high_watermark: i64) -> i64 {
        let hw = high_watermark.clamp(self.log_start_offset, self.log_end_offset);
        self.high_watermark = Some(hw);
        hw
    }
    /// Batches CRC-validated while opening (zero after a clean shutdown): lets tests and
    /// operators see whether start-up rescanned the log.
    pub fn batches_validated_on_open(&self) -> u64 {
        self.batches_validated_on_open
    }
}
