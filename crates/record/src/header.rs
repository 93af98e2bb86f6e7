//! The 61-byte record batch header (magic v2) as a zero-copy view.
//!
//! ```text
//! offset  size  field                 covered by CRC
//!      0     8  baseOffset            no
//!      8     4  batchLength           no   (bytes after this field)
//!     12     4  partitionLeaderEpoch  no
//!     16     1  magic (= 2)           no
//!     17     4  crc (CRC-32C)         no
//!     21     2  attributes            yes (CRC covers 21.. end)
//!     23     4  lastOffsetDelta       yes
//!     27     8  baseTimestamp         yes
//!     35     8  maxTimestamp          yes
//!     43     8  producerId            yes
//!     51     2  producerEpoch         yes
//!     53     4  baseSequence          yes
//!     57     4  recordCount           yes
//!     61     …  records
//! ```
//! Source: Kafka documentation §5.3.1 and `DefaultRecordBatch.java`.

use crate::error::RecordError;

/// Size of the fixed batch header in bytes.
pub const HEADER_BYTES: usize = 61;
/// Bytes before `batchLength` counts: baseOffset (8) + batchLength (4).
pub const LOG_OVERHEAD_BYTES: usize = 12;
/// The only supported magic value.
pub const MAGIC_V2: i8 = 2;

/// Field offsets inside the header.
pub mod offsets {
    /// baseOffset: i64.
    pub const BASE_OFFSET: usize = 0;
    /// batchLength: i32.
    pub const BATCH_LENGTH: usize = 8;
    /// partitionLeaderEpoch: i32.
    pub const PARTITION_LEADER_EPOCH: usize = 12;
    /// magic: i8.
    pub const MAGIC: usize = 16;
    /// crc: u32.
    pub const CRC: usize = 17;
    /// attributes: i16. The CRC covers from here to the end of the batch.
    pub const ATTRIBUTES: usize = 21;
    /// lastOffsetDelta: i32.
    pub const LAST_OFFSET_DELTA: usize = 23;
    /// baseTimestamp: i64.
    pub const BASE_TIMESTAMP: usize = 27;
    /// maxTimestamp: i64.
    pub const MAX_TIMESTAMP: usize = 35;
    /// producerId: i64.
    pub const PRODUCER_ID: usize = 43;
    /// producerEpoch: i16.
    pub const PRODUCER_EPOCH: usize = 51;
    /// baseSequence: i32.
    pub const BASE_SEQUENCE: usize = 53;
    /// recordCount: i32.
    pub const RECORD_COUNT: usize = 57;
}

/// Compression codec from attributes bits 0-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionType {
    /// 0: no compression.
    None,
    /// 1: gzip.
    Gzip,
    /// 2: snappy (raw block or Java's xerial framing).
    Snappy,
    /// 3: lz4 frame format.
    Lz4,
    /// 4: zstd.
    Zstd,
}

impl CompressionType {
    /// The codec id stored in attributes bits 0-2.
    pub fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    /// Parses a codec id; `None` for 5..=7.
    pub fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::None,
            1 => Self::Gzip,
            2 => Self::Snappy,
            3 => Self::Lz4,
            4 => Self::Zstd,
            _ => return None,
        })
    }

    /// Kafka's name for the codec (as in `compression.type`).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }
}

/// Timestamp type from attributes bit 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// 0: the producer's timestamps.
    CreateTime,
    /// 1: the broker's append time (`message.timestamp.type=LogAppendTime`).
    LogAppendTime,
}

/// The 16-bit attributes field.
///
/// Bits: 0-2 compression, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon set
/// (KIP-534). The rest are unused and must be zero in batches we build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attributes(pub i16);

impl Attributes {
    /// Compression codec bits mask.
    pub const COMPRESSION_MASK: i16 = 0x07;
    /// Timestamp type bit (LogAppendTime when set).
    pub const TIMESTAMP_TYPE: i16 = 0x08;
    /// Transactional bit.
    pub const TRANSACTIONAL: i16 = 0x10;
    /// Control batch bit (transaction markers).
    pub const CONTROL: i16 = 0x20;
    /// Delete horizon bit (KIP-534): baseTimestamp holds the tombstone delete horizon.
    pub const DELETE_HORIZON: i16 = 0x40;

    /// Raw compression id (0..=7).
    pub fn compression_id(self) -> u8 {
        (self.0 & Self::COMPRESSION_MASK) as u8
    }

    /// The compression codec, if the id is known.
    pub fn compression(self) -> Option<CompressionType> {
        CompressionType::from_id(self.compression_id())
    }

