//! One producer's state in one partition and the per-batch validation rules of the idempotent
//! producer (KIP-98; Kafka `ProducerStateEntry`, `BatchMetadata`, `ProducerAppendInfo`).
//!
//! Sans-IO: these types never touch the disk; [`crate::producer_state`] owns the map and the
//! snapshot files.

use std::collections::VecDeque;

use crate::error::{Result, StorageError};

/// Kafka `RecordBatch.NO_PRODUCER_ID`.
pub const NO_PRODUCER_ID: i64 = -1;
/// Kafka `RecordBatch.NO_PRODUCER_EPOCH`.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// Kafka `RecordBatch.NO_SEQUENCE`.
pub const NO_SEQUENCE: i32 = -1;
/// Batches remembered per producer for duplicate detection (Kafka
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`; equals the client's
/// `max.in.flight.requests.per.connection` ceiling of 5 under idempotence, KAFKA-5494).
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// `seq + increment` with the wrap from `i32::MAX` to 0 (Kafka
/// `DefaultRecordBatch.incrementSequence`).
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

/// `seq - decrement` with the wrap from 0 back to `i32::MAX` (Kafka
/// `DefaultRecordBatch.decrementSequence`).
pub fn decrement_sequence(sequence: i32, decrement: i32) -> i32 {
    if sequence < decrement {
        i32::MAX - (decrement - sequence) + 1
    } else {
        sequence - decrement
    }
}

/// Whether `next` directly follows `last` (Kafka `ProducerAppendInfo.inSequence`): `last + 1`,
/// or 0 after `i32::MAX`.
pub fn in_sequence(last: i32, next: i32) -> bool {
    i64::from(next) == i64::from(last) + 1 || (next == 0 && last == i32::MAX)
}

/// One appended batch of a producer (Kafka `BatchMetadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    /// Sequence of the batch's last record.
    pub last_seq: i32,
    /// Offset of the batch's last record.
    pub last_offset: i64,
    /// `last_offset - first_offset` (equal to `last_seq - first_seq` modulo the wrap).
    pub offset_delta: i32,
    /// The batch's `maxTimestamp`.
    pub timestamp: i64,
}

impl BatchMetadata {
    /// Sequence of the batch's first record.
    pub fn first_seq(&self) -> i32 {
        decrement_sequence(self.last_seq, self.offset_delta)
    }
    /// Offset of the batch's first record.
    pub fn first_offset(&self) -> i64 {
        self.last_offset - i64::from(self.offset_delta)
    }
}

/// What the producer-state rules need from a batch header, with offsets already assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    /// `producerId` (≥ 0 for idempotent or transactional producers).
    pub producer_id: i64,
    /// `producerEpoch`.
    pub producer_epoch: i16,
    /// `baseSequence`.
    pub base_sequence: i32,
    /// `baseOffset` as assigned.
    pub first_offset: i64,
    /// `baseOffset + lastOffsetDelta`.
    pub last_offset: i64,
    /// `maxTimestamp`.
    pub max_timestamp: i64,
    /// The transactional attribute bit.
    pub is_transactional: bool,
    /// The control attribute bit (transaction markers).
    pub is_control: bool,
}

impl ProducerBatch {
    /// Reads the producer fields of a validated batch header.
    pub fn from_header(header: &fjord_record::BatchHeader<'_>) -> Self {
        let attributes = header.attributes();
        Self {
            producer_id: header.producer_id(),
            producer_epoch: header.producer_epoch(),
            base_sequence: header.base_sequence(),
            first_offset: header.base_offset(),
            last_offset: header.last_offset(),
            max_timestamp: header.max_timestamp(),
            is_transactional: attributes.is_transactional(),
            is_control: attributes.is_control(),
        }
    }
    /// Whether the batch carries a producer id (Kafka `RecordBatch.hasProducerId`).
    pub fn has_producer_id(&self) -> bool {
        self.producer_id > NO_PRODUCER_ID
    }
    /// `last_offset - first_offset` as the i32 a batch header can hold.
    pub fn offset_delta(&self) -> i32 {
        i32::try_from(self.last_offset - self.first_offset).unwrap_or(i32::MAX)
    }
    /// Sequence of the last record (Kafka `DefaultRecordBatch.lastSequence`).
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence == NO_SEQUENCE {
            NO_SEQUENCE
        } else {
            increment_sequence(self.base_sequence, self.offset_delta())
        }
    }
}

