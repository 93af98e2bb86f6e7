//! A topic's effective log configuration: its overrides from the metadata image resolved
//! against the broker's configuration (`fjord_config::TopicConfigs::effective`, Kafka
//! `LogConfig.fromProps` over `KafkaConfig.extractLogConfigMap`), converted to the storage
//! layer's [`LogConfig`].

use std::collections::BTreeMap;

use fjord_config::{Properties, ServerConfig, TopicConfigs};
use fjord_record::CompressionTarget;
use fjord_storage::{CleanupPolicy, DirtyRatio, LogConfig, TimestampType};

/// A topic's stored overrides do not resolve (should not happen: the controller validated them
/// with the same rules).
#[derive(Debug, thiserror::Error)]
#[error("topic config overrides do not resolve: {0}")]
pub struct LogConfigError(#[from] fjord_config::ConfigError);

/// Resolves `overrides` (explicit topic configs) against `server` into a storage config.
///
/// `cleanup.policy=compact` without `delete`: Kafka never deletes a compacted-only log by time
/// or size (the storage layer skips retention without `delete` too; retention is also
/// switched off here so the config says so); the log cleaner compacts it using
/// `delete.retention.ms`, `min/max.compaction.lag.ms` and `min.cleanable.dirty.ratio`.
pub fn topic_log_config(
    overrides: Option<&BTreeMap<String, String>>,
    server: &ServerConfig,
) -> Result<LogConfig, LogConfigError> {
    Ok(topic_configs(overrides, server)?.0)
}

/// Like [`topic_log_config`], plus the topic's effective `compression.type` (the topic
/// override, else the broker's `compression.type`, default `producer`), which the produce path
/// applies before the log append (Kafka `LogValidator`; the storage layer stores batches as
/// given).
pub fn topic_configs(
    overrides: Option<&BTreeMap<String, String>>,
    server: &ServerConfig,
) -> Result<(LogConfig, CompressionTarget), LogConfigError> {
    let mut props = Properties::new();
    for (key, value) in overrides.into_iter().flatten() {
        props.set(key.as_str(), value.as_str());
    }
    let effective = TopicConfigs::effective(&props, server)?;
    let compression = CompressionTarget::from_config(&effective.compression_type)
        .unwrap_or_else(|| {
            // The controller validated the value against the same list; keep batches as sent
            // rather than refuse every produce.
            tracing::warn!(value = %effective.compression_type, "unknown compression.type, storing batches as produced");
            CompressionTarget::Producer
        });
    Ok((storage_config(&effective), compression))
}

fn storage_config(effective: &fjord_config::LogConfig) -> LogConfig {
    let non_negative = |v: i64| u64::try_from(v).unwrap_or(0);
    let retention_applies = effective.cleanup_delete || !effective.cleanup_compact;
    LogConfig {
        segment_bytes: non_negative(i64::from(effective.segment_bytes)),
        segment_ms: effective.segment_ms,
        segment_index_bytes: non_negative(i64::from(effective.segment_index_bytes)),
        index_interval_bytes: non_negative(i64::from(effective.index_interval_bytes)),
        retention_ms: if retention_applies {
            effective.retention_ms
        } else {
            -1
        },
        retention_bytes: if retention_applies {
            effective.retention_bytes
        } else {
            -1
        },
        // Kafka's `Long.MAX_VALUE` ("never") maps onto the storage layer's own "never".
        flush_messages: if effective.flush_messages == i64::MAX {
            u64::MAX
        } else {
            non_negative(effective.flush_messages)
        },
        flush_ms: effective.flush_ms,
        max_message_bytes: non_negative(i64::from(effective.max_message_bytes)),
        message_timestamp_type: match effective.message_timestamp_type {
            fjord_config::TimestampType::LogAppendTime => TimestampType::LogAppendTime,
            fjord_config::TimestampType::CreateTime => TimestampType::CreateTime,
        },
        file_delete_delay_ms: effective.file_delete_delay_ms,
        preallocate: effective.preallocate,
        cleanup_policy: CleanupPolicy {
            delete: effective.cleanup_delete,
            compact: effective.cleanup_compact,
        },
        delete_retention_ms: effective.delete_retention_ms,
        min_compaction_lag_ms: effective.min_compaction_lag_ms,
        max_compaction_lag_ms: effective.max_compaction_lag_ms,
        min_cleanable_dirty_ratio: DirtyRatio(effective.min_cleanable_dirty_ratio),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> ServerConfig {
        ServerConfig::from_pairs([
            ("process.roles", "broker,controller"),
            ("node.id", "1"),
            ("controller.quorum.voters", "1@127.0.0.1:9093"),
            (
                "listeners",
                "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
            ),
            ("controller.listener.names", "CONTROLLER"),
            ("log.dirs", "/tmp/unused"),
            ("log.segment.bytes", "1048576"),
            ("log.retention.hours", "1"),
        ])
        .expect("valid")
    }

    #[test]
    fn broker_synonyms_supply_defaults_and_overrides_win() {
        // Kafka ServerTopicConfigSynonyms: segment.bytes <- log.segment.bytes,
        // retention.ms <- log.retention.hours.
        let server = server();
        let defaults = topic_log_config(None, &server).expect("resolves");
        assert_eq!(defaults.segment_bytes, 1_048_576);
        assert_eq!(defaults.retention_ms, 3_600_000);
        assert_eq!(defaults.max_message_bytes, 1_048_588);
        assert_eq!(defaults.flush_messages, u64::MAX);
        let overrides: BTreeMap<String, String> = [
            ("retention.ms", "5000"),
            ("message.timestamp.type", "LogAppendTime"),
            ("max.message.bytes", "2048"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = topic_log_config(Some(&overrides), &server).expect("resolves");
        assert_eq!(config.retention_ms, 5000);
        assert_eq!(config.message_timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(config.max_message_bytes, 2048);
    }

    #[test]
    fn compact_only_topics_are_never_deleted_by_retention() {
        let overrides: BTreeMap<String, String> =
            [("cleanup.policy".to_string(), "compact".to_string())].into();
        let config = topic_log_config(Some(&overrides), &server()).expect("resolves");
        assert_eq!((config.retention_ms, config.retention_bytes), (-1, -1));
        assert_eq!(config.cleanup_policy, CleanupPolicy::COMPACT);
        // Kafka defaults: delete.retention.ms one day, min.cleanable.dirty.ratio 0.5.
        assert_eq!(config.delete_retention_ms, 86_400_000);
        assert_eq!(config.min_cleanable_dirty_ratio, DirtyRatio(0.5));
    }

    #[test]
    fn compression_type_comes_from_the_topic_else_the_broker() {
        // Kafka docs, topic config `compression.type`: default `producer`, broker synonym
        // `compression.type`.
        use fjord_record::CompressionType;
        let (_, default) = topic_configs(None, &server()).expect("resolves");
        assert_eq!(default, CompressionTarget::Producer);
        let overrides: BTreeMap<String, String> =
            [("compression.type".to_string(), "GZIP".to_string())].into();
        let (_, gzip) = topic_configs(Some(&overrides), &server()).expect("resolves");
        assert_eq!(gzip, CompressionTarget::Codec(CompressionType::Gzip));
        let zstd_broker = ServerConfig::from_pairs([
            ("process.roles", "broker,controller"),
            ("node.id", "1"),
            ("controller.quorum.voters", "1@127.0.0.1:9093"),
            (
                "listeners",
                "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
            ),
            ("controller.listener.names", "CONTROLLER"),
            ("log.dirs", "/tmp/unused"),
            ("compression.type", "zstd"),
        ])
        .expect("valid");
        let (_, inherited) = topic_configs(None, &zstd_broker).expect("resolves");
        assert_eq!(inherited, CompressionTarget::Codec(CompressionType::Zstd));
    }
}
