//! Goal: our files are byte-for-byte Kafka's. Method: a fixed append sequence, compared with
//! committed hex (see `tests/golden/README.md` for the derivation from Kafka's
//! `LogSegment`/`OffsetIndex`/`TimeIndex`) and exact checkpoint texts (Kafka `CheckpointFile`,
//! `LeaderEpochCheckpointFile`, `PartitionMetadataFile`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use fjord_common::TopicPartition;
use fjord_storage::{LogConfig, LogManager, RealDisk, segment_file_path};

fn hex_fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let digits: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn index_and_timeindex_bytes_match_kafka_layout() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        index_interval_bytes: 100,
        ..LogConfig::default()
    };
    let mut log = open_real(&dir, config);
    for ts in [1000, 1005, 1003, 1010, 1010] {
        let b = batch(1, 50, ts);
        assert_eq!(b.len(), 118);
        log.append_as_leader(&b, 0, 0).unwrap();
    }
    // Active index files are preallocated to segment.index.bytes (10 MiB, multiple of 8/12).
    let prealloc = std::fs::metadata(segment_file_path(&dir, 0, "index"))
        .unwrap()
        .len();
    assert_eq!(prealloc, 10 * 1024 * 1024);
    let prealloc = std::fs::metadata(segment_file_path(&dir, 0, "timeindex"))
        .unwrap()
        .len();
    assert_eq!(prealloc, (10 * 1024 * 1024 / 12) * 12);
    log.roll(0).unwrap();
    let b = batch(1, 50, 1020);
    log.append_as_leader(&b, 0, 0).unwrap();
    log.close().unwrap();
    assert_eq!(
        std::fs::read(segment_file_path(&dir, 0, "index")).unwrap(),
        hex_fixture("segment0.index.hex")
    );
    assert_eq!(
        std::fs::read(segment_file_path(&dir, 0, "timeindex")).unwrap(),
        hex_fixture("segment0.timeindex.hex")
    );
    assert_eq!(
        std::fs::read(segment_file_path(&dir, 5, "index")).unwrap(),
        Vec::<u8>::new()
    );
    assert_eq!(
        std::fs::read(segment_file_path(&dir, 5, "timeindex")).unwrap(),
        hex_fixture("segment5.timeindex.hex")
    );
    assert!(
        dir.join("00000000000000000005.log").exists(),
        "20-digit zero-padded segment names"
    );
}

#[test]
fn checkpoint_files_match_kafka_text_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("logs");
    let mut manager = LogManager::open(
        std::slice::from_ref(&root),
        LogConfig::default(),
        Arc::new(RealDisk),
        0,
    )
    .unwrap();
    let t0 = TopicPartition::new("orders", 0);
    let t1 = TopicPartition::new("orders", 1);
    let id = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    let log0 = manager
        .get_or_create_log(&t0, Some(id), LogConfig::default(), 0)
        .unwrap();
    manager
        .get_or_create_log(&t1, None, LogConfig::default(), 0)
        .unwrap();
    {
        let mut log = log0.lock().unwrap();
        let b = batch(3, 10, 100);
        log.append_as_leader(&b, 1, 0).unwrap();
        let b = batch(2, 10, 100);
        log.append_as_leader(&b, 3, 0).unwrap();
        log.update_high_watermark(5);
    }
    manager.shutdown().unwrap();
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
    assert_eq!(
        read("recovery-point-offset-checkpoint"),
        "0\n2\norders 0 5\norders 1 0\n"
    );
    assert_eq!(
        read("log-start-offset-checkpoint"),
        "0\n2\norders 0 0\norders 1 0\n"
    );
    assert_eq!(read("replication-offset-checkpoint"), "0\n1\norders 0 5\n");
    assert_eq!(read("orders-0/leader-epoch-checkpoint"), "0\n2\n1 0\n3 3\n");
    assert_eq!(
        read("orders-0/partition.metadata"),
        "version: 0\ntopic_id: AQIDBAUGBwgJCgsMDQ4PEA"
    );
    assert!(root.join(".kafka_cleanshutdown").exists());
    assert!(!root.join("orders-1/partition.metadata").exists());
}