/// Where an append comes from (Kafka `AppendOrigin`): client appends get the full epoch and
/// sequence checks, replicated appends and log replay none (the leader already checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOrigin {
    /// A Produce request on the leader.
    Client,
    /// A follower fetch, or rebuilding state from the log on open or truncation.
    Replication,
}

/// One producer's state (Kafka `ProducerStateEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStateEntry {
    /// The producer id.
    pub producer_id: i64,
    /// The latest epoch seen, [`NO_PRODUCER_EPOCH`] if none.
    pub producer_epoch: i16,
    /// Epoch of the transaction coordinator that wrote the last marker, -1 if none.
    pub coordinator_epoch: i32,
    /// `maxTimestamp` of the last batch (drives `producer.id.expiration.ms`).
    pub last_timestamp: i64,
    /// First offset of the producer's open transaction, if one is open.
    pub current_txn_first_offset: Option<i64>,
    batches: VecDeque<BatchMetadata>,
}

impl ProducerStateEntry {
    /// A producer with no state yet (Kafka `ProducerStateEntry.empty`).
    pub fn empty(producer_id: i64) -> Self {
        Self {
            producer_id,
            producer_epoch: NO_PRODUCER_EPOCH,
            coordinator_epoch: -1,
            last_timestamp: -1,
            current_txn_first_offset: None,
            batches: VecDeque::new(),
        }
    }

    /// An entry as stored in a snapshot: at most one batch.
    pub fn from_snapshot(
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
        last_timestamp: i64,
        current_txn_first_offset: Option<i64>,
        last_batch: Option<BatchMetadata>,
    ) -> Self {
        let mut entry = Self {
            producer_epoch,
            coordinator_epoch,
            last_timestamp,
            current_txn_first_offset,
            ..Self::empty(producer_id)
        };
        entry.batches.extend(last_batch);
        entry
    }

    /// The remembered batches, oldest first (at most [`NUM_BATCHES_TO_RETAIN`]).
    pub fn batches(&self) -> impl Iterator<Item = &BatchMetadata> {
        self.batches.iter()
    }
    /// Whether no batch is remembered.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
    /// Sequence of the last remembered record, [`NO_SEQUENCE`] if none.
    pub fn last_seq(&self) -> i32 {
        self.batches.back().map_or(NO_SEQUENCE, |b| b.last_seq)
    }
    /// Offset of the last remembered record, -1 if none.
    pub fn last_data_offset(&self) -> i64 {
        self.batches.back().map_or(-1, |b| b.last_offset)
    }
    /// Offset delta of the last remembered batch, 0 if none.
    pub fn last_offset_delta(&self) -> i32 {
        self.batches.back().map_or(0, |b| b.offset_delta)
    }
    /// The last remembered batch.
    pub fn last_batch(&self) -> Option<BatchMetadata> {
        self.batches.back().copied()
    }

    /// A remembered batch with exactly `batch`'s epoch and sequence range: a retry of a batch
    /// already in the log (Kafka `ProducerStateEntry.findDuplicateBatch`).
    pub fn find_duplicate_batch(&self, batch: &ProducerBatch) -> Option<BatchMetadata> {
        if batch.producer_epoch != self.producer_epoch {
            return None;
        }
        let (first, last) = (batch.base_sequence, batch.last_sequence());
        self.batches
            .iter()
            .find(|m| m.first_seq() == first && m.last_seq == last)
            .copied()
    }

    /// Switches to `epoch`, forgetting the batches of the old one. Returns whether it changed.
    fn maybe_update_producer_epoch(&mut self, epoch: i16) -> bool {
        if self.producer_epoch == epoch {
            return false;
        }
        self.batches.clear();
        self.producer_epoch = epoch;
        true
    }

