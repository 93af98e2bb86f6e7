//! The sans-IO controller: validates admin requests against a [`MetadataImage`] and returns
//! the metadata records that carry them out, plus a per-item result.
//!
//! Follows Kafka's `ReplicationControlManager` (topics, partitions) and
//! `ConfigurationControlManager` (configs). Nothing here does I/O or reads a clock; topic ids
//! come from an injected [`TopicIdSource`]. Records are applied by the caller (the
//! [`crate::MetadataStore`]) through [`MetadataImage::replay`] once durable, exactly as when the
//! log is loaded. A request's records are meant to be committed atomically (one batch).
//!
//! Single-node placement: replicas are assigned round-robin over the registered, unfenced
//! brokers, so on a single node every partition gets `replicas = isr = [node_id]`,
//! `leader = node_id`, `leader_epoch = 0`, `partition_epoch = 0`.

mod configs;
mod error;
mod quotas;
mod scram;
mod topic_name;
mod topics;

pub use configs::{
    AlterConfigOp, AlterConfigsResource, ConfigValidator, IncrementalAlterConfigsResource,
    KnownTopicConfigs, ResourceResults, TOPIC_CONFIG_KEYS,
};
pub use error::{
    ControllerError, UNKNOWN_TOPIC_ID_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION_MESSAGE, codes,
};
pub use quotas::{
    IP_QUOTA_KEYS, QUOTA_ENTITY_CLIENT_ID, QUOTA_ENTITY_IP, QUOTA_ENTITY_USER, QuotaAlteration,
    QuotaResults, QuotaValueType, USER_AND_CLIENT_QUOTA_KEYS,
};
pub use scram::{
    SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, ScramDeletion, ScramMechanism, ScramResults,
    ScramUpsertion,
};
pub use topic_name::{
    TOPIC_NAME_LENGTH_MAX, has_collision_chars, unify_collision_chars, validate_topic_name,
};
pub use topics::{
    CreatableTopic, CreatePartitionsTopic, CreatedTopic, DeleteResults, DeletedTopic, TopicRef,
    TopicResults,
};

use std::fmt;

use uuid::Uuid;

use crate::image::MetadataImage;
use crate::records::MetadataRecord;

/// Most records one request may produce, and so most partitions one CreateTopics or
/// CreatePartitions may create (Kafka `QuorumController.MAX_RECORDS_PER_USER_OP` = 10000).
/// Keeps one request's batch bounded in memory and on the log.
pub const RECORDS_PER_REQUEST_MAX: usize = 10_000;

/// Kafka's reserved topic id of the metadata topic itself (`Uuid.METADATA_TOPIC_ID`, 0x…01).
pub const METADATA_TOPIC_ID: Uuid = Uuid::from_u128(1);

/// Records to commit together plus the per-item response (Kafka `ControllerResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerResult<R> {
    /// Records to append as one batch; empty for validate-only requests or when nothing
    /// changes.
    pub records: Vec<MetadataRecord>,
    /// The response.
    pub response: R,
}

/// Where new topic ids come from: the randomness seam.
pub trait TopicIdSource: Send {
    /// A fresh random id (the controller skips reserved and in-use ids itself).
    fn next_topic_id(&mut self) -> Uuid;
}

/// Random version-4 UUIDs from the OS generator (Kafka `Uuid.randomUuid`).
#[derive(Debug, Default)]
pub struct RandomTopicIds;

impl TopicIdSource for RandomTopicIds {
    fn next_topic_id(&mut self) -> Uuid {
        Uuid::new_v4()
    }
}

/// Settings the controller needs from the server config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerOptions {
    /// `num.partitions`: partitions of a topic created with `num_partitions = -1`.
    pub default_num_partitions: i32,
    /// `default.replication.factor`: used when a topic is created with
    /// `replication_factor = -1`.
    pub default_replication_factor: i16,
}

impl Default for ControllerOptions {
    /// Kafka's defaults: `num.partitions=1`, `default.replication.factor=1`.
    fn default() -> Self {
        Self {
            default_num_partitions: 1,
            default_replication_factor: 1,
        }
    }
}

/// The sans-IO controller. See the module docs.
pub struct Controller {
    options: ControllerOptions,
    validator: Box<dyn ConfigValidator>,
    topic_ids: Box<dyn TopicIdSource>,
}

impl fmt::Debug for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Controller")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller with Kafka's default topic-config key list as validator and random ids.
    pub fn new(options: ControllerOptions) -> Self {
        Self::with_seams(
            options,
            Box::new(KnownTopicConfigs),
            Box::new(RandomTopicIds),
        )
    }

    /// A controller with an explicit config validator (the broker passes fjord-config's topic
    /// config validation) and topic id source (tests pass a deterministic one).
    pub fn with_seams(
        options: ControllerOptions,
        validator: Box<dyn ConfigValidator>,
        topic_ids: Box<dyn TopicIdSource>,
    ) -> Self {
        Self {
            options,
            validator,
            topic_ids,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ControllerOptions {
        &self.options
    }

    /// A fresh topic id: never zero, never the metadata topic id, never one whose Kafka
    /// string form starts with '-' (all three as in Kafka `Uuid.randomUuid`), never one in use.
    fn new_topic_id(&mut self, image: &MetadataImage) -> Uuid {
        loop {
            let id = self.topic_ids.next_topic_id();
            let reserved = id.is_nil() || id == METADATA_TOPIC_ID;
            if !reserved
                && !kafka_uuid_string(&id).starts_with('-')
                && image.topic_by_id(&id).is_none()
            {
                return id;
            }
        }
    }
}

/// A Kafka `Uuid` as Kafka prints it: URL-safe base64 of the 16 bytes, no padding
/// (`Uuid.toString`), e.g. the TopicId column of `kafka-topics.sh --describe`.
pub fn kafka_uuid_string(id: &Uuid) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = id.as_bytes();
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let indices = [
            b0 >> 2,
            ((b0 & 0x03) << 4) | (b1 >> 4),
            ((b1 & 0x0f) << 2) | (b2 >> 6),
            b2 & 0x3f,
        ];
        let emitted = chunk.len() + 1;
        for index in &indices[..emitted] {
            out.push(ALPHABET[*index as usize] as char);
        }
    }
    out
}

/// Sequential ids for tests and simulations: 1, 2, 3, … offset into the high bits so none is
/// reserved.
#[derive(Debug, Default)]
pub struct SequentialTopicIds {
    next: u128,
}

impl TopicIdSource for SequentialTopicIds {
    fn next_topic_id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128((self.next << 64) | self.next)
    }
}
