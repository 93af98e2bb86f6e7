//! Topic-level configuration: Kafka's `LogConfig` keys, validators, and defaults taken from the
//! broker's synonym keys (`ServerTopicConfigSynonyms.TOPIC_CONFIG_SYNONYMS`), e.g. `retention.ms`
//! ← `log.retention.ms` (itself derived from minutes/hours), `segment.bytes` ←
//! `log.segment.bytes`, `max.message.bytes` ← `message.max.bytes`.

use std::collections::BTreeMap;

use crate::broker_keys::{CLEANUP_POLICIES, COMPRESSION_TYPES, TIMESTAMP_TYPES};
use crate::describe::{ConfigEntry, ConfigSource};
use crate::error::ConfigError;
use crate::properties::Properties;
use crate::server::{ServerConfig, TimestampType};
use crate::value::{ConfigType, ConfigValue, Validator, parse_typed};

/// One topic key: type, validator, and the broker key its default comes from.
#[derive(Debug, Clone, Copy)]
pub struct TopicKey {
    /// Topic key, e.g. `retention.ms`.
    pub name: &'static str,
    /// Type.
    pub ty: ConfigType,
    /// `LogConfig` validator.
    pub validator: Validator,
    /// Broker synonym supplying the default; `None` when the topic default is fixed.
    pub broker_synonym: Option<&'static str>,
    /// Fixed default when there is no broker synonym.
    pub fixed_default: &'static str,
}

const fn synonym(
    name: &'static str,
    ty: ConfigType,
    validator: Validator,
    broker: &'static str,
) -> TopicKey {
    TopicKey {
        name,
        ty,
        validator,
        broker_synonym: Some(broker),
        fixed_default: "",
    }
}

use ConfigType::{Boolean as B, Double as D, Int as I, List as L, Long as J, String as T};

