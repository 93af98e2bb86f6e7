//! Text checkpoint files in Kafka's formats, written atomically.
//!
//! Kafka `CheckpointFile`: line 1 the version (`0`), line 2 the entry count, then one entry per
//! line, each line ending in `\n`. Written to `<name>.tmp`, fsynced, renamed over the target
//! and the directory fsynced (`Utils.atomicMoveWithFallback`). Used for
//! `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
//! `replication-offset-checkpoint` (`topic partition offset`) and `leader-epoch-checkpoint`
//! (`epoch startOffset`). `partition.metadata` is Kafka `PartitionMetadataFile`:
//! `version: 0\ntopic_id: <base64url>` (no trailing newline).

use std::collections::BTreeMap;
use std::path::Path;

use fjord_common::{TopicId, TopicPartition};

use crate::disk::Disk;
use crate::error::{Result, StorageError};

/// Per-log-dir file of recovery points.
pub const RECOVERY_POINT_CHECKPOINT_FILE: &str = "recovery-point-offset-checkpoint";
/// Per-log-dir file of log start offsets.
pub const LOG_START_OFFSET_CHECKPOINT_FILE: &str = "log-start-offset-checkpoint";
/// Per-log-dir file of high watermarks.
pub const REPLICATION_OFFSET_CHECKPOINT_FILE: &str = "replication-offset-checkpoint";
/// Per-partition file of leader epoch start offsets.
pub const LEADER_EPOCH_CHECKPOINT_FILE: &str = "leader-epoch-checkpoint";
/// Per-partition file holding the topic id.
pub const PARTITION_METADATA_FILE: &str = "partition.metadata";
/// The only checkpoint version Kafka writes.
pub const CHECKPOINT_VERSION: u32 = 0;

/// Writes `contents` to `path` via `<path>.tmp`, fsync, rename, fsync of the directory.
pub fn write_atomically(disk: &dyn Disk, path: &Path, contents: &[u8]) -> Result<()> {
    write_renamed(disk, path, contents, true)
}

/// [`write_atomically`] without the syncs: the file appears whole or not at all while the
/// machine stays up; after a power loss it may be missing or unreadable, so only files that
/// are checked when read (and rebuilt when bad) are written this way, and the caller syncs
/// the file and its directory before relying on it (Kafka KAFKA-15046: the producer snapshot
/// taken at a segment roll is synced by the scheduled flush, not under the log lock).
pub fn write_renamed_unsynced(disk: &dyn Disk, path: &Path, contents: &[u8]) -> Result<()> {
    write_renamed(disk, path, contents, false)
}

fn write_renamed(disk: &dyn Disk, path: &Path, contents: &[u8], sync: bool) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let tmp_err = |e| StorageError::io(&tmp, e);
    let file = disk.open(&tmp, true).map_err(tmp_err)?;
    file.set_len(0).map_err(tmp_err)?;
    file.write_all_at(contents, 0).map_err(tmp_err)?;
    if sync {
        file.sync_data().map_err(tmp_err)?;
    }
    drop(file);
    disk.rename(&tmp, path)
        .map_err(|e| StorageError::io(path, e))?;
    if sync && let Some(dir) = path.parent() {
        disk.sync_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    }
    Ok(())
}

fn render<T>(entries: &[T], line: impl Fn(&T) -> String) -> String {
    let mut out = format!("{CHECKPOINT_VERSION}\n{}\n", entries.len());
    for entry in entries {
        out.push_str(&line(entry));
        out.push('\n');
    }
    out
}

fn parse_lines<'a>(path: &Path, text: &'a str) -> Result<Vec<&'a str>> {
    let corrupt = |reason: String| StorageError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let mut lines = text.lines();
    let version = lines.next().ok_or_else(|| corrupt("empty file".into()))?;
    if version.trim() != CHECKPOINT_VERSION.to_string() {
        return Err(corrupt(format!("unsupported version {version:?}")));
    }
    let count: usize = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| corrupt("missing or malformed entry count".into()))?;
    let entries: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    if entries.len() != count {
        return Err(corrupt(format!(
            "expected {count} entries, found {}",
            entries.len()
        )));
    }
    Ok(entries)
}

