//! Test helpers: a minimal magic-v2 batch builder (Kafka documentation §5.3.1 "Record Batch",
//! §5.3.2 "Record"), temp dirs and log openers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fjord_storage::{Disk, Log, LogConfig, LogOpenOptions, RealDisk};

fn zigzag_varint(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Builds one uncompressed batch with `count` records of `value_bytes` each, timestamps
/// `base_ts + i`, base offset 0 and epoch -1 (as a producer sends it).
pub fn batch(count: usize, value_bytes: usize, base_ts: i64) -> Vec<u8> {
    batch_with_timestamps(
        &(0..count).map(|i| base_ts + i as i64).collect::<Vec<_>>(),
        value_bytes,
    )
}

/// Builds one uncompressed batch with one record per timestamp.
pub fn batch_with_timestamps(timestamps: &[i64], value_bytes: usize) -> Vec<u8> {
    let base_ts = timestamps.first().copied().unwrap_or(0);
    let max_ts = timestamps.iter().copied().max().unwrap_or(-1);
    let mut records = Vec::new();
    for (i, ts) in timestamps.iter().enumerate() {
        let mut body = Vec::new();
        body.push(0u8); // attributes
        zigzag_varint(&mut body, ts - base_ts);
        zigzag_varint(&mut body, i as i64);
        zigzag_varint(&mut body, -1); // null key
        zigzag_varint(&mut body, value_bytes as i64);
        body.extend((0..value_bytes).map(|j| (i + j) as u8));
        zigzag_varint(&mut body, 0); // no headers
        zigzag_varint(&mut records, body.len() as i64);
        records.extend(body);
    }
    let mut out = Vec::new();
    out.extend(0i64.to_be_bytes());
    out.extend(((49 + records.len()) as i32).to_be_bytes());
    out.extend((-1i32).to_be_bytes());
    out.push(2);
    out.extend(0u32.to_be_bytes());
    out.extend(0i16.to_be_bytes());
    out.extend((timestamps.len() as i32 - 1).to_be_bytes());
    out.extend(base_ts.to_be_bytes());
    out.extend(max_ts.to_be_bytes());
    out.extend((-1i64).to_be_bytes());
    out.extend((-1i16).to_be_bytes());
    out.extend((-1i32).to_be_bytes());
    out.extend((timestamps.len() as i32).to_be_bytes());
    out.extend(records);
    fjord_record::header::rewrite_crc(&mut out);
    out
}

/// The names of the entries of `dir` that `keep` accepts, sorted.
pub fn sorted_names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| keep(n))
        .collect();
    names.sort();
    names
}

/// A temp dir plus a partition dir inside it.
pub fn partition_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t-0");
    (tmp, dir)
}

/// Small segments so tests roll: 4 KiB index interval defaults kept unless overridden.
pub fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 * 1024,
        segment_index_bytes: 4096,
        index_interval_bytes: 1024,
        ..LogConfig::default()
    }
}

pub fn open(
    dir: &Path,
    config: LogConfig,
    disk: Arc<dyn Disk>,
    clean: bool,
    recovery_point: i64,
) -> Log {
    let opts = LogOpenOptions {
        had_clean_shutdown: clean,
        recovery_point,
        ..LogOpenOptions::new(1_000)
    };
    Log::open(dir, config, disk, opts).unwrap()
}

pub fn open_real(dir: &Path, config: LogConfig) -> Log {
    open(dir, config, Arc::new(RealDisk), false, 0)
}

/// Reads the bytes of a fetch's ranges.
pub fn fetch_bytes(data: &fjord_storage::FetchData) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut out = Vec::new();
    for range in &data.ranges {
        let mut buf = vec![0u8; range.len as usize];
        range.file.read_exact_at(&mut buf, range.position).unwrap();
        out.extend(buf);
    }
    out
}

/// Base offsets of the batches in `bytes`.
pub fn batch_offsets(bytes: &[u8]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let h = fjord_record::BatchHeader::new(&bytes[pos..]).unwrap();
        out.push((h.base_offset(), h.last_offset()));
        pos += h.total_size();
    }
    out
}

/// Waits (up to 10 s) for a rolled segment's background sync, which the flush scheduler's
/// `maybe_flush(now_ms)` collects, then asserts the recovery point reached `offset`.
pub fn wait_for_recovery_point(log: &mut Log, offset: i64, now_ms: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log.recovery_point() < offset && std::time::Instant::now() < deadline {
        log.maybe_flush(now_ms).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(
        log.recovery_point(),
        offset,
        "recovery point after the rolled segments' sync"
    );
}
