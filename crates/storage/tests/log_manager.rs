//! Goal: the LogManager loads `<topic>-<partition>` dirs across several log dirs, uses the
//! clean shutdown marker and checkpoints like Kafka's `LogManager`, locks its dirs, and takes
//! only the failing dir offline on EIO (Kafka `LogDirFailureChannel`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use fjord_common::TopicPartition;
use fjord_storage::{Disk, FaultyDisk, LogConfig, LogManager, RealDisk, StorageError};

fn dirs(tmp: &tempfile::TempDir) -> Vec<PathBuf> {
    vec![tmp.path().join("d1"), tmp.path().join("d2")]
}

#[test]
fn logs_survive_clean_restart_without_rescan_and_unclean_restart_with_recovery() {
    let tmp = tempfile::tempdir().unwrap();
    let disk: Arc<dyn Disk> = Arc::new(RealDisk);
    let mut manager = LogManager::open(&dirs(&tmp), LogConfig::default(), disk.clone(), 0).unwrap();
    let tps: Vec<TopicPartition> = (0..4).map(|p| TopicPartition::new("my-topic", p)).collect();
    for tp in &tps {
        let log = manager
            .get_or_create_log(tp, None, LogConfig::default(), 0)
            .unwrap();
        let b = batch(3, 10, 0);
        log.lock().unwrap().append_as_leader(&b, 0, 0).unwrap();
    }
    // Spread over both dirs (fewest logs first).
    assert!(tmp.path().join("d1/my-topic-0").exists() && tmp.path().join("d2/my-topic-1").exists());
    // A second manager on the same dirs is refused while the first holds the locks.
    assert!(matches!(
        LogManager::open(&dirs(&tmp), LogConfig::default(), disk.clone(), 0),
        Err(StorageError::DirLocked { .. })
    ));
    manager.shutdown().unwrap();
    drop(manager);

    let manager = LogManager::open(&dirs(&tmp), LogConfig::default(), disk.clone(), 0).unwrap();
    assert!(
        !tmp.path().join("d1/.kafka_cleanshutdown").exists(),
        "marker consumed at start"
    );
    for (tp, log) in manager.all_logs() {
        let log = log.lock().unwrap();
        assert_eq!(log.log_end_offset(), 3, "{tp}");
        assert_eq!(
            log.batches_validated_on_open(),
            0,
            "clean start does not rescan {tp}"
        );
    }
    let log = manager.get_log(&tps[0]).unwrap();
    let b = batch(2, 10, 0);
    log.lock().unwrap().append_as_leader(&b, 0, 0).unwrap();
    manager.checkpoint_all().unwrap();
    drop(log);
    drop(manager); // no shutdown: unclean

    let manager = LogManager::open(&dirs(&tmp), LogConfig::default(), disk, 0).unwrap();
    let log = manager.get_log(&tps[0]).unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.log_end_offset(), 5);
    assert!(
        log.batches_validated_on_open() > 0,
        "unclean start recovers from the recovery point"
    );
}

