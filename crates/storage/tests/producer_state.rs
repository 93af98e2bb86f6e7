//! Idempotent producer state through the public [`Log`] API: every validation rule of Kafka's
//! `ProducerAppendInfo`/`UnifiedLog.analyzeAndValidateProducerState` (KIP-98, KIP-360),
//! duplicate retries, sequence wrap, snapshots on roll/close/retention, and rebuilding after
//! clean and unclean restarts and truncation.
//!
//! Method: build real magic-v2 batches with a producer id, epoch and base sequence patched into
//! the header, append them as a client would, and assert on what a producer would see (offsets,
//! typed errors, the log end offset) and on the files in the partition directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use fjord_record::header::offsets;
use fjord_storage::producer_state_snapshot::{decode_snapshot, producer_snapshot_path};
use fjord_storage::{Log, LogConfig, RealDisk, StorageError};

const NOW_MS: i64 = 1_000;

/// One batch of `count` records from producer `pid` at `epoch`, first sequence `seq`.
fn idempotent_batch(pid: i64, epoch: i16, seq: i32, count: usize) -> Vec<u8> {
    let mut batch = common::batch(count, 16, NOW_MS);
    batch[offsets::PRODUCER_ID..offsets::PRODUCER_ID + 8].copy_from_slice(&pid.to_be_bytes());
    batch[offsets::PRODUCER_EPOCH..offsets::PRODUCER_EPOCH + 2]
        .copy_from_slice(&epoch.to_be_bytes());
    batch[offsets::BASE_SEQUENCE..offsets::BASE_SEQUENCE + 4].copy_from_slice(&seq.to_be_bytes());
    fjord_record::header::rewrite_crc(&mut batch);
    batch
}

fn append(
    log: &mut Log,
    pid: i64,
    epoch: i16,
    seq: i32,
    count: usize,
) -> Result<fjord_storage::AppendInfo, StorageError> {
    log.append_as_leader(&idempotent_batch(pid, epoch, seq, count), 0, NOW_MS)
}

fn snapshot_files(dir: &Path) -> Vec<String> {
    common::sorted_names(dir, |n| n.ends_with(".snapshot"))
}

#[test]
fn in_sequence_batches_are_appended_and_tracked_kip_98() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    let first = append(&mut log, 42, 0, 0, 3).unwrap();
    let second = append(&mut log, 42, 0, 3, 2).unwrap();
    assert_eq!((first.first_offset, first.last_offset), (0, 2));
    assert_eq!((second.first_offset, second.last_offset), (3, 4));
    assert!(!first.duplicate && !second.duplicate);
    let entry = log.producer_state().last_entry(42).unwrap();
    assert_eq!(entry.producer_epoch, 0);
    assert_eq!(entry.last_seq(), 4);
    assert_eq!(entry.last_data_offset(), 4);
    assert_eq!(entry.batches().count(), 2);
}

#[test]
fn a_stale_epoch_is_rejected_with_invalid_producer_epoch() {
    // ProducerAppendInfo.checkProducerEpoch: epoch < current → InvalidProducerEpochException.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    append(&mut log, 7, 2, 0, 1).unwrap();
    let err = append(&mut log, 7, 1, 1, 1).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::InvalidProducerEpoch {
                producer_id: 7,
                epoch: 1,
                current_epoch: 2
            }
        ),
        "{err}"
    );
    assert_eq!(log.log_end_offset(), 1, "nothing may be appended");
}

