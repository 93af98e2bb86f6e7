//! One log segment: a `.log` file of record batches plus its `.index` and `.timeindex`
//! (Kafka `LogSegment`).
//!
//! The segment appends whole batches at its end, indexes one batch every
//! `index.interval.bytes` of log, and answers "where is offset N" by an index lookup followed
//! by a walk over batch headers (no record decoding).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fjord_record::BatchHeader;
use fjord_record::header::{HEADER_BYTES, LOG_OVERHEAD_BYTES};

use crate::config::LogConfig;
use crate::disk::{Disk, DiskFile};
use crate::error::{Result, StorageError};
use crate::index::{OffsetIndex, TimeIndex};

/// Suffix of segment data files.
pub const LOG_FILE_SUFFIX: &str = "log";
/// Suffix of offset index files.
pub const INDEX_FILE_SUFFIX: &str = "index";
/// Suffix of time index files.
pub const TIME_INDEX_FILE_SUFFIX: &str = "timeindex";
/// Suffix Kafka appends to files scheduled for deletion.
pub const DELETED_FILE_SUFFIX: &str = ".deleted";

/// `<dir>/<20-digit base offset>.<suffix>` (Kafka `LogFileUtils.filenamePrefixFromOffset`).
pub fn segment_file_path(dir: &Path, base_offset: i64, suffix: &str) -> PathBuf {
    dir.join(format!("{base_offset:020}.{suffix}"))
}

/// The header fields of one batch in a segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMeta {
    pub(crate) position: u64,
    pub(crate) size: u64,
    pub(crate) base_offset: i64,
    pub(crate) last_offset: i64,
    pub(crate) max_timestamp: i64,
    pub(crate) leader_epoch: i32,
}

impl BatchMeta {
    pub(crate) fn from_header(position: u64, header: &BatchHeader<'_>) -> Self {
        Self {
            position,
            size: header.total_size() as u64,
            base_offset: header.base_offset(),
            last_offset: header.last_offset(),
            max_timestamp: header.max_timestamp(),
            leader_epoch: header.partition_leader_epoch(),
        }
    }
}

/// What recovery found in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RecoveryOutcome {
    pub(crate) valid_batches: u64,
    pub(crate) truncated_bytes: u64,
}

/// A segment of a partition log.
#[derive(Debug)]
pub(crate) struct LogSegment {
    pub(crate) base_offset: i64,
    log_path: PathBuf,
    log: Arc<dyn DiskFile>,
    size: u64,
    pub(crate) offset_index: OffsetIndex,
    pub(crate) time_index: TimeIndex,
    bytes_since_last_index_entry: u64,
    max_timestamp_so_far: i64,
    offset_of_max_timestamp_so_far: i64,
    rolling_based_timestamp: Option<i64>,
    created_ms: i64,
    next_offset: i64,
    index_interval_bytes: u64,
    /// Headers of the batches appended since the last offset-index entry (that entry's batch
    /// first), ascending by position, at most [`RECENT_BATCHES_MAX`]. A fetch at the log's
    /// tail looks its offset up in the index and then walks exactly these batches; answering
    /// them from memory saves one `pread` per batch (a consumer keeping up with 200-byte
    /// batches walked ~14 headers per Fetch). Only `append`, `recover`, `load_clean` and
    /// `truncate_to` change the file's batches, and each of them keeps this in step.
    recent: Vec<BatchMeta>,
}

/// Most batch headers a segment keeps in memory (48 bytes each): every batch since the last
/// index entry at the default `index.interval.bytes` (4096), as a batch takes at least ~70
/// bytes (61-byte header and one record). Beyond it headers are read from the file.
const RECENT_BATCHES_MAX: usize = 128;

