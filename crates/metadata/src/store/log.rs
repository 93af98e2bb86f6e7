//! The metadata log seam and its local file implementation.
//!
//! [`MetadataLog`] is what the store needs from a log: append one batch durably, and read every
//! batch back on open. Today [`FileMetadataLog`] implements it over a single Kafka-format
//! segment file; the adapter over fjord-storage's `Log` (and later the Raft log) implements the
//! same trait, so the store does not change.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use fjord_record::header::{self, BatchHeader};

use super::StoreError;

/// Kafka's metadata topic partition directory name (`__cluster_metadata-0`).
pub const METADATA_PARTITION_DIR: &str = "__cluster_metadata-0";
/// The first segment's file name (base offset 0, 20 digits, Kafka `LogFileUtils`).
pub const FIRST_SEGMENT_FILE: &str = "00000000000000000000.log";
/// Largest metadata batch accepted on read, bounding a corrupt length's allocation. Kafka's
/// KRaft batches are at most 8 MiB (`MAX_BATCH_SIZE_BYTES` in `KafkaRaftClient`).
pub const METADATA_BATCH_BYTES_MAX: usize = 8 * 1024 * 1024;

/// A log of metadata record batches.
///
/// Errors: an `Err` from `append` leaves the log's tail unknown (the batch may be partly
/// written); the caller must stop writing (the store fails all later writes) and recover by
/// reopening, which truncates a torn tail.
pub trait MetadataLog: Send {
    /// Appends one batch (built at base offset 0), assigning offsets from the log end, and
    /// makes it durable (fsync) before returning. Returns the batch's base offset.
    fn append_durable(&mut self, batch: Vec<u8>) -> Result<i64, StoreError>;

    /// The next offset to be assigned.
    fn log_end_offset(&self) -> i64;

    /// Hands over the batches found when the log was opened, in offset order, validated
    /// (CRC, lengths, contiguous offsets). Later calls return nothing.
    fn take_loaded_batches(&mut self) -> Result<Vec<Vec<u8>>, StoreError>;
}

/// A metadata log in `<metadata.log.dir>/__cluster_metadata-0/00000000000000000000.log`,
/// Kafka's segment format (so `kafka-dump-log.sh --cluster-metadata-decoder` can read it).
/// One segment, no index files: the metadata log is small and read start to end on open.
#[derive(Debug)]
pub struct FileMetadataLog {
    path: PathBuf,
    file: File,
    log_end_offset: i64,
    loaded: Vec<Vec<u8>>,
}

impl FileMetadataLog {
    /// Opens (creating if needed) the metadata partition under `metadata_log_dir`, validating
    /// every batch. The log is truncated at the first incomplete or corrupt batch (a torn
    /// write from an unclean stop), as Kafka's segment recovery does.
    pub fn open(metadata_log_dir: &Path) -> Result<Self, StoreError> {
        let dir = metadata_log_dir.join(METADATA_PARTITION_DIR);
        fs::create_dir_all(&dir).map_err(|source| StoreError::io(&dir, source))?;
        let path = dir.join(FIRST_SEGMENT_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|source| StoreError::io(&path, source))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| StoreError::io(&path, source))?;
        let (batches, valid_bytes, log_end_offset) = scan(&bytes);
        if valid_bytes < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                dropped_bytes = bytes.len() - valid_bytes,
                "truncating torn or corrupt tail of the metadata log"
            );
            file.set_len(valid_bytes as u64)
                .map_err(|source| StoreError::io(&path, source))?;
            file.sync_all()
                .map_err(|source| StoreError::io(&path, source))?;
        }
        Ok(Self {
            path,
            file,
            log_end_offset,
            loaded: batches,
        })
    }

    /// The segment file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Splits `bytes` into valid batches; returns them, the byte length they cover, and the next
/// offset.
fn scan(bytes: &[u8]) -> (Vec<Vec<u8>>, usize, i64) {
    let mut position = 0;
    let mut next_offset = 0;
    let mut batches = Vec::new();
    while position < bytes.len() {
        let rest = &bytes[position..];
        let Ok(header) = BatchHeader::validate(rest, METADATA_BATCH_BYTES_MAX) else {
            break;
        };
        if header.base_offset() != next_offset {
            // Offsets must be contiguous in a log we wrote; anything else is corruption.
            break;
        }
        next_offset = header.next_offset();
        batches.push(rest[..header.total_size()].to_vec());
        position += header.total_size();
    }
    (batches, position, next_offset)
}

impl MetadataLog for FileMetadataLog {
    fn append_durable(&mut self, mut batch: Vec<u8>) -> Result<i64, StoreError> {
        let base_offset = self.log_end_offset;
        header::set_base_offset(&mut batch, base_offset);
        // Pair assertion: the batch we write is one the reader will accept.
        let next_offset = match BatchHeader::validate(&batch, METADATA_BATCH_BYTES_MAX) {
            Ok(header) => header.next_offset(),
            Err(error) => panic!("built an invalid metadata batch: {error}"),
        };
        self.file
            .write_all(&batch)
            .map_err(|source| StoreError::io(&self.path, source))?;
        // Metadata must be durable before the request is acknowledged.
        self.file
            .sync_data()
            .map_err(|source| StoreError::io(&self.path, source))?;
        self.log_end_offset = next_offset;
        Ok(base_offset)
    }

    fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    fn take_loaded_batches(&mut self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(std::mem::take(&mut self.loaded))
    }
}
