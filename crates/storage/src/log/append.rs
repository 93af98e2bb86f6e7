//! Appends (Kafka `UnifiedLog.appendAsLeader` / `appendAsFollower`), rolling and flushing.

use fjord_record::header::{self, HEADER_BYTES, offsets};
use fjord_record::{BatchHeader, RecordError, TimestampType};

use super::{Log, ROLL_SYNCS_PENDING_MAX};
use crate::error::{Result, StorageError};
use crate::producer_state::{AppendOrigin, ProducerBatch};
use crate::segment::{BatchMeta, LogSegment};

/// What an append did (Kafka `LogAppendInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset of the first record appended.
    pub first_offset: i64,
    /// Offset of the last record appended.
    pub last_offset: i64,
    /// Largest batch `maxTimestamp` appended (after LogAppendTime rewriting), -1 if none.
    pub max_timestamp: i64,
    /// Last offset of the batch holding `max_timestamp` (batch-level, as Kafka's
    /// `shallowOffsetOfMaxTimestamp`).
    pub offset_of_max_timestamp: i64,
    /// The broker time written into the batches under LogAppendTime, else -1.
    pub log_append_time: i64,
    /// Records appended (sum of the batches' `recordCount`).
    pub record_count: u64,
    /// Batches appended.
    pub batch_count: usize,
    /// Bytes appended.
    pub valid_bytes: u64,
    /// The log start offset after the append.
    pub log_start_offset: i64,
    /// The append was a producer's retry of a batch already in the log (KIP-98): nothing was
    /// written and the offsets are the original batch's (Kafka answers such a Produce with
    /// NONE and those offsets, not DUPLICATE_SEQUENCE_NUMBER).
    pub duplicate: bool,
}

/// Per-append summary computed by validation.
struct Validated {
    batches: Vec<BatchMeta>,
    records: u64,
}

/// Walks `bytes` as a sequence of whole batches and validates each (header, CRC, size).
/// `strict_offsets`: Kafka `LogValidator.validateBatch` for client batches: `recordCount` must
/// be positive and equal `lastOffsetDelta + 1`.
fn validate_batches(
    bytes: &[u8],
    max_message_bytes: Option<u64>,
    strict_offsets: bool,
) -> Result<Validated> {
    let mut position = 0usize;
    let mut batches = Vec::new();
    let mut records = 0u64;
    while position < bytes.len() {
        let rest = &bytes[position..];
        let header = BatchHeader::new(rest)?;
        let size = header.total_size();
        if let Some(max) = max_message_bytes
            && size as u64 > max
            && header.batch_length() > 0
        {
            return Err(StorageError::MessageTooLarge { size, max });
        }
        let header = BatchHeader::validate(rest, usize::MAX)?;
        if strict_offsets {
            let count = header.record_count();
            if count <= 0 || i64::from(header.last_offset_delta()) + 1 != i64::from(count) {
                return Err(RecordError::InvalidField {
                    base_offset: header.base_offset(),
                    field: "lastOffsetDelta",
                    reason: format!(
                        "{} inconsistent with recordCount {count} (Kafka LogValidator: batch offset range must equal its record count)",
                        header.last_offset_delta()
                    ),
                }
                .into());
            }
        }
        records += u64::try_from(header.record_count()).unwrap_or(0);
        batches.push(BatchMeta::from_header(position as u64, &header));
        position += size;
    }
    Ok(Validated { batches, records })
}

/// The producer fields of already validated batches.
fn producer_batches_of(bytes: &[u8], metas: &[BatchMeta]) -> Result<Vec<ProducerBatch>> {
    metas
        .iter()
        .map(|meta| {
            let header = BatchHeader::new(&bytes[meta.position as usize..])?;
            Ok(ProducerBatch::from_header(&header))
        })
        .collect()
}

