//! Goal: a small compressed batch that inflates to 64 MiB cannot make the broker allocate
//! 64 MiB: with a 1 MiB cap every codec fails with `DecompressedTooLarge`, and the peak heap
//! growth while decoding stays far below the inflated size.
//!
//! Method: a counting global allocator (this test binary only) records peak live bytes; each
//! test builds a real batch whose one record holds 64 MiB of zeros, resets the peak, decodes
//! with a 1 MiB cap, and asserts the error variant and the peak. nextest runs each test in its
//! own process, so peaks do not mix.

mod peak_alloc {
    //! Counts live heap bytes and their peak.
    #![allow(unsafe_code)]

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    /// Wraps the system allocator, counting bytes.
    pub struct Counting;

    fn add(bytes: usize) {
        let live = LIVE.fetch_add(bytes, Ordering::SeqCst) + bytes;
        PEAK.fetch_max(live, Ordering::SeqCst);
    }

    // SAFETY: every method forwards to `System` with the caller's layout/pointer unchanged, so
    // `System`'s guarantees carry over; the counters are side bookkeeping.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            add(layout.size());
            // SAFETY: same contract as GlobalAlloc::alloc, forwarded.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
            // SAFETY: `ptr` was allocated by `System` with `layout` (via alloc/realloc above).
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            add(layout.size());
            // SAFETY: same contract as GlobalAlloc::alloc_zeroed, forwarded.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            add(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
            // SAFETY: `ptr`/`layout` come from this allocator; forwarded unchanged.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Resets the peak to the current live bytes and returns that baseline.
    pub fn reset() -> usize {
        let live = LIVE.load(Ordering::SeqCst);
        PEAK.store(live, Ordering::SeqCst);
        live
    }

    /// Peak live bytes since the last reset.
    pub fn peak() -> usize {
        PEAK.load(Ordering::SeqCst)
    }
}

#[global_allocator]
static ALLOCATOR: peak_alloc::Counting = peak_alloc::Counting;

use fjord_record::compression::{CompressionError, decompress};
use fjord_record::{BatchBuilder, CompressionType, NewRecord, RecordError, records};

const INFLATED_BYTES: usize = 64 << 20;
const CAP: usize = 1 << 20;
/// Peak extra heap allowed while decoding: the capped output (up to 2× cap while a Vec grows)
/// plus codec state (zstd's window for this frame is 2 MiB at level 3; lz4 ≤ 2 × 64 KiB).
/// Well below the 64 MiB the payload inflates to.
const PEAK_BYTES_MAX: usize = 8 << 20;

fn bomb_batch(codec: CompressionType) -> Vec<u8> {
    let mut builder = BatchBuilder::new(codec);
    builder.push(NewRecord::new(0).value(vec![0u8; INFLATED_BYTES]));
    builder
        .build()
        .unwrap_or_else(|e| panic!("build {}: {e}", codec.name()))
}

fn assert_capped(codec: CompressionType) {
    let batch = bomb_batch(codec);
    assert!(
        batch.len() < INFLATED_BYTES / 10,
        "{}: payload {} bytes is not a bomb",
        codec.name(),
        batch.len()
    );
    let baseline = peak_alloc::reset();
    let result = records(&batch, CAP).map(|_| ());
    let growth = peak_alloc::peak() - baseline;
    println!(
        "{}: {} compressed bytes, peak heap growth {growth} bytes while decoding",
        codec.name(),
        batch.len()
    );
    assert!(
        matches!(
            result,
            Err(RecordError::DecompressedTooLarge { cap: CAP, .. })
        ),
        "{}: {result:?}",
        codec.name()
    );
    assert!(
        growth < PEAK_BYTES_MAX,
        "{}: decoding grew the heap by {growth} bytes",
        codec.name()
    );
}

#[test]
fn gzip_bomb_is_capped() {
    assert_capped(CompressionType::Gzip);
}

#[test]
fn snappy_xerial_bomb_is_capped() {
    assert_capped(CompressionType::Snappy);
}

#[test]
fn snappy_raw_bomb_is_rejected_from_its_announced_length() {
    // A raw snappy block announces its uncompressed length up front (snappy format_description
    // "preamble"); librdkafka writes raw blocks. We refuse before allocating.
    let zeros = vec![0u8; INFLATED_BYTES];
    let raw = snap::raw::Encoder::new()
        .compress_vec(&zeros)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(zeros);
    let baseline = peak_alloc::reset();
    let result = decompress(CompressionType::Snappy, &raw, CAP);
    let growth = peak_alloc::peak() - baseline;
    assert_eq!(
        result,
        Err(CompressionError::TooLarge {
            codec: CompressionType::Snappy,
            cap: CAP
        })
    );
    assert!(growth < 4096, "raw snappy refusal allocated {growth} bytes");
}

#[test]
fn lz4_bomb_is_capped() {
    assert_capped(CompressionType::Lz4);
}

#[test]
fn zstd_bomb_is_capped() {
    assert_capped(CompressionType::Zstd);
}

#[test]
fn uncompressed_records_section_over_the_cap_is_rejected_too() {
    let mut builder = BatchBuilder::new(CompressionType::None);
    builder.push(NewRecord::new(0).value(vec![0u8; 2 * CAP]));
    let batch = builder.build().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        records(&batch, CAP),
        Err(RecordError::DecompressedTooLarge { cap: CAP, .. })
    ));
}

#[test]
fn the_same_payload_decodes_when_the_cap_allows_it() {
    // Guards against a cap check that rejects everything: 64 MiB + record framing fits 65 MiB.
    let batch = bomb_batch(CompressionType::Zstd);
    let result = records(&batch, INFLATED_BYTES + (1 << 20))
        .and_then(|it| it.collect::<Result<Vec<_>, _>>());
    let value_len = result.map(|r| r[0].record.value.as_ref().map_or(0, |v| v.len()));
    assert_eq!(value_len, Ok(INFLATED_BYTES));
}
