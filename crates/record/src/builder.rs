//! [`BatchBuilder`]: builds magic v2 batches for internal topics (`__consumer_offsets`,
//! `__transaction_state`, transaction markers) and for tests.
//!
//! Client batches are never rebuilt (see the design brief §2); this is only for batches the
//! broker writes itself. Layout and header semantics follow Kafka `MemoryRecordsBuilder` and
//! `DefaultRecordBatch.writeHeader`: baseTimestamp is the first record's timestamp,
//! maxTimestamp the largest (or the log append time under LogAppendTime), an empty batch
//! carries timestamps -1 (`RecordBatch.NO_TIMESTAMP`), and the CRC-32C covers
//! attributes..end.

use bytes::Bytes;

use crate::compression::{CompressionError, compress};
use crate::control::EndTransactionMarker;
use crate::header::{
    Attributes, CompressionType, HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC_V2, TimestampType,
    offsets, rewrite_crc,
};
use crate::record::{Header, Record};

/// `RecordBatch.NO_TIMESTAMP`, `NO_PRODUCER_ID`, `NO_PRODUCER_EPOCH`, `NO_SEQUENCE` are all -1.
const NONE: i64 = -1;

/// A record to append: absolute timestamp plus key, value and headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewRecord {
    /// Absolute timestamp in ms since the epoch (may precede the first record's).
    pub timestamp: i64,
    /// The key; `None` = null.
    pub key: Option<Bytes>,
    /// The value; `None` = null (tombstone).
    pub value: Option<Bytes>,
    /// Headers in order; duplicate keys allowed.
    pub headers: Vec<Header>,
}

impl NewRecord {
    /// A record with the given timestamp and no key, value or headers.
    pub fn new(timestamp: i64) -> Self {
        Self {
            timestamp,
            ..Self::default()
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the value.
    pub fn value(mut self, value: impl Into<Bytes>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Appends a header (keys may repeat).
    pub fn header(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push(Header::new(key, value));
        self
    }
}

/// Why a batch could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// An explicit offset delta did not exceed the previous one.
    #[error("offset delta {given} does not exceed the previous delta {previous}")]
    OffsetDeltaNotIncreasing {
        /// The previous record's delta.
        previous: i32,
        /// The delta given.
        given: i32,
    },
    /// More records than fit in `recordCount` (i32), or offset deltas past i32.
    #[error("too many records for one batch")]
    TooManyRecords,
    /// `timestamp - baseTimestamp` overflows i64.
    #[error(
        "timestamp {timestamp} cannot be expressed as a delta from baseTimestamp {base_timestamp}"
    )]
    TimestampOverflow {
        /// The record's timestamp.
        timestamp: i64,
        /// The batch's base timestamp.
        base_timestamp: i64,
    },
    /// The batch would not fit `batchLength` (i32).
    #[error("batch of {bytes} bytes exceeds the batchLength range")]
    BatchTooLarge {
        /// The size the batch would have.
        bytes: usize,
    },
    /// The codec failed.
    #[error(transparent)]
    Compression(#[from] CompressionError),
}

/// Builds one magic v2 record batch.
///
/// ```
/// use fjord_record::{BatchBuilder, CompressionType, NewRecord};
/// let mut builder = BatchBuilder::new(CompressionType::Zstd).base_offset(42);
/// builder.push(NewRecord::new(1_700_000_000_000).key("k").value("v").header("h", "1"));
/// let batch = builder.build()?;
/// let header = fjord_record::BatchHeader::validate(&batch, batch.len())?;
/// assert_eq!((header.base_offset(), header.record_count()), (42, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    base_offset: i64,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    control: bool,
    log_append_time: Option<i64>,
    compression: CompressionType,
    records: Vec<(i32, NewRecord)>,
    /// Set when push() ran past offset delta i32::MAX.
    offset_delta_overflow: bool,
}

impl BatchBuilder {
    /// An empty builder: base offset 0, leader epoch -1, no producer id (-1/-1/-1),
    /// CreateTime, not transactional, not control.
    pub fn new(compression: CompressionType) -> Self {
        Self {
            base_offset: 0,
            partition_leader_epoch: -1,
            producer_id: NONE,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            control: false,
            log_append_time: None,
            compression,
            records: Vec::new(),
            offset_delta_overflow: false,
        }
    }

    /// A control batch holding one COMMIT/ABORT marker, as the transaction coordinator writes
    /// it (Kafka `MemoryRecords.withEndTransactionMarker`: transactional + control attributes,
    /// base sequence -1, one record at offset delta 0).
    pub fn end_transaction_marker(
        producer_id: i64,
        producer_epoch: i16,
        marker: EndTransactionMarker,
        timestamp: i64,
    ) -> Self {
        let mut builder = Self::new(CompressionType::None)
            .producer(producer_id, producer_epoch, -1)
            .transactional(true)
            .control(true);
        builder.push(NewRecord {
            timestamp,
            key: Some(Bytes::copy_from_slice(&marker.control_type.encode_key())),
            value: Some(Bytes::copy_from_slice(&marker.encode_value())),
            headers: Vec::new(),
        });
        builder
    }

    /// Sets baseOffset.
    pub fn base_offset(mut self, base_offset: i64) -> Self {
        self.base_offset = base_offset;
        self
    }

