//! Cleaning one log (Kafka `Cleaner.doClean`, `LogCleanerManager.cleanableOffsets`,
//! `LogToClean`).

use std::collections::HashMap;

use fjord_record::BatchHeader;

use super::filter::{FilterContext, FilteredBatch, filter_batch};
use super::offset_map::OffsetMap;
use super::swap::cleaned_log_path;
use super::{CleanerConfig, CleanerError, DECOMPRESSION_RATIO_MAX};
use crate::error::StorageError;
use crate::log::Log;
use crate::segment::{BatchMeta, LogSegment};

/// Which part of a log is clean, which is dirty, and whether it should be cleaned now (Kafka
/// `LogToClean` over `LogCleanerManager.cleanableOffsets`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogToClean {
    /// Where the dirty section starts (the cleaner checkpoint, reset to the log start offset
    /// when it lies outside the log).
    pub first_dirty_offset: i64,
    /// Where cleaning stops: the end of the last whole closed segment below the first
    /// uncleanable offset `min(active segment base, high watermark, first segment holding a
    /// record younger than min.compaction.lag.ms)`.
    pub first_uncleanable_offset: i64,
    /// Bytes of the segments below the dirty section.
    pub clean_bytes: u64,
    /// Bytes of the dirty, cleanable segments.
    pub dirty_bytes: u64,
    /// `max.compaction.lag.ms` passed for the first dirty record (KIP-354).
    pub max_compaction_lag_exceeded: bool,
}

impl LogToClean {
    /// `dirty / (clean + dirty)`, 0 for an empty log.
    pub fn cleanable_ratio(&self) -> f64 {
        let total = self.clean_bytes + self.dirty_bytes;
        if total == 0 {
            0.0
        } else {
            self.dirty_bytes as f64 / total as f64
        }
    }

    /// Whether the log is due for cleaning (Kafka `grabFilthiestCompactedLog`:
    /// `needCompactionNow && cleanableBytes > 0 || cleanableRatio > minCleanableRatio`).
    pub fn is_due(&self, min_cleanable_dirty_ratio: f64) -> bool {
        self.dirty_bytes > 0
            && (self.max_compaction_lag_exceeded
                || self.cleanable_ratio() > min_cleanable_dirty_ratio)
    }
}

/// What a cleaning round did (Kafka `CleanerStats`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CleanStats {
    /// Offset the cleaner checkpoint moves to.
    pub end_offset: i64,
    /// Distinct keys in the offset map.
    pub map_keys: usize,
    /// Segment groups rewritten.
    pub groups: usize,
    /// Records read from the cleaned segments.
    pub records_read: u64,
    /// Records kept.
    pub records_kept: u64,
    /// Bytes of the segments before cleaning.
    pub bytes_before: u64,
    /// Bytes of the cleaned segments.
    pub bytes_after: u64,
    /// The earliest delete horizon of a kept tombstone: cleaning again after it removes it.
    pub earliest_delete_horizon: Option<i64>,
}

/// `(base, upper, size)` of every closed segment (the active one is never cleaned); `upper`
/// is the next segment's base.
fn bounds(log: &Log) -> Vec<(i64, i64, u64)> {
    let segments = log.segments_for_cleaning();
    let bases: Vec<i64> = segments.keys().copied().collect();
    bases
        .windows(2)
        .map(|pair| {
            let size = segments.get(&pair[0]).map_or(0, LogSegment::size);
            (pair[0], pair[1], size)
        })
        .collect()
}