/// Renders an offset checkpoint (`topic partition offset` lines, sorted by topic-partition).
pub fn render_offsets(offsets: &BTreeMap<TopicPartition, i64>) -> String {
    let entries: Vec<_> = offsets.iter().collect();
    render(&entries, |(tp, offset)| {
        format!("{} {} {}", tp.topic, tp.partition, offset)
    })
}

/// Writes an offset checkpoint file.
pub fn write_offsets(
    disk: &dyn Disk,
    path: &Path,
    offsets: &BTreeMap<TopicPartition, i64>,
) -> Result<()> {
    write_atomically(disk, path, render_offsets(offsets).as_bytes())
}

/// Reads an offset checkpoint file; a missing file is empty.
pub fn read_offsets(disk: &dyn Disk, path: &Path) -> Result<BTreeMap<TopicPartition, i64>> {
    if !disk.exists(path) {
        return Ok(BTreeMap::new());
    }
    let bytes = disk.read(path).map_err(|e| StorageError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = BTreeMap::new();
    for line in parse_lines(path, &text)? {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let parsed = match parts.as_slice() {
            [topic, partition, offset] => partition
                .parse()
                .ok()
                .zip(offset.parse().ok())
                .map(|(p, o)| (topic, p, o)),
            _ => None,
        };
        let (topic, partition, offset) = parsed.ok_or_else(|| StorageError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("malformed line {line:?}"),
        })?;
        out.insert(TopicPartition::new(*topic, partition), offset);
    }
    Ok(out)
}

/// One leader epoch and the first offset written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    /// The leader epoch.
    pub epoch: i32,
    /// The first offset of that epoch.
    pub start_offset: i64,
}

/// Renders a `leader-epoch-checkpoint`.
pub fn render_epochs(entries: &[EpochEntry]) -> String {
    render(entries, |e| format!("{} {}", e.epoch, e.start_offset))
}

/// Reads a `leader-epoch-checkpoint`; a missing file is empty.
pub fn read_epochs(disk: &dyn Disk, path: &Path) -> Result<Vec<EpochEntry>> {
    if !disk.exists(path) {
        return Ok(Vec::new());
    }
    let bytes = disk.read(path).map_err(|e| StorageError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    for line in parse_lines(path, &text)? {
        let mut parts = line.split_whitespace();
        let entry =
            match (parts.next(), parts.next(), parts.next()) {
                (Some(epoch), Some(offset), None) => epoch
                    .parse()
                    .ok()
                    .zip(offset.parse().ok())
                    .map(|(epoch, start_offset)| EpochEntry {
                        epoch,
                        start_offset,
                    }),
                _ => None,
            };
        out.push(entry.ok_or_else(|| StorageError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("malformed line {line:?}"),
        })?);
    }
    Ok(out)
}

/// Renders `partition.metadata`.
pub fn render_partition_metadata(topic_id: TopicId) -> String {
    format!("version: 0\ntopic_id: {topic_id}")
}

/// Reads `partition.metadata`; `None` when the file is missing.
pub fn read_partition_metadata(disk: &dyn Disk, path: &Path) -> Result<Option<TopicId>> {
    if !disk.exists(path) {
        return Ok(None);
    }
    let bytes = disk.read(path).map_err(|e| StorageError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let corrupt = |reason: &str| StorageError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let mut lines = text.lines();
    let version = lines
        .next()
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim());
    if version != Some("0") {
        return Err(corrupt("unsupported or missing version"));
    }
    let id = lines
        .next()
        .and_then(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim() == "topic_id")
        .and_then(|(_, v)| TopicId::parse(v.trim()))
        .ok_or_else(|| corrupt("missing or malformed topic_id"))?;
    Ok(Some(id))
}