/// Kafka 4.1's topic keys (`TopicConfig` / `LogConfig.CONFIG`; `message.downconversion.enable`
/// was removed in 4.0 by KIP-724).
pub static TOPIC_KEYS: &[TopicKey] = &[
    synonym(
        "cleanup.policy",
        L,
        Validator::ListOf(CLEANUP_POLICIES),
        "log.cleanup.policy",
    ),
    synonym(
        "compression.type",
        T,
        Validator::OneOfIgnoreCase(COMPRESSION_TYPES),
        "compression.type",
    ),
    synonym(
        "compression.gzip.level",
        I,
        Validator::Between(-1.0, 9.0),
        "compression.gzip.level",
    ),
    synonym(
        "compression.lz4.level",
        I,
        Validator::Between(1.0, 17.0),
        "compression.lz4.level",
    ),
    synonym(
        "compression.zstd.level",
        I,
        Validator::Between(-131_072.0, 22.0),
        "compression.zstd.level",
    ),
    synonym(
        "delete.retention.ms",
        J,
        Validator::AtLeast(0),
        "log.cleaner.delete.retention.ms",
    ),
    synonym(
        "file.delete.delay.ms",
        J,
        Validator::AtLeast(0),
        "log.segment.delete.delay.ms",
    ),
    synonym(
        "flush.messages",
        J,
        Validator::AtLeast(1),
        "log.flush.interval.messages",
    ),
    synonym(
        "flush.ms",
        J,
        Validator::AtLeast(0),
        "log.flush.interval.ms",
    ),
    TopicKey {
        name: "follower.replication.throttled.replicas",
        ty: L,
        validator: Validator::None,
        broker_synonym: None,
        fixed_default: "",
    },
    synonym(
        "index.interval.bytes",
        I,
        Validator::AtLeast(0),
        "log.index.interval.bytes",
    ),
    TopicKey {
        name: "leader.replication.throttled.replicas",
        ty: L,
        validator: Validator::None,
        broker_synonym: None,
        fixed_default: "",
    },
    synonym(
        "max.compaction.lag.ms",
        J,
        Validator::AtLeast(1),
        "log.cleaner.max.compaction.lag.ms",
    ),
    synonym(
        "max.message.bytes",
        I,
        Validator::AtLeast(0),
        "message.max.bytes",
    ),
    synonym(
        "message.timestamp.after.max.ms",
        J,
        Validator::AtLeast(0),
        "log.message.timestamp.after.max.ms",
    ),
    synonym(
        "message.timestamp.before.max.ms",
        J,
        Validator::AtLeast(0),
        "log.message.timestamp.before.max.ms",
    ),
    synonym(
        "message.timestamp.type",
        T,
        Validator::OneOf(TIMESTAMP_TYPES),
        "log.message.timestamp.type",
    ),
    synonym(
        "min.cleanable.dirty.ratio",
        D,
        Validator::Between(0.0, 1.0),
        "log.cleaner.min.cleanable.ratio",
    ),
    synonym(
        "min.compaction.lag.ms",
        J,
        Validator::AtLeast(0),
        "log.cleaner.min.compaction.lag.ms",
    ),
    synonym(
        "min.insync.replicas",
        I,
        Validator::AtLeast(1),
        "min.insync.replicas",
    ),
    synonym(
        "local.retention.bytes",
        J,
        Validator::AtLeast(-2),
        "log.local.retention.bytes",
    ),
    synonym(
        "local.retention.ms",
        J,
        Validator::AtLeast(-2),
        "log.local.retention.ms",
    ),
    synonym("preallocate", B, Validator::None, "log.preallocate"),
    // KIP-405 tiered storage switches: no broker synonym, default false (fjord has no remote
    // storage; the keys are accepted and described as Kafka's are).
    TopicKey {
        name: "remote.log.copy.disable",
        ty: B,
        validator: Validator::None,
        broker_synonym: None,
        fixed_default: "false",
    },
    TopicKey {
        name: "remote.log.delete.on.disable",
        ty: B,
        validator: Validator::None,
        broker_synonym: None,
        fixed_default: "false",
    },
    TopicKey {
        name: "remote.storage.enable",
        ty: B,
        validator: Validator::None,
        broker_synonym: None,
        fixed_default: "false",
    },
    synonym("retention.bytes", J, Validator::None, "log.retention.bytes"),
    synonym(
        "retention.ms",
        J,
        Validator::AtLeast(-1),
        "log.retention.ms",
    ),
    synonym(
        "segment.bytes",
        I,
        Validator::AtLeast(14),
        "log.segment.bytes",
    ),
    synonym(
        "segment.index.bytes",
        I,
        Validator::AtLeast(4),
        "log.index.size.max.bytes",
    ),
    synonym(
        "segment.jitter.ms",
        J,
        Validator::AtLeast(0),
        "log.roll.jitter.ms",
    ),
    synonym("segment.ms", J, Validator::AtLeast(1), "log.roll.ms"),
    synonym(
        "unclean.leader.election.enable",
        B,
        Validator::None,
        "unclean.leader.election.enable",
    ),
];

/// Looks up a topic key.
pub fn topic_key(name: &str) -> Option<&'static TopicKey> {
    TOPIC_KEYS.iter().find(|k| k.name == name)
}

/// The effective configuration of one topic's log, typed (Kafka's `LogConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `cleanup.policy` contains `delete`.
    pub cleanup_delete: bool,
    /// `cleanup.policy` contains `compact`.
    pub cleanup_compact: bool,
    /// `compression.type`, lower-cased.
    pub compression_type: String,
    /// `delete.retention.ms`.
    pub delete_retention_ms: i64,
    /// `file.delete.delay.ms`.
    pub file_delete_delay_ms: i64,
    /// `flush.messages`.
    pub flush_messages: i64,
    /// `flush.ms`.
    pub flush_ms: i64,
    /// `index.interval.bytes`.
    pub index_interval_bytes: i32,
    /// `max.compaction.lag.ms`.
    pub max_compaction_lag_ms: i64,
    /// `max.message.bytes`.
    pub max_message_bytes: i32,
    /// `message.timestamp.type`.
    pub message_timestamp_type: TimestampType,
    /// `min.cleanable.dirty.ratio`.
    pub min_cleanable_dirty_ratio: f64,
    /// `min.compaction.lag.ms`.
    pub min_compaction_lag_ms: i64,
    /// `min.insync.replicas`.
    pub min_insync_replicas: i32,
    /// `preallocate`.
    pub preallocate: bool,
    /// `retention.bytes` (-1 = unlimited).
    pub retention_bytes: i64,
    /// `retention.ms` (-1 = unlimited).
    pub retention_ms: i64,
    /// `segment.bytes`.
    pub segment_bytes: i32,
    /// `segment.index.bytes`.
    pub segment_index_bytes: i32,
    /// `segment.jitter.ms`.
    pub segment_jitter_ms: i64,
    /// `segment.ms`.
    pub segment_ms: i64,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election_enable: bool,
    /// Every key's value and source, for DescribeConfigs on a topic.
    pub entries: BTreeMap<&'static str, (ConfigValue, ConfigSource)>,
}