#[test]
fn an_epoch_bump_must_restart_at_sequence_zero() {
    // ProducerAppendInfo.checkSequence: new epoch with a non-zero first sequence is out of order.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    append(&mut log, 7, 0, 0, 5).unwrap();
    let err = append(&mut log, 7, 1, 5, 1).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::OutOfOrderSequence {
                sequence: 5,
                expected: 0,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(log.log_end_offset(), 5);
    let bumped = append(&mut log, 7, 1, 0, 1).unwrap();
    assert_eq!(bumped.first_offset, 5);
    assert_eq!(
        log.producer_state().last_entry(7).unwrap().producer_epoch,
        1
    );
}

#[test]
fn an_unknown_producer_is_accepted_at_any_sequence_since_kafka_2_5_kip_360() {
    // Kafka ≥ 2.5 ProducerAppendInfo.checkSequence: "If there is no current producer epoch ...
    // accept writes with any sequence number" (Kafka ≤ 2.4 answered UNKNOWN_PRODUCER_ID).
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    let info = append(&mut log, 9, 4, 1234, 2).unwrap();
    assert_eq!(info.first_offset, 0);
    assert_eq!(log.producer_state().last_entry(9).unwrap().last_seq(), 1235);
    // ...and from then on the sequence is enforced.
    let err = append(&mut log, 9, 4, 1237, 1).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::OutOfOrderSequence {
                sequence: 1237,
                expected: 1236,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_producer_batch_without_a_sequence_is_an_invalid_record() {
    // Kafka LogValidator.validateBatch: hasProducerId && baseSequence < 0.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    let err = append(&mut log, 4, 0, -1, 1).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::InvalidProducerSequence {
                producer_id: 4,
                sequence: -1
            }
        ),
        "{err}"
    );
    assert_eq!(log.log_end_offset(), 0);
}

#[test]
fn a_sequence_gap_is_out_of_order_and_writes_nothing() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    append(&mut log, 3, 0, 0, 2).unwrap();
    for bad in [3, 1, 0, 100] {
        let err = append(&mut log, 3, 0, bad, 1).unwrap_err();
        assert!(
            matches!(err, StorageError::OutOfOrderSequence { expected: 2, .. }),
            "seq {bad}: {err}"
        );
    }
    assert_eq!(log.log_end_offset(), 2);
}

#[test]
fn retries_of_the_last_five_batches_return_the_original_offsets_and_append_nothing() {
    // UnifiedLog.analyzeAndValidateProducerState: a duplicate of a retained batch (Kafka
    // ProducerStateEntry.NUM_BATCHES_TO_RETAIN = 5) is answered with its original offsets.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    let mut originals = Vec::new();
    for i in 0..6 {
        originals.push(append(&mut log, 11, 0, i * 2, 2).unwrap());
    }
    let end = log.log_end_offset();
    for i in 1..6 {
        let retry = append(&mut log, 11, 0, i * 2, 2).unwrap();
        let original = &originals[i as usize];
        assert!(retry.duplicate, "batch {i} should be a duplicate");
        assert_eq!(
            (retry.first_offset, retry.last_offset),
            (original.first_offset, original.last_offset)
        );
        assert_eq!(retry.record_count, 0);
    }
    assert_eq!(
        log.log_end_offset(),
        end,
        "a duplicate must not be appended"
    );
    // The oldest batch has left the window: it is neither a duplicate nor in sequence.
    let err = append(&mut log, 11, 0, 0, 2).unwrap_err();
    assert!(
        matches!(err, StorageError::OutOfOrderSequence { .. }),
        "{err}"
    );
    // A retry with another epoch is not a duplicate (ProducerStateEntry.findDuplicateBatch).
    let err = append(&mut log, 11, 1, 10, 2).unwrap_err();
    assert!(
        matches!(err, StorageError::OutOfOrderSequence { expected: 0, .. }),
        "{err}"
    );
}

#[test]
fn sequences_wrap_from_i32_max_to_zero() {
    // ProducerAppendInfo.inSequence and DefaultRecordBatch.incrementSequence.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    append(&mut log, 5, 0, i32::MAX - 1, 2).unwrap();
    assert_eq!(
        log.producer_state().last_entry(5).unwrap().last_seq(),
        i32::MAX
    );
    append(&mut log, 5, 0, 0, 1).unwrap();
    // Sequences 1, 2, 3 continue after the wrap.
    let crossing = append(&mut log, 5, 0, 1, 3).unwrap();
    assert_eq!(log.producer_state().last_entry(5).unwrap().last_seq(), 3);
    // Retry of the batch spanning MAX-1..MAX is still recognised.
    let retry = append(&mut log, 5, 0, i32::MAX - 1, 2).unwrap();
    assert!(retry.duplicate);
    assert_eq!((retry.first_offset, retry.last_offset), (0, 1));
    assert_eq!(crossing.first_offset, 3);

    let (_tmp2, dir2) = common::partition_dir();
    let mut log = common::open_real(&dir2, LogConfig::default());
    let across = append(&mut log, 6, 0, i32::MAX, 3).unwrap();
    assert_eq!(log.producer_state().last_entry(6).unwrap().last_seq(), 1);
    assert!(append(&mut log, 6, 0, i32::MAX, 3).unwrap().duplicate);
    assert_eq!(
        append(&mut log, 6, 0, 2, 1).unwrap().first_offset,
        across.last_offset + 1
    );
}

