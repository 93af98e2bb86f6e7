//! Property: for any sequence of keyed writes and tombstones, cleaning keeps exactly the
//! latest record of every key (Kafka documentation §4.8 "Log Compaction" guarantees), with
//! offsets taken only from the original log; after `delete.retention.ms` a second round also
//! removes the tombstoned keys (KIP-534).
//!
//! Method: random operations over 6 keys appended in random batch sizes (some compressed) to
//! a log with tiny segments, rolled so everything is cleanable; the model is a map of the
//! last operation per key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cleaner_common;

use std::collections::{BTreeMap, BTreeSet};

use cleaner_common::*;
use fjord_record::CompressionType;
use fjord_storage::{LogConfig, LogOpenOptions, RealDisk};
use proptest::prelude::*;

const T0: i64 = 1_700_000_000_000;
const RETENTION_MS: i64 = 1_000;

fn op() -> impl Strategy<Value = (u8, Option<u16>)> {
    (0u8..6, prop::option::weighted(0.8, any::<u16>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn cleaning_keeps_the_latest_record_per_key(
        batches in prop::collection::vec((prop::collection::vec(op(), 1..6), any::<bool>()), 1..40),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let config = LogConfig {
            segment_bytes: 512,
            delete_retention_ms: RETENTION_MS,
            ..compact_config()
        };
        let mut log = fjord_storage::Log::open(
            tmp.path().join("t-0"),
            config,
            std::sync::Arc::new(RealDisk),
            LogOpenOptions::new(T0),
        )
        .unwrap();
        let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for (ops, compressed) in &batches {
            let owned: Vec<(Vec<u8>, Option<Vec<u8>>)> = ops
                .iter()
                .map(|(k, v)| (format!("key-{k}").into_bytes(), v.map(|v| v.to_string().into_bytes())))
                .collect();
            let records: Vec<(&[u8], Option<&[u8]>)> =
                owned.iter().map(|(k, v)| (k.as_slice(), v.as_deref())).collect();
            let codec = if *compressed { CompressionType::Lz4 } else { CompressionType::None };
            let batch = keyed_batch_with(&records, T0, codec);
            log.append_as_leader(&batch, 0, T0).unwrap();
            for (k, v) in owned {
                model.insert(k, v);
            }
        }
        log.roll(T0).unwrap();
        let before = read_all(&log);
        let original: BTreeSet<i64> = before.iter().map(|r| r.0).collect();

        // Round 1, before any delete horizon: the latest record of every key, tombstones too.
        let stats = clean_now(&mut log, None, T0);
        let after = read_all(&log);
        prop_assert_eq!(&latest_by_key(&after), &model);
        prop_assert_eq!(after.len(), model.len(), "one record per key");
        prop_assert!(after.iter().all(|r| original.contains(&r.0)));
        prop_assert!(after.windows(2).all(|w| w[0].0 < w[1].0));
        prop_assert_eq!(log.log_end_offset(), before.last().map_or(0, |r| r.0 + 1));

        // Round 2, after the horizon: tombstoned keys are gone, live keys unchanged.
        clean_now(&mut log, Some(stats.end_offset), T0 + RETENTION_MS);
        let live: BTreeMap<_, _> = model.iter().filter(|(_, v)| v.is_some()).map(|(k, v)| (k.clone(), v.clone())).collect();
        let after_horizon = read_all(&log);
        prop_assert_eq!(latest_by_key(&after_horizon), live);
        prop_assert!(after_horizon.iter().all(|r| original.contains(&r.0)));
    }
}
