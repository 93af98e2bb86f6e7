//! fjord-config: everything fjord reads from configuration files and data directories.
//!
//! # Layout
//! - [`properties`]: a `java.util.Properties.load`-faithful `.properties` reader.
//! - [`value`]: Kafka's `ConfigDef` types, parsing and validators (error texts are Kafka's).
//! - [`broker_keys`]: the table of broker keys with Kafka's types, defaults and dynamic flags.
//! - [`listener`]: `listeners` end points, security protocols, quorum voters.
//! - [`server`]: [`ServerConfig`], the resolved broker/controller configuration.
//! - [`kraft_checks`]: Kafka's start-up cross-checks in KRaft mode.
//! - [`load`]: layering file < `FJORD_*` environment < `--override`.
//! - [`describe`]: DescribeConfigs rows ([`ConfigEntry`]) with their [`ConfigSource`].
//! - [`topic`]: topic-level keys, validation and effective values ([`TopicConfigs`], [`LogConfig`]).
//! - [`kafka_uuid`]: Kafka's base64url UUID text form.
//! - [`meta_properties`]: `meta.properties` in Kafka's exact format (v0 and v1).
//! - [`storage_format`]: `kafka-storage.sh format | info` and the KRaft start-up directory check.
//! - [`zookeeper_mode`]: ZooKeeper-mode files run as a single-node combined node (`broker.id`
//!   generation, version-0 `meta.properties`, `zookeeper.connect` parsing).
//!
//! Everything here is synchronous and does no network I/O. Time and randomness are passed in
//! (`now: SystemTime`, id generators) where output depends on them.

pub mod broker_keys;
pub mod describe;
pub mod error;
pub mod kafka_uuid;
pub mod kraft_checks;
pub mod listener;
pub mod load;
pub mod meta_properties;
pub mod properties;
pub mod server;
pub mod storage_format;
pub mod synonyms;
pub mod topic;
pub mod value;
pub mod zookeeper_mode;

pub use describe::{ConfigEntry, ConfigSource};
pub use error::ConfigError;
pub use kafka_uuid::KafkaUuid;
pub use listener::{Listener, QuorumVoter, SecurityProtocol};
pub use load::{env_layer, load_server_config, override_layer};
pub use meta_properties::{MetaProperties, MetaPropertiesVersion};
pub use properties::Properties;
pub use server::{MetadataMode, ProcessRole, ServerConfig, TimestampType};
pub use storage_format::{
    FormatOptions, StorageIdentity, format_storage, storage_info, verify_formatted,
};
pub use topic::{LogConfig, TopicConfigs};
pub use value::{ConfigType, ConfigValue};
pub use zookeeper_mode::{ZkConnect, ZkModeError};
