//! Goal: whatever the builder writes, validation accepts and iteration returns unchanged, for
//! every codec Kafka defines (none/gzip/snappy/lz4/zstd, attributes bits 0-2).
//!
//! Method: proptest generates batches with null and empty keys/values, headers with duplicate
//! keys and null values, negative timestamp deltas and spreads beyond i32::MAX ms (24.8 days;
//! Kafka encodes timestampDelta as a varlong, §5.3.2), LogAppendTime and CreateTime, producer
//! fields, and offset gaps; then checks header fields, every decoded record, and that the batch
//! walker finds each batch of a concatenation at its byte position.

use bytes::Bytes;
use fjord_record::{
    BatchBuilder, BatchHeader, Batches, CompressionType, Header, NewRecord, TimestampType, records,
    records_shared,
};
use proptest::prelude::*;

const CODECS: [CompressionType; 5] = [
    CompressionType::None,
    CompressionType::Gzip,
    CompressionType::Snappy,
    CompressionType::Lz4,
    CompressionType::Zstd,
];
const CAP: usize = 64 << 20;
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

fn bytes_strategy() -> impl Strategy<Value = Option<Bytes>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Bytes::new())),
        4 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(|v| Some(Bytes::from(v))),
    ]
}

fn header_strategy() -> impl Strategy<Value = Header> {
    // A small key alphabet makes duplicate keys common; "" and non-ASCII keys are valid UTF-8.
    (
        prop_oneof![
            Just("dup".to_owned()),
            Just("h1".to_owned()),
            Just(String::new()),
            "[a-zé]{1,8}"
        ],
        bytes_strategy(),
    )
        .prop_map(|(key, value)| Header { key, value })
}

fn record_strategy() -> impl Strategy<Value = NewRecord> {
    // ±2^36 ms ≈ ±795 days: deltas routinely exceed i32::MAX ms and go negative.
    let spread = 1i64 << 36;
    (
        -spread..spread,
        bytes_strategy(),
        bytes_strategy(),
        proptest::collection::vec(header_strategy(), 0..5),
    )
        .prop_map(|(offset, key, value, headers)| NewRecord {
            timestamp: BASE_TIMESTAMP + offset,
            key,
            value,
            headers,
        })
}

#[derive(Debug, Clone)]
struct Spec {
    codec: CompressionType,
    base_offset: i64,
    leader_epoch: i32,
    producer: (i64, i16, i32),
    transactional: bool,
    log_append_time: Option<i64>,
    /// Offset gaps before each record (0 = consecutive), as compaction leaves.
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
        proptest::collection::vec(record_strategy(), 0..40),
        proptest::collection::vec(prop_oneof![8 => Just(0u8), 1 => 1u8..5], 40),
    )
        .prop_map(
            |(
                codec,
                base_offset,
                leader_epoch,
                producer,
                transactional,
                log_append_time,
                records,
                gaps,
            )| Spec {
                codec,
                base_offset,
                leader_epoch,
                producer,
                transactional,
                log_append_time,
                gaps,
                records,
            },
        )
}

fn build(spec: &Spec) -> (Vec<u8>, Vec<i32>) {
    let mut builder = BatchBuilder::new(spec.codec)
        .base_offset(spec.base_offset)
        .partition_leader_epoch(spec.leader_epoch)
        .producer(spec.producer.0, spec.producer.1, spec.producer.2)
        .transactional(spec.transactional);
    if let Some(append_time) = spec.log_append_time {
        builder = builder.log_append_time(append_time);
    }
    let mut deltas = Vec::new();
    let mut next = 0i32;
    for (record, gap) in spec.records.iter().zip(&spec.gaps) {
        let delta = next + i32::from(*gap);
        if let Err(e) = builder.push_at(delta, record.clone()) {
            panic!("push_at: {e}");
        }
        deltas.push(delta);
        next = delta + 1;
    }
    match builder.build() {
        Ok(batch) => (batch, deltas),
        Err(e) => panic!("build: {e}"),
    }
}

