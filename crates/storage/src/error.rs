//! Typed storage errors.
//!
//! What an error means for the caller's state:
//! - [`StorageError::Record`], [`StorageError::MessageTooLarge`], [`StorageError::NotContiguous`],
//!   [`StorageError::CompactedRecordWithoutKey`],
//!   [`StorageError::OffsetOutOfRange`], [`StorageError::InvalidArgument`]: the request was
//!   rejected before anything was written; the log is unchanged.
//! - [`StorageError::NoSpace`]: the write was rolled back (the segment is truncated to its size
//!   before the append); the log is unchanged and usable once space returns.
//! - [`StorageError::Io`]: an environmental failure; unless it is EMFILE/ENFILE (out of file
//!   descriptors, see [`StorageError::is_dir_failure`]) the log directory holding the file is
//!   marked offline and every later operation on its logs fails with
//!   [`StorageError::LogDirOffline`] (Kafka's `LogDirFailureChannel`).
//! - [`StorageError::Corrupt`]: on-disk bytes are not what Kafka's format requires.
//! - [`StorageError::InvalidProducerEpoch`], [`StorageError::OutOfOrderSequence`],
//!   [`StorageError::InvalidProducerSequence`], [`StorageError::InvalidTxnState`]: an idempotent/transactional producer's batch broke the
//!   producer-state rules (KIP-98); nothing was written. A retried batch that is already in the
//!   log is not an error: the append reports the original offsets with
//!   [`crate::AppendInfo::duplicate`] set.

use std::path::PathBuf;

use fjord_record::RecordError;

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file system operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file's contents violate the on-disk format.
    #[error("corrupt file {path}: {reason}")]
    Corrupt {
        /// The file involved.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A record batch failed validation.
    #[error("invalid record batch: {0}")]
    Record(#[from] RecordError),
    /// The requested offset lies outside `[log_start_offset, log_end_offset]`.
    #[error("offset {offset} is out of range [{log_start_offset}, {log_end_offset}]")]
    OffsetOutOfRange {
        /// The requested offset.
        offset: i64,
        /// The log start offset at the time of the request.
        log_start_offset: i64,
        /// The log end offset at the time of the request.
        log_end_offset: i64,
    },
    /// A batch is larger than `max.message.bytes` (Kafka `RecordTooLargeException`).
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    MessageTooLarge {
        /// The batch size in bytes.
        size: usize,
        /// The configured limit in bytes.
        max: u64,
    },
    /// A follower append does not continue the log (Kafka `UnexpectedAppendOffsetException`),
    /// or batches inside one append are not in increasing offset order.
    #[error("non-contiguous append: expected offset {expected}, got batch at {actual}")]
    NotContiguous {
        /// The offset the log expected next.
        expected: i64,
        /// The base offset of the offending batch.
        actual: i64,
    },
    /// The log directory is offline after an earlier I/O error (Kafka `KafkaStorageException`).
    #[error("log directory {dir} is offline")]
    LogDirOffline {
        /// The offline log directory.
        dir: PathBuf,
    },
    /// The disk is full (ENOSPC). The failed append left nothing behind.
    #[error("no space left on device writing {path}")]
    NoSpace {
        /// The file being written.
        path: PathBuf,
    },
    /// A caller passed an argument the operation cannot accept.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A producer's batch carries an epoch older than the one the partition has seen (Kafka
    /// `InvalidProducerEpochException`, wire error INVALID_PRODUCER_EPOCH).
    #[error(
        "producer {producer_id} has epoch {epoch}, older than the current epoch {current_epoch}"
    )]
    InvalidProducerEpoch {
        /// The producer id.
        producer_id: i64,
        /// The epoch in the batch.
        epoch: i16,
        /// The latest epoch the partition has for the producer.
        current_epoch: i16,
    },
    /// A producer's batch does not continue its sequence (Kafka `OutOfOrderSequenceException`,
    /// wire error OUT_OF_ORDER_SEQUENCE_NUMBER).
    #[error(
        "out of order sequence number for producer {producer_id} epoch {epoch}: got {sequence}, expected {expected}"
    )]
    OutOfOrderSequence {
        /// The producer id.
        producer_id: i64,
        /// The epoch in the batch.
        epoch: i16,
        /// The batch's first sequence.
        sequence: i32,
        /// The sequence the partition expected.
        expected: i32,
    },
    /// A client batch carries a producer id but a negative base sequence (Kafka
    /// `LogValidator.validateBatch` → `InvalidRecordException`, wire error INVALID_RECORD).
    #[error("invalid sequence number {sequence} in record batch with producerId {producer_id}")]
    InvalidProducerSequence {
        /// The producer id.
        producer_id: i64,
        /// The batch's base sequence.
        sequence: i32,
    },
    /// A non-transactional batch from a producer with an open transaction (Kafka
    /// `InvalidTxnStateException`, wire error INVALID_TXN_STATE).
    #[error(
        "producer {producer_id} sent a non-transactional batch at offset {offset} while its transaction is open"
    )]
    InvalidTxnState {
        /// The producer id.
        producer_id: i64,
        /// The offset the batch would have had.
        offset: i64,
    },
    /// A record without a key was produced to a log whose `cleanup.policy` includes `compact`
    /// (Kafka `LogValidator.validateKey`: "Compacted topic cannot accept message without key";
    /// wire error INVALID_RECORD). Nothing was written.
    #[error(
        "compacted topic cannot accept message without key (record {record_index} of the batch at offset {base_offset})"
    )]
    CompactedRecordWithoutKey {
        /// The base offset the batch would have had.
        base_offset: i64,
        /// Index of the first key-less record inside the batch.
        record_index: usize,
    },
    /// Another process holds the `.lock` file of a log directory.
    #[error("log directory {dir} is locked by another process")]
    DirLocked {
        /// The locked directory.
        dir: PathBuf,
    },
}

impl StorageError {
    /// Wraps an I/O error with the path it concerns, mapping ENOSPC to [`StorageError::NoSpace`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::StorageFull {
            StorageError::NoSpace { path }
        } else {
            StorageError::Io { path, source }
        }
    }

    /// Whether this error should take the log directory offline.
    ///
    /// Running out of file descriptors (EMFILE: the process limit; ENFILE: the system limit)
    /// says nothing about the disk: it fails the operation that needed a descriptor (Kafka
    /// answers CreateTopics with an error for that partition) and leaves the directory online.
    /// Kafka's `LogDirFailureChannel` is likewise fed only from `IOException`s of disk
    /// operations, not from the broker's socket/fd exhaustion.
    pub fn is_dir_failure(&self) -> bool {
        match self {
            StorageError::Io { source, .. } => !is_descriptor_exhaustion(source),
            _ => false,
        }
    }

    /// Whether this is an open that failed for lack of file descriptors (EMFILE/ENFILE).
    pub fn is_too_many_open_files(&self) -> bool {
        matches!(self, StorageError::Io { source, .. } if is_descriptor_exhaustion(source))
    }
}

/// Linux `EMFILE` (per-process descriptor limit, `RLIMIT_NOFILE`) and `ENFILE` (system-wide
/// limit), from `asm-generic/errno-base.h`; storage depends on no libc crate for two numbers.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

fn is_descriptor_exhaustion(source: &std::io::Error) -> bool {
    matches!(source.raw_os_error(), Some(EMFILE | ENFILE))
}

/// Result alias for storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
