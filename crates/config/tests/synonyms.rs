//! Goal: DescribeConfigs synonyms follow Kafka's `ConfigHelper.configSynonyms` with
//! `ServerTopicConfigSynonyms` / `DynamicBrokerConfig.brokerConfigSynonyms`, and a broker
//! override such as `log.retention.minutes` reaches topic configs (`LogConfig` defaults).
//! Method: literal server configs; assert the rows an operator sees in `kafka-configs.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fjord_config::synonyms::{BrokerConfigLayers, broker_config_synonyms, topic_broker_synonyms};
use fjord_config::{ConfigSource, Properties, ServerConfig, TopicConfigs};

fn server(extra: &[(&str, &str)]) -> ServerConfig {
    let mut pairs = vec![
        ("process.roles", "broker,controller"),
        ("node.id", "1"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
    ];
    pairs.extend_from_slice(extra);
    ServerConfig::from_pairs(pairs).unwrap()
}

fn rows(rows: &[(String, Option<String>, ConfigSource)]) -> Vec<String> {
    rows.iter()
        .map(|(k, v, s)| format!("{}:{k}={}", s.name(), v.as_deref().unwrap_or("null")))
        .collect()
}

#[test]
fn server_topic_config_synonyms_groups() {
    assert_eq!(
        topic_broker_synonyms("retention.ms"),
        [
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours"
        ]
    );
    assert_eq!(
        topic_broker_synonyms("segment.ms"),
        ["log.roll.ms", "log.roll.hours"]
    );
    assert_eq!(
        topic_broker_synonyms("segment.jitter.ms"),
        ["log.roll.jitter.ms", "log.roll.jitter.hours"]
    );
    assert_eq!(
        topic_broker_synonyms("segment.bytes"),
        ["log.segment.bytes"]
    );
    assert_eq!(
        broker_config_synonyms("log.retention.hours"),
        [
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours"
        ]
    );
}

#[test]
fn broker_rows_show_default_and_static_retention_synonyms() {
    // Defaults only: log.retention.hours=168 is the only non-null default of the group.
    let plain = server(&[]);
    let layers = BrokerConfigLayers {
        per_broker: None,
        cluster_default: None,
        server: &plain,
    };
    let group = broker_config_synonyms("log.retention.hours");
    assert_eq!(
        rows(&layers.synonyms("log.retention.hours", &group, false)),
        ["DEFAULT_CONFIG:log.retention.hours=168"]
    );
    assert!(
        layers
            .synonyms("log.retention.ms", &group, false)
            .is_empty()
    );

    // log.retention.minutes in server.properties: reported on its own key as static, with the
    // default hours after it; a dynamic cluster default goes first.
    let minutes = server(&[("log.retention.minutes", "5")]);
    let mut dynamic = BTreeMap::new();
    dynamic.insert("log.retention.minutes".to_owned(), "7".to_owned());
    let layers = BrokerConfigLayers {
        per_broker: None,
        cluster_default: None,
        server: &minutes,
    };
    assert_eq!(
        rows(&layers.synonyms("log.retention.minutes", &group, false)),
        [
            "STATIC_BROKER_CONFIG:log.retention.minutes=5",
            "DEFAULT_CONFIG:log.retention.hours=168"
        ]
    );
    let layers = BrokerConfigLayers {
        per_broker: None,
        cluster_default: Some(&dynamic),
        server: &minutes,
    };
    assert_eq!(
        rows(&layers.synonyms("log.retention.minutes", &group, false)),
        [
            "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.minutes=7",
            "STATIC_BROKER_CONFIG:log.retention.minutes=5",
            "DEFAULT_CONFIG:log.retention.hours=168"
        ]
    );
}

#[test]
fn topic_rows_follow_create_topic_config_entry() {
    let plain = server(&[]);
    let layers = BrokerConfigLayers {
        per_broker: None,
        cluster_default: None,
        server: &plain,
    };
    assert_eq!(
        rows(&layers.topic_synonyms("segment.bytes", None)),
        ["DEFAULT_CONFIG:log.segment.bytes=1073741824"]
    );
    // Kafka drops leading rows that are not the primary key log.retention.ms.
    assert!(layers.topic_synonyms("retention.ms", None).is_empty());
    assert_eq!(
        rows(&layers.topic_synonyms("retention.ms", Some("1000"))),
        ["DYNAMIC_TOPIC_CONFIG:retention.ms=1000"]
    );
    let ms = server(&[("log.retention.ms", "1000")]);
    let layers = BrokerConfigLayers {
        per_broker: None,
        cluster_default: None,
        server: &ms,
    };
    assert_eq!(
        rows(&layers.topic_synonyms("retention.ms", None)),
        [
            "STATIC_BROKER_CONFIG:log.retention.ms=1000",
            "DEFAULT_CONFIG:log.retention.hours=168"
        ]
    );
}

#[test]
fn log_retention_minutes_applies_to_topics() {
    // KafkaConfig.logRetentionTimeMillis: ms > minutes > hours; LogConfig defaults retention.ms
    // to it. log.roll.hours likewise sets segment.ms.
    let config = server(&[("log.retention.minutes", "5"), ("log.roll.hours", "2")]);
    let effective = TopicConfigs::effective(&Properties::new(), &config).unwrap();
    assert_eq!(effective.retention_ms, 300_000);
    assert_eq!(effective.segment_ms, 7_200_000);
    let mut overrides = Properties::new();
    overrides.set("retention.ms", "1000");
    assert_eq!(
        TopicConfigs::effective(&overrides, &config)
            .unwrap()
            .retention_ms,
        1000
    );
}

#[test]
fn topic_keys_are_kafka_41s() {
    // Kafka 4.1 `LogConfig.configNames()` minus internal ones, as `kafka-configs.sh --describe
    // --all --topic` lists them.
    let mut names: Vec<&str> = fjord_config::topic::TOPIC_KEYS
        .iter()
        .map(|k| k.name)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "cleanup.policy",
            "compression.gzip.level",
            "compression.lz4.level",
            "compression.type",
            "compression.zstd.level",
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
            "remote.log.copy.disable",
            "remote.log.delete.on.disable",
            "remote.storage.enable",
            "retention.bytes",
            "retention.ms",
            "segment.bytes",
            "segment.index.bytes",
            "segment.jitter.ms",
            "segment.ms",
            "unclean.leader.election.enable",
        ]
    );
    // The new keys validate and default from their broker synonyms.
    assert!(TopicConfigs::validate("compression.zstd.level", "-5").is_ok());
    assert!(TopicConfigs::validate("compression.lz4.level", "18").is_err());
    let config = server(&[("compression.gzip.level", "4")]);
    let effective = TopicConfigs::effective(&Properties::new(), &config).unwrap();
    let gzip = effective
        .describe()
        .into_iter()
        .find(|e| e.name == "compression.gzip.level")
        .unwrap();
    assert_eq!(gzip.value.as_deref(), Some("4"));
}
