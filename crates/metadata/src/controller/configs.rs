//! AlterConfigs (legacy, replaces the whole set) and IncrementalAlterConfigs (KIP-339: SET,
//! DELETE, APPEND, SUBTRACT), following Kafka's `ConfigurationControlManager`
//! (`legacyAlterConfigResource`, `incrementalAlterConfigResource`) and the resource checks of
//! `QuorumController.ConfigResourceExistenceChecker`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Controller, ControllerError, ControllerResult};
use crate::image::{ConfigResource, MetadataImage};
use crate::records::{ConfigRecord, ConfigResourceType, MetadataRecord};

/// Validates config sets. The broker passes an implementation backed by fjord-config's topic
/// and dynamic broker config definitions; [`KnownTopicConfigs`] is the built-in fallback.
pub trait ConfigValidator: Send + Sync {
    /// Checks the complete set of explicit configs `resource` would have after a change.
    /// `Err` carries the message for INVALID_CONFIG.
    fn validate(
        &self,
        resource: &ConfigResource,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), String>;

    /// For LIST-typed keys, the default value (comma-separated) an APPEND or SUBTRACT starts
    /// from when the key is not set; `None` when the key is not LIST-typed.
    fn list_default(&self, resource_type: ConfigResourceType, key: &str) -> Option<String>;
}

/// Topic config keys of Kafka 4.1 (`TopicConfig`, `LogConfig`); Kafka 4.0 removed
/// `message.format.version`, `message.downconversion.enable` and
/// `message.timestamp.difference.max.ms` (KIP-724).
pub const TOPIC_CONFIG_KEYS: &[&str] = &[
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
];

/// Permissive validator: topic keys must be Kafka topic config names (values unchecked);
/// broker keys are accepted as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownTopicConfigs;

impl ConfigValidator for KnownTopicConfigs {
    fn validate(
        &self,
        resource: &ConfigResource,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        if resource.resource_type != ConfigResourceType::Topic {
            return Ok(());
        }
        match configs
            .keys()
            .find(|key| !TOPIC_CONFIG_KEYS.contains(&key.as_str()))
        {
            // Kafka LogConfig.validateNames.
            Some(unknown) => Err(format!("Unknown topic config name: {unknown}")),
            None => Ok(()),
        }
    }

    fn list_default(&self, resource_type: ConfigResourceType, key: &str) -> Option<String> {
        match (resource_type, key) {
            (ConfigResourceType::Topic, "cleanup.policy") => Some("delete".to_string()),
            (
                ConfigResourceType::Topic,
                "leader.replication.throttled.replicas" | "follower.replication.throttled.replicas",
            ) => Some(String::new()),
            _ => None,
        }
    }
}

/// One resource of a legacy AlterConfigs request: its complete new config set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResource {
    /// The resource.
    pub resource: ConfigResource,
    /// The new set; keys not listed are deleted. A `None` value deletes the key.
    pub configs: Vec<(String, Option<String>)>,
}

/// An IncrementalAlterConfigs operation (KIP-339 `AlterConfigOp.OpType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    /// 0: set the value.
    Set(String),
    /// 1: revert to the default.
    Delete,
    /// 2: add the comma-separated values to a LIST config.
    Append(String),
    /// 3: remove the comma-separated values from a LIST config.
    Subtract(String),
}

impl AlterConfigOp {
    fn name(&self) -> &'static str {
        match self {
            Self::Set(_) => "SET",
            Self::Delete => "DELETE",
            Self::Append(_) => "APPEND",
            Self::Subtract(_) => "SUBTRACT",
        }
    }
}

/// One resource of an IncrementalAlterConfigs request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalAlterConfigsResource {
    /// The resource.
    pub resource: ConfigResource,
    /// `(key, operation)` in request order.
    pub ops: Vec<(String, AlterConfigOp)>,
}

/// Per-resource results in request order.
pub type ResourceResults = Vec<(ConfigResource, Result<(), ControllerError>)>;