impl Log {
    /// Appends client batches as the leader: validates every batch first (nothing is written
    /// if any is invalid), then assigns offsets from the log end offset by patching
    /// `baseOffset` and `partitionLeaderEpoch`, and under `LogAppendTime` sets the
    /// timestamp-type bit and `maxTimestamp` to `now_ms` and rewrites the CRC.
    ///
    /// `batches` is not modified: the patches go to a copy of each batch's 61-byte header, and
    /// the segment write sends that copy followed by the rest of the batch as received, so the
    /// produce path copies a batch once, into the page cache (design.md, "no copying beyond
    /// one write"). A crash between the two writes leaves a batch whose CRC fails, which
    /// recovery truncates like any torn write.
    ///
    /// Batches with a producer id go through the idempotent producer's checks first
    /// ([`crate::ProducerStateManager::analyze`]): a stale epoch or a sequence gap rejects the
    /// whole append, and a retry of one of the producer's last 5 batches appends nothing and
    /// returns the original offsets with [`AppendInfo::duplicate`] set.
    pub fn append_as_leader(
        &mut self,
        batches: &[u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        self.check_online()?;
        self.finish_roll_flush(false)?;
        self.clock_ms = self.clock_ms.max(now_ms);
        let validated = validate_batches(batches, Some(self.config.max_message_bytes), true)?;
        if self.config.cleanup_policy.compact {
            self.validate_keys(batches, &validated.batches)?;
        }
        let log_append = self.config.message_timestamp_type == TimestampType::LogAppendTime;
        let mut next = self.log_end_offset;
        let mut metas = Vec::with_capacity(validated.batches.len());
        let mut producer_batches = Vec::with_capacity(validated.batches.len());
        let mut heads = Vec::with_capacity(validated.batches.len());
        for meta in &validated.batches {
            let start = meta.position as usize;
            let batch = &batches[start..start + meta.size as usize];
            let mut head = [0u8; HEADER_BYTES];
            head.copy_from_slice(&batch[..HEADER_BYTES]);
            header::set_base_offset(&mut head, next);
            header::set_partition_leader_epoch(&mut head, leader_epoch);
            if log_append {
                let attributes =
                    i16::from_be_bytes([head[offsets::ATTRIBUTES], head[offsets::ATTRIBUTES + 1]])
                        | fjord_record::Attributes::TIMESTAMP_TYPE;
                head[offsets::ATTRIBUTES..offsets::ATTRIBUTES + 2]
                    .copy_from_slice(&attributes.to_be_bytes());
                head[offsets::MAX_TIMESTAMP..offsets::MAX_TIMESTAMP + 8]
                    .copy_from_slice(&now_ms.to_be_bytes());
                let crc = header::compute_crc_split(&head, &batch[HEADER_BYTES..]);
                head[offsets::CRC..offsets::CRC + 4].copy_from_slice(&crc.to_be_bytes());
            }
            let header = BatchHeader::new(&head)?;
            metas.push(BatchMeta::from_header(meta.position, &header));
            producer_batches.push(ProducerBatch::from_header(&header));
            next = header.next_offset();
            heads.push(head);
        }
        let analysis = self.analyze_producers(&producer_batches, AppendOrigin::Client)?;
        if let Some(original) = analysis.duplicate {
            return Ok(self.duplicate_append_info(original));
        }
        let info =
            self.append_validated(batches, Some(&heads), &metas, validated.records, now_ms)?;
        self.producer_state.update(analysis, self.log_end_offset);
        Ok(AppendInfo {
            log_append_time: if log_append { now_ms } else { -1 },
            ..info
        })
    }

    /// Kafka `LogValidator.validateKey`: every record appended to a compacted log has a key
    /// (control batches excepted). Decodes (and decompresses) the records, so it only runs
    /// for compacted logs.
    fn validate_keys(&self, bytes: &[u8], metas: &[BatchMeta]) -> Result<()> {
        let cap = usize::try_from(self.config.max_message_bytes)
            .unwrap_or(usize::MAX)
            .saturating_mul(crate::cleaner::DECOMPRESSION_RATIO_MAX);
        for meta in metas {
            let batch = &bytes[meta.position as usize..(meta.position + meta.size) as usize];
            let header = BatchHeader::new(batch)?;
            if header.attributes().is_control() {
                continue;
            }
            for (record_index, record) in fjord_record::records(batch, cap)?.enumerate() {
                if record?.record.key.is_none() {
                    return Err(StorageError::CompactedRecordWithoutKey {
                        base_offset: self.log_end_offset,
                        record_index,
                    });
                }
            }
        }
        Ok(())
    }

    /// Appends batches replicated from the leader, offsets and epochs kept. The first batch
    /// must not start below the log end offset and offsets must increase (Kafka
    /// `UnexpectedAppendOffsetException` / `OffsetsOutOfOrderException`); batch size is not
    /// checked against `max.message.bytes` (Kafka skips it for replication).
    pub fn append_as_follower(&mut self, batches: &[u8]) -> Result<AppendInfo> {
        self.check_online()?;
        let validated = validate_batches(batches, None, false)?;
        let mut expected = self.log_end_offset;
        for meta in &validated.batches {
            if meta.base_offset < expected {
                return Err(StorageError::NotContiguous {
                    expected,
                    actual: meta.base_offset,
                });
            }
            expected = meta.last_offset + 1;
        }
        let producer_batches = producer_batches_of(batches, &validated.batches)?;
        let analysis = self.analyze_producers(&producer_batches, AppendOrigin::Replication)?;
        let now_ms = self.clock_ms;
        let info =
            self.append_validated(batches, None, &validated.batches, validated.records, now_ms)?;
        self.producer_state.update(analysis, self.log_end_offset);
        Ok(info)
    }

    /// `heads`: when set, the header to write for each batch in place of its first
    /// [`HEADER_BYTES`] in `bytes` (see [`Self::append_as_leader`]).
    fn append_validated(
        &mut self,
        bytes: &[u8],
        heads: Option<&[[u8; HEADER_BYTES]]>,
        metas: &[BatchMeta],
        records: u64,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        let (Some(first), Some(last)) = (metas.first(), metas.last()) else {
            return Ok(AppendInfo {
                first_offset: self.log_end_offset,
                last_offset: self.log_end_offset - 1,
                max_timestamp: -1,
                offset_of_max_timestamp: -1,
                log_append_time: -1,
                record_count: 0,
                batch_count: 0,
                valid_bytes: 0,
                log_start_offset: self.log_start_offset,
                duplicate: false,
            });
        };
        let (mut max_timestamp, mut offset_of_max_timestamp) = (-1i64, -1i64);
        for meta in metas {
            if meta.max_timestamp > max_timestamp {
                max_timestamp = meta.max_timestamp;
                offset_of_max_timestamp = meta.last_offset;
            }
        }
        let result = self.write_batches(bytes, heads, metas, max_timestamp, now_ms);
        self.guard(result)?;
        for meta in metas {
            if self
                .epoch_cache
                .latest_epoch()
                .is_none_or(|latest| meta.leader_epoch > latest)
            {
                let result = self.epoch_cache.assign(meta.leader_epoch, meta.base_offset);
                self.guard(result)?;
            }
        }
        self.log_end_offset = last.last_offset + 1;
        self.unflushed_messages = self.unflushed_messages.saturating_add(records);
        Ok(AppendInfo {
            first_offset: first.base_offset,
            last_offset: last.last_offset,
            max_timestamp,
            offset_of_max_timestamp,
            log_append_time: -1,
            record_count: records,
            batch_count: metas.len(),
            valid_bytes: bytes.len() as u64,
            log_start_offset: self.log_start_offset,
            duplicate: false,
        })
    }

    fn write_batches(
        &mut self,
        bytes: &[u8],
        heads: Option<&[[u8; HEADER_BYTES]]>,
        metas: &[BatchMeta],
        max_timestamp: i64,
        now_ms: i64,
    ) -> Result<()> {
        let max_offset = metas.last().map_or(self.log_end_offset, |m| m.last_offset);
        let roll = self.active_segment()?.should_roll(
            &self.config,
            bytes.len() as u64,
            max_timestamp,
            max_offset,
            now_ms,
        );
        if roll {
            let base = metas.first().map_or(self.log_end_offset, |m| m.base_offset);
            self.roll_at(base, now_ms)?;
        }
        self.active_segment_mut()?.append(bytes, heads, metas)
    }

    /// Starts a new segment at the log end offset, sealing and flushing the old one (Kafka
    /// `UnifiedLog.roll`). A no-op when the active segment is empty.
    pub fn roll(&mut self, now_ms: i64) -> Result<()> {
        self.check_online()?;
        self.clock_ms = self.clock_ms.max(now_ms);
        let base = self.log_end_offset;
        let result = self.roll_at(base, now_ms);
        self.guard(result)
    }

    fn roll_at(&mut self, base: i64, now_ms: i64) -> Result<()> {
        let active = self.active_segment_mut()?;
        if active.size() == 0 {
            return Ok(());
        }
        active.seal()?;
        let old_base = active.base_offset;
        let segment = LogSegment::create(&self.disk, &self.dir, base, &self.config, now_ms)?;
        self.segments.insert(base, segment);
        // Up to ROLL_SYNCS_PENDING_MAX background syncs at once: a producer faster than the
        // disk waits for the oldest (waiting for the previous one at every roll stalled
        // producers writing a segment faster than the disk took the last: 0.3-0.4 s at
        // 700 MB/s against a 500 MB/s disk).
        self.collect_roll_flushes(ROLL_SYNCS_PENDING_MAX - 1)?;
        // Kafka `UnifiedLog.roll`: snapshot the producer state at the new segment's base.
        self.producer_state.set_map_end_offset(base);
        let snapshot = self.producer_state.take_snapshot_unsynced()?;
        let upto = base.min(self.log_end_offset);
        // Kafka flushes everything before the new segment when it rolls, on its scheduler
        // (`UnifiedLog.roll` → "flush-log", which since KAFKA-15046 also syncs the producer
        // snapshot and the directory): nothing here waits for the disk under the log's lock.
        // Syncing the directory or the snapshot on the append path queued behind the old
        // segment's writeback and stalled producers for 0.3–3.6 s (`perf sched`, 1 GiB rolls).
        // The recovery point moves to `base` once all of it is durable.
        let Some(old) = self.segments.get(&old_base) else {
            return Ok(());
        };
        let (log, log_path) = old.log_file();
        let sync = super::RollSync {
            disk: self.disk.clone(),
            log,
            log_path,
            indexes: old.index_paths(),
            snapshot,
            dir: self.dir.clone(),
        };
        let path = sync.log_path.clone();
        let job = sync.clone();
        match std::thread::Builder::new()
            .name("fjord-roll-flush".into())
            .spawn(move || job.run())
        {
            Ok(handle) => {
                self.roll_flushes
                    .push_back(super::RollFlush { upto, path, handle });
                Ok(())
            }
            Err(spawn_error) => {
                // No thread to be had: sync here rather than not at all.
                tracing::warn!(%spawn_error, "syncing a rolled segment on the append path");
                sync.run()
                    .map_err(|(failed, source)| StorageError::io(&failed, source))?;
                self.recovery_point = self.recovery_point.max(upto);
                Ok(())
            }
        }
    }

    /// Collects the rolled segments' background syncs, oldest first (the recovery point moves
    /// in order): all of them when `wait`, else only those already finished. Success moves
    /// the recovery point to the rolled segment's end; a failed sync is a log dir failure like
    /// any other I/O error.
    pub(crate) fn finish_roll_flush(&mut self, wait: bool) -> Result<()> {
        self.collect_roll_flushes(if wait { 0 } else { usize::MAX })
    }

    /// Collects finished syncs in order, and waits for the oldest ones while more than `keep`
    /// remain.
    fn collect_roll_flushes(&mut self, keep: usize) -> Result<()> {
        while let Some(front) = self.roll_flushes.front() {
            if !front.handle.is_finished() && self.roll_flushes.len() <= keep {
                break;
            }
            let Some(flush) = self.roll_flushes.pop_front() else {
                break;
            };
            let result = match flush.handle.join() {
                Ok(Ok(())) => {
                    self.recovery_point =
                        self.recovery_point.max(flush.upto.min(self.log_end_offset));
                    Ok(())
                }
                Ok(Err((failed, source))) => Err(StorageError::io(&failed, source)),
                Err(_) => Err(StorageError::io(
                    &flush.path,
                    std::io::Error::other("segment sync thread panicked"),
                )),
            };
            self.guard(result)?;
        }
        Ok(())
    }

    /// Makes everything appended so far durable and advances the recovery point.
    pub fn flush(&mut self) -> Result<()> {
        self.check_online()?;
        self.finish_roll_flush(true)?;
        let result = self.flush_segments_from(self.recovery_point);
        self.guard(result)?;
        self.recovery_point = self.log_end_offset;
        self.unflushed_messages = 0;
        Ok(())
    }

    pub(crate) fn flush_segments_from(&self, offset: i64) -> Result<()> {
        let from = self
            .segments
            .range(..=offset)
            .next_back()
            .map_or(i64::MIN, |(base, _)| *base);
        for segment in self.segments.range(from..).map(|(_, s)| s) {
            segment.flush()?;
        }
        Ok(())
    }

    /// Flushes when `flush.messages` records are unflushed or `flush.ms` elapsed since the last
    /// flush. Returns whether it flushed.
    pub fn maybe_flush(&mut self, now_ms: i64) -> Result<bool> {
        self.clock_ms = self.clock_ms.max(now_ms);
        self.finish_roll_flush(false)?;
        let due_messages =
            self.unflushed_messages > 0 && self.unflushed_messages >= self.config.flush_messages;
        let due_time = self.config.flush_ms != i64::MAX
            && self.recovery_point < self.log_end_offset
            && now_ms.saturating_sub(self.last_flush_ms) >= self.config.flush_ms;
        if !(due_messages || due_time) {
            return Ok(false);
        }
        self.flush()?;
        self.last_flush_ms = now_ms;
        Ok(true)
    }

    /// Records not yet flushed.
    pub fn unflushed_messages(&self) -> u64 {
        self.unflushed_messages
    }
}
