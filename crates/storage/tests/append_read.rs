//! Goal: the append/read/lookup/roll behaviours a broker relies on, checked through the public
//! API (Kafka `UnifiedLog`, `LogSegment`; documentation §5.4 "Log").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fjord_storage::{LogConfig, StorageError, TimestampType};

#[test]
fn leader_append_assigns_offsets_and_epoch_and_reads_back_whole_batches() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let first = batch(3, 10, 1_000);
    let info = log.append_as_leader(&first, 5, 2_000).unwrap();
    assert_eq!(
        (info.first_offset, info.last_offset, info.record_count),
        (0, 2, 3)
    );
    assert_eq!(info.max_timestamp, 1_002);
    assert_eq!(info.log_append_time, -1);
    let second = [batch(2, 10, 1_100), batch(1, 10, 1_200)].concat();
    let info = log.append_as_leader(&second, 5, 2_000).unwrap();
    assert_eq!(
        (info.first_offset, info.last_offset, info.batch_count),
        (3, 5, 2)
    );
    assert_eq!(log.log_end_offset(), 6);

    let data = log.read(0, 1 << 20, None, false).unwrap();
    let bytes = fetch_bytes(&data);
    assert_eq!(batch_offsets(&bytes), vec![(0, 2), (3, 4), (5, 5)]);
    // Stored bytes are the client's bytes with baseOffset/epoch patched: CRC still valid.
    let h = fjord_record::BatchHeader::validate(&bytes, usize::MAX).unwrap();
    assert_eq!(h.partition_leader_epoch(), 5);
    assert_eq!(data.next_offset, 6);

    // Reading from an offset inside a batch returns that whole batch.
    let data = log.read(4, 1 << 20, None, false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)), vec![(3, 4), (5, 5)]);
    // The high watermark bound excludes batches reaching it.
    let data = log.read(0, 1 << 20, Some(5), false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)), vec![(0, 2), (3, 4)]);
    // At LEO: empty; above: out of range.
    assert!(log.read(6, 1 << 20, None, false).unwrap().ranges.is_empty());
    assert!(matches!(
        log.read(7, 100, None, false),
        Err(StorageError::OffsetOutOfRange { offset: 7, .. })
    ));
}

#[test]
fn leader_append_leaves_the_request_bytes_as_received() {
    // The produce path hands the request buffer to the log without copying it: offsets,
    // epoch and (LogAppendTime) timestamp and CRC go into a copy of the header only.
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        message_timestamp_type: TimestampType::LogAppendTime,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    log.append_as_leader(&batch(1, 10, 5), 0, 1_000).unwrap();
    let request = batch(3, 50, 7);
    let info = log.append_as_leader(&request, 4, 2_000).unwrap();
    assert_eq!(request, batch(3, 50, 7), "the caller's bytes changed");
    assert_eq!((info.first_offset, info.last_offset), (1, 3));
    let bytes = fetch_bytes(&log.read(1, 1 << 20, None, false).unwrap());
    let stored = fjord_record::BatchHeader::validate(&bytes, usize::MAX).unwrap();
    assert_eq!(
        (
            stored.base_offset(),
            stored.partition_leader_epoch(),
            stored.max_timestamp()
        ),
        (1, 4, 2_000)
    );
    assert_eq!(&bytes[61..stored.total_size()], &request[61..]);
}

#[test]
fn a_rolled_segment_is_synced_in_the_background_and_moves_the_recovery_point() {
    // Kafka UnifiedLog.roll schedules "flush-log" for everything before the new segment.
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    log.append_as_leader(&batch(4, 10, 0), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 0);
    log.roll(1).unwrap();
    log.append_as_leader(&batch(1, 10, 1), 0, 2).unwrap();
    // The sync finishes on its own thread; maybe_flush (the flush scheduler's call) collects it.
    wait_for_recovery_point(&mut log, 4, 3);
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 5);
}

