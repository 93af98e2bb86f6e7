//! Log compaction behaviour (Kafka documentation §4.8 "Log Compaction"; `Cleaner`,
//! `LogCleanerManager`; KIP-58, KIP-354, KIP-534).
//!
//! Method: write keyed records to real logs in temp dirs with tiny segments, run the cleaner
//! (directly or through `LogManager::run_cleaner`), and read the log back the way a consumer
//! would: offsets, keys and values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cleaner_common;

use std::sync::Arc;

use cleaner_common::*;
use fjord_common::TopicPartition;
use fjord_record::CompressionType;
use fjord_storage::cleaner::{CLEANER_OFFSET_CHECKPOINT_FILE, log_to_clean};
use fjord_storage::{
    CleanupPolicy, DirtyRatio, Log, LogConfig, LogManager, LogOpenOptions, RealDisk, StorageError,
};

const T0: i64 = 1_700_000_000_000;

fn open(dir: &std::path::Path, config: LogConfig) -> Log {
    Log::open(dir, config, Arc::new(RealDisk), LogOpenOptions::new(T0)).unwrap()
}

/// Five keys written ten times each (one batch per record), rolled, then one record in the
/// active segment.
fn fill(log: &mut Log) -> Vec<Row> {
    for round in 0..10 {
        for key in 0..5 {
            put(
                log,
                &format!("k{key}"),
                Some(&format!("v{round}")),
                T0 + round,
            );
        }
    }
    log.roll(T0 + 10).unwrap();
    put(log, "k0", Some("active"), T0 + 11);
    read_all(log)
}

#[test]
fn keeps_the_latest_value_per_key_with_offsets_unchanged() {
    // Kafka docs §4.8: "Log compaction ensures that Kafka will always retain at least the last
    // known value for each message key"; "the offset for a message never changes".
    let tmp = tempfile::tempdir().unwrap();
    let mut log = open(&tmp.path().join("t-0"), compact_config());
    let before = fill(&mut log);
    let (start, end) = (log.log_start_offset(), log.log_end_offset());
    assert!(
        log.segment_count() > 2,
        "the test needs several closed segments"
    );

    let stats = clean_now(&mut log, None, T0 + 20);
    assert_eq!(
        stats.end_offset, 50,
        "cleaned up to the active segment's base"
    );
    let after = read_all(&log);
    let offsets: Vec<i64> = after.iter().map(|r| r.0).collect();
    assert_eq!(
        offsets,
        vec![45, 46, 47, 48, 49, 50],
        "latest of each key, then the active segment"
    );
    assert_eq!(after[0], (45, b"k0".to_vec(), Some(b"v9".to_vec())));
    assert_eq!(latest_by_key(&after), latest_by_key(&before));
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (start, end));
    // A consumer fetching from an offset that was cleaned away gets the next surviving batch.
    let fetch = log.read(3, 1 << 20, None, true).unwrap();
    assert!(fetch.total_bytes > 0);
    assert_eq!(fetch.first_offset_metadata.message_offset, 3);

    // The log reopens (indexes rebuilt by the swap) with the same contents.
    log.close().unwrap();
    drop(log);
    let reopened = Log::open(
        tmp.path().join("t-0"),
        compact_config(),
        Arc::new(RealDisk),
        LogOpenOptions {
            had_clean_shutdown: true,
            recovery_point: end,
            ..LogOpenOptions::new(T0 + 30)
        },
    )
    .unwrap();
    assert_eq!(read_all(&reopened), after);
}

#[test]
fn compressed_batches_are_rebuilt_with_their_codec() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = open(&tmp.path().join("t-0"), compact_config());
    for round in 0..6 {
        let value = format!("v{round}");
        let batch = keyed_batch_with(
            &[
                (b"a", Some(value.as_bytes())),
                (b"b", Some(value.as_bytes())),
            ],
            T0,
            CompressionType::Zstd,
        );
        log.append_as_leader(&batch, 0, T0).unwrap();
    }
    put(&mut log, "a", Some("last"), T0);
    log.roll(T0).unwrap();
    clean_now(&mut log, None, T0);
    let after = read_all(&log);
    assert_eq!(
        after,
        vec![
            (11, b"b".to_vec(), Some(b"v5".to_vec())),
            (12, b"a".to_vec(), Some(b"last".to_vec()))
        ]
    );
}

