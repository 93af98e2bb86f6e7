//! Shared vocabulary for fjord: newtypes that keep Kafka's nouns apart ([`Offset`],
//! [`LeaderEpoch`], [`TopicPartition`], [`TopicId`]) and named limits with units.
//!
//! # Layout
//! - [`ids`]: offsets, epochs, topic-partitions (with Kafka's `<topic>-<partition>` directory
//!   naming) and topic ids (with Kafka's base64url text form).
//! - [`config_source`]: Kafka's `ConfigSource` (KIP-226) wire ids and names.
//! - [`limits`]: named limits and defaults, each with its unit and the reason for its value.

pub mod config_source;
pub mod ids;
pub mod limits;

pub use config_source::ConfigSource;
pub use ids::{LeaderEpoch, Offset, TopicId, TopicPartition, TopicPartitionParseError};
