//! Goal: malformed producer input is rejected with a typed error and leaves the log exactly
//! as it was (Kafka `LogValidator`, `DefaultRecordBatch.ensureValid`,
//! `RecordTooLargeException`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fjord_record::RecordError;
use fjord_storage::{Log, LogConfig, StorageError};

fn setup() -> (tempfile::TempDir, Log, u64) {
    let (tmp, dir) = partition_dir();
    let mut log = open_real(&dir, small_config());
    let b = batch(2, 10, 1);
    log.append_as_leader(&b, 0, 0).unwrap();
    let size = log.size_bytes();
    (tmp, log, size)
}

fn assert_unchanged(log: &Log, size: u64) {
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(log.size_bytes(), size);
    let data = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(batch_offsets(&fetch_bytes(&data)), vec![(0, 1)]);
}

#[test]
fn short_batch_is_rejected_as_truncated() {
    let (_tmp, mut log, size) = setup();
    let mut b = batch(1, 10, 1);
    b.truncate(40);
    let err = log.append_as_leader(&b, 0, 0).unwrap_err();
    assert!(
        matches!(err, StorageError::Record(RecordError::Truncated { .. })),
        "{err}"
    );
    // A good batch followed by a cut one: nothing of either is written.
    let two = [batch(1, 10, 1), batch(1, 10, 1)[..70].to_vec()].concat();
    let err = log.append_as_leader(&two, 0, 0).unwrap_err();
    assert!(
        matches!(err, StorageError::Record(RecordError::Truncated { .. })),
        "{err}"
    );
    assert_unchanged(&log, size);
}

#[test]
fn wrong_magic_is_rejected() {
    let (_tmp, mut log, size) = setup();
    let mut b = batch(1, 10, 1);
    b[16] = 1;
    let err = log.append_as_leader(&b, 0, 0).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Record(RecordError::UnsupportedMagic { magic: 1, .. })
        ),
        "{err}"
    );
    assert_unchanged(&log, size);
}

#[test]
fn bad_crc_is_rejected_even_after_a_valid_batch() {
    let (_tmp, mut log, size) = setup();
    let mut bad = batch(1, 10, 1);
    let last = bad.len() - 2;
    bad[last] ^= 0xff;
    let both = [batch(1, 10, 1), bad].concat();
    let err = log.append_as_leader(&both, 0, 0).unwrap_err();
    assert!(
        matches!(err, StorageError::Record(RecordError::CrcMismatch { .. })),
        "{err}"
    );
    assert_unchanged(&log, size);
}

#[test]
fn last_offset_delta_inconsistent_with_record_count_is_rejected() {
    let (_tmp, mut log, size) = setup();
    let mut b = batch(3, 10, 1);
    b[23..27].copy_from_slice(&5i32.to_be_bytes()); // lastOffsetDelta 5 for 3 records
    fjord_record::header::rewrite_crc(&mut b);
    let err = log.append_as_leader(&b, 0, 0).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Record(RecordError::InvalidField {
                field: "lastOffsetDelta",
                ..
            })
        ),
        "{err}"
    );
    assert_unchanged(&log, size);
}

#[test]
fn batch_over_max_message_bytes_is_rejected() {
    let (tmp, dir) = partition_dir();
    let config = LogConfig {
        max_message_bytes: 500,
        ..small_config()
    };
    let mut log = open_real(&dir, config);
    let ok = batch(2, 10, 1);
    log.append_as_leader(&ok, 0, 0).unwrap();
    let size = log.size_bytes();
    let big = batch(1, 600, 1);
    let err = log.append_as_leader(&big, 0, 0).unwrap_err();
    assert!(
        matches!(err, StorageError::MessageTooLarge { max: 500, .. }),
        "{err}"
    );
    assert_unchanged(&log, size);
    drop(tmp);
}

#[test]
fn follower_append_must_continue_the_log() {
    let (_tmp, mut log, size) = setup();
    let mut b = batch(1, 10, 1);
    fjord_record::header::set_base_offset(&mut b, 1);
    let err = log.append_as_follower(&b).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotContiguous {
                expected: 2,
                actual: 1
            }
        ),
        "{err}"
    );
    assert_unchanged(&log, size);
    fjord_record::header::set_base_offset(&mut b, 2);
    fjord_record::header::set_partition_leader_epoch(&mut b, 7);
    let info = log.append_as_follower(&b).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (2, 2));
    assert_eq!(log.leader_epoch_cache().latest_epoch(), Some(7));
}
