//! Typed errors for record batch validation and decoding.

/// Why a record batch (or a record inside it) was rejected.
///
/// Every variant says which field is wrong and, where known, the batch's base offset, so a
/// log line or a wire error message can point at the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Fewer bytes than the 61-byte header, or fewer than `batchLength` announces.
    #[error(
        "record batch at offset {base_offset} is truncated: need {needed} bytes, have {available}"
    )]
    Truncated {
        /// Base offset read from the header, or -1 when even that was not readable.
        base_offset: i64,
        /// Bytes the header says the batch occupies (or the header size).
        needed: usize,
        /// Bytes actually available.
        available: usize,
    },
    /// The `magic` byte is not 2.
    #[error("record batch at offset {base_offset} has magic {magic}, only magic 2 is supported")]
    UnsupportedMagic {
        /// Base offset from the header.
        base_offset: i64,
        /// The magic byte found.
        magic: i8,
    },
    /// `batchLength` is smaller than the header or larger than the allowed size.
    #[error("record batch at offset {base_offset} has invalid batchLength {batch_length}")]
    InvalidBatchLength {
        /// Base offset from the header.
        base_offset: i64,
        /// The `batchLength` field.
        batch_length: i32,
    },
    /// The CRC-32C stored in the header does not match the bytes.
    #[error(
        "record batch at offset {base_offset} is corrupt: stored crc {stored:#010x}, computed {computed:#010x}"
    )]
    CrcMismatch {
        /// Base offset from the header.
        base_offset: i64,
        /// CRC stored in the header.
        stored: u32,
        /// CRC computed over attributes..end.
        computed: u32,
    },
    /// A header field is inconsistent (e.g. `lastOffsetDelta` vs `recordCount`).
    #[error("record batch at offset {base_offset}: invalid {field}: {reason}")]
    InvalidField {
        /// Base offset from the header.
        base_offset: i64,
        /// Kafka's name for the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The attributes name a compression codec we do not know (bits 0-2 = 5, 6 or 7).
    #[error("record batch at offset {base_offset} uses unknown compression codec {codec}")]
    UnknownCompression {
        /// Base offset from the header.
        base_offset: i64,
        /// The codec id from attributes bits 0-2.
        codec: u8,
    },
    /// Decompression failed or the payload is not valid for its codec.
    #[error("record batch at offset {base_offset}: {codec} decompression failed: {reason}")]
    Decompression {
        /// Base offset from the header.
        base_offset: i64,
        /// The codec name.
        codec: &'static str,
        /// The codec library's message.
        reason: String,
    },
    /// Decompressed output exceeded the cap (a decompression bomb or an oversized batch).
    #[error(
        "record batch at offset {base_offset}: decompressed size exceeds the cap of {cap} bytes"
    )]
    DecompressedTooLarge {
        /// Base offset from the header.
        base_offset: i64,
        /// The cap in bytes.
        cap: usize,
    },
    /// A record inside the batch is malformed.
    #[error(
        "record batch at offset {base_offset}, record {record_index}: invalid {field}: {reason}"
    )]
    InvalidRecord {
        /// Base offset from the header.
        base_offset: i64,
        /// Index of the record within the batch (0-based).
        record_index: usize,
        /// Kafka's name for the record field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
