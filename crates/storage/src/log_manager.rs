//! Several log directories and the logs in them (Kafka `LogManager`), independent of cluster
//! metadata.
//!
//! Each directory holds a `.lock` file (held with `File::try_lock` while open), the per-dir
//! checkpoints (`recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
//! `replication-offset-checkpoint`), a `.kafka_cleanshutdown` marker written by
//! [`LogManager::shutdown`] and removed at the next start, and one `<topic>-<partition>`
//! directory per log. A directory that fails I/O goes offline: its logs answer
//! [`StorageError::LogDirOffline`], the other directories keep working.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use fjord_common::{TopicId, TopicPartition};

use crate::checkpoint::{
    self, LOG_START_OFFSET_CHECKPOINT_FILE, PARTITION_METADATA_FILE,
    RECOVERY_POINT_CHECKPOINT_FILE, REPLICATION_OFFSET_CHECKPOINT_FILE,
};
use crate::cleaner::{CleanerCandidate, CleanerConfig, CleanerRunSummary, LogCleanerManager};
use crate::config::LogConfig;
use crate::disk::Disk;
use crate::error::{Result, StorageError};
use crate::log::{Log, LogDirHealth, LogOpenOptions};

/// Kafka's clean shutdown marker (`CleanShutdownFileHandler.CLEAN_SHUTDOWN_FILE_NAME`).
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";
/// Kafka's per-directory lock file (`LogManager.LockFileName`).
pub const LOCK_FILE: &str = ".lock";
/// Suffix of partition directories being deleted (Kafka `UnifiedLog.DeleteDirSuffix`).
pub const DELETE_DIR_SUFFIX: &str = "-delete";
/// The KRaft metadata partition directory, owned by the quorum, not by the log manager.
pub const METADATA_PARTITION_DIR: &str = "__cluster_metadata-0";

/// A shared, lockable log.
pub type SharedLog = Arc<Mutex<Log>>;

#[derive(Debug)]
struct LogDir {
    path: PathBuf,
    health: Arc<LogDirHealth>,
    _lock: Option<File>,
    /// Logs placed in this directory, kept so choosing a directory for a new log costs
    /// O(dirs), not a scan of every log (creating 10,000 partitions was quadratic).
    log_count: usize,
}

/// The logs of one broker across its `log.dirs`.
#[derive(Debug)]
pub struct LogManager {
    disk: Arc<dyn Disk>,
    default_config: LogConfig,
    dirs: Vec<LogDir>,
    logs: HashMap<TopicPartition, (usize, SharedLog)>,
    cleaner: Mutex<LogCleanerManager>,
}