#[test]
fn follower_appends_skip_the_checks_but_update_the_state() {
    // ProducerAppendInfo with AppendOrigin.REPLICATION validates nothing.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    let mut leader_side = idempotent_batch(8, 3, 0, 2);
    fjord_record::header::set_base_offset(&mut leader_side, 0);
    log.append_as_follower(&leader_side).unwrap();
    let mut stale = idempotent_batch(8, 2, 77, 1);
    fjord_record::header::set_base_offset(&mut stale, 2);
    log.append_as_follower(&stale).unwrap();
    assert_eq!(log.log_end_offset(), 3);
    let entry = log.producer_state().last_entry(8).unwrap();
    assert_eq!(entry.last_data_offset(), 2);
}

#[test]
fn batches_without_a_producer_id_are_not_tracked() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    log.append_as_leader(&common::batch(3, 8, NOW_MS), 0, NOW_MS)
        .unwrap();
    log.append_as_leader(&common::batch(3, 8, NOW_MS), 0, NOW_MS)
        .unwrap();
    assert!(log.producer_state().active_producers().is_empty());
    assert_eq!(log.producer_state().map_end_offset(), 6);
}

fn tiny_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 600,
        ..common::small_config()
    }
}

#[test]
fn snapshots_are_taken_on_roll_and_close_and_deleted_with_their_segments() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    for i in 0..20 {
        append(&mut log, 1, 0, i * 4, 4).unwrap();
    }
    let bases = log.segment_base_offsets();
    assert!(bases.len() > 3, "segments: {bases:?}");
    // Kafka UnifiedLog.roll: one snapshot named after each new segment's base offset.
    let expected: Vec<String> = bases[1..]
        .iter()
        .map(|b| format!("{b:020}.snapshot"))
        .collect();
    assert_eq!(snapshot_files(&dir), expected);
    // The snapshot at a segment base holds the state just before it.
    let at = bases[2];
    let bytes = std::fs::read(producer_snapshot_path(&dir, at)).unwrap();
    let entries = decode_snapshot(Path::new("x"), &bytes).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].last_data_offset(), at - 1);
    assert_eq!(entries[0].last_seq(), i32::try_from(at - 1).unwrap());

    // Retention deletes the first two segments and the snapshot named after the second.
    log.update_high_watermark(log.log_end_offset());
    log.maybe_increment_log_start_offset(bases[2]).unwrap();
    assert_eq!(log.delete_old_segments(NOW_MS).unwrap(), 2);
    assert!(!snapshot_files(&dir).contains(&format!("{:020}.snapshot", bases[1])));
    assert!(snapshot_files(&dir).contains(&format!("{:020}.snapshot", bases[2])));

    // Close adds one at the log end offset.
    let end = log.log_end_offset();
    log.close().unwrap();
    assert!(snapshot_files(&dir).contains(&format!("{end:020}.snapshot")));
}

