//! Goal: `ServerConfig` resolves Kafka's keys with Kafka's defaults, derivations, error texts and
//! KRaft start-up cross-checks; DescribeConfigs rows carry the right source; topic configs
//! default from their broker synonyms and validate like Kafka's `LogConfig`.
//! Method: build configs from literal pairs and assert on what an operator would see.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fjord_config::{
    ConfigError, ConfigSource, ConfigValue, MetadataMode, ProcessRole, Properties,
    SecurityProtocol, ServerConfig, TopicConfigs,
};

/// A minimal valid combined-mode (broker+controller) configuration, as in Kafka's
/// `config/kraft/server.properties`.
fn combined(extra: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
    let mut pairs = vec![
        ("process.roles", "broker,controller"),
        ("node.id", "1"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
    ];
    pairs.extend_from_slice(extra);
    ServerConfig::from_pairs(pairs)
}

#[test]
fn kafka_defaults_from_server_log_configs_and_socket_server_configs() {
    let c = combined(&[]).unwrap();
    assert_eq!(c.num_partitions, 1);
    assert_eq!(c.default_replication_factor, 1);
    assert_eq!(c.min_insync_replicas, 1);
    assert!(c.auto_create_topics_enable);
    assert!(c.delete_topic_enable);
    assert_eq!(c.message_max_bytes, 1_048_588);
    assert_eq!(c.log_segment_bytes, 1_073_741_824);
    assert_eq!(c.log_roll_ms, 168 * 3_600_000);
    assert_eq!(c.log_retention_ms, 168 * 3_600_000);
    assert_eq!(c.log_retention_bytes, -1);
    assert_eq!(c.log_retention_check_interval_ms, 300_000);
    assert_eq!(c.log_index_size_max_bytes, 10_485_760);
    assert_eq!(c.log_index_interval_bytes, 4096);
    assert_eq!(c.log_flush_interval_messages, i64::MAX);
    assert_eq!(
        c.log_flush_interval_ms,
        i64::MAX,
        "falls back to log.flush.scheduler.interval.ms"
    );
    assert_eq!(c.socket_request_max_bytes, 104_857_600);
    assert_eq!(c.connections_max_idle_ms, 600_000);
    assert_eq!(c.offsets_topic_num_partitions, 50);
    assert_eq!(c.offsets_topic_replication_factor, 3);
    assert_eq!(c.compression_type, "producer");
    assert_eq!(
        c.log_dirs,
        vec![std::path::PathBuf::from("/tmp/kafka-logs")],
        "log.dir default"
    );
    assert_eq!(
        c.metadata_log_dir,
        std::path::PathBuf::from("/tmp/kafka-logs")
    );
    assert_eq!(
        c.console_listeners,
        vec!["http://127.0.0.1:8048".to_owned()]
    );
    assert_eq!(c.metadata_mode(), MetadataMode::Kraft);
    assert!(c.has_role(ProcessRole::Broker) && c.has_role(ProcessRole::Controller));
}

#[test]
fn listeners_default_and_controller_split() {
    let c = combined(&[]).unwrap();
    assert_eq!(c.broker_listeners().len(), 1);
    assert_eq!(c.broker_listeners()[0].name, "PLAINTEXT");
    assert_eq!(c.controller_listeners()[0].port, 9093);
    // Controller listener names map to PLAINTEXT when the map is not set (Kafka 3.3+).
    assert_eq!(
        c.listener_security_protocol_map.get("CONTROLLER"),
        Some(&SecurityProtocol::Plaintext)
    );
    // advertised.listeners defaults to the non-controller listeners.
    assert_eq!(c.advertised_listeners.len(), 1);
    assert_eq!(c.advertised_listeners[0].name, "PLAINTEXT");
}

#[test]
fn retention_precedence_ms_over_minutes_over_hours() {
    // KafkaConfig.logRetentionTimeMillis.
    assert_eq!(
        combined(&[("log.retention.hours", "2")])
            .unwrap()
            .log_retention_ms,
        7_200_000
    );
    assert_eq!(
        combined(&[("log.retention.hours", "2"), ("log.retention.minutes", "3")])
            .unwrap()
            .log_retention_ms,
        180_000
    );
    let all = combined(&[
        ("log.retention.hours", "2"),
        ("log.retention.minutes", "3"),
        ("log.retention.ms", "5"),
    ])
    .unwrap();
    assert_eq!(all.log_retention_ms, 5);
    assert_eq!(
        combined(&[("log.retention.ms", "-7")])
            .unwrap()
            .log_retention_ms,
        -1,
        "negative = unlimited"
    );
    assert_eq!(
        combined(&[("log.roll.hours", "1")]).unwrap().log_roll_ms,
        3_600_000
    );
    assert_eq!(
        combined(&[("log.roll.hours", "1"), ("log.roll.ms", "9")])
            .unwrap()
            .log_roll_ms,
        9
    );
}

#[test]
fn log_dirs_wins_over_log_dir_and_splits_on_commas() {
    let c = combined(&[("log.dir", "/x"), ("log.dirs", "/a, /b")]).unwrap();
    assert_eq!(
        c.log_dirs,
        vec![
            std::path::PathBuf::from("/a"),
            std::path::PathBuf::from("/b")
        ]
    );
    let c = combined(&[("log.dirs", "/a,/b"), ("metadata.log.dir", "/m")]).unwrap();
    assert_eq!(c.all_log_dirs().len(), 3);
}

#[test]
fn invalid_values_name_key_and_value_in_kafka_wording() {
    let err = combined(&[("num.partitions", "abc")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value abc for configuration num.partitions: Not a number of type INT"
    );
    let err = combined(&[("num.partitions", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value 0 for configuration num.partitions: Value must be at least 1"
    );
    let err = combined(&[("auto.create.topics.enable", "maybe")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value maybe for configuration auto.create.topics.enable: Expected value to be either true or false"
    );
    let err = combined(&[("log.message.timestamp.type", "Now")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value Now for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime"
    );
    let err = combined(&[("log.segment.bytes", "13")]).unwrap_err();
    assert!(
        err.to_string().contains("Value must be at least 14"),
        "{err}"
    );
}

#[test]
fn unknown_keys_are_kept_not_rejected() {
    let c = combined(&[("totally.made.up", "1")]).unwrap();
    assert_eq!(c.raw().get("totally.made.up"), Some("1"));
    assert!(c.get("totally.made.up").is_none());
}

#[test]
fn broker_id_is_an_alias_of_node_id() {
    let c = ServerConfig::from_pairs([
        ("process.roles", "broker,controller"),
        ("broker.id", "1"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
    ])
    .unwrap();
    assert_eq!(c.node_id, 1);
    let err = combined(&[("broker.id", "2")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "You must set `node.id` to the same value as `broker.id`."
    );
}

#[test]
fn kraft_cross_checks_use_kafka_messages() {
    let no_node = ServerConfig::from_pairs([
        ("process.roles", "broker,controller"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
    ])
    .unwrap_err();
    assert_eq!(
        no_node.to_string(),
        "Missing configuration `node.id` which is required when `process.roles` is defined (i.e. when running in KRaft mode)."
    );
    let no_controller_names = ServerConfig::from_pairs([
        ("process.roles", "broker,controller"),
        ("node.id", "1"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("listeners", "PLAINTEXT://:9092"),
    ])
    .unwrap_err();
    assert!(
        no_controller_names
            .to_string()
            .starts_with("controller.listener.names must contain at least one value"),
        "{no_controller_names}"
    );
    let not_a_voter = combined(&[("node.id", "2")]).unwrap_err();
    assert_eq!(
        not_a_voter.to_string(),
        "If process.roles contains the 'controller' role, the node id 2 must be included in the set of voters controller.quorum.voters=Set(1)"
    );
    let no_quorum = combined(&[("controller.quorum.voters", "")]).unwrap_err();
    assert!(
        no_quorum
            .to_string()
            .contains("controller.quorum.bootstrap.servers"),
        "{no_quorum}"
    );
    let bad_role = combined(&[("process.roles", "broker,leader")]).unwrap_err();
    assert_eq!(
        bad_role.to_string(),
        "Invalid value leader for configuration process.roles: String must be one of: broker, controller"
    );
}

#[test]
fn zookeeper_mode_is_detected_and_not_kraft_checked() {
    let c = ServerConfig::from_pairs([("broker.id", "0"), ("zookeeper.connect", "localhost:2181")])
        .unwrap();
    assert_eq!(c.metadata_mode(), MetadataMode::ZooKeeper);
    assert_eq!(
        c.zookeeper_connection_timeout_ms, 18000,
        "falls back to zookeeper.session.timeout.ms"
    );
    let neither = ServerConfig::from_pairs([("broker.id", "0")]).unwrap_err();
    assert!(
        matches!(neither, ConfigError::Missing { ref name } if name == "process.roles"),
        "{neither}"
    );
}

#[test]
fn embedded_config_binds_loopback_and_is_single_replica() {
    let dir = tempfile::tempdir().unwrap();
    let c = ServerConfig::embedded(dir.path()).unwrap();
    assert_eq!(
        c.broker_listeners()[0].bind_addr().unwrap().to_string(),
        "127.0.0.1:9092"
    );
    assert_eq!(c.controller_listeners()[0].port, 9093);
    assert_eq!(c.offsets_topic_replication_factor, 1);
    assert_eq!(c.log_dirs, vec![dir.path().to_path_buf()]);
}

#[test]
fn describe_reports_static_vs_default_and_hides_secrets() {
    let c = combined(&[("num.partitions", "3"), ("ssl.keystore.password", "s3cret")]).unwrap();
    let rows = c.describe();
    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap().clone();
    let partitions = row("num.partitions");
    assert_eq!(
        (partitions.value.as_deref(), partitions.source),
        (Some("3"), ConfigSource::StaticBrokerConfig)
    );
    assert!(
        partitions.read_only,
        "num.partitions is not dynamically updatable"
    );
    let segment = row("log.segment.bytes");
    assert_eq!(
        (segment.value.as_deref(), segment.source),
        (Some("1073741824"), ConfigSource::DefaultConfig)
    );
    assert!(!segment.read_only);
    assert_eq!(row("log.retention.ms").value, None, "null default");
    let secret = row("ssl.keystore.password");
    assert!(secret.is_sensitive);
    assert_eq!(secret.value, None);
    assert_eq!(
        row("log.cleaner.min.cleanable.ratio").value.as_deref(),
        Some("0.5")
    );
    assert_eq!(ConfigSource::StaticBrokerConfig.id(), 4);
    assert_eq!(ConfigSource::DefaultConfig.id(), 5);
    assert!(
        rows.windows(2).all(|w| w[0].name < w[1].name),
        "sorted by name"
    );
}

#[test]
fn topic_defaults_come_from_broker_synonyms() {
    let c = combined(&[("log.retention.hours", "1"), ("message.max.bytes", "2000")]).unwrap();
    let log = TopicConfigs::effective(&Properties::new(), &c).unwrap();
    assert_eq!(log.retention_ms, 3_600_000);
    assert_eq!(log.max_message_bytes, 2000);
    assert_eq!(log.segment_bytes, 1_073_741_824);
    assert_eq!(log.segment_ms, 168 * 3_600_000);
    assert!(log.cleanup_delete && !log.cleanup_compact);
    assert_eq!(
        log.entries["retention.ms"].1,
        ConfigSource::StaticBrokerConfig
    );
    assert_eq!(log.entries["segment.bytes"].1, ConfigSource::DefaultConfig);

    let overrides: Properties = [
        ("retention.ms", "1000"),
        ("cleanup.policy", "compact,delete"),
    ]
    .into_iter()
    .collect();
    let log = TopicConfigs::effective(&overrides, &c).unwrap();
    assert_eq!(log.retention_ms, 1000);
    assert!(log.cleanup_compact && log.cleanup_delete);
    assert_eq!(
        log.entries["retention.ms"].1,
        ConfigSource::DynamicTopicConfig
    );
    assert_eq!(log.entries["retention.ms"].0, ConfigValue::Long(1000));
}

#[test]
fn topic_validation_follows_log_config() {
    assert!(TopicConfigs::validate("cleanup.policy", "compact").is_ok());
    let err = TopicConfigs::validate("cleanup.policy", "shred").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value shred for configuration cleanup.policy: String must be one of: compact, delete"
    );
    let err = TopicConfigs::validate("segment.bytes", "13").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value 13 for configuration segment.bytes: Value must be at least 14"
    );
    assert!(TopicConfigs::validate("segment.bytes", "14").is_ok());
    assert!(TopicConfigs::validate("min.cleanable.dirty.ratio", "1.5").is_err());
    assert!(TopicConfigs::validate("retention.ms", "-1").is_ok());
    assert!(TopicConfigs::validate("retention.ms", "-2").is_err());
    let err = TopicConfigs::validate("no.such.key", "1").unwrap_err();
    assert_eq!(err.to_string(), "Unknown topic config name: no.such.key");
    let c = combined(&[]).unwrap();
    let conflicting: Properties = [
        ("min.compaction.lag.ms", "10"),
        ("max.compaction.lag.ms", "5"),
    ]
    .into_iter()
    .collect();
    assert!(
        TopicConfigs::effective(&conflicting, &c)
            .unwrap_err()
            .to_string()
            .contains("conflict topic config setting")
    );
}

#[test]
fn broker_only_role_checks() {
    // KafkaConfig: a broker-only node is not a voter and does not listen on controller listeners.
    let base = [
        ("process.roles", "broker"),
        ("node.id", "2"),
        ("controller.quorum.voters", "1@localhost:9093"),
        ("controller.listener.names", "CONTROLLER"),
        ("listeners", "PLAINTEXT://localhost:9092"),
    ];
    assert!(ServerConfig::from_pairs(base).is_ok());
    let mut voter = base;
    voter[1] = ("node.id", "1");
    assert_eq!(
        ServerConfig::from_pairs(voter).unwrap_err().to_string(),
        "If process.roles contains just the 'broker' role, the node id 1 must not be included in the set of voters controller.quorum.voters=Set(1)"
    );
    let mut listens = base;
    listens[4] = ("listeners", "PLAINTEXT://localhost:9092,CONTROLLER://:9093");
    assert!(
        ServerConfig::from_pairs(listens)
            .unwrap_err()
            .to_string()
            .contains("when running KRaft with just the broker role")
    );
}

/// fjord's console keys are known keys (no "isn't a known config" warning at start): the admin
/// password is a secret, the sample interval a long with a floor of 100 ms.
#[test]
fn console_keys_are_known_and_typed() {
    let c = combined(&[
        ("console.admin.password", "s3cret"),
        ("console.sample.interval.ms", "1000"),
    ])
    .unwrap();
    assert!(c.get("console.admin.password").is_some());
    assert!(matches!(
        c.get("console.sample.interval.ms"),
        Some(fjord_config::ConfigValue::Long(1000))
    ));
    assert!(combined(&[("console.sample.interval.ms", "10")]).is_err());
}