    /// Sets partitionLeaderEpoch.
    pub fn partition_leader_epoch(mut self, epoch: i32) -> Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Sets producerId, producerEpoch and baseSequence (idempotent/transactional producers).
    pub fn producer(mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Sets the transactional attribute (bit 4).
    pub fn transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Sets the control attribute (bit 5).
    pub fn control(mut self, control: bool) -> Self {
        self.control = control;
        self
    }

    /// Marks the batch LogAppendTime (bit 3) with `maxTimestamp = append_time`.
    pub fn log_append_time(mut self, append_time: i64) -> Self {
        self.log_append_time = Some(append_time);
        self
    }

    /// Appends a record at the next offset delta (previous + 1, or 0 for the first).
    pub fn push(&mut self, record: NewRecord) -> &mut Self {
        let delta = match self.records.last() {
            None => 0,
            Some((previous, _)) => previous.checked_add(1).unwrap_or_else(|| {
                self.offset_delta_overflow = true;
                i32::MAX
            }),
        };
        self.records.push((delta, record));
        self
    }

    /// Appends a record at an explicit offset delta, leaving a gap as compaction does.
    pub fn push_at(
        &mut self,
        offset_delta: i32,
        record: NewRecord,
    ) -> Result<&mut Self, BuildError> {
        if let Some(&(previous, _)) = self.records.last()
            && offset_delta <= previous
        {
            return Err(BuildError::OffsetDeltaNotIncreasing {
                previous,
                given: offset_delta,
            });
        }
        if offset_delta < 0 {
            return Err(BuildError::OffsetDeltaNotIncreasing {
                previous: -1,
                given: offset_delta,
            });
        }
        self.records.push((offset_delta, record));
        Ok(self)
    }

    /// Number of records appended so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record was appended.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn attributes(&self) -> Attributes {
        let mut bits = i16::from(self.compression.id());
        if self.log_append_time.is_some() {
            bits |= Attributes::TIMESTAMP_TYPE;
        }
        if self.transactional {
            bits |= Attributes::TRANSACTIONAL;
        }
        if self.control {
            bits |= Attributes::CONTROL;
        }
        Attributes(bits)
    }

    /// The timestamp type the batch will carry.
    pub fn timestamp_type(&self) -> TimestampType {
        self.attributes().timestamp_type()
    }

    /// Encodes the batch: header, (compressed) records, CRC-32C.
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        let record_count =
            i32::try_from(self.records.len()).map_err(|_| BuildError::TooManyRecords)?;
        if self.offset_delta_overflow {
            return Err(BuildError::TooManyRecords);
        }
        let base_timestamp = self.records.first().map_or(NONE, |(_, r)| r.timestamp);
        let max_timestamp = match self.log_append_time {
            Some(append_time) => append_time,
            None => self
                .records
                .iter()
                .map(|(_, r)| r.timestamp)
                .max()
                .unwrap_or(NONE),
        };
        let last_offset_delta = self.records.last().map_or(0, |(delta, _)| *delta);

        let mut payload = Vec::new();
        for (offset_delta, new) in &self.records {
            let timestamp_delta =
                new.timestamp
                    .checked_sub(base_timestamp)
                    .ok_or(BuildError::TimestampOverflow {
                        timestamp: new.timestamp,
                        base_timestamp,
                    })?;
            Record {
                attributes: 0,
                timestamp_delta,
                offset_delta: *offset_delta,
                key: new.key.clone(),
                value: new.value.clone(),
                headers: new.headers.clone(),
            }
            .encode(&mut payload);
        }
        self.assemble(
            &payload,
            record_count,
            last_offset_delta,
            base_timestamp,
            max_timestamp,
        )
    }

    /// Encodes a batch around an already encoded records section (uncompressed: records as
    /// [`Record::encode`] or [`crate::record::encode_value_record`] write them), with this
    /// builder's header settings and codec; the records pushed into the builder are ignored.
    /// For writers that encode records straight into one buffer (the perf producer).
    pub fn assemble(
        &self,
        records_section: &[u8],
        record_count: i32,
        last_offset_delta: i32,
        base_timestamp: i64,
        max_timestamp: i64,
    ) -> Result<Vec<u8>, BuildError> {
        let payload = compress(self.compression, records_section)?;

        let total = HEADER_BYTES + payload.len();
        let batch_length = i32::try_from(total - LOG_OVERHEAD_BYTES)
            .map_err(|_| BuildError::BatchTooLarge { bytes: total })?;
        let mut batch = Vec::with_capacity(total);
        batch.extend_from_slice(&self.base_offset.to_be_bytes());
        batch.extend_from_slice(&batch_length.to_be_bytes());
        batch.extend_from_slice(&self.partition_leader_epoch.to_be_bytes());
        batch.push(MAGIC_V2 as u8);
        batch.extend_from_slice(&[0; 4]); // CRC, written last
        batch.extend_from_slice(&self.attributes().0.to_be_bytes());
        batch.extend_from_slice(&last_offset_delta.to_be_bytes());
        batch.extend_from_slice(&base_timestamp.to_be_bytes());
        batch.extend_from_slice(&max_timestamp.to_be_bytes());
        batch.extend_from_slice(&self.producer_id.to_be_bytes());
        batch.extend_from_slice(&self.producer_epoch.to_be_bytes());
        batch.extend_from_slice(&self.base_sequence.to_be_bytes());
        batch.extend_from_slice(&record_count.to_be_bytes());
        debug_assert_eq!(batch.len(), HEADER_BYTES);
        debug_assert_eq!(offsets::RECORD_COUNT + 4, HEADER_BYTES);
        batch.extend_from_slice(&payload);
        rewrite_crc(&mut batch);
        Ok(batch)
    }
}
