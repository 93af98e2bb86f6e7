//! Goal: our batch encoding is byte-for-byte Kafka's documented magic v2 layout.
//!
//! Method: `tests/fixtures/batch_v2_two_records_one_header.hex` was assembled by hand, field by
//! field, from Kafka documentation §5.3.1 "Record Batch" and §5.3.2 "Record", with every field
//! annotated. The builder must produce exactly those bytes; the decoder must read back exactly
//! the annotated fields; and the stored CRC is re-checked with an independent bitwise CRC-32C
//! (not the `crc-fast` crate the library uses).

mod support;

use bytes::Bytes;
use fjord_record::header::{HEADER_BYTES, compute_crc, compute_crc_split, crc32c};
use fjord_record::{
    BatchBuilder, BatchHeader, CompressionType, Header, NewRecord, RecordError, TimestampType,
    records,
};

const FIXTURE: &str = include_str!("fixtures/batch_v2_two_records_one_header.hex");
/// The CRC annotated in the fixture.
const FIXTURE_CRC: u32 = 0x2ee2_2fe6;

fn fixture() -> Vec<u8> {
    support::parse_hex_fixture(FIXTURE)
}

#[test]
fn fixture_crc_matches_an_independent_crc32c_over_attributes_to_end() {
    // Standard CRC-32C check value (RFC 3720 B.4 / iSCSI): "123456789" → 0xe3069283.
    assert_eq!(support::crc32c_bitwise(b"123456789"), 0xe306_9283);
    let batch = fixture();
    assert_eq!(batch.len(), 87);
    assert_eq!(support::crc32c_bitwise(&batch[21..]), FIXTURE_CRC);
    assert_eq!(compute_crc(&batch), FIXTURE_CRC);
    assert_eq!(
        u32::from_be_bytes([batch[17], batch[18], batch[19], batch[20]]),
        FIXTURE_CRC
    );
}

/// The library's CRC-32C (PCLMULQDQ folding for long inputs, tables for short ones) agrees with
/// the bitwise reference at every length around its block sizes, and the split form (patched
/// header + client body) equals the CRC of the joined batch.
#[test]
fn library_crc32c_matches_the_bitwise_reference_at_every_length_and_split() {
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    let data: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for len in (0..300).chain([511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 5000]) {
        assert_eq!(
            crc32c(&data[..len]),
            support::crc32c_bitwise(&data[..len]),
            "length {len}"
        );
    }
    let mut batch = fixture();
    batch.extend_from_slice(&data[..3000]);
    let head: [u8; HEADER_BYTES] = batch[..HEADER_BYTES].try_into().unwrap();
    assert_eq!(
        compute_crc_split(&head, &batch[HEADER_BYTES..]),
        compute_crc(&batch)
    );
    assert_eq!(compute_crc(&batch), support::crc32c_bitwise(&batch[21..]));
}

#[test]
fn builder_produces_exactly_the_fixture_bytes() {
    let mut builder = BatchBuilder::new(CompressionType::None)
        .base_offset(7)
        .partition_leader_epoch(3)
        .producer(1000, 2, 11);
    builder.push(
        NewRecord::new(1_700_000_000_000)
            .key("k0")
            .value("v0")
            .header("hk", "hv"),
    );
    builder.push(NewRecord {
        timestamp: 1_700_000_000_005,
        key: None,
        value: Some(Bytes::from_static(b"v1")),
        headers: vec![],
    });
    let built = builder.build().map_err(|e| e.to_string());
    assert_eq!(built, Ok(fixture()));
}

