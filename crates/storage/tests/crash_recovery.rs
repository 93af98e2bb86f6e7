//! Goal: after an unclean stop the log keeps exactly the complete, CRC-valid batches and
//! continues at the right offset; after a clean stop it does not rescan. Method: cut, flip
//! and crash files through RealDisk and FaultyDisk, then reopen (Kafka `LogLoader`,
//! `LogSegment.recover`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use fjord_storage::{Disk, FaultyDisk, RealDisk, StorageError, segment_file_path};

fn append_n(log: &mut fjord_storage::Log, n: usize) -> Vec<u64> {
    let mut ends = Vec::new();
    for i in 0..n {
        let b = batch(2, 50, 1_000 + i as i64);
        log.append_as_leader(&b, 1, 2_000).unwrap();
        ends.push(log.size_bytes());
    }
    ends
}

#[test]
fn truncating_the_log_at_every_byte_of_the_last_batch_keeps_the_complete_batches() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let ends = append_n(&mut log, 4);
    drop(log);
    let seg = segment_file_path(&dir, 0, "log");
    let original = std::fs::read(&seg).unwrap();
    let last_start = ends[2];
    for cut in last_start..ends[3] {
        std::fs::write(&seg, &original[..cut as usize]).unwrap();
        let mut log = open(&dir, small_config(), Arc::new(RealDisk), false, 0);
        assert_eq!(
            log.log_end_offset(),
            6,
            "cut at {cut}: three complete batches of 2 records remain"
        );
        assert_eq!(log.size_bytes(), last_start);
        assert_eq!(log.batches_validated_on_open(), 3);
        let b = batch(1, 5, 9_999);
        assert_eq!(log.append_as_leader(&b, 1, 3_000).unwrap().first_offset, 6);
        drop(log);
    }
}

#[test]
fn a_flipped_bit_mid_segment_truncates_from_that_batch_on() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let ends = append_n(&mut log, 6);
    drop(log);
    let seg = segment_file_path(&dir, 0, "log");
    let mut bytes = std::fs::read(&seg).unwrap();
    // A payload byte of the third batch (offsets 4..=5): only the CRC catches it.
    bytes[(ends[1] + 70) as usize] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    let log = open(&dir, small_config(), Arc::new(RealDisk), false, 0);
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.size_bytes(), ends[1]);
}

#[test]
fn a_bit_flip_on_read_during_recovery_truncates_there() {
    let (_tmp, dir) = partition_dir();
    let disk = FaultyDisk::new();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    let ends = append_n(&mut log, 3);
    drop(log);
    disk.flip_bit_on_read(&segment_file_path(&dir, 0, "log"), ends[0] + 80, 3);
    let log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    assert_eq!(log.log_end_offset(), 2);
}

#[test]
fn corruption_in_an_early_segment_deletes_later_segments() {
    let (_tmp, dir) = partition_dir();
    let config = fjord_storage::LogConfig {
        segment_bytes: 400,
        ..small_config()
    };
    let mut log = open_real(&dir, config.clone());
    append_n(&mut log, 6);
    let bases = log.segment_base_offsets();
    assert!(bases.len() >= 3, "segments {bases:?}");
    drop(log);
    let seg = segment_file_path(&dir, bases[1], "log");
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[70] ^= 1;
    std::fs::write(&seg, &bytes).unwrap();
    let log = open(&dir, config, Arc::new(RealDisk), false, 0);
    assert_eq!(log.segment_base_offsets(), vec![bases[0], bases[1]]);
    assert_eq!(log.log_end_offset(), bases[1]);
    assert!(!segment_file_path(&dir, bases[2], "log").exists());
}

#[test]
fn clean_shutdown_reopen_does_not_rescan_batches() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let ends = append_n(&mut log, 5);
    log.close().unwrap();
    drop(log);
    // Corrupt a payload byte a rescan would catch (CRC) ...
    let seg = segment_file_path(&dir, 0, "log");
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[(ends[1] + 70) as usize] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();
    // ... a clean open trusts the log: nothing validated, nothing truncated.
    let log = open(&dir, small_config(), Arc::new(RealDisk), true, 10);
    assert_eq!(log.batches_validated_on_open(), 0);
    assert_eq!(log.log_end_offset(), 10);
    drop(log);
    // An unclean open from the start does catch it.
    let log = open(&dir, small_config(), Arc::new(RealDisk), false, 0);
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.batches_validated_on_open(), 2);
}