#[test]
fn tombstones_survive_until_delete_retention_ms_after_cleaning_then_go() {
    // KIP-534: the first cleaning that keeps a tombstone stamps its batch with a delete
    // horizon of now + delete.retention.ms; cleanings before it keep the tombstone, after it
    // drop it.
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        delete_retention_ms: 1_000,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    put(&mut log, "gone", Some("v"), T0);
    put(&mut log, "kept", Some("v"), T0);
    put(&mut log, "gone", None, T0);
    log.roll(T0).unwrap();
    put(&mut log, "kept", Some("active"), T0);

    let stats = clean_now(&mut log, None, T0 + 10);
    assert_eq!(stats.earliest_delete_horizon, Some(T0 + 10 + 1_000));
    let rows = read_all(&log);
    assert_eq!(
        rows,
        vec![
            (1, b"kept".to_vec(), Some(b"v".to_vec())),
            (2, b"gone".to_vec(), None),
            (3, b"kept".to_vec(), Some(b"active".to_vec())),
        ],
        "the tombstone is kept before delete.retention.ms"
    );
    // A second round before the horizon keeps it too.
    clean_now(&mut log, Some(3), T0 + 10 + 999);
    assert!(read_all(&log).iter().any(|r| r.0 == 2));
    // After the horizon, a round drops it: key `gone` has no record at all.
    clean_now(&mut log, Some(3), T0 + 10 + 1_000);
    let rows = read_all(&log);
    assert!(
        rows.iter().all(|r| r.1 != b"gone"),
        "tombstone removed: {rows:?}"
    );
    assert_eq!(rows.len(), 2);
}

#[test]
fn the_active_segment_is_never_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1 << 20,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    for i in 0..20 {
        put(&mut log, "same", Some(&format!("v{i}")), T0);
    }
    assert_eq!(log.segment_count(), 1);
    let to_clean = log_to_clean(&log, None, T0);
    assert_eq!(
        (to_clean.dirty_bytes, to_clean.first_uncleanable_offset),
        (0, 0)
    );
    assert!(!to_clean.is_due(0.0));
    let stats = clean_now(&mut log, None, T0);
    assert_eq!(stats.groups, 0);
    assert_eq!(
        read_all(&log).len(),
        20,
        "every duplicate in the active segment stays"
    );
}

#[test]
fn min_compaction_lag_protects_young_records() {
    // KIP-58: a segment holding a record younger than min.compaction.lag.ms is not cleaned.
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        min_compaction_lag_ms: 60_000,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    let before = fill(&mut log);
    let young = log_to_clean(&log, None, T0 + 30_000);
    assert_eq!(
        young.dirty_bytes, 0,
        "records 30 s old are younger than the 60 s lag"
    );
    clean_now(&mut log, None, T0 + 30_000);
    assert_eq!(read_all(&log), before);

    let old = log_to_clean(&log, None, T0 + 120_000);
    assert!(old.dirty_bytes > 0);
    clean_now(&mut log, None, T0 + 120_000);
    assert_eq!(read_all(&log).len(), 6);
}

