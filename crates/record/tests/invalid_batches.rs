//! Goal: every way a batch can be wrong is caught, with the specific typed error a caller can
//! act on (Produce maps them to CORRUPT_MESSAGE / INVALID_RECORD / UNSUPPORTED_FOR_MESSAGE_FORMAT;
//! storage recovery truncates at the reported position).
//!
//! Method: build a valid batch, damage one thing, and assert the error variant with
//! `assert!(matches!(..))`. CRC cases follow Kafka documentation §5.3.1: the CRC-32C covers
//! attributes..end, so every bit there is protected, while baseOffset and
//! partitionLeaderEpoch lie outside it and can be patched by the broker without recomputation.

use fjord_record::header::{offsets, rewrite_crc, set_base_offset, set_partition_leader_epoch};
use fjord_record::{
    BatchBuilder, BatchHeader, Batches, CompressionType, ControlRecordType, EndTransactionMarker,
    NewRecord, RecordError, records, validate_batches,
};

fn batch_with(codec: CompressionType, count: usize) -> Vec<u8> {
    let mut builder = BatchBuilder::new(codec)
        .base_offset(100)
        .partition_leader_epoch(4);
    for i in 0..count {
        builder.push(
            NewRecord::new(1_700_000_000_000 + i as i64)
                .key(format!("k{i}"))
                .value("value")
                .header("dup", "x"),
        );
    }
    builder.build().unwrap_or_else(|e| panic!("build: {e}"))
}

