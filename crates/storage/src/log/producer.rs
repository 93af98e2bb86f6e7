//! Keeping the [`ProducerStateManager`] in step with the log (Kafka
//! `UnifiedLog.analyzeAndValidateProducerState`, `UnifiedLog.rebuildProducerState`).

use fjord_record::BatchHeader;
use fjord_record::header::HEADER_BYTES;

use super::{AppendInfo, Log};
use crate::error::{Result, StorageError};
use crate::producer_state::{AppendOrigin, ProducerAnalysis, ProducerBatch, ProducerStateManager};

impl Log {
    /// The partition's producer state (idempotent producers, KIP-98).
    pub fn producer_state(&self) -> &ProducerStateManager {
        &self.producer_state
    }

    /// Batch headers replayed into the producer state by the last open or truncation: zero
    /// after a clean shutdown (the snapshot taken on close is at the log end offset).
    pub fn producer_batches_replayed(&self) -> u64 {
        self.producer_batches_replayed
    }

    /// Validates the producer fields of batches about to be appended.
    pub(super) fn analyze_producers(
        &self,
        batches: &[ProducerBatch],
        origin: AppendOrigin,
    ) -> Result<ProducerAnalysis> {
        self.producer_state.analyze(batches, origin)
    }

    /// What a leader append answers for a retried batch already in the log: the original
    /// batch's offsets, nothing appended (Kafka `LogAppendInfo` for a duplicate, whose
    /// `logAppendTime` is `NO_TIMESTAMP`).
    pub(super) fn duplicate_append_info(
        &self,
        original: crate::producer_state::BatchMetadata,
    ) -> AppendInfo {
        AppendInfo {
            first_offset: original.first_offset(),
            last_offset: original.last_offset,
            max_timestamp: original.timestamp,
            offset_of_max_timestamp: original.last_offset,
            log_append_time: -1,
            record_count: 0,
            batch_count: 0,
            valid_bytes: 0,
            log_start_offset: self.log_start_offset,
            duplicate: true,
        }
    }

    /// Reloads the producer state from the latest snapshot at or below the log end offset and
    /// replays batch headers from there (open, or truncation below the map end offset).
    pub(super) fn reload_producer_state(&mut self, now_ms: i64) -> Result<()> {
        self.producer_state
            .load(self.log_start_offset, self.log_end_offset, now_ms)?;
        self.replay_producer_state()
    }

    /// After a truncation: reloads and replays only if the map is no longer at the log end.
    pub(super) fn truncate_producer_state(&mut self, now_ms: i64) -> Result<()> {
        if self.producer_state.truncate_and_reload(
            self.log_start_offset,
            self.log_end_offset,
            now_ms,
        )? {
            self.replay_producer_state()?;
        }
        Ok(())
    }

    /// Replays the producer fields of every batch header from the map end offset to the log
    /// end offset, segment by segment, without decoding records.
    fn replay_producer_state(&mut self) -> Result<()> {
        let start = self
            .producer_state
            .map_end_offset()
            .max(self.log_start_offset);
        self.producer_batches_replayed = 0;
        let from = self
            .segments
            .range(..=start)
            .next_back()
            .map_or(i64::MIN, |(base, _)| *base);
        let bases: Vec<i64> = self.segments.range(from..).map(|(b, _)| *b).collect();
        for base in bases {
            let batches = self.segment_producer_batches(base, start)?;
            self.producer_batches_replayed += batches.len() as u64;
            let Some(end) = batches.last().map(|b| b.last_offset + 1) else {
                continue;
            };
            let analysis = self
                .producer_state
                .analyze(&batches, AppendOrigin::Replication)?;
            self.producer_state.update(analysis, end);
        }
        self.producer_state.set_map_end_offset(self.log_end_offset);
        Ok(())
    }

    /// The producer fields of a segment's batches ending at or after `from_offset`.
    fn segment_producer_batches(&self, base: i64, from_offset: i64) -> Result<Vec<ProducerBatch>> {
        let Some(segment) = self.segments.get(&base) else {
            return Ok(Vec::new());
        };
        let Some(first) = segment.translate_offset(from_offset)? else {
            return Ok(Vec::new());
        };
        let file = segment.file();
        let mut position = first.position;
        let mut batches = Vec::new();
        let mut buf = [0u8; HEADER_BYTES];
        while position + HEADER_BYTES as u64 <= segment.size() {
            file.read_exact_at(&mut buf, position)
                .map_err(|e| StorageError::io(segment.log_path(), e))?;
            let header = BatchHeader::new(&buf)?;
            batches.push(ProducerBatch::from_header(&header));
            position += header.total_size() as u64;
        }
        Ok(batches)
    }
}
