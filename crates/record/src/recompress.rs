//! Broker-side recompression: the topic config `compression.type` applied to produced batches.
//!
//! Kafka semantics (Kafka documentation, topic config `compression.type`; `LogValidator`
//! `validateMessagesAndAssignOffsetsCompressed`; `BrokerCompressionType`):
//! - `producer` (the default): batches are stored as the producer sent them.
//! - `uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`: a batch whose codec differs from the
//!   target is re-compressed by the broker; a batch already in the target codec is stored as
//!   sent. `uncompressed` means codec none, so compressed batches are decompressed.
//! - Control batches (transaction markers, Kafka documentation §5.3.3) are left as they are.
//!
//! Unlike Kafka (which re-encodes each record through `MemoryRecordsBuilder`), the records
//! section is decompressed and compressed again byte for byte: records keep their encoding,
//! so duplicate header keys and every delta survive (design brief §2). The header is kept too,
//! except the codec bits of `attributes`, `batchLength` and the CRC-32C. Producer id, epoch and
//! base sequence are untouched, so idempotence checks see the producer's values.
//!
//! Every record of a converted batch is decoded once (as Kafka's validator does) so that a
//! batch whose records do not parse is refused rather than sealed behind a fresh CRC.
//!
//! Compression levels: [`crate::compression::compress`] writes Kafka's default levels (gzip 6,
//! zstd 3, lz4 default); `compression.{gzip,lz4,zstd}.level` (KIP-390) are not applied.

use std::borrow::Cow;

use crate::batches::{BatchPositionError, Batches};
use crate::compression::{CompressionError, compress};
use crate::error::RecordError;
use crate::header::{
    Attributes, BatchHeader, CompressionType, HEADER_BYTES, LOG_OVERHEAD_BYTES, offsets,
    rewrite_crc,
};
use crate::record::records;

/// What a topic's `compression.type` asks the broker to store (Kafka `BrokerCompressionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionTarget {
    /// `producer`: keep each batch's codec.
    Producer,
    /// A codec every (non-control) batch is stored in; `uncompressed` is [`CompressionType::None`].
    Codec(CompressionType),
}

impl CompressionTarget {
    /// Parses a `compression.type` value, ignoring case as Kafka's validator does
    /// (`uncompressed`, `zstd`, `lz4`, `snappy`, `gzip`, `producer`). `None` for anything else.
    pub fn from_config(value: &str) -> Option<Self> {
        let value = value.to_ascii_lowercase();
        Some(match value.as_str() {
            "producer" => Self::Producer,
            "uncompressed" => Self::Codec(CompressionType::None),
            "gzip" => Self::Codec(CompressionType::Gzip),
            "snappy" => Self::Codec(CompressionType::Snappy),
            "lz4" => Self::Codec(CompressionType::Lz4),
            "zstd" => Self::Codec(CompressionType::Zstd),
            _ => return None,
        })
    }

    /// The codec batches are converted to, or `None` for `producer`.
    pub fn codec(self) -> Option<CompressionType> {
        match self {
            Self::Producer => None,
            Self::Codec(codec) => Some(codec),
        }
    }
}

/// Why a buffer of batches could not be recompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecompressError {
    /// A batch is invalid: header, CRC, decompression (including the cap) or a record.
    #[error(transparent)]
    Invalid(#[from] BatchPositionError),
    /// The target codec refused the records section (only for inputs beyond its format's
    /// limits, e.g. > 4 GiB for snappy; unreachable under a sane decompression cap).
    #[error("record batch at byte {position}: {source}")]
    Compression {
        /// Byte position of the batch within the buffer.
        position: usize,
        /// The codec's error.
        source: CompressionError,
        /// The batch's base offset.
        base_offset: i64,
    },
    /// The recompressed batch would not fit `batchLength` (i32).
    #[error("record batch at byte {position}: recompressed to {bytes} bytes, beyond batchLength")]
    BatchTooLarge {
        /// Byte position of the batch within the buffer.
        position: usize,
        /// The size the batch would have.
        bytes: usize,
        /// The batch's base offset.
        base_offset: i64,
    },
}

impl RecompressError {
    /// The [`RecordError`] to report for this failure (for callers whose error surface is
    /// record validation, e.g. a log append mapped to CORRUPT_MESSAGE).
    pub fn into_record_error(self) -> RecordError {
        match self {
            Self::Invalid(error) => error.error,
            Self::Compression {
                source,
                base_offset,
                ..
            } => source.into_record_error(base_offset),
            Self::BatchTooLarge {
                bytes, base_offset, ..
            } => RecordError::InvalidBatchLength {
                base_offset,
                batch_length: i32::try_from(bytes).unwrap_or(i32::MAX),
            },
        }
    }
}

/// Whether storing `buf` under `target` changes any batch: true when a non-control batch's
/// codec differs from `target`.
///
/// Reads headers only (no CRC pass, no allocation): the fast path of every produce. Returns
/// `false` as soon as a header does not parse, names an unknown codec, or announces a batch
/// larger than `max_batch_bytes` (Kafka `max.message.bytes`, checked on the batch as sent
/// before conversion, `UnifiedLog.analyzeAndValidateRecords`): such input is appended as sent
/// and the log refuses it with its own error, without decompressing anything.
pub fn recompression_needed(buf: &[u8], target: CompressionType, max_batch_bytes: usize) -> bool {
    let mut pos = 0;
    let mut differs = false;
    while pos < buf.len() {
        let Ok(header) = BatchHeader::new(&buf[pos..]) else {
            return false;
        };
        let attributes = header.attributes();
        let size = header.total_size();
        if header.batch_length() < (HEADER_BYTES - LOG_OVERHEAD_BYTES) as i32
            || size > max_batch_bytes
        {
            return false;
        }
        match attributes.compression() {
            None => return false,
            Some(codec) => differs |= codec != target && !attributes.is_control(),
        }
        pos += size;
    }
    differs
}

