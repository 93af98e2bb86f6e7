//! Helpers for the log cleaner tests: keyed batches, compacted configs, reading a log back
//! as `(offset, key, value)` and the model of what compaction must leave.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fjord_record::{BatchBuilder, CompressionType, NewRecord};
use fjord_storage::cleaner::{CleanStats, CleanerConfig, clean_log, log_to_clean};
use fjord_storage::{CleanupPolicy, Log, LogConfig};

/// One record read back: offset, key, value (`None` = tombstone).
pub type Row = (i64, Vec<u8>, Option<Vec<u8>>);

/// A compacted log config with tiny segments so tests roll often.
pub fn compact_config() -> LogConfig {
    LogConfig {
        segment_bytes: 1024,
        segment_index_bytes: 4096,
        index_interval_bytes: 256,
        file_delete_delay_ms: 0,
        cleanup_policy: CleanupPolicy::COMPACT,
        retention_ms: -1,
        ..LogConfig::default()
    }
}

/// One uncompressed batch of keyed records (value `None` = tombstone), CreateTime `ts`.
pub fn keyed_batch(records: &[(&[u8], Option<&[u8]>)], ts: i64) -> Vec<u8> {
    keyed_batch_with(records, ts, CompressionType::None)
}

/// Like [`keyed_batch`] with a codec.
pub fn keyed_batch_with(
    records: &[(&[u8], Option<&[u8]>)],
    ts: i64,
    codec: CompressionType,
) -> Vec<u8> {
    let mut builder = BatchBuilder::new(codec);
    for (key, value) in records {
        let mut record = NewRecord::new(ts).key(key.to_vec());
        if let Some(value) = value {
            record = record.value(value.to_vec());
        }
        builder.push(record);
    }
    builder.build().unwrap()
}

/// Appends one single-record batch; returns its offset.
pub fn put(log: &mut Log, key: &str, value: Option<&str>, ts: i64) -> i64 {
    let batch = keyed_batch(&[(key.as_bytes(), value.map(str::as_bytes))], ts);
    log.append_as_leader(&batch, 0, ts).unwrap().first_offset
}

/// Every record from the log start to the log end.
pub fn read_all(log: &Log) -> Vec<Row> {
    let mut out = Vec::new();
    let mut offset = log.log_start_offset();
    while offset < log.log_end_offset() {
        let fetch = log.read(offset, 1 << 20, None, true).unwrap();
        if fetch.ranges.is_empty() {
            break;
        }
        let mut bytes = Vec::new();
        for range in &fetch.ranges {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; range.len as usize];
            range.file.read_exact_at(&mut buf, range.position).unwrap();
            bytes.extend(buf);
        }
        let mut pos = 0;
        while pos < bytes.len() {
            let header = fjord_record::BatchHeader::new(&bytes[pos..]).unwrap();
            let batch = &bytes[pos..pos + header.total_size()];
            for record in fjord_record::records(batch, 1 << 24).unwrap() {
                let record = record.unwrap();
                if record.offset >= offset {
                    out.push((
                        record.offset,
                        record.record.key.map(|k| k.to_vec()).unwrap_or_default(),
                        record.record.value.map(|v| v.to_vec()),
                    ));
                }
            }
            pos += header.total_size();
        }
        offset = fetch.next_offset;
    }
    out
}

/// key → latest value (tombstones as `None`) as a reader of the whole log sees it.
pub fn latest_by_key(rows: &[Row]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    rows.iter()
        .map(|(_, k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Runs one cleaning round directly (no dirty-ratio check), from `checkpoint`.
pub fn clean_now(log: &mut Log, checkpoint: Option<i64>, now_ms: i64) -> CleanStats {
    let to_clean = log_to_clean(log, checkpoint, now_ms);
    clean_log(log, &to_clean, &CleanerConfig::default(), now_ms).unwrap()
}
