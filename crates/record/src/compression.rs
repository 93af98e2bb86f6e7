//! Compression codecs for the records section of a batch, with a cap on decompressed size.
//!
//! In a compressed magic v2 batch everything after the 61-byte header is one compressed
//! stream holding the records (Kafka documentation §5.3.1; `DefaultRecordBatch.compressedIterator`).
//! Every decoder here is a streaming reader bounded by `take(cap + 1)`, so a small payload that
//! inflates to gigabytes (a decompression bomb) fails with [`CompressionError::TooLarge`] after
//! at most `cap + 1` bytes of output, whatever the codec.
//!
//! | codec | we write | we read | source |
//! |---|---|---|---|
//! | gzip | one gzip member, level 6 | any number of members (`MultiGzDecoder`) | Kafka `GzipCompression` (`GZIPOutputStream`) |
//! | snappy | xerial framing, 32 KiB blocks | raw snappy block (librdkafka) or xerial framing (Java, kafka-python, aiokafka) | Kafka `SnappyCompression`, xerial `SnappyOutputStream`/`SnappyCodec` |
//! | lz4 | LZ4 frame, independent 64 KiB blocks | any valid LZ4 frame | Kafka `KafkaLZ4BlockOutputStream` (rejects dependent blocks on read) |
//! | zstd | one frame, level 3 | any frame(s) | Kafka `ZstdCompression` (default level 3, KIP-390) |
//!
//! zstd frames may ask for a window of up to 2^27 bytes (zstd's default decoder limit, which
//! level-22 streams need); that window is the one allocation not bounded by the cap.

use std::io::{Read, Write};

use crate::header::CompressionType;

/// The xerial snappy stream header: `\x82SNAPPY\0` (xerial `SnappyCodec.MAGIC_HEADER`).
pub const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Bytes of the xerial stream header: magic, then int32 version and int32 compatible version.
pub const XERIAL_HEADER_BYTES: usize = 16;
/// Uncompressed bytes per xerial block we write (xerial `SnappyOutputStream` default, used by
/// Kafka's `SnappyCompression`).
pub const XERIAL_BLOCK_BYTES: usize = 32 * 1024;
/// The xerial header version and compatible version we write (both 1, as xerial does).
const XERIAL_VERSION: i32 = 1;
/// gzip level we write: Kafka's default `compression.gzip.level` (-1 = zlib's default 6).
const GZIP_LEVEL: u32 = 6;
/// zstd level we write: Kafka's default `compression.zstd.level` (KIP-390).
const ZSTD_LEVEL: i32 = 3;

/// Why compressing or decompressing a records section failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    /// The payload is not valid for its codec.
    #[error("{} decompression failed: {reason}", codec.name())]
    Decompression {
        /// The codec.
        codec: CompressionType,
        /// The codec library's message.
        reason: String,
    },
    /// The output would exceed the cap.
    #[error("{} decompressed size exceeds the cap of {cap} bytes", codec.name())]
    TooLarge {
        /// The codec.
        codec: CompressionType,
        /// The cap in bytes.
        cap: usize,
    },
    /// Compression failed (only on inputs the codec cannot represent, e.g. > 4 GiB snappy).
    #[error("{} compression failed: {reason}", codec.name())]
    Compression {
        /// The codec.
        codec: CompressionType,
        /// The codec library's message.
        reason: String,
    },
}

impl CompressionError {
    /// Converts into a [`crate::RecordError`] naming the batch at `base_offset`.
    pub fn into_record_error(self, base_offset: i64) -> crate::RecordError {
        match self {
            Self::Decompression { codec, reason } | Self::Compression { codec, reason } => {
                crate::RecordError::Decompression {
                    base_offset,
                    codec: codec.name(),
                    reason,
                }
            }
            Self::TooLarge { cap, .. } => {
                crate::RecordError::DecompressedTooLarge { base_offset, cap }
            }
        }
    }
}

/// Compresses `data` with `codec` in the framing Kafka's Java client writes.
pub fn compress(codec: CompressionType, data: &[u8]) -> Result<Vec<u8>, CompressionError> {
    let failed = |reason: String| CompressionError::Compression { codec, reason };
    match codec {
        CompressionType::None => Ok(data.to_vec()),
        CompressionType::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 2),
                flate2::Compression::new(GZIP_LEVEL),
            );
            encoder.write_all(data).map_err(|e| failed(e.to_string()))?;
            encoder.finish().map_err(|e| failed(e.to_string()))
        }
        CompressionType::Snappy => compress_xerial(data).map_err(|e| failed(e.to_string())),
        CompressionType::Lz4 => {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(
                info,
                Vec::with_capacity(data.len() / 2),
            );
            encoder.write_all(data).map_err(|e| failed(e.to_string()))?;
            encoder.finish().map_err(|e| failed(e.to_string()))
        }
        CompressionType::Zstd => {
            zstd::bulk::compress(data, ZSTD_LEVEL).map_err(|e| failed(e.to_string()))
        }
    }
}

