//! Append/read throughput of `Log` against a plain sequential write of the same bytes.
//!
//! Run: `cargo run --release -p fjord-storage --example append_bench -- <dir> [total_mib]`.
//! Appends `total_mib` (default 1024) in 16 KiB batches through `Log::append_as_leader`,
//! writes the same bytes with `write_all` to a plain file, fsyncs both at the end, then reads
//! the log back through `Log::read` file ranges with `pread` into a buffer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use fjord_storage::{Log, LogConfig, LogOpenOptions, RealDisk};

const BATCH_BYTES: usize = 16 * 1024;

fn zigzag(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One uncompressed magic-v2 batch of exactly `BATCH_BYTES` bytes (16 records).
fn template_batch() -> Vec<u8> {
    let records_count = 16usize;
    let mut value_len = (BATCH_BYTES - 61) / records_count - 8;
    loop {
        let mut records = Vec::new();
        for i in 0..records_count {
            let mut body = vec![0u8];
            zigzag(&mut body, 0);
            zigzag(&mut body, i as i64);
            zigzag(&mut body, -1);
            zigzag(&mut body, value_len as i64);
            body.extend((0..value_len).map(|j| (j * 31 + i) as u8));
            zigzag(&mut body, 0);
            zigzag(&mut records, body.len() as i64);
            records.extend(body);
        }
        let total = 61 + records.len();
        if total < BATCH_BYTES - records_count {
            value_len += 1;
            continue;
        }
        let mut out = Vec::with_capacity(total);
        out.extend(0i64.to_be_bytes());
        out.extend(((total - 12) as i32).to_be_bytes());
        out.extend((-1i32).to_be_bytes());
        out.push(2);
        out.extend(0u32.to_be_bytes());
        out.extend(0i16.to_be_bytes());
        out.extend((records_count as i32 - 1).to_be_bytes());
        out.extend(1_700_000_000_000i64.to_be_bytes());
        out.extend(1_700_000_000_000i64.to_be_bytes());
        out.extend((-1i64).to_be_bytes());
        out.extend((-1i16).to_be_bytes());
        out.extend((-1i32).to_be_bytes());
        out.extend((records_count as i32).to_be_bytes());
        out.extend(records);
        fjord_record::header::rewrite_crc(&mut out);
        return out;
    }
}

fn mib_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / secs
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().expect("usage: append_bench <dir> [total_mib]"));
    let total_mib: u64 = args.next().map_or(1024, |s| s.parse().expect("total_mib"));
    let template = template_batch();
    let batches = total_mib * 1024 * 1024 / template.len() as u64;
    let total_bytes = batches * template.len() as u64;
    std::fs::create_dir_all(&root).unwrap();
    let log_dir = root.join("bench-0");
    let plain_path = root.join("plain.bin");
    let _ = std::fs::remove_dir_all(&log_dir);
    let _ = std::fs::remove_file(&plain_path);
    println!(
        "batch {} bytes, {} batches, {:.0} MiB",
        template.len(),
        batches,
        total_bytes as f64 / 1048576.0
    );

    // Plain sequential write of the same bytes.
    let mut plain = std::fs::File::create(&plain_path).unwrap();
    let mut buf = template.clone();
    let start = Instant::now();
    for _ in 0..batches {
        buf.copy_from_slice(&template);
        plain.write_all(&buf).unwrap();
    }
    plain.sync_data().unwrap();
    let plain_secs = start.elapsed().as_secs_f64();
    drop(plain);
    std::fs::remove_file(&plain_path).unwrap();

    // Log appends.
    let mut log = Log::open(
        &log_dir,
        LogConfig::default(),
        Arc::new(RealDisk),
        LogOpenOptions::new(0),
    )
    .unwrap();
    let start = Instant::now();
    for i in 0..batches {
        buf.copy_from_slice(&template);
        log.append_as_leader(&buf, 0, i as i64).unwrap();
    }
    log.flush().unwrap();
    let log_secs = start.elapsed().as_secs_f64();

    let plain_rate = mib_per_s(total_bytes, plain_secs);
    let log_rate = mib_per_s(total_bytes, log_secs);
    println!("plain write+fsync : {plain_rate:8.1} MiB/s ({plain_secs:.2} s)");
    println!("Log::append+flush : {log_rate:8.1} MiB/s ({log_secs:.2} s)");
    println!(
        "ratio             : {:8.1} %",
        100.0 * log_rate / plain_rate
    );
    println!(
        "segments {}, LEO {}",
        log.segment_count(),
        log.log_end_offset()
    );

    // Reads through file ranges, 1 MiB fetches.
    let mut offset = log.log_start_offset();
    let mut read_bytes = 0u64;
    let mut scratch = vec![0u8; 2 * 1024 * 1024];
    let start = Instant::now();
    while offset < log.log_end_offset() {
        let data = log.read(offset, 1024 * 1024, None, true).unwrap();
        for range in &data.ranges {
            let len = range.len as usize;
            range
                .file
                .read_exact_at(&mut scratch[..len], range.position)
                .unwrap();
            read_bytes += range.len;
        }
        offset = data.next_offset;
    }
    let read_secs = start.elapsed().as_secs_f64();
    println!(
        "read via ranges   : {:8.1} MiB/s ({read_secs:.2} s, {read_bytes} bytes, page cache)",
        mib_per_s(read_bytes, read_secs)
    );
    log.close().unwrap();
    drop(log);
    std::fs::remove_dir_all(&log_dir).unwrap();
}
