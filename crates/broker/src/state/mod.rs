//! The broker's state: cluster metadata (through `fjord-metadata`'s [`MetadataStore`] and
//! controller) and the partition logs (through `fjord-storage`'s [`LogManager`]).
//!
//! - [`replica_manager`]: [`ReplicaManager`], the one owner of both, named after Kafka's
//!   `ReplicaManager`: opens them at start, keeps the logs in step with the metadata image
//!   (create, delete, reconfigure), appends, reads, and shuts them down.
//! - [`log_config`]: a topic's overrides + the server config → storage `LogConfig`.
//! - [`waiters`]: fetches parked until the next append (long poll).
//!
//! Threading: the metadata image is an immutable `Arc` snapshot; each partition log has its
//! own mutex (appends to different partitions never contend); the log manager's map is under
//! one short-held mutex, taken to look a log up and while the log set changes.
//!
//! [`MetadataStore`]: fjord_metadata::MetadataStore
//! [`LogManager`]: fjord_storage::LogManager

pub mod log_config;
pub mod replica_manager;
pub mod waiters;

pub use log_config::{LogConfigError, topic_log_config};
pub use replica_manager::{ReplicaManager, StartupStats, StateError};
pub use waiters::AppendWaiters;