#[test]
fn the_roll_snapshot_is_synced_off_the_append_path_and_a_power_cut_before_it_is_survived_kafka_15046()
 {
    // KAFKA-15046: the producer snapshot written at a roll is synced (with the directory) by
    // the scheduled flush, not under the log lock. FaultyDisk cuts every unsynced byte on crash.
    let (_tmp, dir) = common::partition_dir();
    let disk = fjord_storage::FaultyDisk::new();
    let mut log = common::open(&dir, tiny_segments(), Arc::new(disk.clone()), false, 0);
    let mut seq = 0;
    while log.segment_base_offsets().len() < 3 {
        append(&mut log, 1, 0, seq, 4).unwrap();
        seq += 4;
    }
    let last_base = *log.segment_base_offsets().last().unwrap();
    common::wait_for_recovery_point(&mut log, last_base, NOW_MS);
    disk.crash(0).unwrap();
    let bytes = std::fs::read(producer_snapshot_path(&dir, last_base)).unwrap();
    let entries = decode_snapshot(Path::new("x"), &bytes).unwrap();
    assert_eq!(
        entries[0].last_data_offset(),
        last_base - 1,
        "synced by the roll's flush"
    );

    // After the cut the state is rebuilt from that snapshot: the last batch is a duplicate,
    // the next sequence is accepted.
    let mut log = common::open(
        &dir,
        tiny_segments(),
        Arc::new(disk.clone()),
        false,
        last_base,
    );
    let end = log.log_end_offset();
    assert_eq!(end, last_base, "only the unsynced active segment was lost");
    let next = i32::try_from(end).unwrap();
    assert_eq!(
        log.producer_state().last_entry(1).unwrap().last_seq(),
        next - 1
    );
    assert!(append(&mut log, 1, 0, next - 4, 4).unwrap().duplicate);
    let fresh = append(&mut log, 1, 0, next, 4).unwrap();
    assert_eq!((fresh.first_offset, fresh.duplicate), (end, false));
    log.flush().unwrap();
    let end = log.log_end_offset();
    drop(log);

    // A snapshot written without its sync and cut by a power loss is unreadable: loading
    // deletes it and rebuilds from the older snapshot plus the log. (Had this empty-map
    // snapshot survived, producer 1 would be forgotten.)
    let mut state =
        fjord_storage::ProducerStateManager::open(Arc::new(disk.clone()), dir.clone()).unwrap();
    state.set_map_end_offset(end);
    let unsynced = state.take_snapshot_unsynced().unwrap().unwrap();
    drop(state);
    disk.crash(0).unwrap();
    assert_eq!(std::fs::metadata(&unsynced).unwrap().len(), 0);
    let log = common::open(&dir, tiny_segments(), Arc::new(disk.clone()), false, end);
    assert!(!unsynced.exists(), "the unreadable snapshot is deleted");
    assert_eq!(
        log.producer_state().last_entry(1).unwrap().last_seq(),
        i32::try_from(end).unwrap() - 1
    );
}

#[test]
fn a_clean_restart_loads_the_close_snapshot_and_replays_nothing() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    for i in 0..12 {
        append(&mut log, 1, 0, i * 4, 4).unwrap();
        append(&mut log, 2, 5, i, 1).unwrap();
    }
    let before = log.producer_state().active_producers().clone();
    log.close().unwrap();
    drop(log);

    let mut log = common::open(&dir, tiny_segments(), Arc::new(RealDisk), true, 60);
    assert_eq!(log.producer_batches_replayed(), 0);
    let after = log.producer_state().active_producers();
    assert_eq!(after.len(), 2);
    for (pid, entry) in after {
        // A snapshot keeps only the last batch of each producer (Kafka format).
        assert_eq!(entry.last_batch(), before[pid].last_batch());
        assert_eq!(entry.producer_epoch, before[pid].producer_epoch);
    }
    // The producers carry on where they were; a retry of the last batch is still caught.
    assert!(append(&mut log, 2, 5, 11, 1).unwrap().duplicate);
    assert!(!append(&mut log, 2, 5, 12, 1).unwrap().duplicate);
    assert!(matches!(
        append(&mut log, 1, 0, 49, 4).unwrap_err(),
        StorageError::OutOfOrderSequence { expected: 48, .. }
    ));
}

#[test]
fn an_unclean_restart_rebuilds_from_the_last_snapshot_plus_the_log() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    let mut originals = Vec::new();
    for i in 0..15 {
        originals.push(append(&mut log, 1, 0, i * 4, 4).unwrap());
    }
    log.flush().unwrap();
    let active_base = *log.segment_base_offsets().last().unwrap();
    drop(log); // no close: no snapshot at the log end offset

    let mut log = common::open_real(&dir, tiny_segments());
    let replayed = log.producer_batches_replayed();
    let batches_in_active = (60 - active_base) / 4;
    assert_eq!(
        replayed,
        u64::try_from(batches_in_active).unwrap(),
        "replay starts at the last snapshot"
    );
    // The replay refilled the duplicate window with the last five batches.
    let entry = log.producer_state().last_entry(1).unwrap();
    assert_eq!(entry.last_seq(), 59);
    let retry = append(&mut log, 1, 0, 52, 4).unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.first_offset, originals[13].first_offset);
    assert_eq!(append(&mut log, 1, 0, 60, 4).unwrap().first_offset, 60);
}