/// Rewrites every non-control batch of `buf` whose codec differs from `target` into `target`,
/// copying the others unchanged, and returns the new buffer.
///
/// Every batch is validated (header and CRC, [`Batches`]); converted batches are decompressed
/// with `decompressed_cap` (a bomb fails with [`RecordError::DecompressedTooLarge`]) and their
/// records decoded once. baseOffset and partitionLeaderEpoch are carried over as they are.
pub fn recompress_batches(
    buf: &[u8],
    target: CompressionType,
    decompressed_cap: usize,
) -> Result<Vec<u8>, RecompressError> {
    let mut out = Vec::with_capacity(buf.len());
    for batch in Batches::new(buf, usize::MAX) {
        let batch = batch?;
        let attributes = batch.header.attributes();
        if attributes.is_control() || attributes.compression() == Some(target) {
            out.extend_from_slice(batch.bytes);
        } else {
            recompress_into(
                batch.bytes,
                batch.position,
                target,
                decompressed_cap,
                &mut out,
            )?;
        }
    }
    Ok(out)
}

/// Appends `batch` (one validated batch found at `position`) re-compressed with `target`.
fn recompress_into(
    batch: &[u8],
    position: usize,
    target: CompressionType,
    decompressed_cap: usize,
    out: &mut Vec<u8>,
) -> Result<(), RecompressError> {
    let invalid = |error| BatchPositionError { position, error };
    let header = BatchHeader::new(batch).map_err(invalid)?;
    let base_offset = header.base_offset();
    let mut iter = records(batch, decompressed_cap).map_err(invalid)?;
    let section = iter.records_bytes().clone();
    // Kafka's validator walks every record of a batch it converts; so do we, by reference.
    iter.try_for_each(|record| record.map(drop))
        .map_err(invalid)?;
    let compressed: Cow<'_, [u8]> = match target {
        CompressionType::None => Cow::Borrowed(&section),
        codec => Cow::Owned(compress(codec, &section).map_err(|source| {
            RecompressError::Compression {
                position,
                source,
                base_offset,
            }
        })?),
    };
    let bytes = HEADER_BYTES + compressed.len();
    let batch_length =
        i32::try_from(bytes - LOG_OVERHEAD_BYTES).map_err(|_| RecompressError::BatchTooLarge {
            position,
            bytes,
            base_offset,
        })?;
    let attributes =
        (header.attributes().0 & !Attributes::COMPRESSION_MASK) | i16::from(target.id());
    let start = out.len();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&compressed);
    let rebuilt = &mut out[start..];
    rebuilt[offsets::BATCH_LENGTH..offsets::BATCH_LENGTH + 4]
        .copy_from_slice(&batch_length.to_be_bytes());
    rebuilt[offsets::ATTRIBUTES..offsets::ATTRIBUTES + 2]
        .copy_from_slice(&attributes.to_be_bytes());
    rewrite_crc(rebuilt);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BatchBuilder, NewRecord};

    fn batch(codec: CompressionType) -> Vec<u8> {
        let mut builder = BatchBuilder::new(codec);
        builder.push(NewRecord::new(5).key("k").value("v"));
        builder.build().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_compression_type_value_parses_ignoring_case() {
        // Kafka BrokerCompressionType names; the validator is case-insensitive.
        assert_eq!(
            CompressionTarget::from_config("Producer"),
            Some(CompressionTarget::Producer)
        );
        assert_eq!(
            CompressionTarget::from_config("uncompressed").and_then(CompressionTarget::codec),
            Some(CompressionType::None)
        );
        for codec in [
            CompressionType::Gzip,
            CompressionType::Snappy,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            assert_eq!(
                CompressionTarget::from_config(&codec.name().to_uppercase()),
                Some(CompressionTarget::Codec(codec))
            );
        }
        // "none" is the codec's name in the record format, not a compression.type value.
        assert_eq!(CompressionTarget::from_config("none"), None);
    }

    #[test]
    fn needed_only_when_a_codec_differs_and_the_input_is_sane() {
        let gzip = batch(CompressionType::Gzip);
        assert!(!recompression_needed(
            &gzip,
            CompressionType::Gzip,
            usize::MAX
        ));
        assert!(recompression_needed(
            &gzip,
            CompressionType::Zstd,
            usize::MAX
        ));
        assert!(!recompression_needed(
            &gzip,
            CompressionType::Zstd,
            gzip.len() - 1
        ));
        assert!(!recompression_needed(
            &gzip[..30],
            CompressionType::Zstd,
            usize::MAX
        ));
        let mut two = gzip.clone();
        two.extend_from_slice(&batch(CompressionType::Lz4));
        assert!(recompression_needed(
            &two,
            CompressionType::Gzip,
            usize::MAX
        ));
    }
}
