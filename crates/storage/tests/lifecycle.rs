//! Goal: roll, retention, truncation, DeleteRecords, ListOffsets and the leader epoch cache
//! behave as Kafka's `UnifiedLog` does (each test names the Kafka behaviour).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fjord_storage::{LogConfig, StorageError, special_timestamps};

#[test]
fn rolls_on_segment_bytes_and_reads_across_segments() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_bytes: 1000,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    for i in 0..20 {
        let b = batch(1, 100, i);
        log.append_as_leader(&b, 0, 0).unwrap();
    }
    assert!(log.segment_count() > 2);
    // Kafka LogSegment.shouldRoll: a segment never exceeds segment.bytes when batches fit.
    for base in log.segment_base_offsets() {
        let len = std::fs::metadata(fjord_storage::segment_file_path(&dir, base, "log"))
            .unwrap()
            .len();
        assert!(len <= 1000, "segment {base} has {len} bytes");
    }
    let data = log.read(0, 1 << 20, None, false).unwrap();
    let offsets: Vec<i64> = batch_offsets(&fetch_bytes(&data))
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    assert_eq!(offsets, (0..20).collect::<Vec<_>>());
}

#[test]
fn rolls_on_segment_ms_by_first_batch_timestamp() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_ms: 1000,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    let b = batch(1, 10, 10_000);
    log.append_as_leader(&b, 0, 10_000).unwrap();
    let b = batch(1, 10, 10_500);
    log.append_as_leader(&b, 0, 10_500).unwrap();
    assert_eq!(log.segment_count(), 1);
    let b = batch(1, 10, 11_001);
    log.append_as_leader(&b, 0, 11_001).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 2]);
}

#[test]
fn truncate_to_removes_later_batches_and_segments_and_epochs() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_bytes: 500,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    for i in 0..10 {
        let b = batch(2, 50, i);
        log.append_as_leader(&b, if i < 5 { 1 } else { 2 }, 0)
            .unwrap();
    }
    assert_eq!(log.leader_epoch_cache().entries().len(), 2);
    log.truncate_to(6).unwrap();
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(
        log.leader_epoch_cache().latest_epoch(),
        Some(1),
        "epoch 2 started at 10 >= 6"
    );
    let data = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)).last(), Some(&(4, 5)));
    let b = batch(1, 5, 0);
    assert_eq!(log.append_as_leader(&b, 3, 0).unwrap().first_offset, 6);
    log.truncate_fully_and_start_at(100).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.segment_count()
        ),
        (100, 100, 1)
    );
    assert!(log.leader_epoch_cache().entries().is_empty());
}

#[test]
fn retention_by_time_size_and_log_start_offset() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_bytes: 400,
        retention_ms: 10_000,
        file_delete_delay_ms: 0,
        ..small_config()
    };
    let mut log = open_real(&dir, config.clone());
    for i in 0..12 {
        let b = batch(1, 100, 1_000 * i);
        log.append_as_leader(&b, 0, 1_000 * i).unwrap();
    }
    let segments = log.segment_count();
    assert!(segments >= 4);
    // retention.ms: segments whose newest timestamp is older than now - 10s go.
    let deleted = log.delete_old_segments(14_500).unwrap();
    assert!(deleted >= 1);
    assert!(log.log_start_offset() > 0);
    assert_eq!(log.log_start_offset(), log.segment_base_offsets()[0]);
    assert!(matches!(
        log.read(0, 100, None, true),
        Err(StorageError::OffsetOutOfRange { .. })
    ));
    // retention.bytes: keep at most ~2 segments of bytes.
    log.set_config(LogConfig {
        retention_ms: -1,
        retention_bytes: 700,
        ..config
    });
    log.delete_old_segments(14_500).unwrap();
    assert!(log.size_bytes() <= 700 + 400, "size {}", log.size_bytes());
    // DeleteRecords: log start offset moves, whole segments below it go on the next pass.
    let lso = log.log_end_offset() - 1;
    assert_eq!(log.maybe_increment_log_start_offset(lso).unwrap(), lso);
    assert!(matches!(
        log.maybe_increment_log_start_offset(1_000),
        Err(StorageError::OffsetOutOfRange { .. })
    ));
    log.delete_old_segments(14_500).unwrap();
    assert!(log.segment_base_offsets()[0] <= lso);
    assert_eq!(log.read(lso, 1 << 20, None, false).unwrap().ranges.len(), 1);
}

#[test]
fn retention_never_passes_the_high_watermark() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_bytes: 300,
        retention_ms: 0,
        file_delete_delay_ms: 0,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    for i in 0..6 {
        let b = batch(1, 100, i);
        log.append_as_leader(&b, 0, 0).unwrap();
    }
    log.update_high_watermark(0);
    assert_eq!(log.delete_old_segments(1_000_000).unwrap(), 0);
    log.update_high_watermark(6);
    assert!(log.delete_old_segments(1_000_000).unwrap() > 0);
    assert_eq!(log.log_end_offset(), 6);
    assert!(log.segment_count() >= 1);
}