fn put_i32(batch: &mut [u8], at: usize, value: i32) {
    batch[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn collect(batch: &[u8]) -> Vec<Result<fjord_record::BatchRecord, RecordError>> {
    match records(batch, 1 << 20) {
        Ok(iter) => iter.collect(),
        Err(e) => vec![Err(e)],
    }
}

#[test]
fn flipping_any_bit_in_the_crc_range_is_a_crc_mismatch() {
    for codec in [CompressionType::None, CompressionType::Zstd] {
        let batch = batch_with(codec, 3);
        let header = BatchHeader::validate(&batch, batch.len()).unwrap_or_else(|e| panic!("{e}"));
        for byte in offsets::ATTRIBUTES..batch.len() {
            for bit in 0..8 {
                let mut damaged = batch.clone();
                damaged[byte] ^= 1 << bit;
                let crc = header.validate_crc(&damaged);
                assert!(
                    matches!(crc, Err(RecordError::CrcMismatch { .. })),
                    "byte {byte} bit {bit}: {crc:?}"
                );
                // Full validation may stop earlier on a header field that the flip made
                // inconsistent, but it never accepts the batch; past the header it is the CRC.
                let full = BatchHeader::validate(&damaged, damaged.len());
                assert!(full.is_err(), "byte {byte} bit {bit} accepted");
                if byte >= fjord_record::header::HEADER_BYTES {
                    assert!(
                        matches!(full, Err(RecordError::CrcMismatch { .. })),
                        "byte {byte} bit {bit}: {full:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn patching_base_offset_and_leader_epoch_keeps_the_crc_valid() {
    // What the leader does on append (Kafka LogValidator assigns offsets in place for v2).
    let mut batch = batch_with(CompressionType::Lz4, 3);
    set_base_offset(&mut batch, 9_000_000_000);
    set_partition_leader_epoch(&mut batch, 42);
    let header = BatchHeader::validate(&batch, batch.len()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            header.base_offset(),
            header.partition_leader_epoch(),
            header.last_offset()
        ),
        (9_000_000_000, 42, 9_000_000_002)
    );
    let offsets: Vec<i64> = collect(&batch)
        .into_iter()
        .map(|r| r.map(|r| r.offset).unwrap_or(-1))
        .collect();
    assert_eq!(offsets, [9_000_000_000, 9_000_000_001, 9_000_000_002]);
}

#[test]
fn short_buffers_are_truncated_errors() {
    let batch = batch_with(CompressionType::None, 2);
    assert!(matches!(
        BatchHeader::validate(&batch[..60], 1 << 20),
        Err(RecordError::Truncated {
            needed: 61,
            available: 60,
            ..
        })
    ));
    assert!(matches!(
        BatchHeader::new(&batch[..3]),
        Err(RecordError::Truncated {
            base_offset: -1,
            ..
        })
    ));
    let short = &batch[..batch.len() - 1];
    assert!(matches!(
        BatchHeader::validate(short, 1 << 20),
        Err(RecordError::Truncated { base_offset: 100, needed, available }) if needed == batch.len() && available == batch.len() - 1
    ));
}

#[test]
fn wrong_magic_is_unsupported_magic() {
    for magic in [0u8, 1, 3] {
        let mut batch = batch_with(CompressionType::None, 1);
        batch[offsets::MAGIC] = magic;
        let result = BatchHeader::validate(&batch, 1 << 20);
        assert!(
            matches!(result, Err(RecordError::UnsupportedMagic { magic: m, .. }) if m == magic as i8),
            "{result:?}"
        );
    }
}

#[test]
fn wrong_stored_crc_is_a_crc_mismatch_naming_both_values() {
    let mut batch = batch_with(CompressionType::Gzip, 2);
    let stored = u32::from_be_bytes([batch[17], batch[18], batch[19], batch[20]]);
    batch[offsets::CRC] ^= 0x80;
    let result = BatchHeader::validate(&batch, 1 << 20);
    assert!(
        matches!(result, Err(RecordError::CrcMismatch { stored: s, computed: c, base_offset: 100 }) if c == stored && s == stored ^ 0x8000_0000),
        "{result:?}"
    );
}

#[test]
fn last_offset_delta_below_record_count_minus_one_is_invalid() {
    // DefaultRecordBatch: a batch of n records spans at least n offsets.
    let mut batch = batch_with(CompressionType::None, 3);
    put_i32(&mut batch, offsets::LAST_OFFSET_DELTA, 1);
    rewrite_crc(&mut batch);
    let result = BatchHeader::validate(&batch, 1 << 20);
    assert!(
        matches!(
            result,
            Err(RecordError::InvalidField {
                field: "lastOffsetDelta",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn batch_length_over_the_max_or_below_the_header_is_invalid() {
    let batch = batch_with(CompressionType::None, 3);
    let result = BatchHeader::validate(&batch, batch.len() - 1);
    assert!(
        matches!(result, Err(RecordError::InvalidBatchLength { .. })),
        "{result:?}"
    );
    let mut tiny = batch.clone();
    put_i32(&mut tiny, offsets::BATCH_LENGTH, 48);
    assert!(matches!(
        BatchHeader::validate(&tiny, 1 << 20),
        Err(RecordError::InvalidBatchLength {
            batch_length: 48,
            ..
        })
    ));
    let mut negative = batch;
    put_i32(&mut negative, offsets::BATCH_LENGTH, -5);
    assert!(matches!(
        BatchHeader::validate(&negative, 1 << 20),
        Err(RecordError::InvalidBatchLength {
            batch_length: -5,
            ..
        })
    ));
}

#[test]
fn codecs_5_to_7_are_unknown_compression() {
    for codec in 5u8..=7 {
        let mut batch = batch_with(CompressionType::None, 1);
        batch[offsets::ATTRIBUTES + 1] |= codec;
        rewrite_crc(&mut batch);
        let result = BatchHeader::validate(&batch, 1 << 20);
        assert!(
            matches!(result, Err(RecordError::UnknownCompression { codec: c, .. }) if c == codec),
            "{result:?}"
        );
    }
}

#[test]
fn record_count_above_the_records_present_names_record_count() {
    // Records at deltas 0 and 5 (a compaction gap) so that recordCount 3 keeps
    // lastOffsetDelta (5) consistent and only the records section disagrees.
    let mut builder = BatchBuilder::new(CompressionType::Snappy);
    builder.push(NewRecord::new(1).value("a"));
    builder
        .push_at(5, NewRecord::new(2).value("b"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut batch = builder.build().unwrap_or_else(|e| panic!("{e}"));
    put_i32(&mut batch, offsets::RECORD_COUNT, 3);
    rewrite_crc(&mut batch);
    let results = collect(&batch);
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(
        matches!(
            &results[2],
            Err(RecordError::InvalidField {
                field: "recordCount",
                ..
            })
        ),
        "{results:?}"
    );
}

#[test]
fn record_count_below_the_records_present_names_record_count() {
    // Kafka DefaultRecordBatch ensureNoneRemaining: "Incorrect declared batch size".
    let mut batch = batch_with(CompressionType::Gzip, 3);
    put_i32(&mut batch, offsets::RECORD_COUNT, 2);
    rewrite_crc(&mut batch);
    let results = collect(&batch);
    assert_eq!(results.len(), 3);
    assert!(
        matches!(
            &results[2],
            Err(RecordError::InvalidField {
                field: "recordCount",
                ..
            })
        ),
        "{results:?}"
    );
}

#[test]
fn negative_record_count_is_invalid() {
    let mut batch = batch_with(CompressionType::None, 1);
    put_i32(&mut batch, offsets::RECORD_COUNT, -1);
    rewrite_crc(&mut batch);
    let result = BatchHeader::validate(&batch, 1 << 20);
    assert!(
        matches!(
            result,
            Err(RecordError::InvalidField {
                field: "recordCount",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn corrupt_compressed_payload_is_a_decompression_error() {
    let mut batch = batch_with(CompressionType::Lz4, 3);
    let last = batch.len() - 6;
    batch[last] ^= 0xff;
    batch[last - 10] ^= 0xff;
    rewrite_crc(&mut batch);
    let results = collect(&batch);
    assert!(
        results.iter().any(|r| matches!(
            r,
            Err(RecordError::Decompression { codec: "lz4", .. } | RecordError::InvalidRecord { .. })
        )),
        "{results:?}"
    );
}

#[test]
fn batch_walker_reports_the_position_of_a_torn_tail() {
    // Kafka LogSegment.recover truncates at the first invalid batch.
    let first = batch_with(CompressionType::None, 2);
    let second = batch_with(CompressionType::Zstd, 2);
    let mut buf = [first.clone(), second.clone()].concat();
    buf.extend_from_slice(&second[..30]);
    let mut walker = Batches::new(&buf, 1 << 20);
    let items: Vec<_> = walker.by_ref().collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    let Err(error) = &items[2] else {
        panic!("{items:?}")
    };
    assert_eq!(error.position, first.len() + second.len());
    assert!(error.is_truncated());
    assert_eq!(walker.valid_bytes(), first.len() + second.len());

    // A tail shorter than the 12-byte log overhead is also a truncation at its position.
    let buf = [first.clone(), vec![0; 5]].concat();
    let result = validate_batches(&buf, 1 << 20);
    assert!(
        matches!(result, Err(ref e) if e.position == first.len() && e.is_truncated()),
        "{result:?}"
    );
}

#[test]
fn batch_walker_stops_at_a_corrupt_middle_batch() {
    let first = batch_with(CompressionType::None, 1);
    let mut second = batch_with(CompressionType::None, 1);
    let last = second.len() - 1;
    second[last] ^= 1;
    let buf = [first.clone(), second, first.clone()].concat();
    let items: Vec<_> = Batches::new(&buf, 1 << 20).collect();
    assert_eq!(items.len(), 2, "nothing after the corrupt batch is yielded");
    assert!(
        matches!(&items[1], Err(e) if e.position == first.len() && matches!(e.error, RecordError::CrcMismatch { .. }))
    );
    assert_eq!(
        validate_batches(&[first.clone(), first].concat(), 1 << 20),
        Ok(2)
    );
    assert_eq!(validate_batches(&[], 1 << 20), Ok(0));
}

#[test]
fn end_transaction_marker_batch_round_trips() {
    // Kafka MemoryRecords.withEndTransactionMarker / EndTransactionMarker.
    let marker = EndTransactionMarker {
        control_type: ControlRecordType::Abort,
        coordinator_epoch: 17,
    };
    let batch = BatchBuilder::end_transaction_marker(5000, 3, marker, 1_700_000_000_000)
        .base_offset(20)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let header = BatchHeader::validate(&batch, batch.len()).unwrap_or_else(|e| panic!("{e}"));
    assert!(header.attributes().is_control() && header.attributes().is_transactional());
    assert_eq!(
        (
            header.producer_id(),
            header.producer_epoch(),
            header.base_sequence()
        ),
        (5000, 3, -1)
    );
    let results = collect(&batch);
    let Some(Ok(record)) = results.first() else {
        panic!("{results:?}")
    };
    let key = record.record.key.as_deref().unwrap_or_default();
    assert_eq!(
        ControlRecordType::parse_key(key),
        Ok(ControlRecordType::Abort)
    );
    assert_eq!(
        EndTransactionMarker::parse(key, record.record.value.as_deref()),
        Ok(marker)
    );
}

#[test]
fn log_append_time_batches_report_max_timestamp_for_every_record() {
    // Kafka DefaultRecordBatch: under LOG_APPEND_TIME each record's timestamp is maxTimestamp.
    let mut builder = BatchBuilder::new(CompressionType::None).log_append_time(1_800_000_000_000);
    builder.push(NewRecord::new(10).value("a"));
    builder.push(NewRecord::new(20).value("b"));
    let batch = builder.build().unwrap_or_else(|e| panic!("{e}"));
    let timestamps: Vec<i64> = collect(&batch)
        .into_iter()
        .map(|r| r.map(|r| r.timestamp).unwrap_or(-1))
        .collect();
    assert_eq!(timestamps, [1_800_000_000_000, 1_800_000_000_000]);
}

#[test]
fn builder_rejects_non_increasing_explicit_offset_deltas() {
    let mut builder = BatchBuilder::new(CompressionType::None);
    builder.push(NewRecord::new(1));
    let result = builder.push_at(0, NewRecord::new(2)).map(|_| ());
    assert!(
        matches!(
            result,
            Err(fjord_record::BuildError::OffsetDeltaNotIncreasing {
                previous: 0,
                given: 0
            })
        ),
        "{result:?}"
    );
}
