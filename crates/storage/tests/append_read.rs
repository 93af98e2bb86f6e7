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
    let mut first = batch(3, 10, 1_000);
    let info = log.append_as_leader(&mut first, 5, 2_000).unwrap();
    assert_eq!(
        (info.first_offset, info.last_offset, info.record_count),
        (0, 2, 3)
    );
    assert_eq!(info.max_timestamp, 1_002);
    assert_eq!(info.log_append_time, -1);
    let mut second = [batch(2, 10, 1_100), batch(1, 10, 1_200)].concat();
    let info = log.append_as_leader(&mut second, 5, 2_000).unwrap();
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
fn max_bytes_stops_at_last_whole_batch_and_min_one_batch_returns_one() {
    let (_tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let mut b = [batch(1, 100, 0), batch(1, 100, 1)].concat();
    log.append_as_leader(&mut b, 0, 0).unwrap();
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
    let mut b = batch(2, 10, 5);
    let info = log.append_as_leader(&mut b, 0, 99_000).unwrap();
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