#[test]
fn clean_open_rebuilds_an_index_that_fails_its_sanity_check() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    append_n(&mut log, 20);
    log.close().unwrap();
    drop(log);
    let index = segment_file_path(&dir, 0, "index");
    let mut bytes = std::fs::read(&index).unwrap();
    assert!(bytes.len() >= 16, "expected several index entries");
    bytes.push(7); // not a multiple of 8 any more
    std::fs::write(&index, &bytes).unwrap();
    let log = open(&dir, small_config(), Arc::new(RealDisk), true, 40);
    assert_eq!(log.log_end_offset(), 40);
    assert!(
        log.batches_validated_on_open() > 0,
        "the insane index forced a rebuild"
    );
    assert_eq!(std::fs::read(&index).unwrap().len() % 8, 0);
}

#[test]
fn faulty_disk_crash_loses_only_unflushed_data() {
    let (_tmp, dir) = partition_dir();
    let disk = FaultyDisk::new();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    append_n(&mut log, 3);
    log.flush().unwrap();
    let durable = log.size_bytes();
    append_n(&mut log, 2);
    drop(log);
    disk.crash(0).unwrap();
    let log = open(&dir, small_config(), Arc::new(disk.clone()), false, 6);
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(log.size_bytes(), durable);
}

#[test]
fn crash_with_a_torn_unflushed_suffix_keeps_complete_batches_only() {
    let (_tmp, dir) = partition_dir();
    let disk = FaultyDisk::new();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    let ends = append_n(&mut log, 2);
    log.flush().unwrap();
    append_n(&mut log, 3);
    drop(log);
    let one = ends[1] - ends[0];
    disk.crash(one + one / 2).unwrap(); // one whole batch and half of the next survive
    let log = open(&dir, small_config(), Arc::new(disk.clone()), false, 4);
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(log.size_bytes(), ends[1] + one);
}

#[test]
fn torn_write_fails_the_append_and_recovery_drops_the_partial_batch() {
    let (tmp, dir) = partition_dir();
    let disk = FaultyDisk::new();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    append_n(&mut log, 2);
    disk.tear_next_write(30);
    let b = batch(2, 50, 5_000);
    let err = log.append_as_leader(&b, 1, 3_000).unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    // The directory is now offline for this log.
    assert!(matches!(
        log.read(0, 100, None, true),
        Err(StorageError::LogDirOffline { .. })
    ));
    drop(log);
    disk.crash(u64::MAX).unwrap();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    assert_eq!(log.log_end_offset(), 4);
    let b = batch(1, 5, 1);
    assert_eq!(log.append_as_leader(&b, 1, 3_000).unwrap().first_offset, 4);
    drop(tmp);
}

#[test]
fn enospc_fails_the_append_cleanly_and_the_log_recovers_when_space_returns() {
    let (_tmp, dir) = partition_dir();
    let disk = FaultyDisk::new();
    let mut log = open(&dir, small_config(), Arc::new(disk.clone()), false, 0);
    append_n(&mut log, 2);
    let size = log.size_bytes();
    disk.set_space_limit(Some(40));
    let b = batch(2, 50, 5_000);
    let err = log.append_as_leader(&b, 1, 3_000).unwrap_err();
    assert!(matches!(err, StorageError::NoSpace { .. }), "{err}");
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.size_bytes(), size);
    assert_eq!(
        std::fs::metadata(segment_file_path(&dir, 0, "log"))
            .unwrap()
            .len(),
        size,
        "no partial bytes remain"
    );
    let data = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)), vec![(0, 1), (2, 3)]);
    disk.set_space_limit(None);
    let b = batch(2, 50, 5_000);
    assert_eq!(log.append_as_leader(&b, 1, 3_000).unwrap().first_offset, 4);
    let data = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(
        batch_offsets(&fetch_bytes(&data)),
        vec![(0, 1), (2, 3), (4, 5)]
    );
    drop(log);
    let log = open(
        &dir,
        small_config(),
        Arc::new(disk as FaultyDisk) as Arc<dyn Disk>,
        false,
        0,
    );
    assert_eq!(log.log_end_offset(), 6);
}
