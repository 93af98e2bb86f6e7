//! Which logs to clean and where each one's dirty section starts (Kafka
//! `LogCleanerManager`): the per-directory `cleaner-offset-checkpoint`, the set of logs whose
//! cleaning failed, and the delete horizons that make a log worth cleaning again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use fjord_common::TopicPartition;

use super::CleanerConfig;
use super::clean::{CleanStats, clean_log, log_to_clean};
use crate::checkpoint;
use crate::disk::Disk;
use crate::error::Result;
use crate::log::Log;
use crate::log_manager::SharedLog;

/// Per-log-dir file of cleaner checkpoints (Kafka `LogCleanerManager.offsetCheckpointFile`),
/// in Kafka's `CheckpointFile` format: `0\n<n>\n` then `<topic> <partition> <offset>` lines.
pub const CLEANER_OFFSET_CHECKPOINT_FILE: &str = "cleaner-offset-checkpoint";

/// What one [`LogCleanerManager::run`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanerRunSummary {
    /// Logs cleaned, with what cleaning did to each.
    pub cleaned: Vec<(TopicPartition, CleanStats)>,
    /// Logs whose cleaning failed in this run (now marked uncleanable).
    pub failed: Vec<TopicPartition>,
}

/// One log handed to [`LogCleanerManager::run`].
#[derive(Debug, Clone)]
pub struct CleanerCandidate {
    /// The partition.
    pub topic_partition: TopicPartition,
    /// The log directory (parent of the partition directory) whose checkpoint covers it.
    pub log_dir: PathBuf,
    /// The log.
    pub log: SharedLog,
}

/// The cleaner's state across runs. See the module docs.
#[derive(Debug, Default)]
pub struct LogCleanerManager {
    config: CleanerConfig,
    checkpoints: BTreeMap<PathBuf, BTreeMap<TopicPartition, i64>>,
    uncleanable: BTreeSet<TopicPartition>,
    delete_horizons: HashMap<TopicPartition, i64>,
}

fn lock_log(log: &SharedLog) -> MutexGuard<'_, Log> {
    // Same policy as the log manager: a panic elsewhere leaves the log consistent at every `?`.
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LogCleanerManager {
    /// A manager with no checkpoints loaded.
    pub fn new(config: CleanerConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Reads `<log_dir>/cleaner-offset-checkpoint` (a missing file is empty).
    pub fn load_checkpoint(&mut self, disk: &dyn Disk, log_dir: &Path) -> Result<()> {
        let offsets =
            checkpoint::read_offsets(disk, &log_dir.join(CLEANER_OFFSET_CHECKPOINT_FILE))?;
        self.checkpoints.insert(log_dir.to_path_buf(), offsets);
        Ok(())
    }

    /// The cleaner checkpoint of `tp` in `log_dir`: where its dirty section starts.
    pub fn checkpoint(&self, log_dir: &Path, tp: &TopicPartition) -> Option<i64> {
        self.checkpoints.get(log_dir)?.get(tp).copied()
    }

    /// Partitions whose cleaning failed; they are skipped until the broker restarts.
    pub fn uncleanable_partitions(&self) -> Vec<TopicPartition> {
        self.uncleanable.iter().cloned().collect()
    }

    /// Forgets `tp` (its log was deleted) and rewrites the directory's checkpoint.
    pub fn remove(&mut self, disk: &dyn Disk, log_dir: &Path, tp: &TopicPartition) -> Result<()> {
        self.uncleanable.remove(tp);
        self.delete_horizons.remove(tp);
        let removed = self
            .checkpoints
            .get_mut(log_dir)
            .and_then(|offsets| offsets.remove(tp));
        if removed.is_some() {
            self.write_checkpoint(disk, log_dir)?;
        }
        Ok(())
    }

    fn write_checkpoint(&self, disk: &dyn Disk, log_dir: &Path) -> Result<()> {
        let empty = BTreeMap::new();
        let offsets = self.checkpoints.get(log_dir).unwrap_or(&empty);
        checkpoint::write_offsets(disk, &log_dir.join(CLEANER_OFFSET_CHECKPOINT_FILE), offsets)
    }

    /// Cleans every compacted log that is due (Kafka cleans the filthiest log per cleaner
    /// thread wake-up; we clean all that are due, in topic-partition order). A failure marks
    /// that log uncleanable and is logged; the other logs go on.
    pub fn run(
        &mut self,
        disk: &dyn Disk,
        candidates: &[CleanerCandidate],
        now_ms: i64,
    ) -> CleanerRunSummary {
        let mut summary = CleanerRunSummary::default();
        let mut sorted: Vec<&CleanerCandidate> = candidates.iter().collect();
        sorted.sort_by(|a, b| a.topic_partition.cmp(&b.topic_partition));
        for candidate in sorted {
            let tp = &candidate.topic_partition;
            if self.uncleanable.contains(tp) {
                continue;
            }
            match self.clean_one(disk, candidate, now_ms) {
                Ok(Some(stats)) => summary.cleaned.push((tp.clone(), stats)),
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(partition = %tp, error = %err, "log cleaning failed; marking the partition uncleanable");
                    self.uncleanable.insert(tp.clone());
                    summary.failed.push(tp.clone());
                }
            }
        }
        summary
    }

    fn clean_one(
        &mut self,
        disk: &dyn Disk,
        candidate: &CleanerCandidate,
        now_ms: i64,
    ) -> std::result::Result<Option<CleanStats>, super::CleanerError> {
        let tp = &candidate.topic_partition;
        let mut log = lock_log(&candidate.log);
        if !log.config().cleanup_policy.compact {
            return Ok(None);
        }
        let checkpoint = self.checkpoint(&candidate.log_dir, tp);
        let to_clean = log_to_clean(&log, checkpoint, now_ms);
        let ratio = log.config().min_cleanable_dirty_ratio.0;
        // KIP-534: tombstones whose horizon passed are only removed by a new round.
        let horizon_passed = self
            .delete_horizons
            .get(tp)
            .is_some_and(|horizon| *horizon <= now_ms);
        if !(to_clean.is_due(ratio) || horizon_passed) {
            return Ok(None);
        }
        tracing::info!(
            partition = %tp,
            first_dirty_offset = to_clean.first_dirty_offset,
            first_uncleanable_offset = to_clean.first_uncleanable_offset,
            dirty_ratio = to_clean.cleanable_ratio(),
            "cleaning log"
        );
        let stats = clean_log(&mut log, &to_clean, &self.config, now_ms)?;
        drop(log);
        match stats.earliest_delete_horizon {
            Some(horizon) => self.delete_horizons.insert(tp.clone(), horizon),
            None => self.delete_horizons.remove(tp),
        };
        self.checkpoints
            .entry(candidate.log_dir.clone())
            .or_default()
            .insert(tp.clone(), stats.end_offset);
        self.write_checkpoint(disk, &candidate.log_dir)?;
        Ok(Some(stats))
    }
}
