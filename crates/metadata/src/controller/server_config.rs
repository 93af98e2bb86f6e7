//! The controller's config rules taken from fjord-config (Kafka's `LogConfig` and the
//! broker's `num.partitions` / `default.replication.factor`).

use std::collections::BTreeMap;
use std::sync::Arc;

use fjord_config::topic::TOPIC_KEYS;
use fjord_config::{ConfigType, ConfigValue, Properties, ServerConfig, TopicConfigs};

use super::{ConfigValidator, ControllerOptions};
use crate::image::ConfigResource;
use crate::records::ConfigResourceType;

/// Validates topic configs with Kafka's `LogConfig` rules (types, validators, the
/// `min.compaction.lag.ms` ≤ `max.compaction.lag.ms` cross-check) and takes LIST defaults
/// from the broker's synonyms (e.g. `cleanup.policy` ← `log.cleanup.policy`). Broker resources
/// are accepted as given (dynamic broker config rules are not modelled yet).
#[derive(Debug, Clone)]
pub struct ServerConfigValidator {
    server: Arc<ServerConfig>,
}

impl ServerConfigValidator {
    /// A validator resolving defaults against `server`.
    pub fn new(server: Arc<ServerConfig>) -> Self {
        Self { server }
    }
}

impl ConfigValidator for ServerConfigValidator {
    fn validate(
        &self,
        resource: &ConfigResource,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        if resource.resource_type != ConfigResourceType::Topic {
            return Ok(());
        }
        let mut overrides = Properties::new();
        for (key, value) in configs {
            overrides.set(key.as_str(), value.as_str());
        }
        TopicConfigs::validate_all(&overrides, &self.server).map_err(|error| error.to_string())
    }

    fn list_default(&self, resource_type: ConfigResourceType, key: &str) -> Option<String> {
        if resource_type != ConfigResourceType::Topic {
            return None;
        }
        let definition = TOPIC_KEYS
            .iter()
            .find(|definition| definition.name == key)?;
        if definition.ty != ConfigType::List {
            return None;
        }
        let effective = TopicConfigs::effective(&Properties::new(), &self.server).ok()?;
        effective
            .entries
            .get(key)
            .map(|(value, _)| value.to_kafka_string())
    }
}

impl ControllerOptions {
    /// `num.partitions` and `default.replication.factor` from the server config (Kafka's
    /// defaults, 1 and 1, when absent).
    pub fn from_server_config(server: &ServerConfig) -> Self {
        let defaults = Self::default();
        let num_partitions = match server.get("num.partitions") {
            Some(ConfigValue::Int(value)) => *value,
            _ => defaults.default_num_partitions,
        };
        let replication_factor = match server.get("default.replication.factor") {
            Some(ConfigValue::Int(value)) => i16::try_from(*value).unwrap_or(i16::MAX),
            Some(ConfigValue::Short(value)) => *value,
            _ => defaults.default_replication_factor,
        };
        Self {
            default_num_partitions: num_partitions,
            default_replication_factor: replication_factor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(dir: &std::path::Path) -> Arc<ServerConfig> {
        Arc::new(ServerConfig::embedded(dir).unwrap())
    }

    #[test]
    fn topic_values_are_checked_by_kafka_log_config_rules() {
        let dir = tempfile::tempdir().unwrap();
        let validator = ServerConfigValidator::new(server(dir.path()));
        let topic = ConfigResource::topic("t");
        let set = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(
            validator
                .validate(
                    &topic,
                    &set(&[("retention.ms", "1000"), ("cleanup.policy", "compact")])
                )
                .is_ok()
        );
        assert_eq!(
            validator
                .validate(&topic, &set(&[("nope", "1")]))
                .unwrap_err(),
            "Unknown topic config name: nope"
        );
        let error = validator
            .validate(&topic, &set(&[("retention.ms", "soon")]))
            .unwrap_err();
        assert!(
            error.starts_with("Invalid value soon for configuration retention.ms"),
            "{error}"
        );
    }

    #[test]
    fn list_defaults_come_from_broker_synonyms() {
        let dir = tempfile::tempdir().unwrap();
        let validator = ServerConfigValidator::new(server(dir.path()));
        assert_eq!(
            validator
                .list_default(ConfigResourceType::Topic, "cleanup.policy")
                .as_deref(),
            Some("delete")
        );
        assert_eq!(
            validator.list_default(ConfigResourceType::Topic, "retention.ms"),
            None
        );
    }

    #[test]
    fn controller_options_follow_server_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let options = ControllerOptions::from_server_config(&server(dir.path()));
        assert_eq!(
            options,
            ControllerOptions {
                default_num_partitions: 1,
                default_replication_factor: 1
            }
        );
    }
}