/// Computes the clean and dirty sections of `log` given its cleaner checkpoint.
pub fn log_to_clean(log: &Log, checkpoint: Option<i64>, now_ms: i64) -> LogToClean {
    let config = log.config();
    let log_start = log.log_start_offset();
    let log_end = log.log_end_offset();
    let mut first_dirty = checkpoint.unwrap_or(log_start);
    if first_dirty < log_start || first_dirty > log_end {
        first_dirty = log_start;
    }
    let bounds = bounds(log);
    let segments = log.segments_for_cleaning();
    let active_base = segments.keys().next_back().copied().unwrap_or(log_end);
    let mut uncleanable = active_base.min(log.high_watermark().unwrap_or(log_end));
    if config.min_compaction_lag_ms > 0 {
        // KIP-58: the first segment holding a record younger than the lag stays dirty.
        let young_after = now_ms.saturating_sub(config.min_compaction_lag_ms);
        if let Some((base, ..)) = bounds.iter().find(|(base, upper, _)| {
            *upper > first_dirty
                && *base < uncleanable
                && segments
                    .get(base)
                    .is_some_and(|s| s.largest_timestamp() > young_after)
        }) {
            uncleanable = uncleanable.min(*base);
        }
    }
    let clean_end = bounds
        .iter()
        .filter(|(_, upper, _)| *upper <= uncleanable)
        .map(|(_, upper, _)| *upper)
        .max()
        .unwrap_or(first_dirty)
        .max(first_dirty);
    let clean_bytes = bounds
        .iter()
        .filter(|(_, upper, _)| *upper <= first_dirty)
        .map(|b| b.2)
        .sum();
    let dirty: Vec<_> = bounds
        .iter()
        .filter(|(_, upper, _)| *upper > first_dirty && *upper <= clean_end)
        .collect();
    let dirty_bytes = dirty.iter().map(|b| b.2).sum();
    let max_compaction_lag_exceeded = config.max_compaction_lag_ms < i64::MAX
        && dirty.first().is_some_and(|(base, ..)| {
            // KIP-354: the first dirty segment's first batch timestamp.
            segments
                .get(base)
                .and_then(|s| s.read_header(0).ok().flatten())
                .is_some_and(|meta| {
                    meta.max_timestamp >= 0
                        && now_ms.saturating_sub(meta.max_timestamp) > config.max_compaction_lag_ms
                })
        });
    LogToClean {
        first_dirty_offset: first_dirty,
        first_uncleanable_offset: clean_end,
        clean_bytes,
        dirty_bytes,
        max_compaction_lag_exceeded,
    }
}

/// Reads the batches of a segment, one buffer per batch.
fn for_each_batch(
    segment: &LogSegment,
    mut visit: impl FnMut(&BatchMeta, &[u8]) -> Result<(), CleanerError>,
) -> Result<(), CleanerError> {
    let mut position = 0u64;
    let mut buf = Vec::new();
    while let Some(meta) = segment.read_header(position)? {
        buf.resize(meta.size as usize, 0);
        segment
            .file()
            .read_exact_at(&mut buf, position)
            .map_err(|e| StorageError::io(segment.log_path(), e))?;
        visit(&meta, &buf)?;
        position += meta.size;
    }
    Ok(())
}

/// Sum of `recordCount` over a segment's batches (header walk, no decoding).
fn record_count(segment: &LogSegment) -> Result<u64, CleanerError> {
    let mut position = 0u64;
    let mut count = 0u64;
    let mut header = [0u8; fjord_record::header::HEADER_BYTES];
    while let Some(meta) = segment.read_header(position)? {
        segment
            .file()
            .read_exact_at(&mut header, position)
            .map_err(|e| StorageError::io(segment.log_path(), e))?;
        count += u64::try_from(BatchHeader::new(&header)?.record_count()).unwrap_or(0);
        position += meta.size;
    }
    Ok(count)
}

/// Kafka `Cleaner.buildOffsetMap`: maps every key in the dirty section to its latest offset,
/// whole segments at a time while they fit `offset_map_entries_max` (the first always goes
/// in). Returns the map and the offset the mapped range ends at (exclusive).
fn build_offset_map(
    log: &Log,
    to_clean: &LogToClean,
    config: &CleanerConfig,
    decompressed_cap: usize,
) -> Result<(OffsetMap, i64), CleanerError> {
    let first_dirty = to_clean.first_dirty_offset;
    let mut map = OffsetMap::new(first_dirty);
    let mut end = first_dirty;
    for (base, upper, _) in bounds(log) {
        if upper <= first_dirty || upper > to_clean.first_uncleanable_offset {
            continue;
        }
        let Some(segment) = log.segments_for_cleaning().get(&base) else {
            continue;
        };
        if !map.is_empty() {
            let worst_case = map.len() as u64 + record_count(segment)?;
            if worst_case > config.offset_map_entries_max as u64 {
                break;
            }
        }
        for_each_batch(segment, |_, batch| {
            let header = BatchHeader::validate(batch, batch.len())?;
            if header.attributes().is_control() || header.last_offset() < first_dirty {
                return Ok(());
            }
            for record in fjord_record::records(batch, decompressed_cap)? {
                let record = record?;
                if record.offset >= first_dirty
                    && let Some(key) = &record.record.key
                {
                    map.put(key, record.offset);
                }
            }
            Ok(())
        })?;
        end = upper;
    }
    map.update_latest_offset(end - 1);
    Ok((map, end))
}

