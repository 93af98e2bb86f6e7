//! DescribeConfigs support: every known broker key with its value and source
//! (`DescribeConfigsResponse.json` `ConfigSource`; Kafka's `ConfigHelper.createBrokerConfigEntry`).

use crate::broker_keys::{BROKER_KEYS, is_sensitive};
use crate::server::ServerConfig;

pub use fjord_common::ConfigSource;

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
