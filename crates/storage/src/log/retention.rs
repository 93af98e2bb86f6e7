//! Truncation, retention, DeleteRecords and close.

use std::path::PathBuf;

use super::Log;
use crate::error::{Result, StorageError};
use crate::segment::{DELETED_FILE_SUFFIX, LogSegment};

impl Log {
    /// Removes everything at or after `offset` (follower truncation, Kafka
    /// `UnifiedLog.truncateTo`). A no-op when `offset >= log_end_offset`; below the log start
    /// offset it empties the log and restarts it at `offset`. If `offset` falls inside a batch,
    /// the whole batch goes (the log end offset becomes that batch's base offset).
    pub fn truncate_to(&mut self, offset: i64) -> Result<()> {
        self.check_online()?;
        if offset >= self.log_end_offset {
            return Ok(());
        }
        if offset < self.log_start_offset {
            return self.truncate_fully_and_start_at(offset);
        }
        let result = self.truncate_to_inner(offset);
        self.guard(result)
    }

    fn truncate_to_inner(&mut self, offset: i64) -> Result<()> {
        self.finish_roll_flush(true)?;
        let doomed: Vec<i64> = self.segments.range(offset + 1..).map(|(b, _)| *b).collect();
        let keep_any = self.segments.range(..=offset).next().is_some();
        for base in doomed {
            if !keep_any && self.segments.len() == 1 {
                break;
            }
            self.delete_segment_files(base)?;
        }
        let index_bytes = self.config.segment_index_bytes;
        let active = self.active_segment_mut()?;
        active.truncate_to(offset, index_bytes)?;
        active.unseal(index_bytes)?;
        self.log_end_offset = active.next_offset();
        self.recovery_point = self.recovery_point.min(self.log_end_offset);
        if let Some(hw) = self.high_watermark {
            self.high_watermark = Some(hw.min(self.log_end_offset));
        }
        self.epoch_cache.truncate_from_end(self.log_end_offset)?;
        let now_ms = self.clock_ms;
        self.truncate_producer_state(now_ms)
    }

    /// Deletes every segment and restarts the log empty at `offset` (Kafka
    /// `truncateFullyAndStartAt`).
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<()> {
        self.check_online()?;
        let result = self.truncate_fully_inner(offset);
        self.guard(result)
    }

