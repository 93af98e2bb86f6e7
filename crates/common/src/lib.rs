//! Shared vocabulary for fjord: newtypes that keep Kafka's nouns apart ([`Offset`],
//! [`LeaderEpoch`], [`TopicPartition`], [`TopicId`]) and named limits with units.
//!
//! # Layout
//! - [`ids`]: offsets, epochs, topic-partitions (with Kafka's `<topic>-<partition>` directory
//!   naming) and topic ids (with Kafka's base64url text form).
//! - [`limits`]: named limits and defaults, each with its unit and the reason for its value.

pub mod ids;
pub mod limits;

pub use ids::{LeaderEpoch, Offset, TopicId, TopicPartition, TopicPartitionParseError};