impl LogSegment {
    /// Opens the files of the segment at `base_offset`, creating missing ones. The segment's
    /// size is the `.log` file length; call [`Self::recover`] or [`Self::load_clean`] next.
    pub(crate) fn open(
        disk: &Arc<dyn Disk>,
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<Self> {
        let log_path = segment_file_path(dir, base_offset, LOG_FILE_SUFFIX);
        let log = disk
            .open(&log_path, true)
            .map_err(|e| StorageError::io(&log_path, e))?;
        let size = log.len().map_err(|e| StorageError::io(&log_path, e))?;
        let index_bytes = config.segment_index_bytes;
        let offset_index = OffsetIndex::open(
            disk,
            &segment_file_path(dir, base_offset, INDEX_FILE_SUFFIX),
            base_offset,
            index_bytes,
        )?;
        let time_index = TimeIndex::open(
            disk,
            &segment_file_path(dir, base_offset, TIME_INDEX_FILE_SUFFIX),
            base_offset,
            index_bytes,
        )?;
        Ok(Self {
            base_offset,
            log_path,
            log,
            size,
            offset_index,
            time_index,
            bytes_since_last_index_entry: 0,
            max_timestamp_so_far: -1,
            offset_of_max_timestamp_so_far: base_offset,
            rolling_based_timestamp: None,
            created_ms: now_ms,
            next_offset: base_offset,
            index_interval_bytes: config.index_interval_bytes,
            recent: Vec::new(),
        })
    }

    /// Creates a fresh segment (preallocating the `.log` file when configured).
    pub(crate) fn create(
        disk: &Arc<dyn Disk>,
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<Self> {
        let segment = Self::open(disk, dir, base_offset, config, now_ms)?;
        if config.preallocate && segment.size == 0 {
            segment
                .log
                .set_len(config.segment_bytes_effective())
                .map_err(|e| segment.io(e))?;
        }
        Ok(segment)
    }

    fn io(&self, source: std::io::Error) -> StorageError {
        StorageError::io(&self.log_path, source)
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }
    pub(crate) fn file(&self) -> &Arc<dyn DiskFile> {
        &self.log
    }
    /// Valid bytes in the `.log` file.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
    /// The offset after the last batch (the base offset when empty).
    pub(crate) fn next_offset(&self) -> i64 {
        self.next_offset
    }
    pub(crate) fn max_timestamp_so_far(&self) -> i64 {
        self.max_timestamp_so_far
    }
    pub(crate) fn offset_of_max_timestamp_so_far(&self) -> i64 {
        self.offset_of_max_timestamp_so_far
    }

    /// Newest timestamp for retention: the max batch timestamp, else the file's mtime (Kafka
    /// `LogSegment.largestTimestamp`).
    pub(crate) fn largest_timestamp(&self) -> i64 {
        if self.max_timestamp_so_far >= 0 {
            return self.max_timestamp_so_far;
        }
        self.log
            .std_file()
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(-1, |d| d.as_millis() as i64)
    }

    /// Reads the header of the batch at `position` (from memory for the batches since the
    /// last index entry); `None` at or past the end.
    pub(crate) fn read_header(&self, position: u64) -> Result<Option<BatchMeta>> {
        if position + HEADER_BYTES as u64 > self.size {
            return Ok(None);
        }
        if let Ok(at) = self.recent.binary_search_by_key(&position, |b| b.position) {
            return Ok(Some(self.recent[at]));
        }
        let mut buf = [0u8; HEADER_BYTES];
        self.log
            .read_exact_at(&mut buf, position)
            .map_err(|e| self.io(e))?;
        let header = BatchHeader::new(&buf)?;
        if header.batch_length() < (HEADER_BYTES - LOG_OVERHEAD_BYTES) as i32 {
            return Err(StorageError::Corrupt {
                path: self.log_path.clone(),
                reason: format!(
                    "batch at position {position} has batchLength {}",
                    header.batch_length()
                ),
            });
        }
        let meta = BatchMeta::from_header(position, &header);
        if position + meta.size > self.size {
            return Ok(None);
        }
        Ok(Some(meta))
    }

    /// The first batch whose last offset is `>= offset`, found via the index then a header
    /// walk (Kafka `LogSegment.translateOffset`).
    pub(crate) fn translate_offset(&self, offset: i64) -> Result<Option<BatchMeta>> {
        let mut position = self.offset_index.lookup(offset).position;
        while let Some(meta) = self.read_header(position)? {
            if meta.last_offset >= offset {
                return Ok(Some(meta));
            }
            position += meta.size;
        }
        Ok(None)
    }

    /// Appends `bytes` (whole, already validated batches described by `batches`, positions
    /// relative to `bytes`), with each batch's first [`HEADER_BYTES`] taken from `heads` when
    /// given (one per batch: the leader's patched copies). On a failed write the file is cut
    /// back, so nothing partial stays.
    pub(crate) fn append(
        &mut self,
        bytes: &[u8],
        heads: Option<&[[u8; HEADER_BYTES]]>,
        batches: &[BatchMeta],
    ) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let start = self.size;
        if start == 0 {
            self.rolling_based_timestamp = batches.first().map(|b| b.max_timestamp);
        }
        if let Some(last) = batches.last()
            && last.last_offset - self.base_offset > i64::from(i32::MAX)
        {
            return Err(StorageError::InvalidArgument(format!(
                "offset {} overflows segment {}",
                last.last_offset, self.base_offset
            )));
        }
        let written = match heads {
            None => self.log.write_all_at(bytes, start),
            Some(heads) if heads.len() == batches.len() => {
                batches.iter().zip(heads).try_for_each(|(batch, head)| {
                    let at = start + batch.position;
                    let body = batch.position as usize + HEADER_BYTES
                        ..(batch.position + batch.size) as usize;
                    self.log.write_all_at_pair(head, &bytes[body], at)
                })
            }
            Some(heads) => {
                return Err(StorageError::InvalidArgument(format!(
                    "{} batch headers for {} batches",
                    heads.len(),
                    batches.len()
                )));
            }
        };
        if let Err(source) = written {
            // Roll back whatever prefix reached the file; ignore a second failure, the size we
            // keep in memory still excludes the partial bytes and recovery would cut them.
            let _ = self.log.set_len(start);
            return Err(self.io(source));
        }
        self.size = start + bytes.len() as u64;
        for batch in batches {
            self.index_batch(start + batch.position, batch)?;
        }
        if let Some(last) = batches.last() {
            self.next_offset = last.last_offset + 1;
        }
        Ok(())
    }

    /// Updates max timestamp and the sparse indexes for the batch at `position` (Kafka
    /// `LogSegment.append`: an entry when more than `index.interval.bytes` were appended since
    /// the last one; the offset index maps the batch's last offset to its position).
    fn index_batch(&mut self, position: u64, batch: &BatchMeta) -> Result<()> {
        if batch.max_timestamp > self.max_timestamp_so_far {
            self.max_timestamp_so_far = batch.max_timestamp;
            self.offset_of_max_timestamp_so_far = batch.last_offset;
        }
        if self.bytes_since_last_index_entry > self.index_interval_bytes {
            self.offset_index.append(batch.last_offset, position)?;
            self.time_index.maybe_append(
                self.max_timestamp_so_far,
                self.offset_of_max_timestamp_so_far,
                false,
            )?;
            self.bytes_since_last_index_entry = 0;
            self.recent.clear();
        }
        self.bytes_since_last_index_entry += batch.size;
        self.remember(BatchMeta { position, ..*batch });
        Ok(())
    }

    /// Keeps the header of the batch at `meta.position` for [`Self::read_header`]; callers add
    /// batches in file order.
    fn remember(&mut self, meta: BatchMeta) {
        if self.recent.len() < RECENT_BATCHES_MAX
            && self
                .recent
                .last()
                .is_none_or(|last| last.position < meta.position)
        {
            self.recent.push(meta);
        }
    }

    /// Re-validates every batch (CRC, magic, lengths, offsets not going backwards), rebuilds
    /// both indexes, and cuts the file at the first invalid or incomplete batch (Kafka
    /// `LogSegment.recover`).
    pub(crate) fn recover(&mut self, max_index_bytes: u64) -> Result<RecoveryOutcome> {
        let file_len = self.log.len().map_err(|e| self.io(e))?;
        self.size = file_len;
        self.offset_index.file.truncate_to_entries(0);
        self.time_index.file.truncate_to_entries(0);
        self.offset_index.file.resize(max_index_bytes)?;
        self.time_index.file.resize(max_index_bytes)?;
        self.bytes_since_last_index_entry = 0;
        self.recent.clear();
        self.max_timestamp_so_far = -1;
        self.offset_of_max_timestamp_so_far = self.base_offset;
        self.rolling_based_timestamp = None;
        self.next_offset = self.base_offset;
        let mut outcome = RecoveryOutcome::default();
        let mut position = 0u64;
        let mut buf = Vec::new();
        let mut header_buf = [0u8; HEADER_BYTES];
        let reason = loop {
            if position == file_len {
                break None;
            }
            if position + HEADER_BYTES as u64 > file_len {
                break Some(format!(
                    "{} trailing bytes are shorter than a batch header",
                    file_len - position
                ));
            }
            self.log
                .read_exact_at(&mut header_buf, position)
                .map_err(|e| self.io(e))?;
            let header = BatchHeader::new(&header_buf)?;
            let total = header.total_size() as u64;
            if header.batch_length() < (HEADER_BYTES - LOG_OVERHEAD_BYTES) as i32
                || position + total > file_len
            {
                break Some(format!(
                    "batch at position {position} claims {total} bytes, file has {}",
                    file_len - position
                ));
            }
            buf.resize(total as usize, 0);
            self.log
                .read_exact_at(&mut buf, position)
                .map_err(|e| self.io(e))?;
            let header = match BatchHeader::validate(&buf, usize::MAX) {
                Ok(header) => header,
                Err(err) => break Some(err.to_string()),
            };
            let meta = BatchMeta::from_header(position, &header);
            if meta.base_offset < self.next_offset
                || meta.last_offset - self.base_offset > i64::from(i32::MAX)
            {
                break Some(format!(
                    "batch at position {position} has offsets {}..={} but the segment expects >= {}",
                    meta.base_offset, meta.last_offset, self.next_offset
                ));
            }
            if position == 0 {
                self.rolling_based_timestamp = Some(meta.max_timestamp);
            }
            self.index_batch(position, &meta)?;
            self.next_offset = meta.last_offset + 1;
            position += total;
            outcome.valid_batches += 1;
        };
        if let Some(reason) = reason {
            outcome.truncated_bytes = file_len - position;
            tracing::warn!(
                segment = %self.log_path.display(),
                position,
                dropped_bytes = outcome.truncated_bytes,
                %reason,
                "truncating invalid or incomplete tail of log segment"
            );
            self.log.set_len(position).map_err(|e| self.io(e))?;
        }
        self.size = position;
        self.time_index.maybe_append(
            self.max_timestamp_so_far,
            self.offset_of_max_timestamp_so_far,
            true,
        )?;
        Ok(outcome)
    }

    /// Loads state after a clean shutdown without validating batches: sanity-checks the last
    /// index entries, then walks only the headers after the last offset index entry to find
    /// the next offset and newest timestamp. Returns an error when an index is not sane.
    pub(crate) fn load_clean(&mut self) -> std::result::Result<(), String> {
        self.offset_index.sanity_check(self.size)?;
        self.time_index.sanity_check()?;
        let last_time = self.time_index.last_entry();
        self.max_timestamp_so_far = last_time.timestamp;
        self.offset_of_max_timestamp_so_far = last_time.offset;
        let start = self.offset_index.last_entry().map_or(0, |e| e.position);
        let mut position = start;
        let mut next_offset = self
            .offset_index
            .last_entry()
            .map_or(self.base_offset, |e| e.offset);
        self.recent.clear();
        loop {
            match self.read_header(position) {
                Ok(Some(meta)) => {
                    self.remember(meta);
                    if meta.max_timestamp > self.max_timestamp_so_far {
                        self.max_timestamp_so_far = meta.max_timestamp;
                        self.offset_of_max_timestamp_so_far = meta.last_offset;
                    }
                    next_offset = meta.last_offset + 1;
                    position += meta.size;
                }
                Ok(None) => break,
                Err(err) => return Err(err.to_string()),
            }
        }
        if position != self.size {
            return Err(format!(
                "batches end at {position} but the file has {} bytes",
                self.size
            ));
        }
        self.next_offset = next_offset.max(self.base_offset);
        self.bytes_since_last_index_entry = self.size - start;
        if self.size > 0 {
            self.rolling_based_timestamp =
                self.read_header(0).ok().flatten().map(|m| m.max_timestamp);
        }
        Ok(())
    }

    /// Whether an append of `append_bytes` with the given maximum timestamp and offset must go
    /// to a new segment (Kafka `LogSegment.shouldRoll`, without roll jitter).
    pub(crate) fn should_roll(
        &self,
        config: &LogConfig,
        append_bytes: u64,
        max_timestamp: i64,
        max_offset: i64,
        now_ms: i64,
    ) -> bool {
        if self.size == 0 {
            return false;
        }
        let waited_ms = match self.rolling_based_timestamp {
            Some(first) if first >= 0 => max_timestamp - first,
            _ => now_ms - self.created_ms,
        };
        self.size + append_bytes > config.segment_bytes_effective()
            || waited_ms > config.segment_ms
            || self.offset_index.is_full()
            || self.time_index.is_full()
            || max_offset - self.base_offset > i64::from(i32::MAX)
    }

    /// Removes batches from the one holding `offset` on; returns the bytes removed (Kafka
    /// `LogSegment.truncateTo`).
    pub(crate) fn truncate_to(&mut self, offset: i64, max_index_bytes: u64) -> Result<u64> {
        let Some(meta) = self.translate_offset(offset)? else {
            return Ok(0);
        };
        let removed = self.size - meta.position;
        self.recent.clear();
        self.offset_index.truncate_to(offset);
        self.time_index.truncate_to(offset);
        self.offset_index.file.resize(max_index_bytes)?;
        self.time_index.file.resize(max_index_bytes)?;
        self.log.set_len(meta.position).map_err(|e| self.io(e))?;
        self.size = meta.position;
        self.next_offset = if meta.position == 0 {
            self.base_offset
        } else {
            meta.base_offset
        };
        self.bytes_since_last_index_entry = 0;
        if self.size == 0 {
            self.rolling_based_timestamp = None;
        }
        // Recompute the newest timestamp from what is left.
        let last_time = self.time_index.last_entry();
        self.max_timestamp_so_far = last_time.timestamp;
        self.offset_of_max_timestamp_so_far = last_time.offset;
        let mut position = self.offset_index.last_entry().map_or(0, |e| e.position);
        while let Some(batch) = self.read_header(position)? {
            self.remember(batch);
            if batch.max_timestamp > self.max_timestamp_so_far {
                self.max_timestamp_so_far = batch.max_timestamp;
                self.offset_of_max_timestamp_so_far = batch.last_offset;
            }
            position += batch.size;
        }
        Ok(removed)
    }

    /// Makes the segment durable.
    pub(crate) fn flush(&self) -> Result<()> {
        self.log.sync_data().map_err(|e| self.io(e))?;
        self.flush_indexes()
    }

    /// Syncs the two index maps (small next to the `.log`).
    pub(crate) fn flush_indexes(&self) -> Result<()> {
        self.offset_index.file.flush()?;
        self.time_index.file.flush()
    }

    /// The two index files' paths, for a sync on another thread.
    pub(crate) fn index_paths(&self) -> [PathBuf; 2] {
        [
            self.offset_index.file.path().to_path_buf(),
            self.time_index.file.path().to_path_buf(),
        ]
    }

    /// The `.log` file and its path, for a sync on another thread.
    pub(crate) fn log_file(&self) -> (Arc<dyn DiskFile>, PathBuf) {
        (self.log.clone(), self.log_path.clone())
    }

    /// Seals the segment: final time index entry, indexes trimmed to their entries, `.log`
    /// trimmed to its valid bytes (Kafka `onBecomeInactiveSegment` / `close`).
    pub(crate) fn seal(&mut self) -> Result<()> {
        self.recent = Vec::new(); // fetches rarely walk a sealed segment's tail
        if self.max_timestamp_so_far >= 0 {
            self.time_index.maybe_append(
                self.max_timestamp_so_far,
                self.offset_of_max_timestamp_so_far,
                true,
            )?;
        }
        self.offset_index.file.trim_to_valid_size()?;
        self.time_index.file.trim_to_valid_size()?;
        let len = self.log.len().map_err(|e| self.io(e))?;
        if len != self.size {
            self.log.set_len(self.size).map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Makes a sealed segment writable again (after truncation made it the active one).
    pub(crate) fn unseal(&mut self, max_index_bytes: u64) -> Result<()> {
        self.offset_index.file.resize(max_index_bytes)?;
        self.time_index.file.resize(max_index_bytes)
    }

    /// The paths of the segment's files.
    pub(crate) fn paths(&self) -> [PathBuf; 3] {
        [
            self.log_path.clone(),
            self.offset_index.file.path().to_path_buf(),
            self.time_index.file.path().to_path_buf(),
        ]
    }
}
