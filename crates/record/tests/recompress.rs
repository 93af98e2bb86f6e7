//! Goal: broker-side recompression (topic config `compression.type`; Kafka `LogValidator`
//! `validateMessagesAndAssignOffsetsCompressed`) turns a batch of any codec into any target codec
//! without changing what a consumer reads: same keys, values, headers (duplicate keys
//! included), timestamps and offsets; the CRC-32C validates; only the codec bits,
//! batchLength and CRC of the header change; control batches and batches already in the
//! target codec are copied byte for byte; a decompression bomb is refused.
//!
//! Method: proptest batches (from the builder, every codec, producer fields, transactional and
//! LogAppendTime attributes, offset gaps, duplicate header keys) recompressed to every target;
//! the decoded records and the decompressed records section are compared with the original's.

use bytes::Bytes;
use fjord_record::header::offsets;
use fjord_record::{
    Attributes, BatchBuilder, BatchHeader, CompressionType, EndTransactionMarker, Header,
    NewRecord, RecompressError, RecordError, recompress_batches, recompression_needed, records,
};
use fjord_record::{Batches, ControlRecordType};
use proptest::prelude::*;

const CODECS: [CompressionType; 5] = [
    CompressionType::None,
    CompressionType::Gzip,
    CompressionType::Snappy,
    CompressionType::Lz4,
    CompressionType::Zstd,
];
const CAP: usize = 16 << 20;
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

fn bytes_strategy() -> impl Strategy<Value = Option<Bytes>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Bytes::new())),
        4 => proptest::collection::vec(any::<u8>(), 0..200).prop_map(|v| Some(Bytes::from(v))),
    ]
}

fn record_strategy() -> impl Strategy<Value = NewRecord> {
    let header = (
        prop_oneof![Just("dup".to_owned()), Just("h".to_owned()), "[a-z]{0,4}"],
        bytes_strategy(),
    )
        .prop_map(|(key, value)| Header { key, value });
    (
        -(1i64 << 35)..(1i64 << 35),
        bytes_strategy(),
        bytes_strategy(),
        proptest::collection::vec(header, 0..4),
    )
        .prop_map(|(delta, key, value, headers)| NewRecord {
            timestamp: BASE_TIMESTAMP + delta,
            key,
            value,
            headers,
        })
}

/// A batch as a producer would send it (offset gaps are not allowed on produce, but the
/// converter must not care).
#[derive(Debug, Clone)]
struct Spec {
    codec: CompressionType,
    base_offset: i64,
    leader_epoch: i32,
    producer: (i64, i16, i32),
    transactional: bool,
    log_append_time: Option<i64>,
    gaps: Vec<u8>,
    records: Vec<NewRecord>,
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        proptest::sample::select(CODECS.to_vec()),
        0i64..1 << 40,
        -1i32..100,
        (-1i64..1 << 20, -1i16..10, -1i32..1000),
        any::<bool>(),
        proptest::option::of(0i64..1 << 42),
        proptest::collection::vec(prop_oneof![8 => Just(0u8), 1 => 1u8..4], 30),
        proptest::collection::vec(record_strategy(), 1..30),
    )
        .prop_map(
            |(codec, base_offset, leader_epoch, producer, transactional, append, gaps, records)| {
                Spec {
                    codec,
                    base_offset,
                    leader_epoch,
                    producer,
                    transactional,
                    log_append_time: append,
                    gaps,
                    records,
                }
            },
        )
}