fn check_batch(spec: &Spec, batch: &[u8], deltas: &[i32]) -> Result<(), TestCaseError> {
    let header = BatchHeader::validate(batch, batch.len())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(header.total_size(), batch.len());
    prop_assert_eq!(header.base_offset(), spec.base_offset);
    prop_assert_eq!(header.partition_leader_epoch(), spec.leader_epoch);
    prop_assert_eq!(header.attributes().compression(), Some(spec.codec));
    prop_assert_eq!(header.attributes().is_transactional(), spec.transactional);
    prop_assert_eq!(
        (
            header.producer_id(),
            header.producer_epoch(),
            header.base_sequence()
        ),
        spec.producer
    );
    prop_assert_eq!(header.record_count() as usize, spec.records.len());
    prop_assert_eq!(
        header.last_offset_delta(),
        deltas.last().copied().unwrap_or(0)
    );
    let first_timestamp = spec.records.first().map_or(-1, |r| r.timestamp);
    prop_assert_eq!(header.base_timestamp(), first_timestamp);
    let expected_max = match spec.log_append_time {
        Some(append_time) => append_time,
        None => spec.records.iter().map(|r| r.timestamp).max().unwrap_or(-1),
    };
    prop_assert_eq!(header.max_timestamp(), expected_max);

    for iter in [
        records(batch, CAP),
        records_shared(Bytes::copy_from_slice(batch), CAP),
    ] {
        let iter = iter.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded: Vec<_> = iter
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded.len(), spec.records.len());
        for ((got, want), delta) in decoded.iter().zip(&spec.records).zip(deltas) {
            prop_assert_eq!(got.offset, spec.base_offset + i64::from(*delta));
            let want_timestamp = match header.attributes().timestamp_type() {
                TimestampType::LogAppendTime => expected_max,
                TimestampType::CreateTime => want.timestamp,
            };
            prop_assert_eq!(got.timestamp, want_timestamp);
            prop_assert_eq!(got.record.timestamp_delta, want.timestamp - first_timestamp);
            prop_assert_eq!(&got.record.key, &want.key);
            prop_assert_eq!(&got.record.value, &want.value);
            prop_assert_eq!(&got.record.headers, &want.headers);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn build_validate_iterate_round_trips(spec in spec_strategy()) {
        let (batch, deltas) = build(&spec);
        check_batch(&spec, &batch, &deltas)?;
    }

    #[test]
    fn batch_walker_finds_every_batch_of_a_concatenation(specs in proptest::collection::vec(spec_strategy(), 1..5)) {
        let mut buf = Vec::new();
        let mut positions = Vec::new();
        for spec in &specs {
            positions.push(buf.len());
            buf.extend_from_slice(&build(spec).0);
        }
        let found: Vec<_> = Batches::new(&buf, buf.len()).collect::<Result<_, _>>().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(found.iter().map(|b| b.position).collect::<Vec<_>>(), positions);
        prop_assert_eq!(found.last().map(|b| b.range().end), Some(buf.len()));
        for (slice, spec) in found.iter().zip(&specs) {
            prop_assert_eq!(slice.header.base_offset(), spec.base_offset);
        }
    }
}

#[test]
fn many_records_round_trip_for_every_codec() {
    let records: Vec<NewRecord> = (0..10_000i64)
        .map(|i| {
            NewRecord::new(BASE_TIMESTAMP + (i % 7 - 3) * (1 << 33))
                .key(format!("key-{i}"))
                .value(vec![(i % 251) as u8; (i % 300) as usize])
                .header("dup", "first")
                .header("dup", "second")
        })
        .collect();
    for codec in CODECS {
        let spec = Spec {
            codec,
            base_offset: 1 << 33,
            leader_epoch: 5,
            producer: (77, 3, 1_000),
            transactional: true,
            log_append_time: None,
            gaps: vec![0; records.len()],
            records: records.clone(),
        };
        let (batch, deltas) = build(&spec);
        if let Err(e) = check_batch(&spec, &batch, &deltas) {
            panic!("{}: {e}", codec.name());
        }
    }
}

#[test]
fn timestamp_spread_beyond_i32_millis_needs_and_gets_a_varlong() {
    // 30 days > i32::MAX ms (24.8 days): an int32 delta would overflow; Kafka §5.3.2 makes
    // timestampDelta a varlong.
    let thirty_days_ms = 30 * 24 * 3600 * 1000;
    let mut builder = BatchBuilder::new(CompressionType::None);
    builder.push(NewRecord::new(BASE_TIMESTAMP).value("a"));
    builder.push(NewRecord::new(BASE_TIMESTAMP + thirty_days_ms).value("b"));
    builder.push(NewRecord::new(BASE_TIMESTAMP - thirty_days_ms).value("c"));
    let batch = builder.build().unwrap_or_else(|e| panic!("{e}"));
    let decoded: Vec<_> = records(&batch, CAP)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .unwrap_or_else(|e| panic!("{e}"));
    let timestamps: Vec<i64> = decoded.iter().map(|r| r.timestamp).collect();
    assert_eq!(
        timestamps,
        [
            BASE_TIMESTAMP,
            BASE_TIMESTAMP + thirty_days_ms,
            BASE_TIMESTAMP - thirty_days_ms
        ]
    );
    assert_eq!(decoded[1].record.timestamp_delta, thirty_days_ms);
    let header = BatchHeader::new(&batch).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(header.max_timestamp(), BASE_TIMESTAMP + thirty_days_ms);
}

proptest! {
    /// `encode_value_record` + `BatchBuilder::assemble` (the perf producer's path) write
    /// byte for byte what `push` + `build` write for the same key-less, header-less records.
    #[test]
    fn assembled_value_records_equal_the_builders_batch(
        values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..40),
        deltas in proptest::collection::vec(-5_000i64..5_000_000_000, 40),
        codec in 0usize..5,
    ) {
        let codec = CODECS[codec];
        let mut builder = BatchBuilder::new(codec).producer(7, 1, 3);
        let mut section = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let delta = deltas[i];
            builder.push(NewRecord::new(BASE_TIMESTAMP + delta).value(Bytes::from(value.clone())));
            let offset_delta = i32::try_from(i).unwrap();
            // timestampDelta is relative to the first record's timestamp (the batch's base).
            fjord_record::encode_value_record(offset_delta, delta - deltas[0], value, &mut section);
        }
        let built = builder.build().unwrap();
        let max = values.iter().enumerate().map(|(i, _)| BASE_TIMESTAMP + deltas[i]).max().unwrap();
        let assembled = builder
            .assemble(&section, i32::try_from(values.len()).unwrap(),
                      i32::try_from(values.len() - 1).unwrap(), BASE_TIMESTAMP + deltas[0], max)
            .unwrap();
        // Compressed payloads may differ only if the codec is not deterministic; all five are.
        prop_assert_eq!(assembled, built);
    }
}