    fn add_batch_metadata(&mut self, batch: BatchMetadata) {
        if self.batches.len() == NUM_BATCHES_TO_RETAIN {
            self.batches.pop_front();
        }
        self.batches.push_back(batch);
    }

    /// Records an appended data batch (Kafka `ProducerStateEntry.addBatch`).
    pub fn add_batch(&mut self, epoch: i16, batch: BatchMetadata) {
        self.maybe_update_producer_epoch(epoch);
        self.add_batch_metadata(batch);
        self.last_timestamp = batch.timestamp;
    }

    /// Folds the result of one append into this entry (Kafka `ProducerStateEntry.update`).
    pub(crate) fn update(&mut self, next: ProducerStateEntry) {
        self.maybe_update_producer_epoch(next.producer_epoch);
        for batch in next.batches {
            self.add_batch_metadata(batch);
        }
        self.coordinator_epoch = next.coordinator_epoch;
        self.current_txn_first_offset = next.current_txn_first_offset;
        self.last_timestamp = next.last_timestamp;
    }
}

/// The changes one append makes to one producer, validated batch by batch (Kafka
/// `ProducerAppendInfo`). Starts from the producer's current epoch with no batches; the batches
/// are added to the stored entry by [`ProducerStateEntry::update`].
#[derive(Debug, Clone)]
pub struct ProducerAppendInfo {
    /// The stored entry's epoch and last sequence (all the checks need of it).
    current_epoch: i16,
    current_last_seq: i32,
    updated: ProducerStateEntry,
    origin: AppendOrigin,
}

impl ProducerAppendInfo {
    /// Starts validating appends of `current.producer_id`. Copies no batches: the hot path
    /// allocates only when the first batch is added.
    pub fn new(current: &ProducerStateEntry, origin: AppendOrigin) -> Self {
        let updated = ProducerStateEntry {
            producer_id: current.producer_id,
            producer_epoch: current.producer_epoch,
            coordinator_epoch: current.coordinator_epoch,
            last_timestamp: current.last_timestamp,
            current_txn_first_offset: current.current_txn_first_offset,
            batches: VecDeque::new(),
        };
        Self {
            current_epoch: current.producer_epoch,
            current_last_seq: current.last_seq(),
            updated,
            origin,
        }
    }

    /// The producer this append info is for.
    pub fn producer_id(&self) -> i64 {
        self.updated.producer_id
    }

    /// The entry this append produces, to be merged with [`ProducerStateEntry::update`].
    pub fn into_update(self) -> ProducerStateEntry {
        self.updated
    }

    /// Validates and records one batch (Kafka `ProducerAppendInfo.append`). Control batches
    /// (transaction markers) end the open transaction; their coordinator epoch is not read
    /// because that needs the marker record decoded, and fjord has no transaction coordinator.
    pub fn append(&mut self, batch: &ProducerBatch) -> Result<()> {
        if batch.is_control {
            self.check_producer_epoch(batch)?;
            self.updated
                .maybe_update_producer_epoch(batch.producer_epoch);
            self.updated.current_txn_first_offset = None;
            self.updated.last_timestamp = batch.max_timestamp;
            return Ok(());
        }
        if self.origin == AppendOrigin::Client && batch.base_sequence < 0 {
            // Kafka LogValidator.validateBatch rejects this before producer state is consulted.
            return Err(StorageError::InvalidProducerSequence {
                producer_id: batch.producer_id,
                sequence: batch.base_sequence,
            });
        }
        self.check_producer_epoch(batch)?;
        if self.origin == AppendOrigin::Client {
            self.check_sequence(batch)?;
        }
        self.updated.add_batch(
            batch.producer_epoch,
            BatchMetadata {
                last_seq: batch.last_sequence(),
                last_offset: batch.last_offset,
                offset_delta: batch.offset_delta(),
                timestamp: batch.max_timestamp,
            },
        );
        match (
            self.updated.current_txn_first_offset,
            batch.is_transactional,
        ) {
            (Some(_), false) => {
                return Err(StorageError::InvalidTxnState {
                    producer_id: batch.producer_id,
                    offset: batch.first_offset,
                });
            }
            (None, true) => self.updated.current_txn_first_offset = Some(batch.first_offset),
            _ => {}
        }
        Ok(())
    }

