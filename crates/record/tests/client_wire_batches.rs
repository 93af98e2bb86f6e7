//! Goal: the record crate accepts exactly what real Kafka clients send.
//!
//! Method: walk every Produce request captured from real clients in `testdata/wire/` (see its
//! README.md), run each partition's `records` through [`Batches`] and [`records`], and compare
//! with the facts `index.json` records for that request: batch count and order, codec,
//! attributes, batch size, record count, producer id/epoch/base sequence, transactional flag,
//! snappy framing (raw from librdkafka, xerial from kafka-python/aiokafka), and the record
//! headers in order including the repeated key `dup`. The legacy magic 0 message set from kcat
//! (Produce v1) must be rejected as `UnsupportedMagic`.

mod support;

use fjord_record::compression::XERIAL_MAGIC;
use fjord_record::header::HEADER_BYTES;
use fjord_record::{BatchHeader, Batches, RecordError, records};
use support::json::Json;
use support::produce::parse_produce_frame;

/// Larger than any captured batch; the captured batches are all < 1 KiB.
const MAX_BATCH_BYTES: usize = 1 << 20;
const DECOMPRESSED_CAP: usize = 1 << 20;

fn produce_entries() -> Vec<Json> {
    let text = std::fs::read_to_string(support::wire_dir().join("index.json"))
        .unwrap_or_else(|e| panic!("read testdata/wire/index.json: {e}"));
    let index = Json::parse(&text);
    index
        .as_array()
        .iter()
        .filter(|entry| entry.get("api_key").as_i64() == 0)
        .cloned()
        .collect()
}