fn compress_xerial(data: &[u8]) -> Result<Vec<u8>, snap::Error> {
    let mut out = Vec::with_capacity(XERIAL_HEADER_BYTES + data.len() / 2);
    out.extend_from_slice(&XERIAL_MAGIC);
    out.extend_from_slice(&XERIAL_VERSION.to_be_bytes());
    out.extend_from_slice(&XERIAL_VERSION.to_be_bytes());
    let mut encoder = snap::raw::Encoder::new();
    let mut block = Vec::new();
    for chunk in data.chunks(XERIAL_BLOCK_BYTES) {
        block.resize(snap::raw::max_compress_len(chunk.len()), 0);
        let written = encoder.compress(chunk, &mut block)?;
        // A block is at most max_compress_len(32 KiB) bytes, far below i32::MAX.
        out.extend_from_slice(&(written as i32).to_be_bytes());
        out.extend_from_slice(&block[..written]);
    }
    Ok(out)
}

/// Decompresses `data` with `codec`, failing with [`CompressionError::TooLarge`] as soon as
/// the output would exceed `cap` bytes (never allocating more than about `cap + 1` bytes of
/// output).
pub fn decompress(
    codec: CompressionType,
    data: &[u8],
    cap: usize,
) -> Result<Vec<u8>, CompressionError> {
    let failed = |reason: String| CompressionError::Decompression { codec, reason };
    match codec {
        CompressionType::None => {
            if data.len() > cap {
                return Err(CompressionError::TooLarge { codec, cap });
            }
            Ok(data.to_vec())
        }
        CompressionType::Gzip => read_capped(
            codec,
            flate2::read::MultiGzDecoder::new(data),
            data.len(),
            cap,
        ),
        CompressionType::Snappy => {
            if data.starts_with(&XERIAL_MAGIC) {
                decompress_xerial(data, cap)
            } else {
                let mut out = Vec::new();
                decompress_raw_snappy(data, cap, cap, &mut out)?;
                Ok(out)
            }
        }
        CompressionType::Lz4 => read_capped(
            codec,
            lz4_flex::frame::FrameDecoder::new(data),
            data.len(),
            cap,
        ),
        CompressionType::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(data)
                .map_err(|e| failed(e.to_string()))?;
            read_capped(codec, decoder, data.len(), cap)
        }
    }
}

/// Reads `reader` to its end, keeping at most `cap + 1` bytes.
fn read_capped(
    codec: CompressionType,
    reader: impl Read,
    input_len: usize,
    cap: usize,
) -> Result<Vec<u8>, CompressionError> {
    // Start near a typical ratio; growth is bounded by the take() below.
    let mut out = Vec::with_capacity(input_len.saturating_mul(4).min(cap.saturating_add(1)));
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| CompressionError::Decompression {
            codec,
            reason: e.to_string(),
        })?;
    if out.len() > cap {
        return Err(CompressionError::TooLarge { codec, cap });
    }
    Ok(out)
}

/// Appends one raw snappy block to `out`, checking its announced length against `remaining`
/// before allocating.
fn decompress_raw_snappy(
    block: &[u8],
    remaining: usize,
    cap: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let codec = CompressionType::Snappy;
    let failed = |e: snap::Error| CompressionError::Decompression {
        codec,
        reason: e.to_string(),
    };
    let len = snap::raw::decompress_len(block).map_err(failed)?;
    if len > remaining {
        return Err(CompressionError::TooLarge { codec, cap });
    }
    let start = out.len();
    out.resize(start + len, 0);
    let written = snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(failed)?;
    out.truncate(start + written);
    Ok(())
}

