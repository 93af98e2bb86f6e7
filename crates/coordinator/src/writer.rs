//! The seam between the coordinator and its log: [`PartitionWriter`] appends a result's
//! records to a `__consumer_offsets` partition, and [`replay_batches`] loads a shard from the
//! partition's batches (Kafka `CoordinatorRuntime`'s `PartitionWriter` and
//! `CoordinatorLoaderImpl`).

use bytes::Bytes;
use fjord_record::{
    BatchBuilder, Batches, BuildError, CompressionType, NewRecord, RecordError, records_shared,
};

use crate::records::{CoordinatorRecord, RecordDecodeError};
use crate::shard::GroupCoordinatorShard;

/// Appends coordinator records to a `__consumer_offsets` partition.
///
/// An `Ok` means the records are in the log (replication, when it exists, is the writer's
/// business). An `Err` means the outcome is unknown: the caller must not send the result's
/// responses as successes, and must rebuild the shard by replaying the partition.
pub trait PartitionWriter {
    /// What went wrong.
    type Error: std::error::Error;

    /// Appends `records` in order as one batch to `partition`; returns the offset of the
    /// last record.
    fn append(
        &mut self,
        partition: i32,
        records: &[CoordinatorRecord],
        now_ms: i64,
    ) -> Result<i64, Self::Error>;
}

/// Encodes records as one uncompressed magic v2 batch (base offset 0; the log assigns the
/// real one), each record timestamped `now_ms`, as Kafka's coordinator runtime writes them.
pub fn encode_batch(records: &[CoordinatorRecord], now_ms: i64) -> Result<Vec<u8>, BuildError> {
    let mut builder = BatchBuilder::new(CompressionType::None);
    for record in records {
        let mut new = NewRecord::new(now_ms).key(record.encode_key());
        if let Some(value) = record.encode_value() {
            new = new.value(value);
        }
        builder.push(new);
    }
    builder.build()
}

/// Why a partition could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A batch failed validation (CRC, lengths…).
    #[error("invalid batch: {0}")]
    Batch(#[from] fjord_record::BatchPositionError),
    /// A batch's records could not be decoded.
    #[error("invalid record: {0}")]
    Record(#[from] RecordError),
    /// A record is not a valid `__consumer_offsets` record.
    #[error("invalid __consumer_offsets record at offset {offset}: {error}")]
    Decode {
        /// The record's offset.
        offset: i64,
        /// What is wrong.
        error: RecordDecodeError,
    },
}

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Records replayed into the shard.
    pub replayed: usize,
    /// Records of types this coordinator does not implement (KIP-848, share and streams
    /// groups), skipped.
    pub skipped_unknown_type: usize,
    /// Control batches (transaction markers) skipped.
    pub skipped_control_batches: usize,
}

/// Replays every record of `log` (consecutive batches, as read from the partition) into
/// `shard`. Call `shard.tick(now)` afterwards to arm the loaded members' sessions.
pub fn replay_batches(
    shard: &mut GroupCoordinatorShard,
    log: &[u8],
    batch_bytes_max: usize,
    decompressed_cap: usize,
) -> Result<LoadSummary, LoadError> {
    let mut summary = LoadSummary::default();
    for batch in Batches::new(log, batch_bytes_max) {
        let batch = batch?;
        if batch.header.attributes().is_control() {
            summary.skipped_control_batches += 1;
            continue;
        }
        for record in records_shared(Bytes::copy_from_slice(batch.bytes), decompressed_cap)? {
            let record = record?;
            let Some(key) = record.record.key.as_deref() else {
                return Err(LoadError::Decode {
                    offset: record.offset,
                    error: RecordDecodeError::MissingKey,
                });
            };
            match CoordinatorRecord::decode(key, record.record.value.as_deref()) {
                Ok(decoded) => {
                    shard.replay(&decoded);
                    summary.replayed += 1;
                }
                Err(RecordDecodeError::UnknownRecordType(_)) => summary.skipped_unknown_type += 1,
                Err(error) => {
                    return Err(LoadError::Decode {
                        offset: record.offset,
                        error,
                    });
                }
            }
        }
    }
    Ok(summary)
}

/// A [`PartitionWriter`] that keeps each partition's batches in memory, with fault
/// injection: the test double, and the reference the storage-backed writer must match.
#[derive(Debug, Default)]
pub struct MemoryPartitionWriter {
    logs: std::collections::BTreeMap<i32, (Vec<u8>, i64)>,
    /// When set, the next append fails (and is consumed).
    pub fail_next_append: bool,
}

/// The in-memory writer's injected failure.
#[derive(Debug, thiserror::Error)]
pub enum MemoryWriteError {
    /// Injected by `fail_next_append`.
    #[error("injected append failure")]
    Injected,
    /// The batch could not be built.
    #[error("batch build failed: {0}")]
    Build(#[from] BuildError),
}

impl MemoryPartitionWriter {
    /// The concatenated batches of `partition`.
    pub fn log(&self, partition: i32) -> &[u8] {
        self.logs
            .get(&partition)
            .map_or(&[], |(log, _)| log.as_slice())
    }
}

impl PartitionWriter for MemoryPartitionWriter {
    type Error = MemoryWriteError;

    fn append(
        &mut self,
        partition: i32,
        records: &[CoordinatorRecord],
        now_ms: i64,
    ) -> Result<i64, Self::Error> {
        if std::mem::take(&mut self.fail_next_append) {
            return Err(MemoryWriteError::Injected);
        }
        let (log, next_offset) = self.logs.entry(partition).or_default();
        let base = *next_offset;
        let mut batch = encode_batch(records, now_ms)?;
        // Patch baseOffset (bytes 0..8, outside the CRC) as a log would.
        batch[..8].copy_from_slice(&base.to_be_bytes());
        log.extend_from_slice(&batch);
        let count = i64::try_from(records.len()).unwrap_or(i64::MAX);
        *next_offset = base + count;
        Ok(base + count - 1)
    }
}
