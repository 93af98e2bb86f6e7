//! The group coordinator's keys (Kafka 4.1 `GroupCoordinatorConfig`) are declared: a
//! server.properties that sets them gets typed values, Kafka's defaults when absent, and
//! Kafka's validator errors for bad values — not an "isn't a known config" warning.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{ConfigValue, ServerConfig};

fn combined(extra: &[(&str, &str)]) -> Result<ServerConfig, crate::ConfigError> {
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
fn group_coordinator_config_defaults_are_kafkas() {
    let c = combined(&[]).unwrap();
    let int = |k: &str| c.get(k).cloned();
    assert_eq!(
        int("group.consumer.session.timeout.ms"),
        Some(ConfigValue::Int(45_000))
    );
    assert_eq!(
        int("group.consumer.min.session.timeout.ms"),
        Some(ConfigValue::Int(45_000))
    );
    assert_eq!(
        int("group.consumer.max.session.timeout.ms"),
        Some(ConfigValue::Int(60_000))
    );
    assert_eq!(
        int("group.consumer.heartbeat.interval.ms"),
        Some(ConfigValue::Int(5_000))
    );
    assert_eq!(
        int("group.consumer.min.heartbeat.interval.ms"),
        Some(ConfigValue::Int(5_000))
    );
    assert_eq!(
        int("group.consumer.max.heartbeat.interval.ms"),
        Some(ConfigValue::Int(15_000))
    );
    assert_eq!(
        int("group.consumer.max.size"),
        Some(ConfigValue::Int(i32::MAX))
    );
    assert_eq!(
        int("group.consumer.assignors"),
        Some(ConfigValue::List(vec!["uniform".into(), "range".into()]))
    );
    assert_eq!(
        int("group.coordinator.rebalance.protocols"),
        Some(ConfigValue::List(vec!["classic".into(), "consumer".into()]))
    );
    assert_eq!(
        int("offsets.retention.check.interval.ms"),
        Some(ConfigValue::Long(600_000))
    );
    assert_eq!(
        int("offset.metadata.max.bytes"),
        Some(ConfigValue::Int(4096))
    );
}

#[test]
fn group_consumer_keys_set_in_server_properties_are_typed() {
    let c = combined(&[
        ("group.consumer.session.timeout.ms", "10000"),
        ("group.consumer.heartbeat.interval.ms", "500"),
        ("group.consumer.assignors", "range, uniform"),
        ("group.coordinator.rebalance.protocols", "classic"),
        ("group.consumer.max.size", "7"),
    ])
    .unwrap();
    assert_eq!(
        c.get("group.consumer.session.timeout.ms"),
        Some(&ConfigValue::Int(10_000))
    );
    assert_eq!(
        c.get("group.consumer.heartbeat.interval.ms"),
        Some(&ConfigValue::Int(500))
    );
    assert_eq!(
        c.get("group.consumer.assignors"),
        Some(&ConfigValue::List(vec!["range".into(), "uniform".into()]))
    );
    assert_eq!(c.get("group.consumer.max.size"), Some(&ConfigValue::Int(7)));
}

#[test]
fn bad_group_values_get_kafkas_validator_errors() {
    let err = combined(&[("group.consumer.session.timeout.ms", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid value 0 for configuration group.consumer.session.timeout.ms: Value must be at least 1"
    );
    let err = combined(&[("group.consumer.max.size", "big")]).unwrap_err();
    assert!(
        err.to_string().contains("Not a number of type INT"),
        "{err}"
    );
    let err = combined(&[("group.coordinator.rebalance.protocols", "classic,eager")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("configuration group.coordinator.rebalance.protocols"),
        "{err}"
    );
    let err = combined(&[("group.consumer.migration.policy", "sideways")]).unwrap_err();
    assert!(
        err.to_string().contains("group.consumer.migration.policy"),
        "{err}"
    );
}

/// Every group key a Kafka 4.1 server.properties may set is declared (so none is reported as
/// "supplied but isn't a known config").
#[test]
fn group_coordinator_keys_are_known() {
    for name in [
        "group.consumer.session.timeout.ms",
        "group.consumer.min.session.timeout.ms",
        "group.consumer.max.session.timeout.ms",
        "group.consumer.heartbeat.interval.ms",
        "group.consumer.min.heartbeat.interval.ms",
        "group.consumer.max.heartbeat.interval.ms",
        "group.consumer.assignors",
        "group.consumer.max.size",
        "group.consumer.migration.policy",
        "group.coordinator.rebalance.protocols",
        "group.coordinator.threads",
        "offsets.retention.check.interval.ms",
        "offset.metadata.max.bytes",
    ] {
        assert!(
            crate::broker_keys::broker_key(name).is_some(),
            "{name} undeclared"
        );
    }
}