#[test]
fn the_dirty_ratio_threshold_decides_when_a_log_is_due() {
    // Kafka LogCleanerManager.grabFilthiestCompactedLog: due when
    // dirty / (clean + dirty) > min.cleanable.dirty.ratio.
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1 << 20,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    for key in 0..40 {
        put(&mut log, &format!("key-{key:03}"), Some("0123456789"), T0);
    }
    log.roll(T0).unwrap();
    let first = log_to_clean(&log, None, T0);
    assert_eq!(first.cleanable_ratio(), 1.0);
    assert!(first.is_due(0.5));
    let stats = clean_now(&mut log, None, T0);
    let checkpoint = stats.end_offset;
    assert_eq!(checkpoint, 40);
    // 10 new records: dirty ≈ 10/50 of the bytes, below 0.5.
    for key in 0..10 {
        put(&mut log, &format!("key-{key:03}"), Some("abcdefghij"), T0);
    }
    log.roll(T0).unwrap();
    let little = log_to_clean(&log, Some(checkpoint), T0);
    assert!(
        little.cleanable_ratio() > 0.15 && little.cleanable_ratio() < 0.25,
        "{little:?}"
    );
    assert!(!little.is_due(0.5));
    assert!(little.is_due(0.1));
    // 40 more: dirty 50/90 > 0.5.
    for key in 0..40 {
        put(&mut log, &format!("key-{key:03}"), Some("ABCDEFGHIJ"), T0);
    }
    log.roll(T0).unwrap();
    let lots = log_to_clean(&log, Some(checkpoint), T0);
    assert!(lots.is_due(0.5), "{lots:?}");
}

#[test]
fn max_compaction_lag_forces_cleaning_below_the_ratio() {
    // KIP-354: once the first dirty record is older than max.compaction.lag.ms the log is
    // cleaned whatever its dirty ratio.
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1 << 20,
        max_compaction_lag_ms: 60_000,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    for key in 0..40 {
        put(&mut log, &format!("key-{key:03}"), Some("0123456789"), T0);
    }
    log.roll(T0).unwrap();
    let checkpoint = clean_now(&mut log, None, T0).end_offset;
    put(&mut log, "key-000", Some("new"), T0 + 1_000);
    log.roll(T0 + 1_000).unwrap();
    assert!(!log_to_clean(&log, Some(checkpoint), T0 + 2_000).is_due(0.5));
    assert!(log_to_clean(&log, Some(checkpoint), T0 + 62_000).is_due(0.5));
}

#[test]
fn null_key_records_are_rejected_on_compacted_logs_only() {
    // Kafka LogValidator.validateKey: "Compacted topic cannot accept message without key"
    // (INVALID_RECORD); nothing is appended.
    let tmp = tempfile::tempdir().unwrap();
    let mut compacted = open(&tmp.path().join("c-0"), compact_config());
    let mut batch = fjord_record::BatchBuilder::new(CompressionType::None);
    batch.push(fjord_record::NewRecord::new(T0).key("k").value("v"));
    batch.push(fjord_record::NewRecord::new(T0).value("no key"));
    let bytes = batch.build().unwrap();
    let err = compacted
        .append_as_leader(&bytes.clone(), 0, T0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::CompactedRecordWithoutKey {
                base_offset: 0,
                record_index: 1
            }
        ),
        "{err}"
    );
    assert_eq!(compacted.log_end_offset(), 0);

    let mut plain = open(&tmp.path().join("p-0"), LogConfig::default());
    plain.append_as_leader(&bytes.clone(), 0, T0).unwrap();
    assert_eq!(plain.log_end_offset(), 2);
}

#[test]
fn compact_delete_applies_retention_and_compact_alone_does_not() {
    // Kafka `UnifiedLog.deleteOldSegments`: retention by time only with `delete` in the policy.
    let tmp = tempfile::tempdir().unwrap();
    for (policy, expect_deleted) in [
        (CleanupPolicy::COMPACT, false),
        (CleanupPolicy::COMPACT_DELETE, true),
    ] {
        let config = LogConfig {
            cleanup_policy: policy,
            retention_ms: 1_000,
            ..compact_config()
        };
        let dir = tmp.path().join(format!("t-{}", u8::from(policy.delete)));
        let mut log = open(&dir, config);
        for i in 0..30 {
            put(&mut log, &format!("k{i}"), Some("v"), T0);
        }
        log.roll(T0).unwrap();
        let deleted = log.delete_old_segments(T0 + 10_000).unwrap();
        assert_eq!(deleted > 0, expect_deleted, "{policy:?}");
    }
}