#[test]
fn decoder_reads_exactly_the_annotated_fields() {
    let batch = fixture();
    let header = match BatchHeader::validate(&batch, batch.len()) {
        Ok(header) => header,
        Err(e) => panic!("fixture must validate: {e}"),
    };
    assert_eq!(header.base_offset(), 7);
    assert_eq!(header.batch_length(), 75);
    assert_eq!(header.total_size(), 87);
    assert_eq!(header.partition_leader_epoch(), 3);
    assert_eq!(header.magic(), 2);
    assert_eq!(header.crc(), FIXTURE_CRC);
    assert_eq!(header.attributes().0, 0);
    assert_eq!(
        header.attributes().compression(),
        Some(CompressionType::None)
    );
    assert_eq!(
        header.attributes().timestamp_type(),
        TimestampType::CreateTime
    );
    assert_eq!(header.last_offset_delta(), 1);
    assert_eq!(header.base_timestamp(), 1_700_000_000_000);
    assert_eq!(header.max_timestamp(), 1_700_000_000_005);
    assert_eq!(header.producer_id(), 1000);
    assert_eq!(header.producer_epoch(), 2);
    assert_eq!(header.base_sequence(), 11);
    assert_eq!(header.record_count(), 2);
    assert_eq!(header.next_offset(), 9);

    let decoded: Vec<_> = match records(&batch, 1024).map(|it| it.collect::<Result<Vec<_>, _>>()) {
        Ok(Ok(decoded)) => decoded,
        other => panic!("fixture records must decode: {other:?}"),
    };
    assert_eq!(decoded.len(), 2);
    let first = &decoded[0];
    assert_eq!((first.offset, first.timestamp), (7, 1_700_000_000_000));
    assert_eq!(
        (
            first.record.offset_delta,
            first.record.timestamp_delta,
            first.record.attributes
        ),
        (0, 0, 0)
    );
    assert_eq!(first.record.key.as_deref(), Some(&b"k0"[..]));
    assert_eq!(first.record.value.as_deref(), Some(&b"v0"[..]));
    assert_eq!(first.record.headers, vec![Header::new("hk", "hv")]);
    let second = &decoded[1];
    assert_eq!((second.offset, second.timestamp), (8, 1_700_000_000_005));
    assert_eq!(
        (second.record.offset_delta, second.record.timestamp_delta),
        (1, 5)
    );
    assert_eq!(second.record.key, None);
    assert_eq!(second.record.value.as_deref(), Some(&b"v1"[..]));
    assert!(second.record.headers.is_empty());
}

/// Byte positions inside the fixture, from its annotations.
mod at {
    /// Record 0's length varint (first byte after the 61-byte header).
    pub const RECORD0_LENGTH: usize = super::HEADER_BYTES;
    /// Record 1's length varint: record 0 is 1 + 16 bytes.
    pub const RECORD1_LENGTH: usize = super::HEADER_BYTES + 17;
    /// Record 1's offsetDelta varint: after length, attributes, timestampDelta.
    pub const RECORD1_OFFSET_DELTA: usize = RECORD1_LENGTH + 3;
}

fn decode_patched(
    patch: impl FnOnce(&mut Vec<u8>),
) -> Vec<Result<fjord_record::BatchRecord, RecordError>> {
    let mut batch = fixture();
    patch(&mut batch);
    fjord_record::header::rewrite_crc(&mut batch);
    match records(&batch, 1024) {
        Ok(iter) => iter.collect(),
        Err(e) => vec![Err(e)],
    }
}

#[test]
fn offset_delta_beyond_last_offset_delta_names_the_record_and_field() {
    // DefaultRecordBatch: every record's offset lies within [baseOffset, baseOffset + lastOffsetDelta].
    let results = decode_patched(|b| b[at::RECORD1_OFFSET_DELTA] = 0x04); // offsetDelta 2 > lastOffsetDelta 1
    assert!(results[0].is_ok());
    assert!(
        matches!(
            &results[1],
            Err(RecordError::InvalidRecord {
                record_index: 1,
                field: "offsetDelta",
                ..
            })
        ),
        "{results:?}"
    );
}

#[test]
fn record_length_prefix_longer_than_its_fields_is_rejected() {
    // DefaultRecord.readFrom: "Invalid record size: expected to read N bytes in record payload".
    let results = decode_patched(|b| b[at::RECORD0_LENGTH] = 0x22); // 17 instead of 16
    assert!(
        matches!(
            &results[0],
            Err(RecordError::InvalidRecord {
                record_index: 0,
                field: "length",
                ..
            })
        ),
        "{results:?}"
    );
}

#[test]
fn record_length_prefix_shorter_than_its_fields_is_rejected() {
    let results = decode_patched(|b| b[at::RECORD0_LENGTH] = 0x1e); // 15 instead of 16
    assert!(
        matches!(
            &results[0],
            Err(RecordError::InvalidRecord {
                record_index: 0,
                ..
            })
        ),
        "{results:?}"
    );
    assert_eq!(results.len(), 1, "iteration stops after the first error");
}

#[test]
fn record_length_past_the_batch_end_is_rejected() {
    let results = decode_patched(|b| b[at::RECORD1_LENGTH] = 0x7e); // 63 bytes, only 8 remain
    assert!(results[0].is_ok());
    assert!(
        matches!(
            &results[1],
            Err(RecordError::InvalidRecord {
                record_index: 1,
                field: "length",
                ..
            })
        ),
        "{results:?}"
    );
}
