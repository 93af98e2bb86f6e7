//! Goal: a log holds one file descriptor per segment (its `.log`), as Kafka does: Kafka's
//! `AbstractIndex` maps `.index`/`.timeindex` and closes the `RandomAccessFile` right after
//! (the mapping survives the close), reopening only to resize. And running out of
//! descriptors (EMFILE) fails the partition being created, not the whole log directory
//! (issue 7, scenario 7: 10,000 partitions hit the fd limit at ~6,600).
//!
//! Method: count `/proc/self/fd` entries around opening logs (nextest runs each test in its
//! own process, so no other test's files are counted); inject EMFILE through the Disk seam
//! with `FaultyDisk::fail_opens_with`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use fjord_common::TopicPartition;
use fjord_storage::{Disk, FaultyDisk, LogConfig, LogManager, RealDisk, StorageError};

/// Linux EMFILE (`asm-generic/errno-base.h`).
const EMFILE: i32 = 24;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn a_log_with_n_segments_holds_one_descriptor_per_segment_after_reopen() {
    let (_tmp, dir) = partition_dir();
    let disk: Arc<dyn Disk> = Arc::new(RealDisk);
    // Phase 1: write enough 16 KiB batches into 64 KiB segments to roll many times.
    let mut log = open(&dir, small_config(), disk.clone(), false, 0);
    for i in 0..80 {
        let b = batch(4, 4000, i);
        log.append_as_leader(&b, 0, 1_000).unwrap();
    }
    let segments = log.segment_count();
    assert!(segments >= 15, "only {segments} segments were rolled");
    log.close().unwrap();
    drop(log);

    // Phase 2: a clean reopen holds the `.log` of each segment and nothing per index.
    let before = open_fds();
    let log = open(&dir, small_config(), disk.clone(), true, i64::MAX);
    let held = open_fds() - before;
    assert_eq!(log.segment_count(), segments);
    assert!(
        held <= segments + 2,
        "{held} descriptors held for {segments} segments (Kafka: one per segment)"
    );
    drop(log);

    // Phase 3: recovery (unclean reopen, indexes rebuilt and resized) holds no more either.
    let before = open_fds();
    let log = open(&dir, small_config(), disk, false, 0);
    let held = open_fds() - before;
    assert_eq!(log.segment_count(), segments);
    assert!(
        held <= segments + 2,
        "{held} descriptors after recovery of {segments} segments"
    );
    // The indexes still answer through their maps after their descriptors were closed.
    let fetched = log.read(40, 1 << 20, None, false).unwrap();
    assert_eq!(
        batch_offsets(&fetch_bytes(&fetched)).first().map(|o| o.0),
        Some(40)
    );
}

#[test]
fn log_manager_holds_one_descriptor_per_empty_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().join("d1")];
    let disk: Arc<dyn Disk> = Arc::new(RealDisk);
    let partitions = 50;
    let before = open_fds();
    let mut manager = LogManager::open(&dirs, LogConfig::default(), disk.clone(), 0).unwrap();
    for p in 0..partitions {
        let tp = TopicPartition::new("t", p);
        manager
            .get_or_create_log(&tp, Some([1; 16]), LogConfig::default(), 0)
            .unwrap();
    }
    let held = open_fds() - before;
    // One `.log` per partition plus the directory `.lock`.
    assert!(
        held <= partitions as usize + 2,
        "{held} descriptors for {partitions} partitions"
    );
    manager.shutdown().unwrap();
    drop(manager);
    let before = open_fds();
    let manager = LogManager::open(&dirs, LogConfig::default(), disk, 0).unwrap();
    let held = open_fds() - before;
    assert_eq!(manager.all_logs().len(), partitions as usize);
    assert!(
        held <= partitions as usize + 2,
        "{held} descriptors after restart"
    );
}

#[test]
fn emfile_while_creating_a_partition_fails_that_partition_and_keeps_the_dir_online() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = vec![tmp.path().join("d1")];
    let faulty = FaultyDisk::new();
    let disk: Arc<dyn Disk> = Arc::new(faulty.clone());
    let mut manager = LogManager::open(&dirs, LogConfig::default(), disk, 0).unwrap();
    let existing = TopicPartition::new("t", 0);
    let log = manager
        .get_or_create_log(&existing, None, LogConfig::default(), 0)
        .unwrap();
    // Leader epoch 0 is recorded now (its checkpoint write needs an open).
    let b = batch(2, 10, 0);
    log.lock().unwrap().append_as_leader(&b, 0, 0).unwrap();

    // Phase 1: the process is out of descriptors: creating t-1 fails with an I/O error that
    // says so, for that partition only.
    faulty.fail_opens_with(&dirs[0], EMFILE);
    let err = manager
        .get_or_create_log(&TopicPartition::new("t", 1), None, LogConfig::default(), 0)
        .unwrap_err();
    assert!(err.is_too_many_open_files(), "unexpected error {err}");
    assert!(!err.is_dir_failure());
    assert!(
        manager.offline_dirs().is_empty(),
        "EMFILE took the log dir offline"
    );

    // Phase 2: the existing partition keeps taking writes that need no new descriptor.
    let b = batch(2, 10, 0);
    let appended = log.lock().unwrap().append_as_leader(&b, 0, 0).unwrap();
    assert_eq!(appended.first_offset, 2);

    // Phase 3: once descriptors are available again the same partition is created.
    faulty.heal();
    let created = manager
        .get_or_create_log(&TopicPartition::new("t", 1), None, LogConfig::default(), 0)
        .unwrap();
    let b = batch(1, 10, 0);
    assert_eq!(
        created
            .lock()
            .unwrap()
            .append_as_leader(&b, 0, 0)
            .unwrap()
            .first_offset,
        0
    );

    // Control: a real disk error (EIO) still takes the directory offline.
    faulty.fail_io_under(&dirs[0]);
    let err = manager
        .get_or_create_log(&TopicPartition::new("t", 2), None, LogConfig::default(), 0)
        .unwrap_err();
    assert!(err.is_dir_failure(), "EIO should be a dir failure: {err}");
    assert_eq!(manager.offline_dirs(), dirs);
    assert!(matches!(
        manager.get_or_create_log(&existing, None, LogConfig::default(), 0),
        Err(StorageError::LogDirOffline { .. })
    ));
}