#[test]
fn log_manager_runs_the_cleaner_and_writes_the_checkpoint_in_kafkas_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().join("logs")];
    let mut manager =
        LogManager::open(&dirs, LogConfig::default(), Arc::new(RealDisk), T0).unwrap();
    let compacted = TopicPartition::new("compacted", 3);
    let plain = TopicPartition::new("plain", 0);
    let log = manager
        .get_or_create_log(&compacted, None, compact_config(), T0)
        .unwrap();
    let other = manager
        .get_or_create_log(
            &plain,
            None,
            LogConfig {
                segment_bytes: 1024,
                ..LogConfig::default()
            },
            T0,
        )
        .unwrap();
    fill(&mut log.lock().unwrap());
    fill(&mut other.lock().unwrap());

    let summary = manager.run_cleaner(T0 + 20);
    assert_eq!(summary.failed, vec![]);
    assert_eq!(
        summary.cleaned.len(),
        1,
        "only the compacted log is cleaned"
    );
    assert_eq!(summary.cleaned[0].0, compacted);
    assert_eq!(read_all(&log.lock().unwrap()).len(), 6);
    assert_eq!(read_all(&other.lock().unwrap()).len(), 51);
    let text = std::fs::read_to_string(dirs[0].join(CLEANER_OFFSET_CHECKPOINT_FILE)).unwrap();
    assert_eq!(text, "0\n1\ncompacted 3 50\n");
    assert_eq!(manager.cleaner_checkpoint(&compacted), Some(50));

    // Nothing dirty: the next run does nothing.
    assert!(manager.run_cleaner(T0 + 30).cleaned.is_empty());

    // The checkpoint survives a restart.
    manager.shutdown().unwrap();
    drop(manager);
    let manager = LogManager::open(&dirs, LogConfig::default(), Arc::new(RealDisk), T0).unwrap();
    assert_eq!(manager.cleaner_checkpoint(&compacted), Some(50));
    let _ = DirtyRatio::DEFAULT;
}

#[test]
fn issue_5_scale_100k_records_over_1k_keys_with_100_tombstones() {
    // Issue 5 acceptance: after cleaning (and after delete.retention.ms) a full read returns
    // exactly the latest value of every live key and no deleted key.
    let tmp = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1 << 20,
        segment_index_bytes: 1 << 16,
        delete_retention_ms: 1_000,
        ..compact_config()
    };
    let mut log = open(&tmp.path().join("t-0"), config);
    let mut model = std::collections::BTreeMap::new();
    for batch_index in 0..1_000u32 {
        let owned: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..100u32)
            .map(|i| {
                let n = batch_index * 100 + i;
                let key = format!("key-{:04}", n % 1_000).into_bytes();
                let tombstone = batch_index >= 990 && (n % 1_000) < 100;
                let value = (!tombstone).then(|| format!("value-{n}").into_bytes());
                (key, value)
            })
            .collect();
        let records: Vec<(&[u8], Option<&[u8]>)> = owned
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
            .collect();
        let batch = keyed_batch(&records, T0);
        log.append_as_leader(&batch, 0, T0).unwrap();
        for (k, v) in owned {
            model.insert(k, v);
        }
    }
    log.roll(T0).unwrap();
    let bytes_before = log.size_bytes();
    let started = std::time::Instant::now();
    let stats = clean_now(&mut log, None, T0);
    let first_round = started.elapsed();
    assert_eq!(stats.records_read, 100_000);
    assert_eq!(stats.records_kept, 1_000);
    clean_now(&mut log, Some(stats.end_offset), T0 + 1_000);
    let rows = read_all(&log);
    let live: std::collections::BTreeMap<_, _> =
        model.into_iter().filter(|(_, v)| v.is_some()).collect();
    assert_eq!(live.len(), 900);
    assert_eq!(latest_by_key(&rows), live);
    println!(
        "cleaned 100000 records ({bytes_before} bytes) to {} records ({} bytes) in {first_round:?}",
        rows.len(),
        log.size_bytes()
    );
}
