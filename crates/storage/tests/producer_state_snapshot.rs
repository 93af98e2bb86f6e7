//! The producer state snapshot file against Kafka's format (`ProducerStateManager`
//! `PID_SNAPSHOT_MAP_SCHEMA`, version 1, CRC-32C over everything after the CRC field).
//!
//! Method: a golden byte string laid out field by field from Kafka's schema, its CRC computed
//! by an independent bit-at-a-time CRC-32C (Castagnoli, reflected 0x82F63B78) outside this
//! code base; encode must produce it exactly and decode must give back the entries. Damaged
//! files must be refused with a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use fjord_storage::StorageError;
use fjord_storage::producer_state::{BatchMetadata, ProducerStateEntry};
use fjord_storage::producer_state_snapshot::{
    decode_snapshot, encode_snapshot, parse_snapshot_offset, producer_snapshot_path,
};

/// Two entries, in this order:
/// 1. producer 7, epoch 1, last seq 1, last offset 40, offset delta 3 (its batch wrapped from
///    sequence i32::MAX - 1), timestamp 5, coordinator epoch 2, open transaction from 40;
/// 2. producer 1000, epoch 3, last seq 14, last offset 41, offset delta 4,
///    timestamp 1_700_000_000_123, no coordinator epoch, no transaction.
const GOLDEN_HEX: &str = concat!(
    "0001",     // version 1
    "03c2c7c4", // CRC-32C of the rest
    "00000002", // two entries
    "0000000000000007",
    "0001",
    "00000001",
    "0000000000000028",
    "00000003",
    "0000000000000005",
    "00000002",
    "0000000000000028",
    "00000000000003e8",
    "0003",
    "0000000e",
    "0000000000000029",
    "00000004",
    "0000018bcfe5687b",
    "ffffffff",
    "ffffffffffffffff",
);

fn golden_bytes() -> Vec<u8> {
    (0..GOLDEN_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&GOLDEN_HEX[i..i + 2], 16).unwrap())
        .collect()
}

fn golden_entries() -> Vec<ProducerStateEntry> {
    vec![
        ProducerStateEntry::from_snapshot(
            7,
            1,
            2,
            5,
            Some(40),
            Some(BatchMetadata {
                last_seq: 1,
                last_offset: 40,
                offset_delta: 3,
                timestamp: 5,
            }),
        ),
        ProducerStateEntry::from_snapshot(
            1000,
            3,
            -1,
            1_700_000_000_123,
            None,
            Some(BatchMetadata {
                last_seq: 14,
                last_offset: 41,
                offset_delta: 4,
                timestamp: 1_700_000_000_123,
            }),
        ),
    ]
}

#[test]
fn encode_matches_kafkas_version_1_layout_byte_for_byte() {
    let entries = golden_entries();
    assert_eq!(encode_snapshot(entries.iter()), golden_bytes());
}

#[test]
fn decode_of_the_golden_file_gives_back_the_entries() {
    let decoded = decode_snapshot(Path::new("golden"), &golden_bytes()).unwrap();
    assert_eq!(decoded, golden_entries());
    let wrapped = decoded[0].last_batch().unwrap();
    assert_eq!(
        wrapped.first_seq(),
        i32::MAX - 1,
        "decrementSequence wraps below 0"
    );
    assert_eq!(wrapped.first_offset(), 37);
}

#[test]
fn an_entry_without_batches_round_trips_with_last_offset_minus_one() {
    let entry = ProducerStateEntry::from_snapshot(3, 0, -1, -1, None, None);
    let bytes = encode_snapshot([entry.clone()].iter());
    assert_eq!(
        &bytes[6 + 4 + 8 + 2..6 + 4 + 8 + 2 + 4 + 8],
        &[0xff; 12],
        "seq -1, offset -1"
    );
    assert_eq!(
        decode_snapshot(Path::new("x"), &bytes).unwrap(),
        vec![entry]
    );
    let empty = encode_snapshot(std::iter::empty::<&ProducerStateEntry>());
    assert_eq!(empty.len(), 10);
    assert!(decode_snapshot(Path::new("x"), &empty).unwrap().is_empty());
}

#[test]
fn damaged_snapshots_are_refused_as_corrupt() {
    let good = golden_bytes();
    let mut bad_version = good.clone();
    bad_version[1] = 2;
    let mut bad_crc = good.clone();
    bad_crc[40] ^= 1;
    let truncated = good[..good.len() - 1].to_vec();
    let mut trailing = good.clone();
    trailing.push(0);
    let mut huge_count = good.clone();
    huge_count[6..10].copy_from_slice(&i32::MAX.to_be_bytes());
    let crc = crc32c_reference(&huge_count[6..]);
    huge_count[2..6].copy_from_slice(&crc.to_be_bytes());
    for (name, bytes) in [
        ("version", bad_version),
        ("crc", bad_crc),
        ("truncated", truncated),
        ("trailing", trailing),
        ("count", huge_count),
        ("empty", Vec::new()),
    ] {
        let err = decode_snapshot(Path::new("s"), &bytes).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt { .. }), "{name}: {err}");
    }
}

#[test]
fn file_names_are_the_offset_in_twenty_digits() {
    let path = producer_snapshot_path(Path::new("/d/t-0"), 1234);
    assert_eq!(path, Path::new("/d/t-0/00000000000000001234.snapshot"));
    assert_eq!(parse_snapshot_offset(&path), Some(1234));
    for other in [
        "00000000000000001234.log",
        "1234.snapshot",
        "00000000000000001234.snapshot.tmp",
    ] {
        assert_eq!(parse_snapshot_offset(Path::new(other)), None, "{other}");
    }
}

/// Bit-at-a-time CRC-32C, independent of the `crc32c` crate the code under test uses.
fn crc32c_reference(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_reference_crc_is_crc32c() {
    assert_eq!(crc32c_reference(b"123456789"), 0xe306_9283);
    assert_eq!(crc32c_reference(&golden_bytes()[6..]), 0x03c2_c7c4);
}
