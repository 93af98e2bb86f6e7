//! Walking a buffer of consecutive record batches: the `records` field of a Produce request
//! partition, a Fetch response partition, or a segment file.
//!
//! Each batch announces its size in `batchLength` (bytes after that field, so a batch occupies
//! `batchLength + 12` bytes; Kafka `Records.LOG_OVERHEAD`). [`Batches`] validates every batch
//! with [`BatchHeader::validate`] (magic, lengths, record count vs lastOffsetDelta, codec,
//! CRC-32C) and stops at the first one that fails, reporting its byte position so that
//! storage recovery can truncate there (Kafka `LogSegment.recover`) and Produce can reject the
//! request (Kafka `LogValidator`, `ByteBufferLogInputStream`).

use std::ops::Range;

use crate::error::RecordError;
use crate::header::{BatchHeader, LOG_OVERHEAD_BYTES};

/// A validated batch found inside a larger buffer.
#[derive(Debug, Clone, Copy)]
pub struct BatchSlice<'a> {
    /// Byte position of the batch's first byte within the buffer.
    pub position: usize,
    /// Exactly the batch's bytes (`batchLength + 12`).
    pub bytes: &'a [u8],
    /// The validated header view.
    pub header: BatchHeader<'a>,
}

impl BatchSlice<'_> {
    /// The batch's byte range within the buffer.
    pub fn range(&self) -> Range<usize> {
        self.position..self.position + self.bytes.len()
    }
}

/// A batch inside a buffer failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record batch at byte {position}: {error}")]
pub struct BatchPositionError {
    /// Byte position of the failing batch within the buffer (the first byte not accepted).
    pub position: usize,
    /// What is wrong with it.
    #[source]
    pub error: RecordError,
}

impl BatchPositionError {
    /// Whether the buffer merely ends inside this batch (a torn tail rather than corruption).
    pub fn is_truncated(&self) -> bool {
        matches!(self.error, RecordError::Truncated { .. })
    }
}

/// Iterator over the batches of a buffer, yielding each validated [`BatchSlice`] in order.
///
/// Ends after the last complete batch; if bytes remain that do not form a valid batch (a
/// partial batch, a corrupt one, or a foreign magic) it yields one [`BatchPositionError`] and
/// then stops.
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    buf: &'a [u8],
    pos: usize,
    max_batch_bytes: usize,
    failed: bool,
}

impl<'a> Batches<'a> {
    /// Iterates the batches of `buf`, rejecting any batch larger than `max_batch_bytes`
    /// (including its 12-byte log overhead, as Kafka's `max.message.bytes` counts it).
    pub fn new(buf: &'a [u8], max_batch_bytes: usize) -> Self {
        Self {
            buf,
            pos: 0,
            max_batch_bytes,
            failed: false,
        }
    }

    /// Bytes accepted so far: the position after the last valid batch yielded.
    pub fn valid_bytes(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Batches<'a> {
    type Item = Result<BatchSlice<'a>, BatchPositionError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos == self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.pos..];
        let position = self.pos;
        let fail = |error| BatchPositionError { position, error };
        if rest.len() < LOG_OVERHEAD_BYTES {
            self.failed = true;
            let base_offset = rest.get(..8).map_or(-1, |b| {
                i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            });
            return Some(Err(fail(RecordError::Truncated {
                base_offset,
                needed: LOG_OVERHEAD_BYTES,
                available: rest.len(),
            })));
        }
        match BatchHeader::validate(rest, self.max_batch_bytes) {
            Ok(header) => {
                let bytes = &rest[..header.total_size()];
                self.pos += bytes.len();
                Some(Ok(BatchSlice {
                    position,
                    bytes,
                    header,
                }))
            }
            Err(error) => {
                self.failed = true;
                Some(Err(fail(error)))
            }
        }
    }
}

/// Validates every batch in `buf` (which must hold only whole batches) and returns how many
/// there are. Produce's check of a partition's `records` field.
pub fn validate_batches(buf: &[u8], max_batch_bytes: usize) -> Result<usize, BatchPositionError> {
    let mut count = 0;
    for batch in Batches::new(buf, max_batch_bytes) {
        batch?;
        count += 1;
    }
    Ok(count)
}
