//! fjord-client: a small async Kafka protocol client for fjord's tools and tests.
//!
//! # Layout
//! - [`connection`]: [`BrokerConnection`], one TCP connection: framing, correlation ids,
//!   ApiVersions negotiation with the KIP-511 fallback, typed `send`.
//! - [`admin`]: [`AdminClient`], admin operations (topics, partitions, configs, offsets,
//!   delete records, cluster) with metadata-driven routing and `default.api.timeout.ms`.
//! - [`config`]: [`ClientConfig`], Kafka's client property names.
//! - [`types`]: plain data the operations return; [`groups`]: consumer-group data and the
//!   ConsumerProtocol assignment parser.
//! - [`error`]: [`ClientError`], with the Java client's wording for what users see.
//! - [`uuid`]: Kafka's base64 text form of topic ids.
//!
//! Produce/consume paths use `rdkafka` in the tools; this crate speaks only the admin and
//! metadata APIs, where librdkafka has gaps.

pub mod admin;
pub mod config;
pub mod connection;
pub mod error;
pub mod groups;
pub mod types;
pub mod uuid;

pub use admin::AdminClient;
pub use config::ClientConfig;
pub use connection::BrokerConnection;
pub use error::ClientError;
pub use groups::{CommittedOffset, GroupDescription, GroupListing, GroupMember};
pub use types::*;
