//! The producer state snapshot file, `<20-digit offset>.snapshot` in the partition directory
//! (Kafka `ProducerStateManager.writeSnapshot`/`readSnapshot`, `LogFileUtils.producerSnapshotFile`).
//!
//! The offset in the name is the log offset the snapshot was taken at: it describes every
//! batch below that offset. Format (big-endian, Kafka's `PID_SNAPSHOT_MAP_SCHEMA`, version 1):
//!
//! ```text
//! offset size field
//!      0    2 version                   INT16 = 1
//!      2    4 crc                       UNSIGNED_INT32, CRC-32C of bytes [6, end)
//!      6    4 producer_entries count    INT32 (Kafka ArrayOf)
//!   then per producer (46 bytes):
//!           8 producer_id               INT64
//!           2 epoch                     INT16
//!           4 last_sequence             INT32
//!           8 last_offset               INT64 (-1: no batch remembered)
//!           4 offset_delta              INT32
//!           8 timestamp                 INT64
//!           4 coordinator_epoch         INT32
//!           8 current_txn_first_offset  INT64 (-1: no open transaction)
//! ```
//!
//! Only each producer's last batch is stored, as in Kafka: after loading a snapshot the
//! duplicate window holds one batch until replayed or new appends refill it.

use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};
use crate::producer_state_entry::{BatchMetadata, ProducerStateEntry};

/// File name suffix of producer state snapshots (Kafka `LogFileUtils.PRODUCER_SNAPSHOT_FILE_SUFFIX`).
pub const PRODUCER_SNAPSHOT_FILE_SUFFIX: &str = "snapshot";
/// The snapshot format version written and accepted (Kafka `PRODUCER_SNAPSHOT_VERSION`).
pub const PRODUCER_SNAPSHOT_VERSION: i16 = 1;
/// Where the CRC-covered bytes start (Kafka `PRODUCER_ENTRIES_OFFSET`).
const PRODUCER_ENTRIES_OFFSET: usize = 6;
/// Bytes per producer entry.
const ENTRY_BYTES: usize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

/// `<dir>/<20-digit offset>.snapshot`.
pub fn producer_snapshot_path(dir: &Path, offset: i64) -> PathBuf {
    dir.join(format!("{offset:020}.{PRODUCER_SNAPSHOT_FILE_SUFFIX}"))
}

/// The offset named by a snapshot file, or `None` for any other file.
pub fn parse_snapshot_offset(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(PRODUCER_SNAPSHOT_FILE_SUFFIX)?
        .strip_suffix('.')?;
    (stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stem.parse().ok())
        .flatten()
}

/// Encodes `entries` (written in the given order) as a version-1 snapshot.
pub fn encode_snapshot<'a>(
    entries: impl ExactSizeIterator<Item = &'a ProducerStateEntry>,
) -> Vec<u8> {
    let count = entries.len();
    let mut out = Vec::with_capacity(PRODUCER_ENTRIES_OFFSET + 4 + count * ENTRY_BYTES);
    out.extend(PRODUCER_SNAPSHOT_VERSION.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(i32::try_from(count).unwrap_or(i32::MAX).to_be_bytes());
    for entry in entries {
        out.extend(entry.producer_id.to_be_bytes());
        out.extend(entry.producer_epoch.to_be_bytes());
        out.extend(entry.last_seq().to_be_bytes());
        out.extend(entry.last_data_offset().to_be_bytes());
        out.extend(entry.last_offset_delta().to_be_bytes());
        out.extend(entry.last_timestamp.to_be_bytes());
        out.extend(entry.coordinator_epoch.to_be_bytes());
        out.extend(entry.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
    }
    let crc = fjord_record::header::crc32c(&out[PRODUCER_ENTRIES_OFFSET..]);
    out[2..PRODUCER_ENTRIES_OFFSET].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A big-endian cursor that reports short input as a corrupt snapshot.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    path: &'a Path,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let end = self.position + N;
        let Some(slice) = self.bytes.get(self.position..end) else {
            return Err(corrupt(
                self.path,
                format!(
                    "truncated at byte {} of {}",
                    self.position,
                    self.bytes.len()
                ),
            ));
        };
        self.position = end;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }
    fn i16(&mut self) -> Result<i16> {
        self.take().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Result<i32> {
        self.take().map(i32::from_be_bytes)
    }
    fn u32(&mut self) -> Result<u32> {
        self.take().map(u32::from_be_bytes)
    }
    fn i64(&mut self) -> Result<i64> {
        self.take().map(i64::from_be_bytes)
    }
}

fn corrupt(path: &Path, reason: String) -> StorageError {
    StorageError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
}

/// Decodes a snapshot (Kafka `ProducerStateManager.readSnapshot`): the version must be 1, the
/// CRC must match and the entry array must fill the file exactly. `path` only names the file in
/// errors.
pub fn decode_snapshot(path: &Path, bytes: &[u8]) -> Result<Vec<ProducerStateEntry>> {
    let mut reader = Reader {
        bytes,
        position: 0,
        path,
    };
    let version = reader.i16()?;
    if version != PRODUCER_SNAPSHOT_VERSION {
        return Err(corrupt(path, format!("unknown snapshot version {version}")));
    }
    let stored = reader.u32()?;
    let computed = fjord_record::header::crc32c(&bytes[PRODUCER_ENTRIES_OFFSET..]);
    if stored != computed {
        return Err(corrupt(
            path,
            format!("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}"),
        ));
    }
    let count = reader.i32()?;
    let expected = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(ENTRY_BYTES))
        .and_then(|b| b.checked_add(PRODUCER_ENTRIES_OFFSET + 4));
    if expected != Some(bytes.len()) {
        return Err(corrupt(
            path,
            format!("{count} entries do not fill {} bytes", bytes.len()),
        ));
    }
    let mut entries = Vec::with_capacity(bytes.len() / ENTRY_BYTES);
    for _ in 0..count {
        let producer_id = reader.i64()?;
        let epoch = reader.i16()?;
        let last_seq = reader.i32()?;
        let last_offset = reader.i64()?;
        let offset_delta = reader.i32()?;
        let timestamp = reader.i64()?;
        let coordinator_epoch = reader.i32()?;
        let txn_first_offset = reader.i64()?;
        let last_batch = (last_offset >= 0).then_some(BatchMetadata {
            last_seq,
            last_offset,
            offset_delta,
            timestamp,
        });
        entries.push(ProducerStateEntry::from_snapshot(
            producer_id,
            epoch,
            coordinator_epoch,
            timestamp,
            (txn_first_offset >= 0).then_some(txn_first_offset),
            last_batch,
        ));
    }
    Ok(entries)
}