#[test]
fn list_offsets_earliest_latest_max_and_by_timestamp() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        segment_bytes: 600,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    let stamps = [100, 300, 200, 500, 400, 600];
    for (i, ts) in stamps.iter().enumerate() {
        let b = batch_with_timestamps(&[*ts, ts + 1], 50);
        log.append_as_leader(&b, i as i32 / 3, 0).unwrap();
    }
    let earliest = log
        .fetch_offset_by_timestamp(special_timestamps::EARLIEST)
        .unwrap()
        .unwrap();
    assert_eq!((earliest.offset, earliest.leader_epoch), (0, Some(0)));
    let latest = log
        .fetch_offset_by_timestamp(special_timestamps::LATEST)
        .unwrap()
        .unwrap();
    assert_eq!((latest.offset, latest.leader_epoch), (12, Some(1)));
    // KIP-734: the record holding the largest timestamp (601 at offset 11).
    let max = log
        .fetch_offset_by_timestamp(special_timestamps::MAX_TIMESTAMP)
        .unwrap()
        .unwrap();
    assert_eq!(
        (max.timestamp, max.offset, max.leader_epoch),
        (601, 11, Some(1))
    );
    // Kafka FileRecords.searchForTimestamp: first record with timestamp >= target.
    let hit = log.fetch_offset_by_timestamp(250).unwrap().unwrap();
    assert_eq!((hit.timestamp, hit.offset), (300, 2));
    let hit = log.fetch_offset_by_timestamp(301).unwrap().unwrap();
    assert_eq!(
        (hit.timestamp, hit.offset),
        (301, 3),
        "record granularity inside a batch"
    );
    let hit = log.fetch_offset_by_timestamp(450).unwrap().unwrap();
    assert_eq!((hit.timestamp, hit.offset), (500, 6));
    assert_eq!(log.fetch_offset_by_timestamp(10_000).unwrap(), None);
}

#[test]
fn leader_epoch_cache_end_offsets_follow_kip_101() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    for (epoch, n) in [(1, 3), (3, 2), (4, 1)] {
        let b = batch(n, 10, 0);
        log.append_as_leader(&b, epoch, 0).unwrap();
    }
    assert_eq!(
        log.end_offset_for_epoch(4),
        (4, 6),
        "latest epoch ends at LEO"
    );
    assert_eq!(log.end_offset_for_epoch(3), (3, 5));
    assert_eq!(
        log.end_offset_for_epoch(2),
        (1, 3),
        "unknown epoch: floor epoch, next start"
    );
    assert_eq!(
        log.end_offset_for_epoch(0),
        (0, 0),
        "below all: requested epoch, first start"
    );
    assert_eq!(log.end_offset_for_epoch(9), (-1, -1));
    drop(log);
    let text = std::fs::read_to_string(dir.join("leader-epoch-checkpoint")).unwrap();
    assert_eq!(text, "0\n3\n1 0\n3 3\n4 5\n");
    let log = open_real(&dir, small_config());
    assert_eq!(
        log.end_offset_for_epoch(3),
        (3, 5),
        "reloaded from leader-epoch-checkpoint"
    );
}

#[test]
fn flush_messages_and_flush_ms_advance_the_recovery_point() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        flush_messages: 3,
        flush_ms: 1_000,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    let b = batch(2, 10, 0);
    log.append_as_leader(&b, 0, 0).unwrap();
    assert!(!log.maybe_flush(10).unwrap());
    let b = batch(1, 10, 0);
    log.append_as_leader(&b, 0, 0).unwrap();
    assert!(log.maybe_flush(20).unwrap());
    assert_eq!(log.recovery_point(), 3);
    let b = batch(1, 10, 0);
    log.append_as_leader(&b, 0, 0).unwrap();
    assert!(!log.maybe_flush(500).unwrap());
    assert!(log.maybe_flush(1_100).unwrap());
    assert_eq!(log.recovery_point(), 4);
}

#[test]
fn preallocated_segments_are_trimmed_on_close_and_recovered_after_a_crash() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        preallocate: true,
        ..small_config()
    };
    let mut log = open_real(&dir, config.clone());
    let b = batch(2, 10, 0);
    log.append_as_leader(&b, 0, 0).unwrap();
    let seg = fjord_storage::segment_file_path(&dir, 0, "log");
    assert_eq!(
        std::fs::metadata(&seg).unwrap().len(),
        64 * 1024,
        "preallocated to segment.bytes"
    );
    drop(log); // unclean: zeros follow the batch
    let mut log = open_real(&dir, config.clone());
    assert_eq!(log.log_end_offset(), 2);
    let b = batch(1, 10, 0);
    assert_eq!(log.append_as_leader(&b, 0, 0).unwrap().first_offset, 2);
    log.close().unwrap();
    assert_eq!(
        std::fs::metadata(&seg).unwrap().len(),
        log.size_bytes(),
        "trimmed on close"
    );
}

#[test]
fn rolls_when_the_offset_index_is_full() {
    let (_tmp, dir) = partition_dir();
    // 24 bytes of offset index = 3 entries; an entry every batch (interval 0).
    let config = LogConfig {
        segment_index_bytes: 24,
        index_interval_bytes: 0,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    for i in 0..10 {
        let b = batch(1, 10, i);
        log.append_as_leader(&b, 0, 0).unwrap();
    }
    assert!(
        log.segment_count() >= 3,
        "segments {:?}",
        log.segment_base_offsets()
    );
    let data = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)).len(), 10);
}