fn build(spec: &Spec) -> Vec<u8> {
    let mut builder = BatchBuilder::new(spec.codec)
        .base_offset(spec.base_offset)
        .partition_leader_epoch(spec.leader_epoch)
        .producer(spec.producer.0, spec.producer.1, spec.producer.2)
        .transactional(spec.transactional);
    if let Some(append_time) = spec.log_append_time {
        builder = builder.log_append_time(append_time);
    }
    let mut next = 0i32;
    for (record, gap) in spec.records.iter().zip(&spec.gaps) {
        let delta = next + i32::from(*gap);
        builder
            .push_at(delta, record.clone())
            .unwrap_or_else(|e| panic!("push_at: {e}"));
        next = delta + 1;
    }
    builder.build().unwrap_or_else(|e| panic!("build: {e}"))
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// `converted` is `original` in codec `target`: same header apart from codec bits,
/// batchLength and CRC; the same decompressed records section; the same decoded records.
fn check_converted(
    original: &[u8],
    converted: &[u8],
    target: CompressionType,
) -> Result<(), TestCaseError> {
    let before = BatchHeader::validate(original, original.len()).map_err(fail)?;
    let after = BatchHeader::validate(converted, converted.len()).map_err(fail)?;
    prop_assert_eq!(after.total_size(), converted.len());
    prop_assert_eq!(after.attributes().compression(), Some(target));
    let mask = !Attributes::COMPRESSION_MASK;
    prop_assert_eq!(after.attributes().0 & mask, before.attributes().0 & mask);
    // baseOffset, partitionLeaderEpoch, magic; then lastOffsetDelta..recordCount (timestamps,
    // producer id/epoch/base sequence) are carried over byte for byte.
    prop_assert_eq!(
        &converted[..offsets::BATCH_LENGTH],
        &original[..offsets::BATCH_LENGTH]
    );
    prop_assert_eq!(
        &converted[offsets::PARTITION_LEADER_EPOCH..offsets::CRC],
        &original[offsets::PARTITION_LEADER_EPOCH..offsets::CRC]
    );
    prop_assert_eq!(
        &converted[offsets::LAST_OFFSET_DELTA..61],
        &original[offsets::LAST_OFFSET_DELTA..61]
    );
    let want = records(original, CAP).map_err(fail)?;
    let got = records(converted, CAP).map_err(fail)?;
    // The records themselves are not re-encoded.
    prop_assert_eq!(got.records_bytes(), want.records_bytes());
    let want: Vec<_> = want.collect::<Result<_, _>>().map_err(fail)?;
    let got: Vec<_> = got.collect::<Result<_, _>>().map_err(fail)?;
    prop_assert_eq!(got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_codec_converts_to_every_target_and_reads_back_the_same(spec in spec_strategy()) {
        let original = build(&spec);
        for target in CODECS {
            let needed = recompression_needed(&original, target, usize::MAX);
            prop_assert_eq!(needed, spec.codec != target);
            let converted = recompress_batches(&original, target, CAP).map_err(fail)?;
            if spec.codec == target {
                prop_assert_eq!(&converted, &original, "same codec: stored as sent");
            }
            check_converted(&original, &converted, target)?;
        }
    }

    #[test]
    fn a_concatenation_converts_batch_by_batch(specs in proptest::collection::vec(spec_strategy(), 1..4)) {
        let originals: Vec<Vec<u8>> = specs.iter().map(build).collect();
        let buf = originals.concat();
        let converted = recompress_batches(&buf, CompressionType::Zstd, CAP).map_err(fail)?;
        let found: Vec<_> = Batches::new(&converted, usize::MAX)
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        prop_assert_eq!(found.len(), originals.len());
        for (slice, original) in found.iter().zip(&originals) {
            check_converted(original, slice.bytes, CompressionType::Zstd)?;
        }
    }
}

#[test]
fn duplicate_header_keys_survive_conversion_in_order() {
    // Kafka RecordHeaders is a list: `a=1, a=2` must not collapse to one header.
    let mut builder = BatchBuilder::new(CompressionType::Lz4);
    builder.push(
        NewRecord::new(BASE_TIMESTAMP)
            .key("k")
            .value("v")
            .header("a", "1")
            .header("a", "2"),
    );
    let original = builder.build().unwrap_or_else(|e| panic!("{e}"));
    let converted =
        recompress_batches(&original, CompressionType::Gzip, CAP).unwrap_or_else(|e| panic!("{e}"));
    let decoded: Vec<_> = records(&converted, CAP)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        decoded[0].record.headers,
        [Header::new("a", "1"), Header::new("a", "2")]
    );
    assert_eq!(
        BatchHeader::new(&converted).map(|h| h.attributes().compression()),
        Ok(Some(CompressionType::Gzip))
    );
}

#[test]
fn control_batches_are_left_as_they_are() {
    // Kafka LogValidator never converts control batches (transaction markers, §5.3.3).
    let marker = EndTransactionMarker {
        control_type: ControlRecordType::Commit,
        coordinator_epoch: 3,
    };
    let control = BatchBuilder::end_transaction_marker(9, 1, marker, BASE_TIMESTAMP)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for target in CODECS {
        assert!(!recompression_needed(&control, target, usize::MAX));
        assert_eq!(
            recompress_batches(&control, target, CAP).as_ref(),
            Ok(&control),
            "{}",
            target.name()
        );
    }
    // Mixed with a data batch: only the data batch changes.
    let mut data = BatchBuilder::new(CompressionType::None);
    data.push(NewRecord::new(BASE_TIMESTAMP).value("x"));
    let data = data.build().unwrap_or_else(|e| panic!("{e}"));
    let buf = [control.clone(), data].concat();
    assert!(recompression_needed(
        &buf,
        CompressionType::Snappy,
        usize::MAX
    ));
    let converted =
        recompress_batches(&buf, CompressionType::Snappy, CAP).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&converted[..control.len()], &control[..]);
    let codecs: Vec<_> = Batches::new(&converted, usize::MAX)
        .map(|b| b.map(|b| b.header.attributes().compression()))
        .collect();
    assert_eq!(
        codecs,
        [
            Ok(Some(CompressionType::None)),
            Ok(Some(CompressionType::Snappy))
        ]
    );
}