/// Validation and resolution of topic configs (stateless; a namespace for Kafka's `LogConfig`
/// static methods).
#[derive(Debug, Clone, Copy, Default)]
pub struct TopicConfigs;

impl TopicConfigs {
    /// Validates one topic override (`LogConfig.validate` per key).
    ///
    /// # Errors
    /// [`ConfigError::UnknownTopicConfig`] or [`ConfigError::InvalidValue`] with Kafka's text.
    pub fn validate(name: &str, value: &str) -> Result<ConfigValue, ConfigError> {
        let key = topic_key(name).ok_or_else(|| ConfigError::UnknownTopicConfig {
            name: name.to_owned(),
        })?;
        let typed = parse_typed(name, value, key.ty)?;
        key.validator.check(name, value, &typed)?;
        Ok(typed)
    }

    /// Validates a whole set of overrides, including Kafka's cross-key check
    /// (`LogConfig.validateValues`: `min.compaction.lag.ms` ≤ `max.compaction.lag.ms`).
    ///
    /// # Errors
    /// As [`Self::validate`], or [`ConfigError::InvalidValue`] for the cross-key check.
    pub fn validate_all(overrides: &Properties, server: &ServerConfig) -> Result<(), ConfigError> {
        Self::effective(overrides, server).map(|_| ())
    }

    /// The effective log configuration of a topic: each override, else the broker synonym's
    /// effective value, else the fixed default.
    ///
    /// # Errors
    /// As [`Self::validate_all`].
    pub fn effective(
        overrides: &Properties,
        server: &ServerConfig,
    ) -> Result<LogConfig, ConfigError> {
        let mut entries = BTreeMap::new();
        for (name, value) in overrides.iter() {
            let typed = Self::validate(name, value)?;
            let key = topic_key(name).ok_or_else(|| ConfigError::UnknownTopicConfig {
                name: name.to_owned(),
            })?;
            entries.insert(key.name, (typed, ConfigSource::DynamicTopicConfig));
        }
        for key in TOPIC_KEYS {
            if entries.contains_key(key.name) {
                continue;
            }
            let (text, source) = broker_default(key, server);
            let typed = parse_typed(key.name, &text, key.ty)?;
            entries.insert(key.name, (typed, source));
        }
        let config = LogConfig::from_entries(entries);
        if config.min_compaction_lag_ms > config.max_compaction_lag_ms {
            return Err(ConfigError::invalid(
                "min.compaction.lag.ms",
                &config.min_compaction_lag_ms.to_string(),
                format!(
                    "conflict topic config setting min.compaction.lag.ms ({}) > max.compaction.lag.ms ({})",
                    config.min_compaction_lag_ms, config.max_compaction_lag_ms
                ),
            ));
        }
        Ok(config)
    }
}

