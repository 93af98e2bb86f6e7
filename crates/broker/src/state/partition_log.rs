//! An in-memory partition log: record batches kept exactly as produced, with offsets assigned
//! by patching `baseOffset` (outside the CRC; Kafka documentation §5.3.1).

use std::sync::{Arc, Mutex, Weak};

use bytes::{Bytes, BytesMut};
use fjord_record::header::{self, BatchHeader, offsets};
use fjord_record::{Attributes, RecordError};
use tokio::sync::Notify;

use crate::config::TimestampType;

/// A stored batch with the header fields fetch and list-offsets need.
#[derive(Debug, Clone)]
struct StoredBatch {
    base_offset: i64,
    last_offset: i64,
    max_timestamp: i64,
    bytes: Bytes,
}

#[derive(Debug, Default)]
struct LogState {
    batches: Vec<StoredBatch>,
    log_start_offset: i64,
    log_end_offset: i64,
    /// Offset and timestamp of the record with the largest timestamp (ListOffsets -3, KIP-734).
    max_timestamp_and_offset: Option<(i64, i64)>,
    /// Fetches parked until the next append (long poll).
    waiters: Vec<Weak<Notify>>,
}

/// Why an append was refused. Mapped to wire codes in `api::produce`.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The batch failed header/CRC validation.
    #[error(transparent)]
    InvalidBatch(#[from] RecordError),
    /// The batch is larger than `max.message.bytes`.
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    TooLarge {
        /// Batch size.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// The records field held no batch or more than one (Kafka `ProduceRequest.validateRecords`).
    #[error("produce requests must contain exactly one record batch per partition, found {count}")]
    NotOneBatch {
        /// Batches found.
        count: usize,
    },
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Broker append time when the topic uses LogAppendTime, else -1.
    pub log_append_time_ms: i64,
    /// Log start offset after the append.
    pub log_start_offset: i64,
}

/// Batches read for a fetch, plus the partition's offsets at read time.
#[derive(Debug, Clone)]
pub struct FetchSlice {
    /// Concatenated whole batches (may be empty).
    pub records: Bytes,
    /// High watermark (= log end offset on a single node with acks ≤ 1 semantics).
    pub high_watermark: i64,
    /// Log start offset.
    pub log_start_offset: i64,
}

/// One partition's log.
#[derive(Debug, Default)]
pub struct PartitionLog {
    state: Mutex<LogState>,
}

impl PartitionLog {
    /// An empty log.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        // A poisoned lock means a panic mid-append: the state is still structurally valid
        // (appends push whole batches), so keep serving.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Validates and appends exactly one v2 batch from a Produce request.
    pub fn append(
        &self,
        records: &[u8],
        max_batch_bytes: usize,
        timestamp_type: TimestampType,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let header = BatchHeader::new(records)?;
        if header.magic() == header::MAGIC_V2 && header.total_size() > max_batch_bytes {
            return Err(AppendError::TooLarge {
                size: header.total_size(),
                max: max_batch_bytes,
            });
        }
        // Validate with a cap above the frame so only max.message.bytes decides TooLarge.
        let header = BatchHeader::validate(records, usize::MAX)?;
        let size = header.total_size();
        if records.len() != size {
            let count = if records.len() < size { 0 } else { 2 };
            return Err(AppendError::NotOneBatch { count });
        }
        let mut batch = BytesMut::from(records);
        let mut log_append_time_ms = -1;
        if timestamp_type == TimestampType::LogAppendTime {
            // Kafka LogValidator: set the timestamp-type bit and maxTimestamp to now, then
            // recompute the CRC (both lie inside the CRC'd range).
            let attributes = header.attributes().0 | Attributes::TIMESTAMP_TYPE;
            batch[offsets::ATTRIBUTES..offsets::ATTRIBUTES + 2]
                .copy_from_slice(&attributes.to_be_bytes());
            batch[offsets::MAX_TIMESTAMP..offsets::MAX_TIMESTAMP + 8]
                .copy_from_slice(&now_ms.to_be_bytes());
            header::rewrite_crc(&mut batch);
            log_append_time_ms = now_ms;
        }
        let max_timestamp = if log_append_time_ms >= 0 {
            now_ms
        } else {
            header.max_timestamp()
        };
        let last_offset_delta = i64::from(header.last_offset_delta());

        let mut state = self.lock();
        let base_offset = state.log_end_offset;
        header::set_base_offset(&mut batch, base_offset);
        header::set_partition_leader_epoch(&mut batch, 0);
        let last_offset = base_offset + last_offset_delta;
        let stored = StoredBatch {
            base_offset,
            last_offset,
            max_timestamp,
            bytes: batch.freeze(),
        };
        if state
            .max_timestamp_and_offset
            .is_none_or(|(ts, _)| max_timestamp > ts)
        {
            // The batch header does not say which record holds maxTimestamp; Kafka reports
            // the batch's last offset for a batch-level max (LogSegment.maxTimestampSoFar).
            state.max_timestamp_and_offset = Some((max_timestamp, last_offset));
        }
        state.batches.push(stored);
        state.log_end_offset = last_offset + 1;
        let log_start_offset = state.log_start_offset;
        for waiter in state.waiters.drain(..) {
            if let Some(waiter) = waiter.upgrade() {
                waiter.notify_one();
            }
        }
        Ok(AppendInfo {
            base_offset,
            log_append_time_ms,
            log_start_offset,
        })
    }

    /// Log end offset (next offset to assign).
    pub fn log_end_offset(&self) -> i64 {
        self.lock().log_end_offset
    }

    /// Log start offset.
    pub fn log_start_offset(&self) -> i64 {
        self.lock().log_start_offset
    }

    /// Registers `waiter` to be notified on the next append. `Notify` stores the permit, so an
    /// append between registering and waiting is not lost.
    pub fn register_waiter(&self, waiter: &Arc<Notify>) {
        let mut state = self.lock();
        state.waiters.retain(|w| w.strong_count() > 0);
        state.waiters.push(Arc::downgrade(waiter));
    }

    /// Reads whole batches starting at the one containing `fetch_offset`, up to `max_bytes`,
    /// but always at least one batch when `min_one` (KIP-74: the first batch is returned even
    /// when larger than the limit, so consumers make progress). `Err(())` when the offset is
    /// out of range.
    pub fn read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        min_one: bool,
    ) -> Result<FetchSlice, (i64, i64)> {
        let state = self.lock();
        if fetch_offset < state.log_start_offset || fetch_offset > state.log_end_offset {
            return Err((state.log_start_offset, state.log_end_offset));
        }
        let first = state
            .batches
            .partition_point(|b| b.last_offset < fetch_offset);
        let mut out = BytesMut::new();
        for batch in &state.batches[first..] {
            let fits = out.len() + batch.bytes.len() <= max_bytes;
            if !(fits || (min_one && out.is_empty())) {
                break;
            }
            out.extend_from_slice(&batch.bytes);
        }
        Ok(FetchSlice {
            records: out.freeze(),
            high_watermark: state.log_end_offset,
            log_start_offset: state.log_start_offset,
        })
    }

    /// First offset whose batch has a timestamp ≥ `timestamp` (ListOffsets by time), with that
    /// batch's max timestamp, or `None` when no batch qualifies. Batch granularity: the
    /// returned offset is the base offset of the first batch whose maxTimestamp ≥ target.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64)> {
        let state = self.lock();
        state
            .batches
            .iter()
            .find(|b| b.max_timestamp >= timestamp)
            .map(|b| (b.max_timestamp, b.base_offset.max(state.log_start_offset)))
    }

    /// The (timestamp, offset) of the largest timestamp (ListOffsets -3, KIP-734).
    pub fn max_timestamp_and_offset(&self) -> Option<(i64, i64)> {
        self.lock().max_timestamp_and_offset
    }

    /// Advances the log start offset (DeleteRecords); drops batches wholly below it.
    /// Returns the new low watermark, or `Err(log_end_offset)` when `offset` is beyond it.
    pub fn delete_records_before(&self, offset: i64) -> Result<i64, i64> {
        let mut state = self.lock();
        let offset = if offset == -1 {
            state.log_end_offset
        } else {
            offset
        };
        if offset > state.log_end_offset || offset < 0 {
            return Err(state.log_end_offset);
        }
        if offset > state.log_start_offset {
            state.log_start_offset = offset;
            state.batches.retain(|b| b.last_offset >= offset);
        }
        Ok(state.log_start_offset)
    }

    /// Total bytes held (DescribeLogDirs).
    pub fn size_bytes(&self) -> usize {
        self.lock().batches.iter().map(|b| b.bytes.len()).sum()
    }
}
