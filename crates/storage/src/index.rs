//! Sparse, memory-mapped `.index` and `.timeindex` files in Kafka's layout.
//!
//! - Offset index (Kafka `OffsetIndex`): 8-byte entries, relative offset (u32 BE) then
//!   physical position (u32 BE) of the batch in the `.log` file.
//! - Time index (Kafka `TimeIndex`): 12-byte entries, timestamp (i64 BE) then relative offset
//!   (u32 BE).
//!
//! As in Kafka's `AbstractIndex`, a writable index is preallocated to `segment.index.bytes`
//! rounded down to a multiple of the entry size, the entry count of an existing file is its
//! length divided by the entry size, and the file is trimmed to its entries on roll and close.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::MmapMut;

use crate::disk::{Disk, DiskFile};
use crate::error::{Result, StorageError};
use crate::mmap::map_shared;

/// Bytes per offset index entry.
pub const OFFSET_INDEX_ENTRY_BYTES: usize = 8;
/// Bytes per time index entry.
pub const TIME_INDEX_ENTRY_BYTES: usize = 12;

/// `synced_len` before any sync through this handle.
const LEN_UNSYNCED: u64 = u64::MAX;

/// A memory-mapped file of fixed-size entries.
///
/// No file descriptor is kept: as in Kafka's `AbstractIndex`, the file is opened, mapped and
/// closed again (a shared mapping outlives the descriptor it was made from, `mmap(2)`), and
/// reopened by path only to change its length or to `fdatasync` it. A partition with N
/// segments therefore holds N descriptors (the `.log` files), not 3N.
#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    disk: Arc<dyn Disk>,
    map: Option<MmapMut>,
    /// The file length as last set or observed (no descriptor to ask).
    len: u64,
    /// The length last made durable by `flush` (or found on open); [`LEN_UNSYNCED`] when
    /// none. Atomic so `flush` can take `&self` (it runs over shared segment iterators).
    synced_len: AtomicU64,
    entry_bytes: usize,
    entries: usize,
    base_offset: i64,
}

impl IndexFile {
    /// Opens (creating when missing) an index; a new file is preallocated to
    /// `max_index_bytes`, an existing one keeps its length.
    pub(crate) fn open(
        disk: &Arc<dyn Disk>,
        path: &Path,
        base_offset: i64,
        entry_bytes: usize,
        max_index_bytes: u64,
    ) -> Result<Self> {
        let file = disk
            .open(path, true)
            .map_err(|e| StorageError::io(path, e))?;
        let len = file.len().map_err(|e| StorageError::io(path, e))?;
        let mut index = Self {
            path: path.to_path_buf(),
            disk: disk.clone(),
            map: None,
            len,
            synced_len: AtomicU64::new(if len > 0 { len } else { LEN_UNSYNCED }),
            entry_bytes,
            entries: 0,
            base_offset,
        };
        if len == 0 {
            index.resize_open(file.as_ref(), max_index_bytes)?;
        } else {
            index.remap(file.as_ref())?;
            index.entries = (len as usize) / entry_bytes;
        }
        // `file` drops here: its descriptor is closed, the mapping stays valid.
        Ok(index)
    }

    fn remap(&mut self, file: &dyn DiskFile) -> Result<()> {
        self.map = None;
        self.len = file.len().map_err(|e| StorageError::io(&self.path, e))?;
        if self.len > 0 {
            self.map =
                Some(map_shared(file.std_file()).map_err(|e| StorageError::io(&self.path, e))?);
        }
        Ok(())
    }