#[test]
fn back_to_back_rolls_queue_their_syncs_and_the_recovery_point_follows_in_order() {
    // Rolls faster than the disk syncs do not wait for each other (up to a bound); the
    // recovery point reaches each rolled segment's end only once every older sync is done.
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    for i in 0..6 {
        log.append_as_leader(&batch(2, 10, i), 0, i).unwrap();
        log.roll(i + 1).unwrap();
        assert!(
            log.recovery_point() <= 2 * i,
            "moved past an unsynced segment"
        );
    }
    wait_for_recovery_point(&mut log, 12, 7);
    assert_eq!(log.segment_base_offsets(), vec![0, 2, 4, 6, 8, 10, 12]);
}

#[test]
fn max_bytes_stops_at_last_whole_batch_and_min_one_batch_returns_one() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let b = [batch(1, 100, 0), batch(1, 100, 1)].concat();
    log.append_as_leader(&b, 0, 0).unwrap();
    let one = batch(1, 100, 0).len();
    let data = log.read(0, one * 2 - 1, None, false).unwrap();
    assert_eq!(data.total_bytes as usize, one);
    let data = log.read(0, 10, None, false).unwrap();
    assert!(data.ranges.is_empty());
    let data = log.read(0, 10, None, true).unwrap();
    assert_eq!(
        data.total_bytes as usize, one,
        "KIP-74: at least one whole batch when min_one"
    );
}

#[test]
fn log_append_time_overwrites_max_timestamp_and_keeps_crc_valid() {
    let (_tmp, dir) = partition_dir();
    let config = LogConfig {
        message_timestamp_type: TimestampType::LogAppendTime,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    let b = batch(2, 10, 5);
    let info = log.append_as_leader(&b, 0, 99_000).unwrap();
    assert_eq!(info.log_append_time, 99_000);
    assert_eq!(info.max_timestamp, 99_000);
    let bytes = fetch_bytes(&log.read(0, 1 << 20, None, false).unwrap());
    let h = fjord_record::BatchHeader::validate(&bytes, usize::MAX).unwrap();
    assert_eq!(h.max_timestamp(), 99_000);
    assert_eq!(
        h.attributes().timestamp_type(),
        TimestampType::LogAppendTime
    );
}

/// The headers of recent batches are served from memory (segment.rs `recent`). After a
/// truncation into them, new batches of the same byte size but fewer records land at the
/// very positions of the removed ones: every read must return the batches now on disk, not
/// the removed headers' offsets.
#[test]
fn reads_after_truncating_into_recent_batches_and_appending_return_the_batches_on_disk() {
    let two = batch(2, 10, 1_000);
    let one = (1..400)
        .map(|v| batch(1, v, 1_000))
        .find(|b| b.len() == two.len())
        .expect("a one-record batch as long as the two-record one");
    let (_tmp, dir) = partition_dir();
    let config = fjord_storage::LogConfig {
        index_interval_bytes: 1 << 20, // no index entry: every header is a recent one
        ..small_config()
    };
    let mut log = open_real(&dir, config.clone());
    let mut expected = Vec::new();
    for _ in 0..10 {
        let info = log.append_as_leader(&two, 0, 2_000).unwrap();
        expected.push((info.first_offset, info.last_offset));
    }
    let check = |log: &fjord_storage::Log, expected: &[(i64, i64)]| {
        for &(base, last) in expected {
            for offset in base..=last {
                let data = log.read(offset, 1 << 20, None, false).unwrap();
                let from = expected.iter().position(|b| b.1 >= offset).unwrap();
                assert_eq!(
                    batch_offsets(&fetch_bytes(&data)),
                    expected[from..],
                    "read at {offset}"
                );
            }
        }
    };
    check(&log, &expected);
    // Offset 11 is the second record of batch 5: the whole batch goes, the log ends at 10.
    log.truncate_to(11).unwrap();
    assert_eq!(log.log_end_offset(), 10);
    expected.truncate(5);
    for _ in 0..5 {
        let info = log.append_as_leader(&one, 0, 2_000).unwrap();
        expected.push((info.first_offset, info.last_offset));
    }
    assert_eq!(
        expected[5..],
        [(10, 10), (11, 11), (12, 12), (13, 13), (14, 14)]
    );
    check(&log, &expected);
    drop(log);
    // Reopened (recovery re-reads every batch): same answers.
    let log = open_real(&dir, config);
    check(&log, &expected);
}