/// Kafka `Cleaner.groupSegmentsBySize`: consecutive segments below `end` whose total size
/// stays within `segment.bytes`, total index entries within `segment.index.bytes`, and offset
/// span within a 4-byte relative offset.
fn group_segments(log: &Log, end: i64) -> Vec<Vec<i64>> {
    let config = log.config();
    let max_bytes = config.segment_bytes_effective();
    let max_index_bytes = config.segment_index_bytes;
    let segments = log.segments_for_cleaning();
    let mut groups: Vec<Vec<i64>> = Vec::new();
    let mut current: Vec<i64> = Vec::new();
    let (mut bytes, mut index_bytes) = (0u64, 0u64);
    for (base, upper, size) in bounds(log) {
        if upper > end {
            break;
        }
        let segment_index_bytes = segments.get(&base).map_or(0, |s| {
            (s.offset_index.file.entries() as u64 * 8).max(s.time_index.file.entries() as u64 * 12)
        });
        let fits = current.first().is_some_and(|first| {
            bytes + size <= max_bytes
                && index_bytes + segment_index_bytes <= max_index_bytes
                && upper - 1 - first <= i64::from(i32::MAX)
        });
        if !fits && !current.is_empty() {
            groups.push(std::mem::take(&mut current));
            (bytes, index_bytes) = (0, 0);
        }
        current.push(base);
        bytes += size;
        index_bytes += segment_index_bytes;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Cleans `log` from its first segment up to the end of the mapped dirty section (Kafka
/// `Cleaner.doClean`): builds the offset map, rewrites each segment group into a
/// `.cleaned` file and swaps it in. The caller holds the log's lock throughout.
pub fn clean_log(
    log: &mut Log,
    to_clean: &LogToClean,
    config: &CleanerConfig,
    now_ms: i64,
) -> Result<CleanStats, CleanerError> {
    let decompressed_cap = usize::try_from(log.config().max_message_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(DECOMPRESSION_RATIO_MAX);
    let (map, end) = build_offset_map(log, to_clean, config, decompressed_cap)?;
    let producer_last_offsets: HashMap<i64, i64> = log.producer_last_offsets();
    let mut stats = CleanStats {
        end_offset: end,
        map_keys: map.len(),
        ..CleanStats::default()
    };
    let ctx = FilterContext {
        map: &map,
        now_ms,
        delete_retention_ms: log.config().delete_retention_ms,
        producer_last_offsets: &producer_last_offsets,
        decompressed_cap,
    };
    for group in group_segments(log, end) {
        let result = write_cleaned(log, &group, &ctx, &mut stats);
        if let Err(CleanerError::Storage(err)) = &result
            && err.is_dir_failure()
        {
            log.mark_dir_offline();
        }
        result?;
        log.replace_with_cleaned(&group)?;
        stats.groups += 1;
    }
    Ok(stats)
}

/// Step 1 of the swap: filters the group's batches into `<first base>.log.cleaned`, fsynced.
fn write_cleaned(
    log: &Log,
    group: &[i64],
    ctx: &FilterContext<'_>,
    stats: &mut CleanStats,
) -> Result<(), CleanerError> {
    let Some(&base) = group.first() else {
        return Ok(());
    };
    let disk = log.disk_for_cleaning().clone();
    let path = cleaned_log_path(log.dir(), base);
    let io = |e| CleanerError::Storage(StorageError::io(&path, e));
    let file = disk.open(&path, true).map_err(io)?;
    file.set_len(0).map_err(io)?;
    let mut written = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    for old in group {
        let Some(segment) = log.segments_for_cleaning().get(old) else {
            continue;
        };
        stats.bytes_before += segment.size();
        for_each_batch(segment, |_, batch| {
            let (outcome, counts, horizon) = filter_batch(batch, ctx)?;
            stats.records_read += counts.records_read;
            stats.records_kept += counts.records_kept;
            if let Some(h) = horizon {
                stats.earliest_delete_horizon =
                    Some(stats.earliest_delete_horizon.map_or(h, |e| e.min(h)));
            }
            match outcome {
                FilteredBatch::Original => pending.extend_from_slice(batch),
                FilteredBatch::Rebuilt(bytes) => pending.extend_from_slice(&bytes),
                FilteredBatch::Dropped => {}
            }
            if pending.len() >= WRITE_BUFFER_BYTES {
                file.write_all_at(&pending, written).map_err(io)?;
                written += pending.len() as u64;
                pending.clear();
            }
            Ok(())
        })?;
    }
    file.write_all_at(&pending, written).map_err(io)?;
    written += pending.len() as u64;
    file.sync_data().map_err(io)?;
    drop(file);
    disk.sync_dir(log.dir())
        .map_err(|e| CleanerError::Storage(StorageError::io(log.dir(), e)))?;
    stats.bytes_after += written;
    Ok(())
}

/// Bytes of cleaned batches buffered before a write to the `.cleaned` file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;
