//! Goal: no input makes the decoders panic (the broker decodes untrusted client bytes).
//!
//! Method: proptest damages valid batches (random byte overwrites, then a recomputed CRC so
//! decoding gets past the checksum into the records) and feeds arbitrary bytes to the batch
//! walker; every path must end in `Ok` or a typed error, never a panic. A poor man's fuzzer
//! until cargo-fuzz runs in CI.

use fjord_record::header::rewrite_crc;
use fjord_record::{BatchBuilder, Batches, CompressionType, NewRecord, records};
use proptest::prelude::*;

fn valid_batch(codec_index: usize, count: usize) -> Vec<u8> {
    let codecs = [
        CompressionType::None,
        CompressionType::Gzip,
        CompressionType::Snappy,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ];
    let mut builder = BatchBuilder::new(codecs[codec_index % codecs.len()]);
    for i in 0..count {
        builder.push(
            NewRecord::new(i as i64 * 1000)
                .key(format!("k{i}"))
                .value(vec![i as u8; i * 3])
                .header("dup", "a")
                .header("dup", "b"),
        );
    }
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn damaged_batches_with_fixed_crc_never_panic(
        codec_index in 0usize..5,
        count in 0usize..8,
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut batch = valid_batch(codec_index, count);
        for (index, byte) in damage {
            let at = index.index(batch.len());
            batch[at] = byte;
        }
        if batch.len() >= fjord_record::header::HEADER_BYTES {
            rewrite_crc(&mut batch);
        }
        if let Ok(iter) = records(&batch, 1 << 16) {
            for record in iter {
                let _ = record;
            }
        }
        for item in Batches::new(&batch, 1 << 16) {
            let _ = item;
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for item in Batches::new(&bytes, 1 << 16) {
            let _ = item;
        }
        if let Ok(iter) = records(&bytes, 1 << 16) {
            for record in iter {
                let _ = record;
            }
        }
    }
}
