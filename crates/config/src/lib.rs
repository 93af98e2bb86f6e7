//! fjord-config: everything fjord reads from configuration files and data directories.
//!
//! # Layout
//! - [`properties`]: a `java.util.Properties.load`-faithful `.properties` reader.
//! - [`value`]: Kafka's `ConfigDef` types, parsing and validators (error texts are Kafka's).
//! - [`broker_keys`]: the table of broker keys with Kafka's types, defaults and dynamic flags.
//! - [`listener`]: `listeners` end points, security protocols, quorum voters.
//! - [`server`]: [`ServerConfig`], the resolved broker/controller configuration.
//! - [`kraft_checks`]: Kafka's start-up cross-checks in KRaft mode.
//!
//! Everything here is synchronous and does no network I/O; file access is limited to reading
//! configuration files and, in the storage modules, `meta.properties`.

pub mod broker_keys;
pub mod error;
pub mod kraft_checks;
pub mod listener;
pub mod properties;
pub mod server;
pub mod value;

pub use error::ConfigError;
pub use listener::{Listener, QuorumVoter, SecurityProtocol};
pub use properties::Properties;
pub use server::{MetadataMode, ProcessRole, ServerConfig, TimestampType};
pub use value::{ConfigType, ConfigValue};