/// The broker-side default of a topic key and its source.
fn broker_default(key: &TopicKey, server: &ServerConfig) -> (String, ConfigSource) {
    let Some(broker) = key.broker_synonym else {
        return (key.fixed_default.to_owned(), ConfigSource::DefaultConfig);
    };
    let set = match broker {
        "log.retention.ms" => [
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours",
        ]
        .iter()
        .any(|k| server.raw().contains_key(k)),
        "log.roll.ms" => ["log.roll.ms", "log.roll.hours"]
            .iter()
            .any(|k| server.raw().contains_key(k)),
        "log.roll.jitter.ms" => ["log.roll.jitter.ms", "log.roll.jitter.hours"]
            .iter()
            .any(|k| server.raw().contains_key(k)),
        "log.flush.interval.ms" => ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"]
            .iter()
            .any(|k| server.raw().contains_key(k)),
        other => server.raw().contains_key(other),
    };
    let source = if set {
        ConfigSource::StaticBrokerConfig
    } else {
        ConfigSource::DefaultConfig
    };
    let text = match broker {
        // Derived values (KafkaConfig: ms > minutes/hours).
        "log.retention.ms" => server.log_retention_ms.to_string(),
        "log.roll.ms" => server.log_roll_ms.to_string(),
        "log.flush.interval.ms" => server.log_flush_interval_ms.to_string(),
        "log.roll.jitter.ms" => match server.get("log.roll.jitter.ms") {
            Some(ConfigValue::Long(ms)) => ms.to_string(),
            _ => match server.get("log.roll.jitter.hours") {
                Some(ConfigValue::Int(h)) => (i64::from(*h) * 3_600_000).to_string(),
                _ => "0".to_owned(),
            },
        },
        other => server
            .get(other)
            .map_or_else(String::new, ConfigValue::to_kafka_string),
    };
    (text, source)
}

impl LogConfig {
    fn from_entries(entries: BTreeMap<&'static str, (ConfigValue, ConfigSource)>) -> Self {
        let get = |name: &str| entries.get(name).map(|(v, _)| v);
        let long = |name: &str| match get(name) {
            Some(ConfigValue::Long(v)) => *v,
            _ => 0,
        };
        let int = |name: &str| match get(name) {
            Some(ConfigValue::Int(v)) => *v,
            _ => 0,
        };
        let boolean = |name: &str| matches!(get(name), Some(ConfigValue::Boolean(true)));
        let string = |name: &str| match get(name) {
            Some(ConfigValue::String(v)) => v.clone(),
            _ => String::new(),
        };
        let policy = match get("cleanup.policy") {
            Some(ConfigValue::List(items)) => items.clone(),
            _ => Vec::new(),
        };
        Self {
            cleanup_delete: policy.iter().any(|p| p == "delete"),
            cleanup_compact: policy.iter().any(|p| p == "compact"),
            compression_type: string("compression.type").to_ascii_lowercase(),
            delete_retention_ms: long("delete.retention.ms"),
            file_delete_delay_ms: long("file.delete.delay.ms"),
            flush_messages: long("flush.messages"),
            flush_ms: long("flush.ms"),
            index_interval_bytes: int("index.interval.bytes"),
            max_compaction_lag_ms: long("max.compaction.lag.ms"),
            max_message_bytes: int("max.message.bytes"),
            message_timestamp_type: if string("message.timestamp.type") == "LogAppendTime" {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            min_cleanable_dirty_ratio: match get("min.cleanable.dirty.ratio") {
                Some(ConfigValue::Double(d)) => *d,
                _ => 0.5,
            },
            min_compaction_lag_ms: long("min.compaction.lag.ms"),
            min_insync_replicas: int("min.insync.replicas"),
            preallocate: boolean("preallocate"),
            retention_bytes: long("retention.bytes"),
            retention_ms: long("retention.ms"),
            segment_bytes: int("segment.bytes"),
            segment_index_bytes: int("segment.index.bytes"),
            segment_jitter_ms: long("segment.jitter.ms"),
            segment_ms: long("segment.ms"),
            unclean_leader_election_enable: boolean("unclean.leader.election.enable"),
            entries,
        }
    }

    /// DescribeConfigs rows for the topic: overrides as `DYNAMIC_TOPIC_CONFIG`, the rest with
    /// the source of the broker value behind them.
    pub fn describe(&self) -> Vec<ConfigEntry> {
        self.entries
            .iter()
            .map(|(name, (value, source))| ConfigEntry {
                name: (*name).to_owned(),
                value: Some(value.to_kafka_string()),
                source: *source,
                is_sensitive: false,
                read_only: false,
            })
            .collect()
    }
}
