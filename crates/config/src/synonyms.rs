//! Config synonyms as Kafka reports them in DescribeConfigs (`include_synonyms`, KIP-226).
//!
//! Sources: `ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS` (a topic key's broker keys,
//! first one primary: `retention.ms` → `log.retention.ms`, `log.retention.minutes`,
//! `log.retention.hours`), `DynamicBrokerConfig.brokerConfigSynonyms` (a broker key's group) and
//! `kafka.server.ConfigHelper.configSynonyms`: for each synonym in order, the value of each
//! layer in precedence order — per-broker dynamic (`DYNAMIC_BROKER_CONFIG`), cluster-wide
//! dynamic (`DYNAMIC_DEFAULT_BROKER_CONFIG`), the server.properties file
//! (`STATIC_BROKER_CONFIG`), Kafka's non-null default (`DEFAULT_CONFIG`) — and then, as Kafka
//! does, every leading entry that is not the described key itself is dropped. So a broker
//! described for `log.retention.hours` shows `DEFAULT_CONFIG:log.retention.hours=168`, and a
//! `log.retention.minutes` in the file shows as `STATIC_BROKER_CONFIG:log.retention.minutes=…`
//! on that key; a topic's `retention.ms` lists its broker synonyms only when
//! `log.retention.ms` itself is set somewhere (Kafka's `dropWhile(s.name != name)`).

use std::collections::BTreeMap;

use crate::broker_keys::broker_key;
use crate::describe::ConfigSource;
use crate::server::ServerConfig;
use crate::topic::topic_key;

/// One synonym row: key, value (`None` for secrets), source.
pub type SynonymRow = (String, Option<String>, ConfigSource);

/// The broker keys a topic key takes its default from, primary first
/// (`ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS`).
pub fn topic_broker_synonyms(topic_key_name: &str) -> Vec<&'static str> {
    topic_key(topic_key_name)
        .and_then(|key| key.broker_synonym)
        .map(broker_config_synonyms)
        .unwrap_or_default()
}

/// The group of broker keys that configure one setting (`DynamicBrokerConfig
/// .brokerConfigSynonyms`): `log.roll.ms`/`log.roll.hours`, `log.roll.jitter.ms`/`…hours`,
/// `log.flush.interval.ms`/`log.flush.scheduler.interval.ms`, `log.retention.ms`/`…minutes`/
/// `…hours`; any other key is its own only synonym.
pub fn broker_config_synonyms(name: &str) -> Vec<&'static str> {
    const GROUPS: &[&[&str]] = &[
        &["log.roll.ms", "log.roll.hours"],
        &["log.roll.jitter.ms", "log.roll.jitter.hours"],
        &[
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours",
        ],
    ];
    if name == "log.flush.interval.ms" {
        return vec!["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    }
    if let Some(group) = GROUPS.iter().find(|g| g.contains(&name)) {
        return group.to_vec();
    }
    broker_key(name).map(|k| vec![k.name]).unwrap_or_default()
}

/// The broker-side config layers a synonym list is read from.
#[derive(Debug, Clone, Copy)]
pub struct BrokerConfigLayers<'a> {
    /// Dynamic configs of this broker (`DYNAMIC_BROKER_CONFIG`).
    pub per_broker: Option<&'a BTreeMap<String, String>>,
    /// Cluster-wide dynamic defaults (`DYNAMIC_DEFAULT_BROKER_CONFIG`).
    pub cluster_default: Option<&'a BTreeMap<String, String>>,
    /// The server configuration (its file values are `STATIC_BROKER_CONFIG`).
    pub server: &'a ServerConfig,
}

impl BrokerConfigLayers<'_> {
    /// `ConfigHelper.configSynonyms(name, synonyms, isSensitive)`: see the module docs.
    pub fn synonyms(&self, name: &str, synonyms: &[&str], is_sensitive: bool) -> Vec<SynonymRow> {
        let mut rows: Vec<SynonymRow> = Vec::new();
        let mut add = |key: &str, value: Option<&str>, source: ConfigSource| {
            if let Some(value) = value {
                let shown = (!is_sensitive).then(|| value.to_owned());
                rows.push((key.to_owned(), shown, source));
            }
        };
        for key in synonyms {
            add(
                key,
                self.per_broker
                    .and_then(|m| m.get(*key))
                    .map(String::as_str),
                ConfigSource::DynamicBrokerConfig,
            );
        }
        for key in synonyms {
            add(
                key,
                self.cluster_default
                    .and_then(|m| m.get(*key))
                    .map(String::as_str),
                ConfigSource::DynamicDefaultBrokerConfig,
            );
        }
        for key in synonyms {
            add(
                key,
                self.server.raw().get(key),
                ConfigSource::StaticBrokerConfig,
            );
        }
        for key in synonyms {
            add(
                key,
                broker_key(key).and_then(|k| k.default),
                ConfigSource::DefaultConfig,
            );
        }
        // Kafka: `allSynonyms.dropWhile(s => s.name != name)`.
        let first = rows
            .iter()
            .position(|(key, _, _)| key == name)
            .unwrap_or(rows.len());
        rows.split_off(first)
    }

    /// Synonyms of topic key `name` (`ConfigHelper.createTopicConfigEntry`): the topic
    /// override first when set, then the broker synonyms of its primary broker key.
    pub fn topic_synonyms(&self, name: &str, topic_override: Option<&str>) -> Vec<SynonymRow> {
        let mut rows = Vec::new();
        if let Some(value) = topic_override {
            rows.push((
                name.to_owned(),
                Some(value.to_owned()),
                ConfigSource::DynamicTopicConfig,
            ));
        }
        let group = topic_broker_synonyms(name);
        if let Some(primary) = group.first() {
            rows.extend(self.synonyms(primary, &group, false));
        }
        rows
    }
}