    fn truncate_fully_inner(&mut self, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(StorageError::InvalidArgument(format!(
                "cannot restart a log at negative offset {offset}"
            )));
        }
        self.finish_roll_flush(true)?;
        let now_ms = self.clock_ms;
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        for base in bases {
            self.delete_segment_files(base)?;
        }
        let segment = LogSegment::create(&self.disk, &self.dir, offset, &self.config, now_ms)?;
        self.segments.insert(offset, segment);
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.recovery_point = offset;
        self.high_watermark = self.high_watermark.map(|_| offset);
        self.unflushed_messages = 0;
        self.epoch_cache.clear()?;
        self.producer_state.truncate_fully_and_start_at(offset)
    }

    /// Removes a segment from the log and renames its files to `*.deleted`; they are removed
    /// after `file.delete.delay.ms` by [`Log::delete_old_segments`] (Kafka
    /// `LocalLog.deleteSegmentFiles`). Open file ranges keep working meanwhile.
    fn delete_segment_files(&mut self, base: i64) -> Result<()> {
        let Some(segment) = self.segments.remove(&base) else {
            return Ok(());
        };
        let paths = segment.paths();
        drop(segment);
        self.producer_state.delete_snapshot(base)?;
        let due = self
            .clock_ms
            .saturating_add(self.config.file_delete_delay_ms);
        for path in paths {
            if !self.disk.exists(&path) {
                continue;
            }
            let mut deleted = path.clone().into_os_string();
            deleted.push(DELETED_FILE_SUFFIX);
            let deleted = PathBuf::from(deleted);
            self.disk
                .rename(&path, &deleted)
                .map_err(|e| StorageError::io(&path, e))?;
            if self.config.file_delete_delay_ms <= 0 {
                self.disk
                    .remove_file(&deleted)
                    .map_err(|e| StorageError::io(&deleted, e))?;
            } else {
                self.pending_deletes.push((due, deleted));
            }
        }
        Ok(())
    }

    fn purge_deleted_files(&mut self, now_ms: i64) -> Result<()> {
        let (due, later): (Vec<_>, Vec<_>) = self
            .pending_deletes
            .drain(..)
            .partition(|(at, _)| *at <= now_ms);
        self.pending_deletes = later;
        for (_, path) in due {
            if self.disk.exists(&path) {
                self.disk
                    .remove_file(&path)
                    .map_err(|e| StorageError::io(&path, e))?;
            }
        }
        Ok(())
    }

    /// The offset retention may not pass: the high watermark, or the log end offset.
    fn retention_bound(&self) -> i64 {
        self.high_watermark.unwrap_or(self.log_end_offset)
    }

    /// Deletes segments past `retention.ms`, beyond `retention.bytes`, or wholly below the log
    /// start offset (Kafka `UnifiedLog.deleteOldSegments`). Only segments entirely below the
    /// high watermark go; if every segment goes, a new empty one is rolled first so the log
    /// always has an active segment. Returns the number of segments deleted.
    pub fn delete_old_segments(&mut self, now_ms: i64) -> Result<usize> {
        self.check_online()?;
        self.clock_ms = self.clock_ms.max(now_ms);
        let result = self.delete_old_segments_inner(now_ms);
        self.guard(result)
    }

    fn delete_old_segments_inner(&mut self, now_ms: i64) -> Result<usize> {
        self.purge_deleted_files(now_ms)?;
        // Kafka runs this every `producer.id.expiration.check.interval.ms`; retention is our
        // periodic pass.
        self.producer_state.remove_expired_producers(now_ms);
        let bound = self.retention_bound();
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        // Kafka `UnifiedLog.deleteOldSegments`: without `delete` in `cleanup.policy` only
        // segments below the log start offset go; `compact,delete` applies both.
        let retention_applies = self.config.cleanup_policy.delete;
        let mut size_excess = if retention_applies && self.config.retention_bytes >= 0 {
            self.size_bytes() as i64 - self.config.retention_bytes
        } else {
            i64::MIN
        };
        let mut doomed = Vec::new();
        for (i, base) in bases.iter().enumerate() {
            let Some(segment) = self.segments.get(base) else {
                break;
            };
            let upper = bases.get(i + 1).copied().unwrap_or(self.log_end_offset);
            if segment.size() == 0 || upper > bound {
                break;
            }
            let size = segment.size() as i64;
            let by_start = upper <= self.log_start_offset;
            let by_time = retention_applies
                && self.config.retention_ms >= 0
                && now_ms - segment.largest_timestamp() > self.config.retention_ms;
            let by_size = size_excess != i64::MIN && size_excess - size >= 0;
            if !(by_start || by_time || by_size) {
                break;
            }
            if size_excess != i64::MIN {
                size_excess -= size;
            }
            doomed.push(*base);
        }
        if doomed.is_empty() {
            return Ok(0);
        }
        if doomed.len() == self.segments.len() {
            let base = self.log_end_offset;
            let segment = LogSegment::create(&self.disk, &self.dir, base, &self.config, now_ms)?;
            if let Some(active) = self.segments.values_mut().next_back() {
                active.seal()?;
                active.flush()?;
            }
            self.segments.insert(base, segment);
        }
        for base in &doomed {
            tracing::info!(dir = %self.dir.display(), segment_base_offset = base, "deleting segment by retention");
            self.delete_segment_files(*base)?;
        }
        if let Some(first) = self.segments.keys().next() {
            self.log_start_offset = self.log_start_offset.max(*first);
        }
        self.epoch_cache
            .truncate_from_start(self.log_start_offset)?;
        self.producer_state
            .on_log_start_offset_incremented(self.log_start_offset);
        self.purge_deleted_files(now_ms)?;
        Ok(doomed.len())
    }

    /// Raises the log start offset (DeleteRecords, Kafka `maybeIncrementLogStartOffset`).
    /// `offset` may not exceed the high watermark (or log end offset); returns the log start
    /// offset after the call. Segments wholly below it are deleted by the next
    /// [`Log::delete_old_segments`].
    pub fn maybe_increment_log_start_offset(&mut self, offset: i64) -> Result<i64> {
        self.check_online()?;
        let bound = self.retention_bound();
        if offset > bound {
            return Err(StorageError::OffsetOutOfRange {
                offset,
                log_start_offset: self.log_start_offset,
                log_end_offset: bound,
            });
        }
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.producer_state.on_log_start_offset_incremented(offset);
            let result = self.epoch_cache.truncate_from_start(offset);
            self.guard(result)?;
        }
        Ok(self.log_start_offset)
    }

    /// Flushes and seals the active segment (final time index entry, indexes trimmed) so the
    /// next open after a clean shutdown needs no recovery. The log must not be used afterwards
    /// except to be dropped.
    pub fn close(&mut self) -> Result<()> {
        self.check_online()?;
        let result = self.close_inner();
        self.guard(result)
    }

    fn close_inner(&mut self) -> Result<()> {
        // Seal first, then flush once (Kafka `UnifiedLog.close` via `LogManager.shutdown`:
        // `flush(true)` then `close`, one fsync per unflushed segment). Flushing before and
        // after sealing cost a second round of syncs per partition at shutdown.
        self.finish_roll_flush(true)?;
        if let Some(active) = self.segments.values_mut().next_back() {
            active.seal()?;
        }
        self.flush_segments_from(self.recovery_point)?;
        self.recovery_point = self.log_end_offset;
        self.unflushed_messages = 0;
        // No `leader-epoch-checkpoint` rewrite: the cache writes it on every change (Kafka
        // `LeaderEpochFileCache` likewise writes on assign/truncate, not on close).
        // Kafka `UnifiedLog.close`: a snapshot at the log end offset makes the next open
        // replay nothing.
        self.producer_state.set_map_end_offset(self.log_end_offset);
        self.producer_state.take_snapshot()?;
        let pending: Vec<PathBuf> = self.pending_deletes.drain(..).map(|(_, p)| p).collect();
        for path in pending {
            if self.disk.exists(&path) {
                self.disk
                    .remove_file(&path)
                    .map_err(|e| StorageError::io(&path, e))?;
            }
        }
        Ok(())
    }
}