#[test]
fn a_decompression_bomb_is_refused_with_the_cap() {
    // 64 MiB of zeros compresses to a few KiB; converting it with a 1 MiB cap must fail
    // with DecompressedTooLarge rather than inflate it.
    let cap = 1 << 20;
    for codec in [
        CompressionType::Gzip,
        CompressionType::Snappy,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ] {
        let mut builder = BatchBuilder::new(codec);
        builder.push(NewRecord::new(0).value(vec![0u8; 64 << 20]));
        let bomb = builder.build().unwrap_or_else(|e| panic!("{e}"));
        let result = recompress_batches(&bomb, CompressionType::None, cap);
        assert!(
            matches!(
                result.clone().map_err(RecompressError::into_record_error),
                Err(RecordError::DecompressedTooLarge { cap: 1_048_576, .. })
            ),
            "{}: {:?}",
            codec.name(),
            result.map(|b| b.len())
        );
    }
}

#[test]
fn a_corrupt_batch_is_refused_with_its_position() {
    let mut builder = BatchBuilder::new(CompressionType::None);
    builder.push(NewRecord::new(0).value("fine"));
    let good = builder.build().unwrap_or_else(|e| panic!("{e}"));
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let buf = [good.clone(), bad].concat();
    match recompress_batches(&buf, CompressionType::Gzip, CAP) {
        Err(RecompressError::Invalid(error)) => {
            assert_eq!(error.position, good.len());
            assert!(matches!(error.error, RecordError::CrcMismatch { .. }));
        }
        other => panic!("expected a CRC error, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn garbage_records_inside_a_valid_crc_are_refused_not_resealed() {
    // A producer may compute a valid CRC over records that do not parse; Kafka's validator
    // walks the records of every batch it converts and refuses such a batch.
    let mut builder = BatchBuilder::new(CompressionType::None);
    builder.push(NewRecord::new(0).value("abcdef"));
    let mut batch = builder.build().unwrap_or_else(|e| panic!("{e}"));
    batch[61] = 0x7f; // record length varint: -64, invalid
    fjord_record::header::rewrite_crc(&mut batch);
    let result = recompress_batches(&batch, CompressionType::Zstd, CAP);
    assert!(
        matches!(
            result.clone().map_err(RecompressError::into_record_error),
            Err(RecordError::InvalidRecord { .. })
        ),
        "{:?}",
        result.map(|b| b.len())
    );
}
