//! Cluster metadata for fjord: Kafka's metadata records, the image they replay into, a sans-IO
//! controller that turns admin requests into records, and the `__cluster_metadata` log driver.
//!
//! # Layout
//! - [`records`]: `TopicRecord`, `PartitionRecord`, `ConfigRecord`, … with Kafka's exact
//!   `AbstractApiMessageSerde` framing (frame version 1, apiKey, version, flexible body).
//! - [`image`]: [`MetadataImage`] and its parts; [`MetadataImage::replay`] is the only way
//!   state changes, for live commits and for loading alike (so a Raft log can replace the
//!   local log later).
//! - [`controller`]: [`Controller`], sans-IO: `(&MetadataImage, request)` → records plus a
//!   per-item result whose errors carry Kafka error codes (Kafka's `ReplicationControlManager`
//!   and `ConfigurationControlManager`).
//! - [`server_config`]: the bridge to fjord-config: [`server_config::ServerConfigValidator`]
//!   (Kafka `LogConfig` rules) and options built from a `ServerConfig`.
//! - [`store`]: [`MetadataStore`], the driver: appends the controller's records as one batch
//!   to `__cluster_metadata-0`, fsyncs, replays, and publishes a new `Arc<MetadataImage>`.
//!
//! # Threading
//! The image is immutable once published; readers clone an `Arc` and never block writers.
//! Writes are serialized by the store (one writer lock): validation against the current image,
//! append, fsync, replay and publish happen under it, so two requests can never both pass
//! validation against the same image.

pub mod controller;
pub mod image;
pub mod records;
pub mod server_config;
pub mod store;

pub use controller::{Controller, ControllerError, ControllerOptions, KnownTopicConfigs};
pub use image::{BrokerImage, ConfigResource, MetadataImage, PartitionImage, TopicImage};
pub use records::{MetadataRecord, RecordDecodeError};
pub use store::{MetadataStore, StoreError};
