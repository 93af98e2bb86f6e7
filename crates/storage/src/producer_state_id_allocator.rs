//! Producer id allocation for InitProducerId (KIP-98) without a controller-side
//! `ProducerIdsRecord`.
//!
//! Kafka's brokers ask the controller for blocks of [`PRODUCER_ID_BLOCK_SIZE`] ids
//! (`AllocateProducerIds`, KIP-730); the controller persists the next free id as a
//! `ProducerIdsRecord` (metadata apiKey 15: broker id, broker epoch, next producer id) so ids
//! never repeat across restarts. fjord's metadata crate does not model that record yet, so the
//! same high-water mark is kept in a small file, `producer-id-block`, in the metadata log
//! directory, rewritten atomically (temp file, fsync, rename, directory fsync) *before* any id
//! of a new block is handed out. A crash therefore skips at most the rest of one block and
//! never reuses an id.
//!
//! Without a controller handing out disjoint blocks, each broker allocates from its own range
//! of [`PRODUCER_IDS_PER_BROKER`] ids starting at `broker id × PRODUCER_IDS_PER_BROKER`, so
//! brokers of one cluster never hand out the same id. Once the metadata log carries
//! `ProducerIdsRecord`, the controller should take this over.
//!
//! File format (text, like Kafka's checkpoint files):
//!
//! ```text
//! 0
//! <broker id> <broker epoch> <next producer id>
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checkpoint::write_atomically;
use crate::disk::Disk;
use crate::error::{Result, StorageError};

/// The file name, in the metadata log directory.
pub const PRODUCER_ID_BLOCK_FILE: &str = "producer-id-block";
/// Ids reserved per persisted block (Kafka `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`): one
/// fsync per thousand InitProducerId calls.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;
/// Size of each broker's id range (2^31: two billion producers per broker; broker ids are
/// non-negative i32, so every range fits in a non-negative i64).
pub const PRODUCER_IDS_PER_BROKER: i64 = 1 << 31;
const FORMAT_VERSION: &str = "0";

/// Hands out producer ids that never repeat, persisting block high-water marks.
#[derive(Debug)]
pub struct ProducerIdAllocator {
    disk: Arc<dyn Disk>,
    path: PathBuf,
    broker_id: i32,
    broker_epoch: i64,
    next: i64,
    block_end: i64,
}

impl ProducerIdAllocator {
    /// Opens the allocator over `<dir>/producer-id-block` (created on the first allocation).
    /// Ids start at the persisted next producer id, or at the start of the broker's range.
    pub fn open(
        disk: Arc<dyn Disk>,
        dir: &Path,
        broker_id: i32,
        broker_epoch: i64,
    ) -> Result<Self> {
        if broker_id < 0 {
            return Err(StorageError::InvalidArgument(format!(
                "broker id {broker_id} is negative"
            )));
        }
        disk.create_dir_all(dir)
            .map_err(|e| StorageError::io(dir, e))?;
        let path = dir.join(PRODUCER_ID_BLOCK_FILE);
        let range_start = i64::from(broker_id) * PRODUCER_IDS_PER_BROKER;
        let persisted = if disk.exists(&path) {
            let bytes = disk.read(&path).map_err(|e| StorageError::io(&path, e))?;
            parse(&path, &bytes)?
        } else {
            0
        };
        let next = persisted.max(range_start);
        Ok(Self {
            disk,
            path,
            broker_id,
            broker_epoch,
            next,
            block_end: next,
        })
    }

    fn range_end(&self) -> i64 {
        (i64::from(self.broker_id) + 1) * PRODUCER_IDS_PER_BROKER
    }

    /// A new producer id. Persists a new block first when the current one is used up.
    pub fn allocate(&mut self) -> Result<i64> {
        if self.next >= self.block_end {
            if self.next >= self.range_end() {
                return Err(StorageError::InvalidArgument(format!(
                    "broker {} has handed out all {PRODUCER_IDS_PER_BROKER} producer ids of its range",
                    self.broker_id
                )));
            }
            let block_end = (self.next + PRODUCER_ID_BLOCK_SIZE).min(self.range_end());
            let text = format!(
                "{FORMAT_VERSION}\n{} {} {block_end}\n",
                self.broker_id, self.broker_epoch
            );
            write_atomically(self.disk.as_ref(), &self.path, text.as_bytes())?;
            self.block_end = block_end;
        }
        let id = self.next;
        self.next += 1;
        Ok(id)
    }

    /// The persisted high-water mark: no id at or above it has been handed out.
    pub fn block_end(&self) -> i64 {
        self.block_end
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<i64> {
    let corrupt = |reason: &str| StorageError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| corrupt("not UTF-8"))?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(FORMAT_VERSION) {
        return Err(corrupt("unsupported version"));
    }
    let fields: Vec<&str> = lines
        .next()
        .ok_or_else(|| corrupt("missing entry line"))?
        .split_whitespace()
        .collect();
    match fields.as_slice() {
        [_, _, next] => next
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| corrupt("next producer id is not a non-negative integer")),
        _ => Err(corrupt(
            "expected '<broker id> <broker epoch> <next producer id>'",
        )),
    }
}