#[test]
fn a_corrupt_snapshot_is_deleted_and_an_older_one_used() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    for i in 0..15 {
        append(&mut log, 1, 0, i * 4, 4).unwrap();
    }
    log.close().unwrap();
    drop(log);
    let names = snapshot_files(&dir);
    let last = dir.join(names.last().unwrap());
    let mut bytes = std::fs::read(&last).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40; // flips a bit in the last entry: CRC mismatch
    std::fs::write(&last, bytes).unwrap();

    let log = common::open(&dir, tiny_segments(), Arc::new(RealDisk), true, 60);
    assert!(!last.exists(), "the corrupt snapshot is removed");
    assert!(log.producer_batches_replayed() > 0);
    assert_eq!(log.producer_state().last_entry(1).unwrap().last_seq(), 59);
}

#[test]
fn truncation_rewinds_producer_state_and_drops_later_snapshots() {
    // Kafka UnifiedLog.truncateTo → rebuildProducerState → truncateAndReload.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    for i in 0..15 {
        append(&mut log, 1, 0, i * 4, 4).unwrap();
    }
    append(&mut log, 2, 0, 0, 1).unwrap();
    log.truncate_to(22).unwrap(); // inside the batch 20..23: the log ends at 20
    assert_eq!(log.log_end_offset(), 20);
    for name in snapshot_files(&dir) {
        let offset: i64 = name.trim_end_matches(".snapshot").parse().unwrap();
        assert!(offset <= 20, "{name} outlived the truncation");
    }
    assert!(
        log.producer_state().last_entry(2).is_none(),
        "producer 2 only wrote after 20"
    );
    assert_eq!(log.producer_state().last_entry(1).unwrap().last_seq(), 19);
    // The producer's retry of the truncated batch 20..23 is appended again, in sequence.
    let again = append(&mut log, 1, 0, 20, 4).unwrap();
    assert!(!again.duplicate);
    assert_eq!(again.first_offset, 20);

    log.truncate_fully_and_start_at(100).unwrap();
    assert!(snapshot_files(&dir).is_empty());
    assert!(log.producer_state().active_producers().is_empty());
}

#[test]
fn idle_producers_expire_after_producer_id_expiration_ms() {
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, LogConfig::default());
    append(&mut log, 1, 0, 0, 1).unwrap();
    log.delete_old_segments(NOW_MS + 86_400_000 - 1).unwrap();
    assert!(log.producer_state().last_entry(1).is_some());
    log.delete_old_segments(NOW_MS + 86_400_000).unwrap();
    assert!(log.producer_state().last_entry(1).is_none());
}

#[test]
fn a_snapshot_above_what_recovery_kept_is_dropped_and_state_rebuilt_below_it() {
    // Kafka LogLoader: recovery truncates a torn tail, then rebuildProducerState deletes
    // snapshots above the new log end offset and replays from the latest one below it.
    let (_tmp, dir) = common::partition_dir();
    let mut log = common::open_real(&dir, tiny_segments());
    for i in 0..15 {
        append(&mut log, 1, 0, i * 4, 4).unwrap();
    }
    log.close().unwrap();
    let active_base = *log.segment_base_offsets().last().unwrap();
    drop(log);
    assert!(snapshot_files(&dir).contains(&format!("{:020}.snapshot", 60)));
    // Tear the last batch of the active segment in half.
    let segment = dir.join(format!("{active_base:020}.log"));
    let len = std::fs::metadata(&segment).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    file.set_len(len - 50).unwrap();
    drop(file);

    let mut log = common::open_real(&dir, tiny_segments()); // unclean: full recovery
    assert_eq!(log.log_end_offset(), 56);
    assert!(
        !snapshot_files(&dir).contains(&format!("{:020}.snapshot", 60)),
        "a snapshot describing lost batches must go"
    );
    assert_eq!(log.producer_state().last_entry(1).unwrap().last_seq(), 55);
    // The producer's resend of the lost batch is appended, not taken for a duplicate.
    let resent = append(&mut log, 1, 0, 56, 4).unwrap();
    assert!(!resent.duplicate);
    assert_eq!(resent.first_offset, 56);
}