/// Reads xerial framing: 16-byte header, then (int32 length, raw snappy block)* (xerial
/// `SnappyInputStream`).
fn decompress_xerial(data: &[u8], cap: usize) -> Result<Vec<u8>, CompressionError> {
    let codec = CompressionType::Snappy;
    let failed = |reason: String| CompressionError::Decompression { codec, reason };
    if data.len() < XERIAL_HEADER_BYTES {
        return Err(failed(format!(
            "xerial header needs {XERIAL_HEADER_BYTES} bytes, have {}",
            data.len()
        )));
    }
    let mut out = Vec::new();
    let mut pos = XERIAL_HEADER_BYTES;
    while pos < data.len() {
        let Some(len_bytes) = data.get(pos..pos + 4) else {
            return Err(failed(format!(
                "xerial block length at byte {pos} is truncated"
            )));
        };
        let block_len =
            i32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let block_start = pos + 4;
        let block = usize::try_from(block_len)
            .ok()
            .and_then(|len| data.get(block_start..block_start.checked_add(len)?))
            .ok_or_else(|| {
                failed(format!(
                    "xerial block at byte {pos} has invalid length {block_len}"
                ))
            })?;
        decompress_raw_snappy(block, cap - out.len(), cap, &mut out)?;
        pos = block_start + block.len();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODECS: [CompressionType; 5] = [
        CompressionType::None,
        CompressionType::Gzip,
        CompressionType::Snappy,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ];

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn every_codec_round_trips_empty_small_and_multi_block_inputs() {
        for codec in CODECS {
            for len in [0, 1, 100, XERIAL_BLOCK_BYTES + 7, 200_000] {
                let data = sample(len);
                let packed = compress(codec, &data).map_err(|e| e.to_string());
                let unpacked =
                    packed.and_then(|p| decompress(codec, &p, len).map_err(|e| e.to_string()));
                assert_eq!(
                    unpacked.as_deref(),
                    Ok(&data[..]),
                    "{} len {len}",
                    codec.name()
                );
            }
        }
    }

    #[test]
    fn output_of_exactly_cap_is_allowed_and_one_more_is_not() {
        for codec in CODECS {
            let data = sample(1000);
            let Ok(packed) = compress(codec, &data) else {
                panic!("compress {}", codec.name())
            };
            assert!(decompress(codec, &packed, 1000).is_ok(), "{}", codec.name());
            assert_eq!(
                decompress(codec, &packed, 999),
                Err(CompressionError::TooLarge { codec, cap: 999 })
            );
        }
    }

    #[test]
    fn snappy_writes_xerial_framing_like_java() {
        // Kafka's Java client writes xerial framing: magic, version 1, compatible version 1.
        let Ok(packed) = compress(CompressionType::Snappy, b"hello") else {
            panic!("compress")
        };
        assert_eq!(&packed[..8], &XERIAL_MAGIC);
        assert_eq!(&packed[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
    }

    #[test]
    fn snappy_reads_a_raw_block_as_librdkafka_writes() {
        let data = sample(5000);
        let Ok(raw) = snap::raw::Encoder::new().compress_vec(&data) else {
            panic!("snap")
        };
        assert_eq!(decompress(CompressionType::Snappy, &raw, 5000), Ok(data));
    }

    #[test]
    fn lz4_writes_independent_64k_blocks() {
        // Frame descriptor FLG bit 5 = block independence (Kafka KafkaLZ4BlockInputStream
        // rejects dependent blocks); BD bits 4-6 = 4 → 64 KiB max block size.
        let Ok(packed) = compress(CompressionType::Lz4, &sample(10)) else {
            panic!("compress")
        };
        assert_eq!(&packed[..4], &[0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(packed[4] & 0x20, 0x20, "block independence flag");
        assert_eq!((packed[5] >> 4) & 0x07, 4, "block max size 64 KiB");
    }

    #[test]
    fn garbage_is_a_decompression_error_for_every_codec() {
        for codec in [
            CompressionType::Gzip,
            CompressionType::Snappy,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            // The first byte (5) is also a small raw-snappy length, so snappy fails on the block itself.
            let result = decompress(codec, &[0x05, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3], 1 << 20);
            assert!(
                matches!(result, Err(CompressionError::Decompression { .. })),
                "{}: {result:?}",
                codec.name()
            );
        }
    }

    #[test]
    fn truncated_xerial_block_is_a_decompression_error() {
        let Ok(mut packed) = compress(CompressionType::Snappy, &sample(100)) else {
            panic!("compress")
        };
        packed.truncate(packed.len() - 3);
        let result = decompress(CompressionType::Snappy, &packed, 1 << 20);
        assert!(
            matches!(result, Err(CompressionError::Decompression { .. })),
            "{result:?}"
        );
    }
}