fn lock_log(log: &SharedLog) -> MutexGuard<'_, Log> {
    // A panic while a log was locked is a bug elsewhere; the log's own state stays consistent
    // at every `?`, so keep serving it.
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LogManager {
    /// Opens every directory: takes its `.lock`, reads its checkpoints, and loads each
    /// `<topic>-<partition>` log (recovering when the clean shutdown marker is absent). A
    /// directory that cannot be opened is kept as offline rather than failing start-up,
    /// unless every directory fails.
    pub fn open(
        dirs: &[PathBuf],
        default_config: LogConfig,
        disk: Arc<dyn Disk>,
        now_ms: i64,
    ) -> Result<Self> {
        let mut manager = Self {
            disk,
            default_config,
            dirs: Vec::new(),
            logs: HashMap::new(),
            cleaner: Mutex::new(LogCleanerManager::new(CleanerConfig::default())),
        };
        let mut last_error = None;
        for path in dirs {
            let health = LogDirHealth::new(path);
            match manager.open_dir(path, &health, now_ms) {
                Ok((lock, logs)) => {
                    let index = manager.dirs.len();
                    manager.dirs.push(LogDir {
                        path: path.clone(),
                        health,
                        _lock: Some(lock),
                        log_count: logs.len(),
                    });
                    for (tp, log) in logs {
                        manager.logs.insert(tp, (index, Arc::new(Mutex::new(log))));
                    }
                }
                Err(err @ StorageError::DirLocked { .. }) => return Err(err),
                Err(err) => {
                    tracing::error!(dir = %path.display(), error = %err, "log directory failed to load; marking it offline");
                    health.mark_offline();
                    manager.dirs.push(LogDir {
                        path: path.clone(),
                        health,
                        _lock: None,
                        log_count: 0,
                    });
                    last_error = Some(err);
                }
            }
        }
        if manager.dirs.iter().all(|d| d.health.is_offline())
            && let Some(err) = last_error
        {
            return Err(err);
        }
        manager.load_cleaner_checkpoints();
        Ok(manager)
    }

    fn load_cleaner_checkpoints(&mut self) {
        let mut cleaner = self.lock_cleaner();
        for dir in &self.dirs {
            if dir.health.is_offline() {
                continue;
            }
            if let Err(err) = cleaner.load_checkpoint(self.disk.as_ref(), &dir.path) {
                // Kafka treats an unreadable cleaner checkpoint as empty: the next round
                // cleans the whole log again, which is safe.
                tracing::warn!(dir = %dir.path.display(), error = %err, "ignoring unreadable cleaner-offset-checkpoint");
            }
        }
    }

    fn lock_cleaner(&self) -> MutexGuard<'_, LogCleanerManager> {
        // The cleaner's maps are consistent at every `?`; keep using them after a panic.
        self.cleaner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs the log cleaner over every online log whose `cleanup.policy` includes `compact`
    /// and that is due (see [`crate::cleaner`]); moves each cleaned log's
    /// `cleaner-offset-checkpoint` entry. A log whose cleaning fails is logged and marked
    /// uncleanable; the others go on. The broker calls this periodically (Kafka's cleaner
    /// threads wake every `log.cleaner.backoff.ms`, 15 s).
    pub fn run_cleaner(&self, now_ms: i64) -> CleanerRunSummary {
        let candidates: Vec<CleanerCandidate> = self
            .logs
            .iter()
            .filter(|(_, (index, _))| !self.dirs[*index].health.is_offline())
            .map(|(tp, (index, log))| CleanerCandidate {
                topic_partition: tp.clone(),
                log_dir: self.dirs[*index].path.clone(),
                log: log.clone(),
            })
            .collect();
        self.lock_cleaner()
            .run(self.disk.as_ref(), &candidates, now_ms)
    }

    /// Partitions the cleaner gave up on after a failure (until restart).
    pub fn uncleanable_partitions(&self) -> Vec<TopicPartition> {
        self.lock_cleaner().uncleanable_partitions()
    }

    /// The cleaner checkpoint of `tp`: where its dirty section starts.
    pub fn cleaner_checkpoint(&self, tp: &TopicPartition) -> Option<i64> {
        let (index, _) = self.logs.get(tp)?;
        self.lock_cleaner().checkpoint(&self.dirs[*index].path, tp)
    }

    fn open_dir(
        &self,
        dir: &Path,
        health: &Arc<LogDirHealth>,
        now_ms: i64,
    ) -> Result<(File, Vec<(TopicPartition, Log)>)> {
        let disk = self.disk.as_ref();
        disk.create_dir_all(dir)
            .map_err(|e| StorageError::io(dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock_file = disk
            .open(&lock_path, true)
            .map_err(|e| StorageError::io(&lock_path, e))?;
        let lock = lock_file
            .std_file()
            .try_clone()
            .map_err(|e| StorageError::io(&lock_path, e))?;
        if lock.try_lock().is_err() {
            return Err(StorageError::DirLocked {
                dir: dir.to_path_buf(),
            });
        }
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean = disk.exists(&marker);
        let recovery_points =
            checkpoint::read_offsets(disk, &dir.join(RECOVERY_POINT_CHECKPOINT_FILE))?;
        let start_offsets =
            checkpoint::read_offsets(disk, &dir.join(LOG_START_OFFSET_CHECKPOINT_FILE))?;
        let mut logs = Vec::new();
        for path in disk.read_dir(dir).map_err(|e| StorageError::io(dir, e))? {
            if !disk.is_dir(&path) {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(DELETE_DIR_SUFFIX) {
                disk.remove_dir_all(&path)
                    .map_err(|e| StorageError::io(&path, e))?;
                continue;
            }
            if name == METADATA_PARTITION_DIR {
                continue;
            }
            let Ok(tp) = TopicPartition::parse_dir_name(name) else {
                tracing::warn!(dir = %path.display(), "skipping directory that is not <topic>-<partition>");
                continue;
            };
            let opts = LogOpenOptions {
                recovery_point: recovery_points.get(&tp).copied().unwrap_or(0),
                log_start_offset: start_offsets.get(&tp).copied().unwrap_or(0),
                had_clean_shutdown: clean,
                now_ms,
                dir_health: Some(health.clone()),
            };
            logs.push((
                tp,
                Log::open(&path, self.default_config.clone(), self.disk.clone(), opts)?,
            ));
        }
        if clean {
            disk.remove_file(&marker)
                .map_err(|e| StorageError::io(&marker, e))?;
            disk.sync_dir(dir).map_err(|e| StorageError::io(dir, e))?;
        }
        Ok((lock, logs))
    }

    /// The log of `tp`, if loaded.
    pub fn get_log(&self, tp: &TopicPartition) -> Option<SharedLog> {
        self.logs.get(tp).map(|(_, log)| log.clone())
    }

    /// The log of `tp`, created in the online directory with the fewest logs when missing
    /// (Kafka `LogManager.nextLogDirs`). Writes `partition.metadata` when `topic_id` is given.
    pub fn get_or_create_log(
        &mut self,
        tp: &TopicPartition,
        topic_id: Option<[u8; 16]>,
        config: LogConfig,
        now_ms: i64,
    ) -> Result<SharedLog> {
        if let Some((index, log)) = self.logs.get(tp) {
            if self.dirs[*index].health.is_offline() {
                return Err(StorageError::LogDirOffline {
                    dir: self.dirs[*index].path.clone(),
                });
            }
            return Ok(log.clone());
        }
        let index = (0..self.dirs.len())
            .filter(|i| !self.dirs[*i].health.is_offline())
            .min_by_key(|i| self.dirs[*i].log_count)
            .ok_or_else(|| StorageError::LogDirOffline {
                dir: self
                    .dirs
                    .first()
                    .map(|d| d.path.clone())
                    .unwrap_or_default(),
            })?;
        let dir = &self.dirs[index];
        let path = dir.path.join(tp.dir_name());
        let opts = LogOpenOptions {
            had_clean_shutdown: true,
            dir_health: Some(dir.health.clone()),
            ..LogOpenOptions::new(now_ms)
        };
        let result = Log::open(&path, config, self.disk.clone(), opts).and_then(|log| {
            if let Some(id) = topic_id {
                let file = path.join(PARTITION_METADATA_FILE);
                checkpoint::write_atomically(
                    self.disk.as_ref(),
                    &file,
                    checkpoint::render_partition_metadata(TopicId(id)).as_bytes(),
                )?;
            }
            // No fsync of the log directory per new partition: Kafka's
            // `LogManager.createLogDirectory` only calls `Files.createDirectories`. The new
            // entry becomes durable with the next checkpoint write (which syncs this
            // directory), and a partition lost with it is recreated from the metadata log.
            // At 10,000 partitions this was 10,000 serial directory fsyncs.
            Ok(log)
        });
        let log = Arc::new(Mutex::new(dir.health.guard(result)?));
        self.logs.insert(tp.clone(), (index, log.clone()));
        self.dirs[index].log_count += 1;
        Ok(log)
    }

    /// The topic id recorded in `partition.metadata` of `tp`, if any.
    pub fn topic_id(&self, tp: &TopicPartition) -> Result<Option<TopicId>> {
        let Some(log) = self.get_log(tp) else {
            return Ok(None);
        };
        let dir = lock_log(&log).dir().to_path_buf();
        checkpoint::read_partition_metadata(self.disk.as_ref(), &dir.join(PARTITION_METADATA_FILE))
    }

    /// Removes the log of `tp`: its directory is renamed to `<tp>.<id>-delete` and removed.
    pub fn delete_log(&mut self, tp: &TopicPartition) -> Result<bool> {
        match self.detach_log(tp)? {
            Some(renamed) => self.remove_deleted_dir(&renamed).map(|()| true),
            None => Ok(false),
        }
    }

    /// Takes the log of `tp` out of the manager and renames its directory to
    /// `<tp>.<id>-delete` (the rename synced): from then on, restarts included, it is no
    /// partition's log, and start-up removes what is left of it. Returns the renamed directory
    /// for [`Self::remove_deleted_dir`], which a caller can run without excluding other users
    /// of the manager (removing a large log's files takes a while; Kafka deletes them on a
    /// scheduler thread too, `LogManager.asyncDelete`).
    pub fn detach_log(&mut self, tp: &TopicPartition) -> Result<Option<PathBuf>> {
        let Some((index, log)) = self.logs.remove(tp) else {
            return Ok(None);
        };
        self.dirs[index].log_count = self.dirs[index].log_count.saturating_sub(1);
        let dir_path = self.dirs[index].path.clone();
        self.lock_cleaner()
            .remove(self.disk.as_ref(), &dir_path, tp)?;
        let dir = lock_log(&log).dir().to_path_buf();
        let parent = self.dirs[index].path.clone();
        let renamed = parent.join(format!(
            "{}.{}{}",
            tp.dir_name(),
            uuid::Uuid::new_v4().simple(),
            DELETE_DIR_SUFFIX
        ));
        let result = self
            .disk
            .rename(&dir, &renamed)
            .and_then(|()| self.disk.sync_dir(&parent))
            .map_err(|e| StorageError::io(&dir, e));
        self.dirs[index].health.guard(result)?;
        Ok(Some(renamed))
    }

    /// Removes a directory [`Self::detach_log`] renamed; a failing log directory goes offline.
    pub fn remove_deleted_dir(&self, renamed: &Path) -> Result<()> {
        let result = self
            .disk
            .remove_dir_all(renamed)
            .map_err(|e| StorageError::io(renamed, e));
        match self
            .dirs
            .iter()
            .find(|d| renamed.parent() == Some(d.path.as_path()))
        {
            Some(dir) => dir.health.guard(result),
            None => result,
        }
    }

    /// Every loaded log, sorted by topic-partition.
    pub fn all_logs(&self) -> Vec<(TopicPartition, SharedLog)> {
        let mut out: Vec<_> = self
            .logs
            .iter()
            .map(|(tp, (_, log))| (tp.clone(), log.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Log directories currently offline.
    pub fn offline_dirs(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .filter(|d| d.health.is_offline())
            .map(|d| d.path.clone())
            .collect()
    }

    /// The log directories, online or not.
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.path.clone()).collect()
    }

    /// Writes the recovery point, log start offset and (where set) high watermark checkpoints
    /// of every online directory.
    pub fn checkpoint_all(&self) -> Result<()> {
        for (index, dir) in self.dirs.iter().enumerate() {
            if dir.health.is_offline() {
                continue;
            }
            let mut recovery = BTreeMap::new();
            let mut start = BTreeMap::new();
            let mut replication = BTreeMap::new();
            for (tp, (d, log)) in &self.logs {
                if *d != index {
                    continue;
                }
                let log = lock_log(log);
                recovery.insert(tp.clone(), log.recovery_point());
                start.insert(tp.clone(), log.log_start_offset());
                if let Some(hw) = log.high_watermark() {
                    replication.insert(tp.clone(), hw);
                }
            }
            let disk = self.disk.as_ref();
            let result = checkpoint::write_offsets(
                disk,
                &dir.path.join(RECOVERY_POINT_CHECKPOINT_FILE),
                &recovery,
            )
            .and_then(|()| {
                checkpoint::write_offsets(
                    disk,
                    &dir.path.join(LOG_START_OFFSET_CHECKPOINT_FILE),
                    &start,
                )
            })
            .and_then(|()| {
                checkpoint::write_offsets(
                    disk,
                    &dir.path.join(REPLICATION_OFFSET_CHECKPOINT_FILE),
                    &replication,
                )
            });
            dir.health.guard(result)?;
        }
        Ok(())
    }

    /// Applies retention to every online log; returns segments deleted.
    pub fn run_retention(&self, now_ms: i64) -> Result<usize> {
        let mut deleted = 0;
        for (index, log) in self.logs.values() {
            if self.dirs[*index].health.is_offline() {
                continue;
            }
            deleted += lock_log(log).delete_old_segments(now_ms)?;
        }
        Ok(deleted)
    }

    /// Runs `flush.messages`/`flush.ms` on every online log; returns logs flushed.
    pub fn flush_dirty(&self, now_ms: i64) -> Result<usize> {
        let mut flushed = 0;
        for (index, log) in self.logs.values() {
            if self.dirs[*index].health.is_offline() {
                continue;
            }
            flushed += usize::from(lock_log(log).maybe_flush(now_ms)?);
        }
        Ok(flushed)
    }

    /// Closes every log, writes checkpoints and the clean shutdown marker of each online
    /// directory, and releases the directory locks.
    pub fn shutdown(&mut self) -> Result<()> {
        for (index, log) in self.logs.values() {
            if self.dirs[*index].health.is_offline() {
                continue;
            }
            lock_log(log).close()?;
        }
        self.checkpoint_all()?;
        for dir in &self.dirs {
            if dir.health.is_offline() {
                continue;
            }
            let marker = dir.path.join(CLEAN_SHUTDOWN_FILE);
            checkpoint::write_atomically(
                self.disk.as_ref(),
                &marker,
                b"{\"version\":0,\"brokerEpoch\":-1}",
            )?;
        }
        self.logs.clear();
        for dir in &mut self.dirs {
            dir._lock = None;
            dir.log_count = 0;
        }
        Ok(())
    }
}
