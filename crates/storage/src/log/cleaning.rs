//! Hooks the log cleaner ([`crate::cleaner`]) needs inside a log: its segments, its producers'
//! last offsets, and swapping a cleaned segment in for a group of old ones.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::Log;
use crate::cleaner::swap::{cleaned_log_path, remove_if_exists, segment_paths, swap_log_path};
use crate::disk::Disk;
use crate::error::{Result, StorageError};
use crate::segment::LogSegment;

impl Log {
    /// The segments by base offset (the last one is the active segment).
    pub(crate) fn segments_for_cleaning(&self) -> &BTreeMap<i64, LogSegment> {
        &self.segments
    }

    /// The disk the log's files live on.
    pub(crate) fn disk_for_cleaning(&self) -> &Arc<dyn Disk> {
        &self.disk
    }

    /// Producer id → last offset of its last batch, for the producers the log still tracks
    /// (Kafka `Cleaner` reads `producerStateManager.activeProducers` for `RETAIN_EMPTY`).
    pub(crate) fn producer_last_offsets(&self) -> HashMap<i64, i64> {
        self.producer_state
            .active_producers()
            .iter()
            .filter(|(_, entry)| !entry.is_empty())
            .map(|(id, entry)| (*id, entry.last_data_offset()))
            .collect()
    }

    /// Takes the log directory offline after an I/O failure outside the log's own calls.
    pub(crate) fn mark_dir_offline(&self) {
        self.dir_health.mark_offline();
    }

    /// Replaces the segments at `group` (consecutive, not the active one, the first at
    /// `group[0]`) by the already written and fsynced `<group[0]>.log.cleaned` (Kafka
    /// `LocalLog.replaceSegments`; steps 2–4 of [`crate::cleaner::swap`]).
    pub(crate) fn replace_with_cleaned(&mut self, group: &[i64]) -> Result<()> {
        self.check_online()?;
        let result = self.replace_with_cleaned_inner(group);
        self.guard(result)
    }

    fn replace_with_cleaned_inner(&mut self, group: &[i64]) -> Result<()> {
        let Some(&base) = group.first() else {
            return Ok(());
        };
        let active = self.active_segment()?.base_offset;
        assert!(
            group
                .iter()
                .all(|b| *b < active && self.segments.contains_key(b)),
            "cleaning group {group:?} must be closed segments of the log (active {active})"
        );
        let disk = self.disk.clone();
        let cleaned = cleaned_log_path(&self.dir, base);
        let swap = swap_log_path(&self.dir, base);
        // Step 2: the commit point.
        disk.rename(&cleaned, &swap)
            .map_err(|e| StorageError::io(&cleaned, e))?;
        disk.sync_dir(&self.dir)
            .map_err(|e| StorageError::io(&self.dir, e))?;
        // Step 3: the old segments go (readers holding their files keep reading them).
        for old in group {
            if let Some(segment) = self.segments.remove(old) {
                drop(segment);
                for path in segment_paths(&self.dir, *old) {
                    remove_if_exists(disk.as_ref(), &path)?;
                }
            }
        }
        // Step 4: the swap file becomes the segment; its indexes are rebuilt from its batches.
        let [log_path, ..] = segment_paths(&self.dir, base);
        disk.rename(&swap, &log_path)
            .map_err(|e| StorageError::io(&swap, e))?;
        let now_ms = self.clock_ms;
        let mut segment = LogSegment::open(&disk, &self.dir, base, &self.config, now_ms)?;
        let outcome = segment.recover(self.config.segment_index_bytes)?;
        if outcome.truncated_bytes > 0 {
            return Err(StorageError::Corrupt {
                path: log_path,
                reason: format!(
                    "cleaned segment failed validation after the swap ({} bytes cut)",
                    outcome.truncated_bytes
                ),
            });
        }
        segment.seal()?;
        segment.flush()?;
        self.segments.insert(base, segment);
        disk.sync_dir(&self.dir)
            .map_err(|e| StorageError::io(&self.dir, e))
    }
}