    /// Timestamp type.
    pub fn timestamp_type(self) -> TimestampType {
        if self.0 & Self::TIMESTAMP_TYPE != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(self) -> bool {
        self.0 & Self::TRANSACTIONAL != 0
    }

    /// Whether the batch is a control batch (commit/abort markers).
    pub fn is_control(self) -> bool {
        self.0 & Self::CONTROL != 0
    }

    /// Whether the delete horizon is set (KIP-534).
    pub fn has_delete_horizon(self) -> bool {
        self.0 & Self::DELETE_HORIZON != 0
    }
}

fn be_i64(bytes: &[u8], at: usize) -> i64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    i64::from_be_bytes(buf)
}

fn be_i32(bytes: &[u8], at: usize) -> i32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[at..at + 4]);
    i32::from_be_bytes(buf)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    be_i32(bytes, at) as u32
}

fn be_i16(bytes: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// A zero-copy view over the first 61 bytes of a record batch.
///
/// Construction only checks that 61 bytes are present; call [`BatchHeader::validate`] (or
/// [`BatchHeader::validate_crc`]) with the whole batch before trusting the rest.
#[derive(Debug, Clone, Copy)]
pub struct BatchHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> BatchHeader<'a> {
    /// Views the header at the start of `bytes`. Fails if fewer than 61 bytes are given.
    pub fn new(bytes: &'a [u8]) -> Result<Self, RecordError> {
        if bytes.len() < HEADER_BYTES {
            let base_offset = if bytes.len() >= 8 {
                be_i64(bytes, 0)
            } else {
                -1
            };
            return Err(RecordError::Truncated {
                base_offset,
                needed: HEADER_BYTES,
                available: bytes.len(),
            });
        }
        Ok(Self {
            bytes: &bytes[..HEADER_BYTES],
        })
    }

    /// The raw 61 header bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// baseOffset.
    pub fn base_offset(&self) -> i64 {
        be_i64(self.bytes, offsets::BASE_OFFSET)
    }
    /// batchLength: bytes after the batchLength field.
    pub fn batch_length(&self) -> i32 {
        be_i32(self.bytes, offsets::BATCH_LENGTH)
    }
    /// Total bytes of the batch on disk/wire: `batchLength + 12`.
    pub fn total_size(&self) -> usize {
        (self.batch_length().max(0) as usize) + LOG_OVERHEAD_BYTES
    }
    /// partitionLeaderEpoch.
    pub fn partition_leader_epoch(&self) -> i32 {
        be_i32(self.bytes, offsets::PARTITION_LEADER_EPOCH)
    }
    /// magic.
    pub fn magic(&self) -> i8 {
        self.bytes[offsets::MAGIC] as i8
    }
    /// The stored CRC-32C.
    pub fn crc(&self) -> u32 {
        be_u32(self.bytes, offsets::CRC)
    }
    /// attributes.
    pub fn attributes(&self) -> Attributes {
        Attributes(be_i16(self.bytes, offsets::ATTRIBUTES))
    }
    /// lastOffsetDelta.
    pub fn last_offset_delta(&self) -> i32 {
        be_i32(self.bytes, offsets::LAST_OFFSET_DELTA)
    }
    /// The offset of the last record: `baseOffset + lastOffsetDelta`.
    pub fn last_offset(&self) -> i64 {
        self.base_offset() + i64::from(self.last_offset_delta())
    }
    /// The offset after this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }
    /// baseTimestamp.
    pub fn base_timestamp(&self) -> i64 {
        be_i64(self.bytes, offsets::BASE_TIMESTAMP)
    }
    /// maxTimestamp.
    pub fn max_timestamp(&self) -> i64 {
        be_i64(self.bytes, offsets::MAX_TIMESTAMP)
    }
    /// producerId (-1 when not idempotent).
    pub fn producer_id(&self) -> i64 {
        be_i64(self.bytes, offsets::PRODUCER_ID)
    }
    /// producerEpoch.
    pub fn producer_epoch(&self) -> i16 {
        be_i16(self.bytes, offsets::PRODUCER_EPOCH)
    }
    /// baseSequence (-1 when not idempotent).
    pub fn base_sequence(&self) -> i32 {
        be_i32(self.bytes, offsets::BASE_SEQUENCE)
    }
    /// recordCount.
    pub fn record_count(&self) -> i32 {
        be_i32(self.bytes, offsets::RECORD_COUNT)
    }

    /// Validates the header fields and the CRC against `batch`, which must start with this
    /// header and hold at least `total_size()` bytes. Checks, in order: magic, batchLength,
    /// truncation, recordCount/lastOffsetDelta consistency, compression codec, CRC.
    pub fn validate(batch: &'a [u8], max_batch_bytes: usize) -> Result<Self, RecordError> {
        let header = Self::new(batch)?;
        let base_offset = header.base_offset();
        if header.magic() != MAGIC_V2 {
            return Err(RecordError::UnsupportedMagic {
                base_offset,
                magic: header.magic(),
            });
        }
        let batch_length = header.batch_length();
        if batch_length < (HEADER_BYTES - LOG_OVERHEAD_BYTES) as i32
            || header.total_size() > max_batch_bytes
        {
            return Err(RecordError::InvalidBatchLength {
                base_offset,
                batch_length,
            });
        }
        if batch.len() < header.total_size() {
            return Err(RecordError::Truncated {
                base_offset,
                needed: header.total_size(),
                available: batch.len(),
            });
        }
        let record_count = header.record_count();
        let last_offset_delta = header.last_offset_delta();
        if record_count < 0 {
            return Err(RecordError::InvalidField {
                base_offset,
                field: "recordCount",
                reason: format!("negative ({record_count})"),
            });
        }
        // A batch of n records spans at least n offsets (compaction may leave gaps, so
        // lastOffsetDelta >= recordCount - 1). An empty batch (possible after compaction
        // removed every record) keeps its lastOffsetDelta.
        if last_offset_delta < 0 || (record_count > 0 && last_offset_delta < record_count - 1) {
            return Err(RecordError::InvalidField {
                base_offset,
                field: "lastOffsetDelta",
                reason: format!("{last_offset_delta} inconsistent with recordCount {record_count}"),
            });
        }
        let attributes = header.attributes();
        if attributes.compression().is_none() {
            return Err(RecordError::UnknownCompression {
                base_offset,
                codec: attributes.compression_id(),
            });
        }
        header.validate_crc(&batch[..header.total_size()])?;
        Ok(header)
    }

    /// Checks the stored CRC-32C against `attributes..end` of `batch` (exactly one batch).
    pub fn validate_crc(&self, batch: &[u8]) -> Result<(), RecordError> {
        let computed = compute_crc(batch);
        let stored = self.crc();
        if computed != stored {
            return Err(RecordError::CrcMismatch {
                base_offset: self.base_offset(),
                stored,
                computed,
            });
        }
        Ok(())
    }
}

