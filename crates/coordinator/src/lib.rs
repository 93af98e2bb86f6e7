//! The classic group coordinator, as a sans-IO state machine replayed from
//! `__consumer_offsets` (Kafka's `group-coordinator` module, classic protocol).
//!
//! # Layout
//! - [`records`]: `OffsetCommitKey/Value`, `GroupMetadataKey/Value` in Kafka's binary format.
//! - [`partition`]: which `__consumer_offsets` partition owns a group (Java `String.hashCode`).
//! - [`shard`]: [`GroupCoordinatorShard`], one per partition: JoinGroup, SyncGroup,
//!   Heartbeat, LeaveGroup, OffsetCommit/Fetch/Delete, List/Describe/DeleteGroups, timers,
//!   and `replay`, the only way persisted state changes.
//! - `group`: the in-memory classic group and its state machine
//!   (Empty → PreparingRebalance → CompletingRebalance → Stable, Dead).
//! - [`consumer`]: KIP-848 consumer groups: state, reconciliation, server assignors; the
//!   shard's `consumer_group_heartbeat` / `consumer_group_describe` drive them.
//! - [`api`]: plain request/response types the broker maps wire messages to.
//! - [`error`]: [`GroupError`], Kafka's errors and their codes.
//! - [`writer`]: the [`PartitionWriter`] seam, batch encoding, and loading by replay.
//! - [`config`], [`limits`]: settings with Kafka's names and defaults; named limits.
//! - [`subscription`]: topics of a consumer-protocol subscription (for OffsetDelete).
//!
//! # Threading
//! A shard is a plain `&mut self` state machine: the driver owns it (one task or lock per
//! partition), passes `now_ms` in, writes the records a call returns and only then sends
//! its responses.

pub mod api;
pub mod config;
pub mod consumer;
pub mod error;
mod group;
pub mod limits;
pub mod partition;
pub mod records;
pub mod shard;
pub mod subscription;
pub mod writer;

pub use api::*;
pub use config::GroupCoordinatorConfig;
pub use consumer::api::{
    ConsumerHeartbeatRequest, ConsumerHeartbeatResponse, DescribedConsumerGroup,
    DescribedConsumerMember, TopicInfo, TopicsSnapshot,
};
pub use error::GroupError;
pub use group::GroupState;
pub use partition::{java_string_hash_code, partition_for_group};
pub use records::{
    ConsumerGroupRecord, CoordinatorRecord, GroupMetadataValue, MemberMetadata, OffsetCommitKey,
    OffsetCommitValue, RecordDecodeError,
};
pub use shard::{CoordinatorResult, GroupCoordinatorShard};
pub use writer::{
    LoadError, LoadSummary, MemoryPartitionWriter, PartitionWriter, encode_batch, replay_batches,
};
