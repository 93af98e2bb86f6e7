//! DescribeConfigs support: every known broker key with its value and source
//! (`DescribeConfigsResponse.json` `ConfigSource`; Kafka's `ConfigHelper.createBrokerConfigEntry`).

use crate::broker_keys::{BROKER_KEYS, is_sensitive};
use crate::server::ServerConfig;

/// Where a reported value comes from (`DescribeConfigsResponse` `ConfigSource`, KIP-226; ids
/// are the wire values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigSource {
    /// 0: unknown.
    Unknown,
    /// 1: a topic override (`DYNAMIC_TOPIC_CONFIG`).
    DynamicTopicConfig,
    /// 2: a per-broker dynamic value.
    DynamicBrokerConfig,
    /// 3: a cluster-wide dynamic default.
    DynamicDefaultBrokerConfig,
    /// 4: set in the server's configuration at start-up.
    StaticBrokerConfig,
    /// 5: Kafka's default.
    DefaultConfig,
    /// 6: a dynamic logger level.
    DynamicBrokerLoggerConfig,
}

impl ConfigSource {
    /// The wire value.
    pub fn id(self) -> i8 {
        match self {
            Self::Unknown => 0,
            Self::DynamicTopicConfig => 1,
            Self::DynamicBrokerConfig => 2,
            Self::DynamicDefaultBrokerConfig => 3,
            Self::StaticBrokerConfig => 4,
            Self::DefaultConfig => 5,
            Self::DynamicBrokerLoggerConfig => 6,
        }
    }

    /// Kafka's enum name, as `kafka-configs.sh --describe --all` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
            Self::DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
            Self::DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
            Self::StaticBrokerConfig => "STATIC_BROKER_CONFIG",
            Self::DefaultConfig => "DEFAULT_CONFIG",
            Self::DynamicBrokerLoggerConfig => "DYNAMIC_BROKER_LOGGER_CONFIG",
        }
    }
}

/// One row of a DescribeConfigs answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The key.
    pub name: String,
    /// The value; `None` for secrets and for `null` defaults.
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether the value is a secret (never sent).
    pub is_sensitive: bool,
    /// Whether it cannot be changed at run time (Kafka: not in `DynamicBrokerConfig`).
    pub read_only: bool,
}

impl ServerConfig {
    /// Every known broker key, in name order, with its effective value and source:
    /// `STATIC_BROKER_CONFIG` when the configuration set it, `DEFAULT_CONFIG` otherwise.
    pub fn describe(&self) -> Vec<ConfigEntry> {
        let mut entries: Vec<ConfigEntry> = BROKER_KEYS
            .iter()
            .map(|key| {
                let sensitive = is_sensitive(key.name);
                let source = if self.raw().contains_key(key.name) {
                    ConfigSource::StaticBrokerConfig
                } else {
                    ConfigSource::DefaultConfig
                };
                let value = if sensitive {
                    None
                } else {
                    self.get(key.name)
                        .map(crate::value::ConfigValue::to_kafka_string)
                };
                ConfigEntry {
                    name: key.name.to_owned(),
                    value,
                    source,
                    is_sensitive: sensitive,
                    read_only: !key.dynamic,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }
}
