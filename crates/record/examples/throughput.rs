//! Rough single-core throughput of the record crate's hot paths (not a CI gate).
//!
//! Run: `cargo run -p fjord-record --release --example throughput`.
//! Prints: batch validation (header + CRC-32C, what Produce does per batch) in GiB/s, the
//! batch walker over a segment-sized buffer, record iteration and batch building in
//! records/s for 100-byte values, per codec.

use std::time::Instant;

use fjord_record::{BatchBuilder, BatchHeader, Batches, CompressionType, NewRecord, records};

const RECORDS_PER_BATCH: usize = 1000;
const VALUE_BYTES: usize = 100;

fn batch(codec: CompressionType) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut builder = BatchBuilder::new(codec);
    for i in 0..RECORDS_PER_BATCH {
        let value: Vec<u8> = (0..VALUE_BYTES)
            .map(|j| ((i * 7 + j) % 61) as u8 + b'A')
            .collect();
        builder.push(
            NewRecord::new(1_700_000_000_000 + i as i64)
                .key(format!("key-{i}"))
                .value(value),
        );
    }
    Ok(builder.build()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plain = batch(CompressionType::None)?;
    let rounds = 2000;
    let start = Instant::now();
    for _ in 0..rounds {
        BatchHeader::validate(std::hint::black_box(&plain), plain.len())?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "validate (header + crc32c): {:.2} GiB/s",
        (plain.len() * rounds) as f64 / secs / (1u64 << 30) as f64
    );

    let segment: Vec<u8> = (0..500).flat_map(|_| plain.iter().copied()).collect();
    let start = Instant::now();
    let count = Batches::new(&segment, 1 << 20)
        .filter(Result::is_ok)
        .count();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "batch walker: {count} batches, {:.2} GiB/s",
        segment.len() as f64 / secs / (1u64 << 30) as f64
    );

    for codec in [
        CompressionType::None,
        CompressionType::Gzip,
        CompressionType::Snappy,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ] {
        let rounds = 50;
        let start = Instant::now();
        let mut built = Vec::new();
        for _ in 0..rounds {
            built = batch(codec)?;
        }
        let build_rate = (RECORDS_PER_BATCH * rounds) as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        let mut seen = 0usize;
        for _ in 0..rounds {
            for record in records(&built, 64 << 20)? {
                seen += record?.record.value.map_or(0, |v| v.len());
            }
        }
        let read_rate = (RECORDS_PER_BATCH * rounds) as f64 / start.elapsed().as_secs_f64();
        assert_eq!(seen, RECORDS_PER_BATCH * rounds * VALUE_BYTES);
        println!(
            "{:>6}: batch {:>7} bytes, build {:>10.0} records/s, iterate {:>10.0} records/s",
            codec.name(),
            built.len(),
            build_rate,
            read_rate
        );
    }
    Ok(())
}
