//! Swapping cleaned segments in, crash-safely (Kafka `LocalLog.replaceSegments`,
//! `LogLoader.removeTempFilesAndCollectSwapFiles`).
//!
//! One cleaning group (consecutive segments starting at base offset `B`) becomes one segment:
//! 1. the cleaned batches are written to `B.log.cleaned` and fsynced, then the directory;
//! 2. `B.log.cleaned` is renamed to `B.log.swap` and the directory fsynced — the commit point;
//! 3. the old segments' files are deleted;
//! 4. `B.log.swap` is renamed to `B.log`, its indexes are rebuilt, the directory fsynced.
//!
//! On open ([`complete_interrupted_swaps`]), `.cleaned` files are deleted (the round never
//! committed; the old segments are intact). A `B.log.swap` is complete (it was fsynced
//! before its rename), so the swap is finished: every segment with a base offset in
//! `[B, max(N, B + 1))`, `N` the swap file's next offset, belonged to the replaced group and is
//! deleted, then the swap file becomes `B.log` and its indexes are rebuilt by recovery. A
//! group segment whose records were all cleaned away (base `>= N`) may survive a crash between
//! steps 3 and 4: its records are all superseded, so reading it is still correct, and the next
//! round cleans it again (the cleaner checkpoint only moves after the swap).

use std::path::{Path, PathBuf};

use fjord_record::BatchHeader;
use fjord_record::header::HEADER_BYTES;

use crate::disk::Disk;
use crate::error::{Result, StorageError};
use crate::segment::{
    INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, segment_file_path,
};

/// Suffix of a cleaned segment being written (Kafka `LogFileUtils.CLEANED_FILE_SUFFIX`).
pub const CLEANED_FILE_SUFFIX: &str = ".cleaned";
/// Suffix of a cleaned segment ready to replace its group (Kafka `SWAP_FILE_SUFFIX`).
pub const SWAP_FILE_SUFFIX: &str = ".swap";

fn with_suffix(path: PathBuf, suffix: &str) -> PathBuf {
    let mut name = path.into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `<dir>/<base>.log.cleaned`.
pub fn cleaned_log_path(dir: &Path, base_offset: i64) -> PathBuf {
    with_suffix(
        segment_file_path(dir, base_offset, LOG_FILE_SUFFIX),
        CLEANED_FILE_SUFFIX,
    )
}

/// `<dir>/<base>.log.swap`.
pub fn swap_log_path(dir: &Path, base_offset: i64) -> PathBuf {
    with_suffix(
        segment_file_path(dir, base_offset, LOG_FILE_SUFFIX),
        SWAP_FILE_SUFFIX,
    )
}

/// The `.log`, `.index` and `.timeindex` paths of the segment at `base_offset`.
pub(crate) fn segment_paths(dir: &Path, base_offset: i64) -> [PathBuf; 3] {
    [
        segment_file_path(dir, base_offset, LOG_FILE_SUFFIX),
        segment_file_path(dir, base_offset, INDEX_FILE_SUFFIX),
        segment_file_path(dir, base_offset, TIME_INDEX_FILE_SUFFIX),
    ]
}

pub(crate) fn remove_if_exists(disk: &dyn Disk, path: &Path) -> Result<()> {
    if disk.exists(path) {
        disk.remove_file(path)
            .map_err(|e| StorageError::io(path, e))?;
    }
    Ok(())
}

fn parse_base(name: &str, suffix: &str) -> Option<i64> {
    let stem = name.strip_suffix(suffix)?;
    (stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}

/// The offset after the last whole batch of a segment file (its base when empty).
fn next_offset_of(disk: &dyn Disk, path: &Path, base_offset: i64) -> Result<i64> {
    let file = disk
        .open(path, false)
        .map_err(|e| StorageError::io(path, e))?;
    let len = file.len().map_err(|e| StorageError::io(path, e))?;
    let mut next = base_offset;
    let mut position = 0u64;
    let mut buf = [0u8; HEADER_BYTES];
    while position + HEADER_BYTES as u64 <= len {
        file.read_exact_at(&mut buf, position)
            .map_err(|e| StorageError::io(path, e))?;
        let header = BatchHeader::new(&buf)?;
        let size = header.total_size() as u64;
        if size < HEADER_BYTES as u64 || position + size > len {
            break;
        }
        next = header.next_offset();
        position += size;
    }
    Ok(next)
}

/// Deletes `.cleaned` files and finishes every interrupted swap in `dir` (see the module
/// docs). Returns the base offsets of segments that came from swap files: their indexes must
/// be rebuilt.
pub(crate) fn complete_interrupted_swaps(disk: &dyn Disk, dir: &Path) -> Result<Vec<i64>> {
    let entries = disk.read_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    let mut swaps = Vec::new();
    let mut log_bases = Vec::new();
    for path in &entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(CLEANED_FILE_SUFFIX) {
            tracing::info!(file = %path.display(), "deleting cleaned file of an interrupted cleaning round");
            remove_if_exists(disk, path)?;
        } else if let Some(base) = parse_base(name, ".log.swap") {
            swaps.push(base);
        } else if let Some(base) = parse_base(name, ".log") {
            log_bases.push(base);
        }
    }
    for base in &swaps {
        let swap = swap_log_path(dir, *base);
        let next = next_offset_of(disk, &swap, *base)?;
        let upper = next.max(base + 1);
        tracing::info!(file = %swap.display(), replaced_below = upper, "completing interrupted segment swap");
        for old in log_bases.iter().filter(|b| **b >= *base && **b < upper) {
            for path in segment_paths(dir, *old) {
                remove_if_exists(disk, &path)?;
            }
        }
        for path in segment_paths(dir, *base) {
            remove_if_exists(disk, &path)?;
        }
        let target = segment_file_path(dir, *base, LOG_FILE_SUFFIX);
        disk.rename(&swap, &target)
            .map_err(|e| StorageError::io(&swap, e))?;
    }
    if !swaps.is_empty() {
        disk.sync_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    }
    Ok(swaps)
}