fn read_frame(entry: &Json) -> Vec<u8> {
    let path = support::wire_dir().join(entry.get("file").as_str());
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Distinct header-key lists in order of first appearance (index.json `record_header_keys`).
fn distinct_key_lists(lists: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut distinct: Vec<Vec<String>> = Vec::new();
    for list in lists {
        if !distinct.contains(&list) {
            distinct.push(list);
        }
    }
    distinct
}

#[test]
fn every_magic_v2_batch_from_real_clients_validates_and_matches_index_json() {
    let entries = produce_entries();
    let mut checked_batches = 0;
    let mut checked_records = 0;
    let mut framings_seen = Vec::new();
    for entry in entries.iter().filter(|e| {
        e.get("record_batches")
            .as_array()
            .iter()
            .all(|b| b.get("magic").as_i64() == 2)
    }) {
        let file = entry.get("file").as_str();
        let request = parse_produce_frame(&read_frame(entry));
        assert_eq!(
            i64::from(request.api_version),
            entry.get("api_version").as_i64(),
            "{file}"
        );
        assert_eq!(
            i64::from(request.acks),
            entry.get("acks").as_i64(),
            "{file}: acks"
        );

        let expected = entry.get("record_batches").as_array();
        let mut found = Vec::new();
        for partition in &request.partitions {
            for batch in Batches::new(&partition.records, MAX_BATCH_BYTES) {
                let batch = batch.unwrap_or_else(|e| panic!("{file}: {e}"));
                found.push((partition, batch));
            }
        }
        assert_eq!(found.len(), expected.len(), "{file}: batch count");

        for ((partition, batch), facts) in found.iter().zip(expected) {
            let what = format!("{file} {}-{}", partition.topic, partition.partition);
            let header = batch.header;
            assert_eq!(partition.topic, facts.get("topic").as_str(), "{what}");
            assert_eq!(
                i64::from(partition.partition),
                facts.get("partition").as_i64(),
                "{what}"
            );
            assert_eq!(
                batch.bytes.len() as i64,
                facts.get("batch_bytes").as_i64(),
                "{what}: batch_bytes"
            );
            assert_eq!(
                i64::from(header.attributes().0),
                facts.get("attributes").as_i64(),
                "{what}: attributes"
            );
            let codec = header.attributes().compression().map(|c| c.name());
            assert_eq!(codec, Some(facts.get("codec").as_str()), "{what}: codec");
            assert_eq!(
                i64::from(header.record_count()),
                facts.get("records_count").as_i64(),
                "{what}"
            );
            assert_eq!(
                header.producer_id(),
                facts.get("producer_id").as_i64(),
                "{what}: producer_id"
            );
            assert_eq!(
                i64::from(header.producer_epoch()),
                facts.get("producer_epoch").as_i64(),
                "{what}"
            );
            assert_eq!(
                i64::from(header.base_sequence()),
                facts.get("base_sequence").as_i64(),
                "{what}"
            );
            assert_eq!(
                header.attributes().is_transactional(),
                facts.get("transactional").as_bool(),
                "{what}"
            );

            if let Some(framing) = facts.try_get("snappy_framing") {
                let is_xerial = batch.bytes[HEADER_BYTES..].starts_with(&XERIAL_MAGIC);
                assert_eq!(
                    if is_xerial { "xerial" } else { "raw" },
                    framing.as_str(),
                    "{what}: snappy framing"
                );
                framings_seen.push(framing.as_str().to_owned());
            }

            let iter =
                records(batch.bytes, DECOMPRESSED_CAP).unwrap_or_else(|e| panic!("{what}: {e}"));
            let decoded: Vec<_> = iter
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                decoded.len() as i64,
                facts.get("records_count").as_i64(),
                "{what}: decoded count"
            );
            for (index, record) in decoded.iter().enumerate() {
                // Clients assign offset deltas 0..n-1 (Kafka MemoryRecordsBuilder, librdkafka msgset writer).
                assert_eq!(record.offset, header.base_offset() + index as i64, "{what}");
                assert!(
                    record.timestamp >= header.base_timestamp()
                        && record.timestamp <= header.max_timestamp(),
                    "{what}"
                );
                assert!(record.record.value.is_some(), "{what}: value");
                let keys: Vec<&str> = record
                    .record
                    .headers
                    .iter()
                    .map(|h| h.key.as_str())
                    .collect();
                if keys == ["h1", "dup", "dup"] {
                    // README: headers h1=a, dup=first, dup=second, the same key twice, in order.
                    let values: Vec<Option<&[u8]>> = record
                        .record
                        .headers
                        .iter()
                        .map(|h| h.value.as_deref())
                        .collect();
                    assert_eq!(
                        values,
                        [Some(&b"a"[..]), Some(b"first"), Some(b"second")],
                        "{what}: header values"
                    );
                }
            }
            let key_lists = decoded
                .iter()
                .map(|r| r.record.headers.iter().map(|h| h.key.clone()).collect())
                .collect::<Vec<Vec<String>>>();
            let expected_lists: Vec<Vec<String>> = facts
                .get("record_header_keys")
                .as_array()
                .iter()
                .map(|list| {
                    list.as_array()
                        .iter()
                        .map(|k| k.as_str().to_owned())
                        .collect()
                })
                .collect();
            assert_eq!(
                distinct_key_lists(key_lists),
                expected_lists,
                "{what}: record header keys"
            );
            checked_batches += 1;
            checked_records += decoded.len();
        }
    }
    println!("checked {checked_batches} batches, {checked_records} records from real clients");
    // index.json lists 52 magic v2 batches (88 records); both snappy framings must have been exercised.
    assert_eq!((checked_batches, checked_records), (52, 88));
    assert!(
        framings_seen.iter().any(|f| f == "raw") && framings_seen.iter().any(|f| f == "xerial")
    );
}

#[test]
fn kcat_produce_v1_with_a_magic_0_message_set_is_rejected_as_unsupported_magic() {
    let entries = produce_entries();
    let legacy: Vec<&Json> = entries
        .iter()
        .filter(|e| {
            e.get("record_batches")
                .as_array()
                .iter()
                .any(|b| b.get("magic").as_i64() != 2)
        })
        .collect();
    assert_eq!(
        legacy.len(),
        1,
        "one legacy Produce request (kcat, Produce v1)"
    );
    let entry = legacy[0];
    assert_eq!(entry.get("api_version").as_i64(), 1);
    let request = parse_produce_frame(&read_frame(entry));
    assert_eq!(request.partitions.len(), 1);
    let records_field = &request.partitions[0].records;

    let first = Batches::new(records_field, MAX_BATCH_BYTES).next();
    assert!(
        matches!(first, Some(Err(ref e)) if e.position == 0 && matches!(e.error, RecordError::UnsupportedMagic { magic: 0, .. })),
        "{first:?}"
    );
    assert!(matches!(
        BatchHeader::validate(records_field, MAX_BATCH_BYTES),
        Err(RecordError::UnsupportedMagic { magic: 0, .. })
    ));
}