#[test]
fn eio_takes_one_dir_offline_and_the_other_keeps_working() {
    let tmp = tempfile::tempdir().unwrap();
    let faulty = FaultyDisk::new();
    let disk: Arc<dyn Disk> = Arc::new(faulty.clone());
    let mut manager = LogManager::open(&dirs(&tmp), LogConfig::default(), disk, 0).unwrap();
    let a = TopicPartition::new("a", 0);
    let b = TopicPartition::new("b", 0);
    let log_a = manager
        .get_or_create_log(&a, None, LogConfig::default(), 0)
        .unwrap();
    let log_b = manager
        .get_or_create_log(&b, None, LogConfig::default(), 0)
        .unwrap();
    let dir_a = log_a.lock().unwrap().dir().parent().unwrap().to_path_buf();
    faulty.fail_io_under(&dir_a);
    let bytes = batch(1, 10, 0);
    let err = log_a
        .lock()
        .unwrap()
        .append_as_leader(&bytes, 0, 0)
        .unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    faulty.heal();
    let bytes = batch(1, 10, 0);
    let err = log_a
        .lock()
        .unwrap()
        .append_as_leader(&bytes, 0, 0)
        .unwrap_err();
    assert!(
        matches!(err, StorageError::LogDirOffline { .. }),
        "offline sticks: {err}"
    );
    assert_eq!(manager.offline_dirs(), vec![dir_a]);
    let bytes = batch(1, 10, 0);
    assert_eq!(
        log_b
            .lock()
            .unwrap()
            .append_as_leader(&bytes, 0, 0)
            .unwrap()
            .first_offset,
        0
    );
    // New logs go to the online dir only.
    let c = manager
        .get_or_create_log(&TopicPartition::new("c", 0), None, LogConfig::default(), 0)
        .unwrap();
    assert!(
        !c.lock()
            .unwrap()
            .dir()
            .starts_with(&manager.offline_dirs()[0])
    );
}

#[test]
fn delete_log_removes_the_partition_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let mut manager = LogManager::open(
        &dirs(&tmp)[..1],
        LogConfig::default(),
        Arc::new(RealDisk),
        0,
    )
    .unwrap();
    let tp = TopicPartition::new("gone", 3);
    manager
        .get_or_create_log(&tp, Some([9; 16]), LogConfig::default(), 0)
        .unwrap();
    assert_eq!(manager.topic_id(&tp).unwrap().map(|id| id.0), Some([9; 16]));
    assert!(manager.delete_log(&tp).unwrap());
    assert!(manager.get_log(&tp).is_none());
    let left = sorted_names(&tmp.path().join("d1"), |n| n.starts_with("gone-3"));
    assert!(left.is_empty(), "{left:?}");
}

/// Deletion in two steps (the broker removes the files after releasing its write lock): once
/// detached, the partition has no log and a new one can be created under the same name while
/// the renamed `-delete` directory is still there; removing it, or a restart, clears it.
#[test]
fn a_detached_log_is_renamed_at_once_and_its_files_removed_later_or_at_start_up() {
    let tmp = tempfile::tempdir().unwrap();
    let names =
        |tmp: &tempfile::TempDir| sorted_names(&tmp.path().join("d1"), |n| n.starts_with("gone-3"));
    let open = |tmp: &tempfile::TempDir| {
        LogManager::open(&dirs(tmp)[..1], LogConfig::default(), Arc::new(RealDisk), 0).unwrap()
    };
    let tp = TopicPartition::new("gone", 3);
    let mut manager = open(&tmp);
    manager
        .get_or_create_log(&tp, Some([9; 16]), LogConfig::default(), 0)
        .unwrap();
    let first = manager
        .detach_log(&tp)
        .unwrap()
        .expect("a log was detached");
    assert!(manager.get_log(&tp).is_none());
    assert!(
        first
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-delete")
    );
    assert_eq!(names(&tmp), [first.file_name().unwrap().to_string_lossy()]);
    // Re-created while the old files are still there: a fresh, empty log.
    let log = manager
        .get_or_create_log(&tp, Some([7; 16]), LogConfig::default(), 0)
        .unwrap();
    assert_eq!(log.lock().unwrap().log_end_offset(), 0);
    assert_eq!(names(&tmp).len(), 2, "{:?}", names(&tmp));
    manager.remove_deleted_dir(&first).unwrap();
    assert_eq!(names(&tmp), ["gone-3"]);
    // A second detach whose files are never removed: start-up removes them.
    let second = manager
        .detach_log(&tp)
        .unwrap()
        .expect("a log was detached");
    assert!(second.exists());
    manager.shutdown().unwrap();
    drop(manager);
    let manager = open(&tmp);
    assert!(!second.exists(), "start-up left {}", second.display());
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));
    assert!(manager.get_log(&tp).is_none());
}
