//! Named limits of the coordinator.

/// Longest group id, topic name, member id or metadata string the records can hold: Kafka's
/// non-flexible `string` has an i16 length prefix. Longer group ids get INVALID_GROUP_ID
/// rather than a record Kafka could not read.
pub const STRING_BYTES_MAX: usize = i16::MAX as usize;