/// CRC-32C (Castagnoli, Kafka's `Crc32C`) of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    // CRC-32/ISCSI is CRC-32C; a 32-bit CRC fits the u64 it is returned in.
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes) as u32
}

/// CRC-32C over `attributes..end` of one batch (`batch.len() >= 61`).
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c(&batch[offsets::ATTRIBUTES..])
}

/// CRC-32C of a batch whose first [`HEADER_BYTES`] are `head` and the rest `body` (the bytes
/// after the header), without joining them: lets a writer patch a copy of the header and write
/// the client's body as received.
pub fn compute_crc_split(head: &[u8; HEADER_BYTES], body: &[u8]) -> u32 {
    let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
    digest.update(&head[offsets::ATTRIBUTES..]);
    digest.update(body);
    digest.finalize() as u32
}

/// Rewrites baseOffset in place. Outside the CRC'd range, so the CRC stays valid.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[offsets::BASE_OFFSET..offsets::BASE_OFFSET + 8]
        .copy_from_slice(&base_offset.to_be_bytes());
}

/// Rewrites partitionLeaderEpoch in place. Outside the CRC'd range, so the CRC stays valid.
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[offsets::PARTITION_LEADER_EPOCH..offsets::PARTITION_LEADER_EPOCH + 4]
        .copy_from_slice(&epoch.to_be_bytes());
}

/// Rewrites the CRC field from the current bytes (for batches whose CRC'd range changed,
/// e.g. maxTimestamp under LogAppendTime).
pub fn rewrite_crc(batch: &mut [u8]) {
    let crc = compute_crc(batch);
    batch[offsets::CRC..offsets::CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_crc_equals_the_crc_of_the_joined_batch() {
        let mut batch = vec![0u8; HEADER_BYTES + 37];
        for (i, b) in batch.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31);
        }
        let mut head = [0u8; HEADER_BYTES];
        head.copy_from_slice(&batch[..HEADER_BYTES]);
        assert_eq!(
            compute_crc_split(&head, &batch[HEADER_BYTES..]),
            compute_crc(&batch)
        );
    }
}