    /// Opens the file by path for a length change or a sync; the caller drops it right after.
    fn reopen(&self) -> Result<Arc<dyn DiskFile>> {
        self.disk
            .open(&self.path, false)
            .map_err(|e| StorageError::io(&self.path, e))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Entries the current file length can hold.
    pub(crate) fn max_entries(&self) -> usize {
        self.map.as_ref().map_or(0, |m| m.len() / self.entry_bytes)
    }

    /// The file length is not a whole number of entries (Kafka `sanityCheck`).
    pub(crate) fn has_partial_entry(&self) -> Result<bool> {
        Ok(!(self.len as usize).is_multiple_of(self.entry_bytes))
    }

    /// Changes the file length to `bytes` rounded down to whole entries (at least the current
    /// entries) and remaps.
    /// Reopens the file by path, sets the length, remaps and closes it again (Kafka
    /// `AbstractIndex.resize` opens a `RandomAccessFile` for the same purpose). A no-op when
    /// the length already matches, so unsealing an already-full active index costs no syscall.
    pub(crate) fn resize(&mut self, bytes: u64) -> Result<()> {
        let rounded = (bytes as usize / self.entry_bytes).max(self.entries) * self.entry_bytes;
        if rounded as u64 == self.len && (self.map.is_some() || self.len == 0) {
            return Ok(());
        }
        let file = self.reopen()?;
        self.resize_open(file.as_ref(), bytes)
    }

    fn resize_open(&mut self, file: &dyn DiskFile, bytes: u64) -> Result<()> {
        let rounded = (bytes as usize / self.entry_bytes).max(self.entries) * self.entry_bytes;
        // Unmap before the length changes (memmap2's contract). Stores through a shared map
        // already sit in the page cache, so no msync is needed first; durability comes from
        // `flush`.
        self.map = None;
        file.set_len(rounded as u64)
            .map_err(|e| StorageError::io(&self.path, e))?;
        self.remap(file)
    }

    /// Trims the file to its entries (Kafka `trimToValidSize`).
    pub(crate) fn trim_to_valid_size(&mut self) -> Result<()> {
        self.resize((self.entries * self.entry_bytes) as u64)
    }

    /// Writes the map and the file to disk.
    pub(crate) fn flush(&self) -> Result<()> {
        if let Some(map) = &self.map {
            map.flush().map_err(|e| StorageError::io(&self.path, e))?;
        }
        // `msync` made the entries durable (Kafka `AbstractIndex.flush` is `mmap.force()`
        // alone); only a length change since the last sync needs the file's metadata synced.
        if self.synced_len.load(Ordering::Relaxed) != self.len {
            self.reopen()?
                .sync_data()
                .map_err(|e| StorageError::io(&self.path, e))?;
            self.synced_len.store(self.len, Ordering::Relaxed);
        }
        Ok(())
    }

    pub(crate) fn slot(&self, n: usize) -> &[u8] {
        match &self.map {
            Some(map) => &map[n * self.entry_bytes..(n + 1) * self.entry_bytes],
            None => &[],
        }
    }

    /// Appends one entry; the caller checked `is_full`.
    fn push(&mut self, entry: &[u8]) -> Result<()> {
        debug_assert_eq!(entry.len(), self.entry_bytes);
        let at = self.entries * self.entry_bytes;
        match &mut self.map {
            Some(map) if at + self.entry_bytes <= map.len() => {
                map[at..at + self.entry_bytes].copy_from_slice(entry);
                self.entries += 1;
                Ok(())
            }
            _ => Err(StorageError::Corrupt {
                path: self.path.clone(),
                reason: "append to a full index".into(),
            }),
        }
    }

    pub(crate) fn truncate_to_entries(&mut self, entries: usize) {
        self.entries = entries.min(self.entries);
    }

    fn relative(&self, offset: i64) -> Result<u32> {
        let relative = offset - self.base_offset;
        u32::try_from(relative)
            .ok()
            .filter(|r| i64::from(*r) <= i64::from(i32::MAX))
            .ok_or_else(|| StorageError::Corrupt {
                path: self.path.clone(),
                reason: format!(
                    "offset {offset} does not fit relative to base {}",
                    self.base_offset
                ),
            })
    }

    /// Largest slot whose key is `<= target`, by binary search (Kafka
    /// `AbstractIndex.largestLowerBoundSlotFor`); keys must be non-decreasing.
    fn largest_lower_bound(&self, target: i64, key: impl Fn(&[u8]) -> i64) -> Option<usize> {
        if self.entries == 0 || key(self.slot(0)) > target {
            return None;
        }
        let (mut lo, mut hi) = (0usize, self.entries - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if key(self.slot(mid)) <= target {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn be_i64(bytes: &[u8], at: usize) -> i64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    i64::from_be_bytes(buf)
}

/// An offset → file position entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPosition {
    /// Absolute offset.
    pub offset: i64,
    /// Byte position of a batch in the `.log` file.
    pub position: u64,
}

/// A timestamp → offset entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampOffset {
    /// Timestamp in ms (-1 = none).
    pub timestamp: i64,
    /// Absolute offset.
    pub offset: i64,
}

/// The `.index` file.
#[derive(Debug)]
pub(crate) struct OffsetIndex {
    pub(crate) file: IndexFile,
}

impl OffsetIndex {
    pub(crate) fn open(
        disk: &Arc<dyn Disk>,
        path: &Path,
        base_offset: i64,
        max_index_bytes: u64,
    ) -> Result<Self> {
        Ok(Self {
            file: IndexFile::open(
                disk,
                path,
                base_offset,
                OFFSET_INDEX_ENTRY_BYTES,
                max_index_bytes,
            )?,
        })
    }

    pub(crate) fn entry(&self, n: usize) -> OffsetPosition {
        let slot = self.file.slot(n);
        OffsetPosition {
            offset: self.file.base_offset() + i64::from(be_u32(slot, 0)),
            position: u64::from(be_u32(slot, 4)),
        }
    }

    pub(crate) fn last_entry(&self) -> Option<OffsetPosition> {
        self.file.entries().checked_sub(1).map(|n| self.entry(n))
    }

    pub(crate) fn is_full(&self) -> bool {
        self.file.entries() >= self.file.max_entries()
    }

    /// Appends `(offset, position)` if `offset` is beyond the last entry (Kafka
    /// `OffsetIndex.append`, which rejects non-increasing offsets).
    pub(crate) fn append(&mut self, offset: i64, position: u64) -> Result<()> {
        if self.last_entry().is_some_and(|last| offset <= last.offset) || self.is_full() {
            return Ok(());
        }
        let relative = self.file.relative(offset)?;
        let position = u32::try_from(position).map_err(|_| StorageError::Corrupt {
            path: self.file.path().to_path_buf(),
            reason: format!("position {position} does not fit in 4 bytes"),
        })?;
        let mut entry = [0u8; OFFSET_INDEX_ENTRY_BYTES];
        entry[..4].copy_from_slice(&relative.to_be_bytes());
        entry[4..].copy_from_slice(&position.to_be_bytes());
        self.file.push(&entry)
    }

    /// The entry with the largest offset `<= target`, or `(base_offset, 0)` (Kafka
    /// `OffsetIndex.lookup`).
    pub(crate) fn lookup(&self, target: i64) -> OffsetPosition {
        let base = self.file.base_offset();
        match self
            .file
            .largest_lower_bound(target, |slot| base + i64::from(be_u32(slot, 0)))
        {
            Some(n) => self.entry(n),
            None => OffsetPosition {
                offset: base,
                position: 0,
            },
        }
    }

    /// Removes entries with offset `>= offset` (Kafka `OffsetIndex.truncateTo`).
    pub(crate) fn truncate_to(&mut self, offset: i64) {
        let keep = (0..self.file.entries())
            .take_while(|&n| self.entry(n).offset < offset)
            .count();
        self.file.truncate_to_entries(keep);
    }

    /// Kafka `OffsetIndex.sanityCheck` plus order and bounds of the last two entries.
    pub(crate) fn sanity_check(&self, log_size: u64) -> std::result::Result<(), String> {
        if self.file.has_partial_entry().unwrap_or(true) {
            return Err("length is not a multiple of 8".into());
        }
        let n = self.file.entries();
        if n == 0 {
            return Ok(());
        }
        let last = self.entry(n - 1);
        if last.offset < self.file.base_offset() || last.position > log_size {
            return Err(format!(
                "last entry {last:?} outside the segment (log size {log_size})"
            ));
        }
        if n >= 2 {
            let prev = self.entry(n - 2);
            if prev.offset >= last.offset || prev.position >= last.position {
                return Err(format!("entries {prev:?} and {last:?} are not increasing"));
            }
        }
        Ok(())
    }
}

/// The `.timeindex` file.
#[derive(Debug)]
pub(crate) struct TimeIndex {
    pub(crate) file: IndexFile,
}

impl TimeIndex {
    pub(crate) fn open(
        disk: &Arc<dyn Disk>,
        path: &Path,
        base_offset: i64,
        max_index_bytes: u64,
    ) -> Result<Self> {
        Ok(Self {
            file: IndexFile::open(
                disk,
                path,
                base_offset,
                TIME_INDEX_ENTRY_BYTES,
                max_index_bytes,
            )?,
        })
    }

    pub(crate) fn entry(&self, n: usize) -> TimestampOffset {
        let slot = self.file.slot(n);
        TimestampOffset {
            timestamp: be_i64(slot, 0),
            offset: self.file.base_offset() + i64::from(be_u32(slot, 8)),
        }
    }

    /// The last entry, or `(-1, base_offset)` when empty (Kafka `TimeIndex.lastEntry`).
    pub(crate) fn last_entry(&self) -> TimestampOffset {
        match self.file.entries().checked_sub(1) {
            Some(n) => self.entry(n),
            None => TimestampOffset {
                timestamp: -1,
                offset: self.file.base_offset(),
            },
        }
    }

    /// Kafka reserves the last slot for the entry written on roll.
    pub(crate) fn is_full(&self) -> bool {
        self.file.entries() + 1 >= self.file.max_entries()
    }

    /// Appends when `timestamp` is beyond the last entry's (Kafka `TimeIndex.maybeAppend`).
    pub(crate) fn maybe_append(
        &mut self,
        timestamp: i64,
        offset: i64,
        skip_full_check: bool,
    ) -> Result<()> {
        let last = self.last_entry();
        if timestamp <= last.timestamp || offset < last.offset {
            return Ok(());
        }
        if (!skip_full_check && self.is_full()) || self.file.entries() >= self.file.max_entries() {
            return Ok(());
        }
        let relative = self.file.relative(offset)?;
        let mut entry = [0u8; TIME_INDEX_ENTRY_BYTES];
        entry[..8].copy_from_slice(&timestamp.to_be_bytes());
        entry[8..].copy_from_slice(&relative.to_be_bytes());
        self.file.push(&entry)
    }

    /// The entry with the largest timestamp `<= target`, or `(-1, base_offset)` (Kafka
    /// `TimeIndex.lookup`).
    pub(crate) fn lookup(&self, target: i64) -> TimestampOffset {
        match self
            .file
            .largest_lower_bound(target, |slot| be_i64(slot, 0))
        {
            Some(n) => self.entry(n),
            None => TimestampOffset {
                timestamp: -1,
                offset: self.file.base_offset(),
            },
        }
    }

    /// Removes entries with offset `>= offset` (Kafka `TimeIndex.truncateTo`).
    pub(crate) fn truncate_to(&mut self, offset: i64) {
        let keep = (0..self.file.entries())
            .take_while(|&n| self.entry(n).offset < offset)
            .count();
        self.file.truncate_to_entries(keep);
    }

    /// Kafka `TimeIndex.sanityCheck`.
    pub(crate) fn sanity_check(&self) -> std::result::Result<(), String> {
        if self.file.has_partial_entry().unwrap_or(true) {
            return Err("length is not a multiple of 12".into());
        }
        let n = self.file.entries();
        if n == 0 {
            return Ok(());
        }
        let (first, last) = (self.entry(0), self.entry(n - 1));
        if last.timestamp < first.timestamp {
            return Err(format!(
                "last timestamp {} is below the first {}",
                last.timestamp, first.timestamp
            ));
        }
        if last.offset < self.file.base_offset() {
            return Err(format!(
                "last offset {} is below the base offset",
                last.offset
            ));
        }
        Ok(())
    }
}