    /// An epoch below the producer's current one is a fenced zombie (Kafka
    /// `ProducerAppendInfo.checkProducerEpoch`; INVALID_PRODUCER_EPOCH since Kafka 2.7, KIP-588).
    /// Replicated appends are let through: the leader already decided.
    fn check_producer_epoch(&self, batch: &ProducerBatch) -> Result<()> {
        let current = self.updated.producer_epoch;
        if batch.producer_epoch < current {
            if self.origin == AppendOrigin::Replication {
                tracing::warn!(
                    producer_id = batch.producer_id,
                    epoch = batch.producer_epoch,
                    current,
                    "replicated batch has an older producer epoch"
                );
                return Ok(());
            }
            return Err(StorageError::InvalidProducerEpoch {
                producer_id: batch.producer_id,
                epoch: batch.producer_epoch,
                current_epoch: current,
            });
        }
        Ok(())
    }

    /// Kafka `ProducerAppendInfo.checkSequence` (2.5+, KIP-360):
    /// - a new epoch must start at sequence 0, unless the broker has no epoch for the producer;
    /// - within an epoch the first sequence must follow the last one (`in_sequence`), unless
    ///   the broker has no epoch for the producer: since Kafka 2.5 an unknown producer is
    ///   accepted at any sequence ("If there is no current producer epoch (possibly because all
    ///   producer records have been deleted due to retention or the DeleteRecords API) accept
    ///   writes with any sequence number"); Kafka ≤ 2.4 answered UNKNOWN_PRODUCER_ID there.
    fn check_sequence(&self, batch: &ProducerBatch) -> Result<()> {
        let first = batch.base_sequence;
        let out_of_order = |expected: i32| StorageError::OutOfOrderSequence {
            producer_id: batch.producer_id,
            epoch: batch.producer_epoch,
            sequence: first,
            expected,
        };
        if batch.producer_epoch != self.updated.producer_epoch {
            if first != 0 && self.updated.producer_epoch != NO_PRODUCER_EPOCH {
                return Err(out_of_order(0));
            }
            return Ok(());
        }
        let current_last_seq = if !self.updated.is_empty() {
            self.updated.last_seq()
        } else if batch.producer_epoch == self.current_epoch {
            self.current_last_seq
        } else {
            NO_SEQUENCE
        };
        if self.current_epoch == NO_PRODUCER_EPOCH || in_sequence(current_last_seq, first) {
            return Ok(());
        }
        Err(out_of_order(increment_sequence(current_last_seq, 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_arithmetic_wraps_like_default_record_batch() {
        assert_eq!(increment_sequence(5, 3), 8);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(decrement_sequence(1, 3), i32::MAX - 1);
        assert_eq!(decrement_sequence(8, 3), 5);
        assert!(in_sequence(i32::MAX, 0));
        assert!(in_sequence(-1, 0));
        assert!(!in_sequence(i32::MAX, i32::MIN));
        assert!(!in_sequence(3, 5));
    }

    #[test]
    fn the_duplicate_window_keeps_the_last_five_batches() {
        let mut entry = ProducerStateEntry::empty(1);
        for i in 0..7 {
            let batch = BatchMetadata {
                last_seq: i,
                last_offset: i64::from(i),
                offset_delta: 0,
                timestamp: 0,
            };
            entry.add_batch(0, batch);
        }
        let seqs: Vec<i32> = entry.batches().map(|b| b.last_seq).collect();
        assert_eq!(seqs, vec![2, 3, 4, 5, 6]);
        entry.add_batch(
            1,
            BatchMetadata {
                last_seq: 0,
                last_offset: 9,
                offset_delta: 0,
                timestamp: 0,
            },
        );
        assert_eq!(
            entry.batches().count(),
            1,
            "a new epoch forgets the old batches"
        );
    }
}
