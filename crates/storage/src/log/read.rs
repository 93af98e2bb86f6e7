//! Reads as file ranges (for `sendfile(2)`) and timestamp lookups (ListOffsets).

use std::fs::File;
use std::sync::Arc;

use super::Log;
use crate::error::{Result, StorageError};

/// A byte range of a segment file holding whole batches.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The segment file (kept open by this handle even if the segment is deleted).
    pub file: Arc<File>,
    /// Start position in bytes.
    pub position: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Where an offset lives (Kafka `LogOffsetMetadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOffsetMetadata {
    /// The offset.
    pub message_offset: i64,
    /// Base offset of the segment holding it.
    pub segment_base_offset: i64,
    /// Byte position of its batch in the segment.
    pub relative_position_in_segment: u64,
}

/// The result of [`Log::read`] (Kafka `FetchDataInfo`).
#[derive(Debug, Clone)]
pub struct FetchData {
    /// Where the requested offset lives.
    pub first_offset_metadata: LogOffsetMetadata,
    /// Whole batches, in offset order (possibly spanning segments).
    pub ranges: Vec<FileRange>,
    /// Total bytes in `ranges`.
    pub total_bytes: u64,
    /// The offset after the last batch returned (the start offset when nothing is returned).
    pub next_offset: i64,
}

/// A ListOffsets answer (Kafka `FileRecords.TimestampAndOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampAndOffset {
    /// The timestamp found (-1 for earliest/latest).
    pub timestamp: i64,
    /// The offset.
    pub offset: i64,
    /// The leader epoch of that offset, when known.
    pub leader_epoch: Option<i32>,
}

/// ListOffsets special timestamps (Kafka `ListOffsetsRequest`).
pub mod special_timestamps {
    /// The log end offset.
    pub const LATEST: i64 = -1;
    /// The log start offset.
    pub const EARLIEST: i64 = -2;
    /// The record with the largest timestamp (KIP-734).
    pub const MAX_TIMESTAMP: i64 = -3;
    /// The earliest offset on local storage (KIP-405); same as earliest without tiering.
    pub const EARLIEST_LOCAL: i64 = -4;
}

impl Log {
    /// Reads whole batches starting with the one holding `start_offset`, up to `max_bytes`
    /// (at least one batch when `min_one_batch`), excluding batches that reach `max_offset`
    /// (exclusive bound, e.g. the high watermark). Errors with
    /// [`StorageError::OffsetOutOfRange`] outside `[log_start_offset, log_end_offset]`.
    pub fn read(
        &self,
        start_offset: i64,
        max_bytes: usize,
        max_offset: Option<i64>,
        min_one_batch: bool,
    ) -> Result<FetchData> {
        self.check_online()?;
        let result = self.read_inner(start_offset, max_bytes as u64, max_offset, min_one_batch);
        self.guard(result)
    }

    fn read_inner(
        &self,
        start_offset: i64,
        max_bytes: u64,
        max_offset: Option<i64>,
        min_one_batch: bool,
    ) -> Result<FetchData> {
        if start_offset < self.log_start_offset || start_offset > self.log_end_offset {
            return Err(StorageError::OffsetOutOfRange {
                offset: start_offset,
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset,
            });
        }
        let floor = self
            .segments
            .range(..=start_offset)
            .next_back()
            .map_or(i64::MIN, |(base, _)| *base);
        let mut data = FetchData {
            first_offset_metadata: LogOffsetMetadata {
                message_offset: start_offset,
                segment_base_offset: self.active_segment()?.base_offset,
                relative_position_in_segment: self.active_segment()?.size(),
            },
            ranges: Vec::new(),
            total_bytes: 0,
            next_offset: start_offset,
        };
        let mut located = false;
        'segments: for segment in self.segments.range(floor..).map(|(_, s)| s) {
            let first = if located {
                segment.read_header(0)?
            } else {
                segment.translate_offset(start_offset)?
            };
            let Some(first) = first else { continue };
            if !located {
                data.first_offset_metadata = LogOffsetMetadata {
                    message_offset: start_offset,
                    segment_base_offset: segment.base_offset,
                    relative_position_in_segment: first.position,
                };
                located = true;
            }
            let mut position = first.position;
            let mut range_len = 0u64;
            let mut stop = false;
            let mut next = Some(first);
            while let Some(batch) = next {
                if max_offset.is_some_and(|bound| batch.last_offset >= bound) {
                    stop = true;
                    break;
                }
                let fits = data.total_bytes + batch.size <= max_bytes;
                if !(fits || (min_one_batch && data.total_bytes == 0)) {
                    stop = true;
                    break;
                }
                range_len += batch.size;
                data.total_bytes += batch.size;
                data.next_offset = batch.last_offset + 1;
                position += batch.size;
                if !fits {
                    stop = true;
                    break;
                }
                next = segment.read_header(position)?;
            }
            if range_len > 0 {
                data.ranges.push(FileRange {
                    file: segment.file().std_file().clone(),
                    position: first.position,
                    len: range_len,
                });
            }
            if stop {
                break 'segments;
            }
        }
        Ok(data)
    }

    /// ListOffsets by timestamp (Kafka `UnifiedLog.fetchOffsetByTimestamp`): `-2` earliest,
    /// `-1` latest, `-3` max timestamp (KIP-734: the first record carrying the largest
    /// timestamp), `-4` earliest local (KIP-405), otherwise the first record at or after the
    /// log start offset whose timestamp is `>= ts` (Kafka `FileRecords.searchForTimestamp`:
    /// batches are skipped by `maxTimestamp`, only the matching batch is decoded). `None` when
    /// no record qualifies.
    pub fn fetch_offset_by_timestamp(&self, ts: i64) -> Result<Option<TimestampAndOffset>> {
        self.check_online()?;
        let result = self.fetch_offset_by_timestamp_inner(ts);
        self.guard(result)
    }

    fn fetch_offset_by_timestamp_inner(&self, ts: i64) -> Result<Option<TimestampAndOffset>> {
        use special_timestamps::*;
        match ts {
            EARLIEST | EARLIEST_LOCAL => {
                let offset = self.log_start_offset;
                return Ok(Some(TimestampAndOffset {
                    timestamp: -1,
                    offset,
                    leader_epoch: self.epoch_cache.epoch_for_offset(offset),
                }));
            }
            LATEST => {
                return Ok(Some(TimestampAndOffset {
                    timestamp: -1,
                    offset: self.log_end_offset,
                    leader_epoch: self.epoch_cache.latest_epoch(),
                }));
            }
            MAX_TIMESTAMP => {
                let best = self
                    .segments
                    .values()
                    .filter(|s| s.size() > 0 && s.max_timestamp_so_far() >= 0)
                    .max_by_key(|s| (s.max_timestamp_so_far(), std::cmp::Reverse(s.base_offset)));
                let Some(segment) = best else { return Ok(None) };
                let max = segment.max_timestamp_so_far();
                let Some(batch) =
                    segment.translate_offset(segment.offset_of_max_timestamp_so_far())?
                else {
                    return Ok(None);
                };
                // KIP-734 (KAFKA-16310): the offset of the first record carrying the max timestamp.
                let found =
                    self.first_record_at_or_after(segment, &batch, max, self.log_start_offset)?;
                return Ok(found.or(Some(TimestampAndOffset {
                    timestamp: max,
                    offset: batch.last_offset,
                    leader_epoch: (batch.leader_epoch >= 0).then_some(batch.leader_epoch),
                })));
            }
            t if t < 0 => {
                return Err(StorageError::InvalidArgument(format!(
                    "unsupported ListOffsets timestamp {t}"
                )));
            }
            _ => {}
        }
        for segment in self.segments.values() {
            if segment.size() == 0 || segment.max_timestamp_so_far() < ts {
                continue;
            }
            let entry = segment.time_index.lookup(ts);
            let from = entry.offset.max(self.log_start_offset);
            let mut position = segment.offset_index.lookup(from).position;
            while let Some(batch) = segment.read_header(position)? {
                if batch.max_timestamp >= ts
                    && batch.last_offset >= self.log_start_offset
                    && let Some(found) =
                        self.first_record_at_or_after(segment, &batch, ts, self.log_start_offset)?
                {
                    return Ok(Some(found));
                }
                position += batch.size;
            }
        }
        Ok(None)
    }

    /// Decodes one batch and returns its first record with `timestamp >= ts` and
    /// `offset >= min_offset`.
    fn first_record_at_or_after(
        &self,
        segment: &crate::segment::LogSegment,
        batch: &crate::segment::BatchMeta,
        ts: i64,
        min_offset: i64,
    ) -> Result<Option<TimestampAndOffset>> {
        let mut bytes = vec![0u8; batch.size as usize];
        segment
            .file()
            .read_exact_at(&mut bytes, batch.position)
            .map_err(|e| StorageError::io(segment.log_path(), e))?;
        let cap = usize::try_from(self.config.max_message_bytes)
            .unwrap_or(usize::MAX)
            .saturating_mul(DECOMPRESSION_RATIO_MAX);
        for record in fjord_record::records(&bytes, cap)? {
            let record = record?;
            if record.timestamp >= ts && record.offset >= min_offset {
                return Ok(Some(TimestampAndOffset {
                    timestamp: record.timestamp,
                    offset: record.offset,
                    leader_epoch: (batch.leader_epoch >= 0).then_some(batch.leader_epoch),
                }));
            }
        }
        Ok(None)
    }
}

/// Cap on decompressed batch size for timestamp lookups, as a multiple of
/// `max.message.bytes`: generous for real compression ratios, bounded against bombs.
const DECOMPRESSION_RATIO_MAX: usize = 64;
