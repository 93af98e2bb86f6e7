//! Kafka record batches, magic v2, as a sans-IO library.
//!
//! # Layout
//! - [`header`]: the 61-byte batch header as a zero-copy view ([`BatchHeader`]), CRC-32C
//!   validation over `attributes..end`, and in-place patching of `baseOffset` and
//!   `partitionLeaderEpoch` (both lie before the CRC'd range, so no CRC recomputation).
//! - [`batches`]: walking a buffer of consecutive batches (a Produce partition's `records`, a
//!   segment file) with validation and the byte position of the first bad batch.
//! - [`record`]: the [`Record`] model and [`RecordIter`], which decodes (and decompresses) the
//!   records of one batch with absolute offsets and timestamps.
//! - [`compression`]: gzip / snappy (raw + xerial) / lz4 frame / zstd with a decompressed-size
//!   cap on every codec.
//! - [`recompress`]: broker-side conversion of batches to a topic's `compression.type`.
//! - [`varint`]: zigzag varints and varlongs (Kafka `ByteUtils`).
//! - [`builder`]: [`BatchBuilder`] for batches the broker writes itself and for tests.
//! - [`control`]: control records (transaction markers, KRaft control types).
//! - [`error`]: typed validation errors that name the field and the offset at fault.
//!
//! Byte layout reference: Kafka's documentation, "5.3.1 Record Batch"
//! (<https://kafka.apache.org/documentation/#recordbatch>).

pub mod batches;
pub mod builder;
pub mod compression;
pub mod control;
pub mod error;
pub mod header;
pub mod recompress;
pub mod record;
pub mod varint;

pub use batches::{BatchPositionError, BatchSlice, Batches, validate_batches};
pub use builder::{BatchBuilder, BuildError, NewRecord};
pub use compression::{CompressionError, compress, decompress};
pub use control::{ControlRecordError, ControlRecordType, EndTransactionMarker};
pub use error::RecordError;
pub use header::{Attributes, BatchHeader, CompressionType, TimestampType};
pub use recompress::{
    CompressionTarget, RecompressError, recompress_batches, recompression_needed,
};
pub use record::{
    BatchRecord, Header, Record, RecordIter, encode_value_record, records, records_shared,
};
