//! The leader epoch cache and its `leader-epoch-checkpoint` file (Kafka
//! `LeaderEpochFileCache`, `LeaderEpochCheckpointFile`).
//!
//! Entries are `(epoch, start_offset)` with both strictly increasing. The file is rewritten
//! atomically whenever the entries change; epochs change rarely (once per leader election),
//! so this costs one fsync per change, never one per append.

use std::path::PathBuf;
use std::sync::Arc;

use crate::checkpoint::{self, EpochEntry};
use crate::disk::Disk;
use crate::error::Result;

/// Kafka `UNDEFINED_EPOCH`.
pub const UNDEFINED_EPOCH: i32 = -1;
/// Kafka `UNDEFINED_EPOCH_OFFSET`.
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

/// The leader epoch → start offset map of one partition.
#[derive(Debug)]
pub struct LeaderEpochCache {
    disk: Arc<dyn Disk>,
    path: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    /// Loads the cache from `path` (empty when the file is missing).
    pub fn load(disk: Arc<dyn Disk>, path: PathBuf) -> Result<Self> {
        let mut entries = checkpoint::read_epochs(disk.as_ref(), &path)?;
        // Keep only a strictly increasing prefix; anything else cannot have been written by us.
        let mut kept: Vec<EpochEntry> = Vec::with_capacity(entries.len());
        for entry in entries.drain(..) {
            if kept.last().is_none_or(|last| {
                entry.epoch > last.epoch && entry.start_offset >= last.start_offset
            }) {
                kept.push(entry);
            }
        }
        Ok(Self {
            disk,
            path,
            entries: kept,
        })
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// The latest epoch, if any.
    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    /// The earliest entry, if any.
    pub fn earliest_entry(&self) -> Option<EpochEntry> {
        self.entries.first().copied()
    }

    /// The epoch in which `offset` was written (the last entry starting at or before it).
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.start_offset <= offset)
            .map(|e| e.epoch)
    }

    /// Records that `epoch` starts at `start_offset` (Kafka `LeaderEpochFileCache.assign`):
    /// ignored when `epoch` is already the latest with an earlier start; entries with a
    /// larger-or-equal epoch or start offset are removed first so the map stays monotonic.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> Result<bool> {
        if epoch < 0 {
            return Ok(false);
        }
        if let Some(last) = self.entries.last()
            && last.epoch == epoch
            && last.start_offset <= start_offset
        {
            return Ok(false);
        }
        self.entries
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        self.flush()?;
        Ok(true)
    }

    /// `(epoch, end_offset)` for an OffsetForLeaderEpoch request (Kafka
    /// `LeaderEpochFileCache.endOffsetFor`, KIP-101/KIP-279): the end offset of `requested` is
    /// the start offset of the next higher epoch, or `log_end_offset` for the latest epoch.
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> (i32, i64) {
        if requested == UNDEFINED_EPOCH {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        if self.latest_epoch() == Some(requested) {
            return (requested, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested) else {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        };
        match self.entries.iter().rev().find(|e| e.epoch <= requested) {
            None => (requested, higher.start_offset),
            Some(floor) => (floor.epoch, higher.start_offset),
        }
    }

    /// Removes entries starting at or after `end_offset` (Kafka `truncateFromEnd`).
    pub fn truncate_from_end(&mut self, end_offset: i64) -> Result<()> {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        if self.entries.len() != before {
            self.flush()?;
        }
        Ok(())
    }

    /// Drops entries wholly below `start_offset`; the last of them is kept with its start
    /// moved up to `start_offset` (Kafka `truncateFromStart`).
    pub fn truncate_from_start(&mut self, start_offset: i64) -> Result<()> {
        let below = self
            .entries
            .iter()
            .filter(|e| e.start_offset <= start_offset)
            .count();
        if below == 0 {
            return Ok(());
        }
        let Some(last_below) = self.entries.get(below - 1).copied() else {
            return Ok(());
        };
        if below == 1 && last_below.start_offset == start_offset {
            return Ok(());
        }
        self.entries.drain(..below);
        self.entries.insert(
            0,
            EpochEntry {
                epoch: last_below.epoch,
                start_offset,
            },
        );
        self.flush()
    }

    /// Removes every entry.
    pub fn clear(&mut self) -> Result<()> {
        self.entries.clear();
        self.flush()
    }

    /// Rewrites the checkpoint file.
    pub fn flush(&self) -> Result<()> {
        checkpoint::write_atomically(
            self.disk.as_ref(),
            &self.path,
            checkpoint::render_epochs(&self.entries).as_bytes(),
        )
    }
}
