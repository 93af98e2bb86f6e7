//! Kafka record batches, magic v2, as a sans-IO library.
//!
//! # Layout
//! - [`header`]: the 61-byte batch header as a zero-copy view ([`BatchHeader`]), CRC-32C
//!   validation over `attributes..end`, and in-place patching of `baseOffset` and
//!   `partitionLeaderEpoch` (both lie before the CRC'd range, so no CRC recomputation).
//! - [`error`]: typed validation errors that name the field and the offset at fault.
//!
//! Byte layout reference: Kafka's documentation, "5.3.1 Record Batch"
//! (<https://kafka.apache.org/documentation/#recordbatch>).

pub mod error;
pub mod header;

pub use error::RecordError;
pub use header::{Attributes, BatchHeader, CompressionType, TimestampType};
