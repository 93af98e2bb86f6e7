//! The bridge to fjord-config: the controller's config rules (Kafka's `LogConfig`), its
//! defaults (`num.partitions`, `default.replication.factor`) and the store's bootstrap options
//! (`node.id`, `advertised.listeners`, `broker.rack`) from a `ServerConfig`.

use std::collections::BTreeMap;
use std::sync::Arc;

use fjord_config::topic::TOPIC_KEYS;
use fjord_config::{
    ConfigType, ConfigValue, Properties, SecurityProtocol, ServerConfig, TopicConfigs,
};
use uuid::Uuid;

use crate::controller::{ConfigValidator, ControllerOptions};
use crate::image::ConfigResource;
use crate::records::{BrokerEndpoint, ConfigResourceType};
use crate::store::{BootstrapOptions, METADATA_VERSION_4_1_IV1, StoreOptions};

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
    /// `num.partitions` and `default.replication.factor` from the server config.
    pub fn from_server_config(server: &ServerConfig) -> Self {
        Self {
            default_num_partitions: server.num_partitions,
            default_replication_factor: i16::try_from(server.default_replication_factor)
                .unwrap_or(i16::MAX),
        }
    }
}

/// Kafka `SecurityProtocol.id`, as stored in `RegisterBrokerRecord.EndPoints`.
fn security_protocol_id(protocol: SecurityProtocol) -> i16 {
    match protocol {
        SecurityProtocol::Plaintext => 0,
        SecurityProtocol::Ssl => 1,
        SecurityProtocol::SaslPlaintext => 2,
        SecurityProtocol::SaslSsl => 3,
    }
}

impl StoreOptions {
    /// Options for this node: `node.id`, its `advertised.listeners` and `broker.rack`, the
    /// `cluster.id` and `directory.id`s from `meta.properties`, and a fresh incarnation id.
    pub fn from_server_config(
        server: &ServerConfig,
        cluster_id: &str,
        log_dir_ids: Vec<Uuid>,
        incarnation_id: Uuid,
    ) -> Self {
        let endpoints = server
            .advertised_listeners
            .iter()
            .map(|listener| BrokerEndpoint {
                name: listener.name.clone(),
                host: listener.host.clone(),
                port: listener.port,
                security_protocol: security_protocol_id(listener.security_protocol),
            })
            .collect();
        let rack = match server.get("broker.rack") {
            Some(ConfigValue::String(rack)) => Some(rack.clone()),
            _ => None,
        };
        Self {
            cluster_id: cluster_id.to_string(),
            node_id: server.node_id,
            leader_epoch: 1,
            bootstrap: BootstrapOptions {
                metadata_version: METADATA_VERSION_4_1_IV1,
                endpoints,
                rack,
                log_dir_ids,
                incarnation_id,
            },
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
    fn store_options_take_node_and_advertised_listeners() {
        let dir = tempfile::tempdir().unwrap();
        let server = server(dir.path());
        let options = StoreOptions::from_server_config(&server, "cid", vec![], Uuid::nil());
        assert_eq!(options.node_id, server.node_id);
        let endpoint = &options.bootstrap.endpoints[0];
        assert_eq!((endpoint.port, endpoint.security_protocol), (9092, 0));
        assert_eq!(options.bootstrap.metadata_version, 27);
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