impl Controller {
    /// Legacy AlterConfigs: each resource's config set is replaced by the given one.
    pub fn alter_configs(
        &self,
        image: &MetadataImage,
        resources: &[AlterConfigsResource],
        validate_only: bool,
    ) -> ControllerResult<ResourceResults> {
        self.alter_each(
            image,
            resources,
            validate_only,
            |resource| &resource.resource,
            |current, resource| {
                let target: BTreeMap<String, String> = resource
                    .configs
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.clone()?)))
                    .collect();
                let mut changes: Vec<(String, Option<String>)> = target
                    .iter()
                    .map(|(key, value)| (key.clone(), Some(value.clone())))
                    .collect();
                changes.extend(
                    current
                        .keys()
                        .filter(|key| !target.contains_key(*key))
                        .map(|key| (key.clone(), None)),
                );
                Ok((target, changes))
            },
        )
    }

    /// IncrementalAlterConfigs (KIP-339).
    pub fn incremental_alter_configs(
        &self,
        image: &MetadataImage,
        resources: &[IncrementalAlterConfigsResource],
        validate_only: bool,
    ) -> ControllerResult<ResourceResults> {
        self.alter_each(
            image,
            resources,
            validate_only,
            |resource| &resource.resource,
            |current, resource| self.apply_ops(current, resource),
        )
    }

    /// Shared skeleton: duplicate and existence checks, compute `(new set, changed keys)`,
    /// validate the new set, emit one ConfigRecord per changed key.
    fn alter_each<T>(
        &self,
        image: &MetadataImage,
        resources: &[T],
        validate_only: bool,
        resource_of: impl Fn(&T) -> &ConfigResource,
        compute: impl Fn(&BTreeMap<String, String>, &T) -> Result<Changes, ControllerError>,
    ) -> ControllerResult<ResourceResults> {
        let mut records = Vec::new();
        let mut results: ResourceResults = Vec::with_capacity(resources.len());
        for item in resources {
            let resource = resource_of(item);
            if let Some(index) = results.iter().position(|(seen, _)| seen == resource) {
                results[index].1 = Err(ControllerError::InvalidRequest(
                    "Duplicate resource.".to_string(),
                ));
                records.retain(|record| !is_config_of(record, resource));
                continue;
            }
            let empty = BTreeMap::new();
            let current = image.configs(resource).unwrap_or(&empty);
            let result = check_resource_exists(image, resource).and_then(|()| {
                let (target, changes) = compute(current, item)?;
                self.validator
                    .validate(resource, &target)
                    .map_err(ControllerError::InvalidConfig)?;
                for (key, value) in changes {
                    // Kafka emits a record only for changed keys, except for brokers, whose
                    // dynamic-config listeners reload on every record.
                    let changed = current.get(&key) != value.as_ref();
                    if changed || resource.resource_type == ConfigResourceType::Broker {
                        records.push(config_record(resource, &key, value));
                    }
                }
                Ok(())
            });
            results.push((resource.clone(), result));
        }
        if validate_only {
            records.clear();
        }
        ControllerResult {
            records,
            response: results,
        }
    }

    fn apply_ops(
        &self,
        current: &BTreeMap<String, String>,
        resource: &IncrementalAlterConfigsResource,
    ) -> Result<Changes, ControllerError> {
        let mut keys = BTreeSet::new();
        if let Some((key, _)) = resource
            .ops
            .iter()
            .find(|(key, _)| !keys.insert(key.as_str()))
        {
            return Err(ControllerError::InvalidRequest(format!(
                "Error due to duplicate config keys: {key}"
            )));
        }
        let mut target = current.clone();
        let mut changes = Vec::with_capacity(resource.ops.len());
        for (key, op) in &resource.ops {
            let new_value = match op {
                AlterConfigOp::Set(value) => Some(value.clone()),
                AlterConfigOp::Delete => None,
                AlterConfigOp::Append(values) | AlterConfigOp::Subtract(values) => {
                    let Some(default) = self
                        .validator
                        .list_default(resource.resource.resource_type, key)
                    else {
                        return Err(ControllerError::InvalidConfig(format!(
                            "Can't {} to key {key} because its type is not LIST.",
                            op.name()
                        )));
                    };
                    let base = current.get(key).cloned().unwrap_or(default);
                    let mut list: Vec<String> = split_list(&base);
                    let operands = split_list(values);
                    if matches!(op, AlterConfigOp::Append(_)) {
                        for value in operands {
                            if !list.contains(&value) {
                                list.push(value);
                            }
                        }
                    } else {
                        list.retain(|value| !operands.contains(value));
                    }
                    Some(list.join(","))
                }
            };
            match &new_value {
                Some(value) => target.insert(key.clone(), value.clone()),
                None => target.remove(key),
            };
            changes.push((key.clone(), new_value));
        }
        Ok((target, changes))
    }
}

/// `(the resource's complete new config set, (key, new value or None to delete) per change)`.
type Changes = (BTreeMap<String, String>, Vec<(String, Option<String>)>);

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_string)
        .collect()
}

/// Kafka `ConfigResourceExistenceChecker`: topics must exist; broker resources are the
/// cluster default ("") or a registered node id.
fn check_resource_exists(
    image: &MetadataImage,
    resource: &ConfigResource,
) -> Result<(), ControllerError> {
    match resource.resource_type {
        ConfigResourceType::Topic => {
            if image.topic(&resource.name).is_none() {
                return Err(ControllerError::UnknownTopicOrPartition(format!(
                    "The topic '{}' does not exist.",
                    resource.name
                )));
            }
            Ok(())
        }
        ConfigResourceType::Broker => {
            if resource.name.is_empty() {
                return Ok(());
            }
            let node_id: i32 = resource.name.parse().map_err(|_| {
                ControllerError::InvalidRequest(format!("Invalid broker name {}", resource.name))
            })?;
            if node_id != image.controller_id() && !image.brokers().contains_key(&node_id) {
                return Err(ControllerError::BrokerIdNotRegistered(format!(
                    "No broker with id {node_id} found."
                )));
            }
            Ok(())
        }
        // Broker loggers are the broker's own business; client metrics and group configs are
        // not stored by this controller yet.
        other => Err(ControllerError::InvalidRequest(format!(
            "Unsupported resource type {other:?}"
        ))),
    }
}

fn config_record(resource: &ConfigResource, key: &str, value: Option<String>) -> MetadataRecord {
    MetadataRecord::Config(ConfigRecord {
        resource_type: resource.resource_type.id(),
        resource_name: resource.name.clone(),
        name: key.to_string(),
        value,
    })
}

fn is_config_of(record: &MetadataRecord, resource: &ConfigResource) -> bool {
    matches!(record, MetadataRecord::Config(config)
        if config.resource_type == resource.resource_type.id() && config.resource_name == resource.name)
}

/// The ConfigRecords setting a new topic's configs, in key order.
pub(super) fn topic_config_records(
    topic: &str,
    configs: &BTreeMap<String, String>,
) -> Vec<MetadataRecord> {
    let resource = ConfigResource::topic(topic);
    configs
        .iter()
        .map(|(key, value)| config_record(&resource, key, Some(value.clone())))
        .collect()
}
