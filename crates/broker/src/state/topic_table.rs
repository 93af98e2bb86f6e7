//! The topic table: names, ids, partitions and per-topic config overrides.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::partition_log::PartitionLog;
use crate::config::{BrokerConfig, TimestampType};

/// Topic config keys Kafka accepts (`LogConfig.configNames()` in Kafka 4.1), with the broker
/// default each falls back to when not overridden.
pub const TOPIC_CONFIG_KEYS: &[&str] = &[
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
];

/// A topic's config overrides (only keys set explicitly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicConfig {
    /// Explicit overrides, by Kafka key.
    pub overrides: BTreeMap<String, String>,
}

impl TopicConfig {
    /// Validates one key/value pair, returning a message naming the problem.
    pub fn validate_entry(key: &str, value: &str) -> Result<(), String> {
        if !TOPIC_CONFIG_KEYS.contains(&key) {
            return Err(format!("Unknown topic config name: {key}"));
        }
        let numeric = |v: &str| {
            v.parse::<i64>().map(|_| ()).map_err(|_| {
                format!("Invalid value {v} for configuration {key}: Not a number of type LONG")
            })
        };
        match key {
            "message.timestamp.type" => TimestampType::from_name(value)
                .map(|_| ())
                .ok_or_else(|| format!("Invalid value {value} for configuration {key}: String must be one of: CreateTime, LogAppendTime")),
            "cleanup.policy" => value
                .split(',')
                .all(|p| matches!(p.trim(), "delete" | "compact"))
                .then_some(())
                .ok_or_else(|| format!("Invalid value {value} for configuration {key}: String must be one of: compact, delete")),
            "compression.type" => matches!(value, "uncompressed" | "zstd" | "lz4" | "snappy" | "gzip" | "producer")
                .then_some(())
                .ok_or_else(|| format!("Invalid value {value} for configuration {key}")),
            "max.message.bytes" | "retention.ms" | "retention.bytes" | "segment.bytes" | "segment.ms" | "flush.messages"
            | "flush.ms" | "min.insync.replicas" | "delete.retention.ms" => numeric(value),
            _ => Ok(()),
        }
    }

    /// `message.timestamp.type`, falling back to the broker's `log.message.timestamp.type`.
    pub fn timestamp_type(&self, broker: &BrokerConfig) -> TimestampType {
        self.overrides
            .get("message.timestamp.type")
            .and_then(|v| TimestampType::from_name(v))
            .unwrap_or(broker.log_message_timestamp_type)
    }

    /// `max.message.bytes`, falling back to the broker's `message.max.bytes`.
    pub fn max_message_bytes(&self, broker: &BrokerConfig) -> usize {
        self.overrides
            .get("max.message.bytes")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(broker.message_max_bytes)
    }
}

/// A topic and its partitions.
#[derive(Debug)]
pub struct TopicState {
    /// Topic name.
    pub name: String,
    /// Topic id (KIP-516).
    pub id: Uuid,
    /// One log per partition, index = partition id.
    pub partitions: Vec<Arc<PartitionLog>>,
    /// Config overrides.
    pub config: TopicConfig,
}

/// Why a topic could not be created. Mapped to wire codes in `api::create_topics`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateTopicError {
    /// Kafka `Topic.validate`: empty, too long, `.`/`..`, or illegal characters.
    #[error("{0}")]
    InvalidName(String),
    /// A topic with this name exists.
    #[error("Topic '{0}' already exists.")]
    AlreadyExists(String),
    /// Fewer than one partition.
    #[error("Number of partitions must be larger than 0.")]
    InvalidPartitions,
    /// Replication factor below one or above the broker count (one).
    #[error(
        "Unable to replicate the partition {0} time(s): The target replication factor of {0} cannot be reached because only 1 broker(s) are registered."
    )]
    InvalidReplicationFactor(i32),
    /// A config entry is unknown or invalid.
    #[error("{0}")]
    InvalidConfig(String),
}

/// Longest legal topic name (Kafka `Topic.MAX_NAME_LENGTH`).
pub const TOPIC_NAME_BYTES_MAX: usize = 249;

/// Validates a topic name like Kafka's `org.apache.kafka.common.internals.Topic.validate`.
pub fn validate_topic_name(name: &str) -> Result<(), CreateTopicError> {
    if name.is_empty() {
        return Err(CreateTopicError::InvalidName(
            "Topic name is illegal, it can't be empty".into(),
        ));
    }
    if name == "." || name == ".." {
        return Err(CreateTopicError::InvalidName(
            "Topic name cannot be \".\" or \"..\"".into(),
        ));
    }
    if name.len() > TOPIC_NAME_BYTES_MAX {
        return Err(CreateTopicError::InvalidName(format!(
            "Topic name is illegal, it can't be longer than {TOPIC_NAME_BYTES_MAX} characters, topic name: {name}"
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(CreateTopicError::InvalidName(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        )));
    }
    Ok(())
}

/// All topics, by name, with an id index.
#[derive(Debug, Default)]
pub struct TopicTable {
    topics: RwLock<HashMap<String, Arc<TopicState>>>,
}

impl TopicTable {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<TopicState>>> {
        self.topics
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<TopicState>>> {
        self.topics
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The topic named `name`.
    pub fn get(&self, name: &str) -> Option<Arc<TopicState>> {
        self.read().get(name).cloned()
    }

    /// The topic with id `id`.
    pub fn get_by_id(&self, id: Uuid) -> Option<Arc<TopicState>> {
        self.read().values().find(|t| t.id == id).cloned()
    }

    /// All topics, sorted by name.
    pub fn all(&self) -> Vec<Arc<TopicState>> {
        let mut topics: Vec<_> = self.read().values().cloned().collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        topics
    }

    /// Validates a creation without applying it.
    pub fn validate_create(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i32,
        config: &TopicConfig,
    ) -> Result<(), CreateTopicError> {
        validate_topic_name(name)?;
        if self.read().contains_key(name) {
            return Err(CreateTopicError::AlreadyExists(name.to_owned()));
        }
        if partitions < 1 {
            return Err(CreateTopicError::InvalidPartitions);
        }
        if replication_factor != 1 {
            return Err(CreateTopicError::InvalidReplicationFactor(
                replication_factor,
            ));
        }
        for (key, value) in &config.overrides {
            TopicConfig::validate_entry(key, value).map_err(CreateTopicError::InvalidConfig)?;
        }
        Ok(())
    }

    /// Creates a topic after [`Self::validate_create`]'s checks.
    pub fn create(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i32,
        config: TopicConfig,
    ) -> Result<Arc<TopicState>, CreateTopicError> {
        self.validate_create(name, partitions, replication_factor, &config)?;
        let mut topics = self.write();
        if topics.contains_key(name) {
            return Err(CreateTopicError::AlreadyExists(name.to_owned()));
        }
        let topic = Arc::new(TopicState {
            name: name.to_owned(),
            id: Uuid::new_v4(),
            partitions: (0..partitions).map(|_| PartitionLog::new()).collect(),
            config,
        });
        topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }

    /// Removes a topic; returns it if it existed.
    pub fn delete(&self, name: &str) -> Option<Arc<TopicState>> {
        self.write().remove(name)
    }

    /// Replaces a topic entry (partition count or config change).
    pub fn replace(&self, topic: TopicState) {
        self.write().insert(topic.name.clone(), Arc::new(topic));
    }
}
