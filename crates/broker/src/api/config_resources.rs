//! Shared by the config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs) and
//! CreateTopics v5+: resource types on the wire, config rows with their sources, and the
//! post-commit step that applies metadata changes to the logs.

use fjord_config::synonyms::{BrokerConfigLayers, broker_config_synonyms};
use fjord_config::topic::topic_key;
use fjord_config::{ConfigEntry, ConfigSource, ConfigType, Properties, TopicConfigs};
use fjord_metadata::records::ConfigResourceType;
use fjord_metadata::{ConfigResource, MetadataImage, StoreError};
use fjord_protocol::ErrorCode;

use super::{BrokerContext, now_ms};

/// `ConfigResource.Type` ids on the wire (`DescribeConfigsRequest.json` ResourceType):
/// TOPIC = 2, BROKER = 4, BROKER_LOGGER = 8.
pub mod resource_types {
    /// A topic.
    pub const TOPIC: i8 = 2;
    /// A broker (name = node id, or "" for the cluster-wide default).
    pub const BROKER: i8 = 4;
    /// A broker's log4j loggers.
    pub const BROKER_LOGGER: i8 = 8;
}

/// Why a config resource of a request cannot be served. Mapped in [`ResourceError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// Unknown or unsupported resource type (Kafka `ConfigResource.Type.forId` → UNKNOWN).
    #[error("Unsupported resource type {0}")]
    UnsupportedType(i8),
    /// Broker name not a number (Kafka `ConfigHelper.resourceNameToBrokerId`).
    #[error("Broker id must be an integer, but it is: {0}")]
    BrokerIdNotInteger(String),
    /// Another broker's id (Kafka `ConfigHelper.describeConfigs`).
    #[error("Unexpected broker id, expected {expected} or empty string, but received {received}")]
    OtherBroker {
        /// This node.
        expected: i32,
        /// The requested id.
        received: String,
    },
    /// No such topic.
    #[error("The topic '{0}' does not exist.")]
    UnknownTopic(String),
}

impl ResourceError {
    /// The one place these map to wire codes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnsupportedType(_) | Self::BrokerIdNotInteger(_) | Self::OtherBroker { .. } => {
                ErrorCode::InvalidRequest
            }
            Self::UnknownTopic(_) => ErrorCode::UnknownTopicOrPartition,
        }
    }
}

/// The metadata resource a wire `(type, name)` pair names. Broker names must be this node's id
/// or "" (the cluster-wide default).
pub fn resource(
    ctx: &BrokerContext,
    resource_type: i8,
    name: &str,
) -> Result<ConfigResource, ResourceError> {
    match resource_type {
        resource_types::TOPIC => Ok(ConfigResource::topic(name)),
        resource_types::BROKER if name.is_empty() => Ok(ConfigResource::broker(None)),
        resource_types::BROKER => {
            let id: i32 = name
                .parse()
                .map_err(|_| ResourceError::BrokerIdNotInteger(name.to_owned()))?;
            if id != ctx.config.node_id {
                return Err(ResourceError::OtherBroker {
                    expected: ctx.config.node_id,
                    received: name.to_owned(),
                });
            }
            Ok(ConfigResource::broker(Some(id)))
        }
        other => Err(ResourceError::UnsupportedType(other)),
    }
}

/// `DescribeConfigsResponse` ConfigType ids (KIP-569): UNKNOWN 0, BOOLEAN 1, STRING 2, INT 3,
/// SHORT 4, LONG 5, DOUBLE 6, LIST 7, CLASS 8, PASSWORD 9.
pub fn config_type_id(ty: ConfigType) -> i8 {
    match ty {
        ConfigType::Boolean => 1,
        ConfigType::String => 2,
        ConfigType::Int => 3,
        ConfigType::Short => 4,
        ConfigType::Long => 5,
        ConfigType::Double => 6,
        ConfigType::List => 7,
        ConfigType::Class => 8,
        ConfigType::Password => 9,
    }
}

/// A synonym row (`DescribeConfigsSynonym`): name, value, source.
pub type Synonym = (String, Option<String>, ConfigSource);

/// A config row with what DescribeConfigs v1+ and CreateTopics v5+ report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedConfig {
    /// The row.
    pub entry: ConfigEntry,
    /// Its type.
    pub config_type: ConfigType,
    /// Synonyms in Kafka's precedence order (the value in force first).
    pub synonyms: Vec<Synonym>,
}

/// Every topic config of `topic` with value and source: overrides `DYNAMIC_TOPIC_CONFIG`, the
/// rest from the broker synonym (`STATIC_BROKER_CONFIG`) or Kafka's default (`DEFAULT_CONFIG`)
/// (Kafka `ConfigHelper.createTopicConfigEntry`).
pub fn describe_topic(
    ctx: &BrokerContext,
    image: &MetadataImage,
    topic: &str,
) -> Result<Vec<DescribedConfig>, ResourceError> {
    if image.topic(topic).is_none() {
        return Err(ResourceError::UnknownTopic(topic.to_owned()));
    }
    let overrides = image.configs(&ConfigResource::topic(topic));
    let mut props = Properties::new();
    for (key, value) in overrides.into_iter().flatten() {
        props.set(key.as_str(), value.as_str());
    }
    let server = &ctx.config.server;
    let effective = match TopicConfigs::effective(&props, server) {
        Ok(effective) => effective,
        // Stored overrides passed the same validation; fall back to the defaults rather than
        // failing the whole describe.
        Err(error) => {
            tracing::error!(topic, %error, "stored topic configs do not resolve");
            TopicConfigs::effective(&Properties::new(), server)
                .map_err(|_| ResourceError::UnknownTopic(topic.to_owned()))?
        }
    };
    // ConfigHelper.createTopicConfigEntry: the override, then the primary broker synonym's
    // rows (fjord_config::synonyms); the row's source is the first synonym's.
    let layers = BrokerConfigLayers {
        per_broker: image.configs(&ConfigResource::broker(Some(ctx.config.node_id))),
        cluster_default: image.configs(&ConfigResource::broker(None)),
        server,
    };
    Ok(effective
        .describe()
        .into_iter()
        .map(|mut entry| {
            let key = topic_key(&entry.name);
            let topic_override = overrides
                .and_then(|o| o.get(&entry.name))
                .map(String::as_str);
            let synonyms = layers.topic_synonyms(&entry.name, topic_override);
            entry.source = synonyms
                .first()
                .map_or(ConfigSource::DefaultConfig, |(_, _, source)| *source);
            DescribedConfig {
                config_type: key.map_or(ConfigType::String, |k| k.ty),
                entry,
                synonyms,
            }
        })
        .collect())
}

/// Every broker config of this node: dynamic per-broker values (`DYNAMIC_BROKER_CONFIG`) over
/// cluster-wide dynamic defaults (`DYNAMIC_DEFAULT_BROKER_CONFIG`) over the static file
/// (`STATIC_BROKER_CONFIG`) over Kafka's defaults (`DEFAULT_CONFIG`), as Kafka's
/// `DynamicBrokerConfig` layers them. Dynamic values are stored and reported; the running
/// broker applies only its static configuration so far.
pub fn describe_broker(
    ctx: &BrokerContext,
    image: &MetadataImage,
    resource: &ConfigResource,
) -> Vec<DescribedConfig> {
    let per_broker = image.configs(&ConfigResource::broker(Some(ctx.config.node_id)));
    let cluster_default = image.configs(&ConfigResource::broker(None));
    let describe_default_only = resource.name.is_empty();
    let layers = BrokerConfigLayers {
        per_broker,
        cluster_default,
        server: &ctx.config.server,
    };
    ctx.config
        .server
        .describe()
        .into_iter()
        .map(|mut entry| {
            let config_type = fjord_config::broker_keys::broker_key(&entry.name)
                .map_or(ConfigType::String, |k| k.ty);
            // ConfigHelper.createBrokerConfigEntry: the synonym group's rows; the cluster-wide
            // default resource keeps only DYNAMIC_DEFAULT_BROKER_CONFIG rows.
            let group = broker_config_synonyms(&entry.name);
            let synonyms: Vec<Synonym> = layers
                .synonyms(&entry.name, &group, entry.is_sensitive)
                .into_iter()
                .filter(|(_, _, source)| {
                    !describe_default_only || *source == ConfigSource::DynamicDefaultBrokerConfig
                })
                .collect();
            match synonyms.first() {
                Some((_, value, source)) => {
                    if !entry.is_sensitive {
                        entry.value = value.clone();
                    }
                    entry.source = *source;
                }
                None => entry.source = ConfigSource::DefaultConfig,
            }
            DescribedConfig {
                entry,
                config_type,
                synonyms,
            }
        })
        .collect()
}

/// Maps a metadata store failure for every item of a request. The outcome of a failed commit
/// is unknown to the client, so it is reported as Kafka reports an unexpected controller
/// exception.
pub fn store_error(error: &StoreError) -> (ErrorCode, String) {
    (ErrorCode::UnknownServerError, error.to_string())
}

/// After a metadata commit: create, delete and reconfigure logs to match the new image. A
/// failure is logged (the directory goes offline in storage); the metadata change stands, and
/// the next sync retries.
pub fn apply_to_logs(ctx: &BrokerContext) {
    if let Err(error) = ctx.replicas.sync_logs(now_ms()) {
        tracing::error!(%error, "applying the metadata change to the logs failed");
    }
}

/// Whether `resource` is a topic config resource.
pub fn is_topic(resource: &ConfigResource) -> bool {
    resource.resource_type == ConfigResourceType::Topic
}

/// One resource's outcome in an alter request: `(type, name, error code, error message)`.
pub type AlterOutcome = (i8, String, i16, Option<String>);

/// Runs an alter (legacy or incremental) over the resources of a request: each wire
/// `(type, name)` is resolved first ([`resource`]); the resolvable ones go to `submit` (the
/// controller, through the store) as `items`; the answers come back in request order. Topic
/// changes reach the logs (`set_config`) before the response is sent.
pub fn alter<T>(
    ctx: &BrokerContext,
    wire: &[(i8, String)],
    items: Vec<Option<T>>,
    validate_only: bool,
    submit: impl FnOnce(&[T]) -> Result<fjord_metadata::controller::ResourceResults, StoreError>,
) -> Vec<AlterOutcome> {
    let resolved: Vec<Result<ConfigResource, ResourceError>> = wire
        .iter()
        .map(|(ty, name)| {
            if *ty == resource_types::BROKER_LOGGER {
                // Logger levels are not modelled: refuse rather than pretend.
                return Err(ResourceError::UnsupportedType(*ty));
            }
            resource(ctx, *ty, name)
        })
        .collect();
    let accepted: Vec<T> = items
        .into_iter()
        .zip(&resolved)
        .filter_map(|(item, r)| r.as_ref().ok().and(item))
        .collect();
    let outcome = submit(&accepted);
    if !validate_only && outcome.is_ok() {
        apply_to_logs(ctx);
    }
    wire.iter()
        .zip(resolved)
        .map(|((ty, name), r)| {
            let (code, message) = match (r, &outcome) {
                (Err(error), _) => (error.code().code(), Some(error.to_string())),
                (Ok(_), Err(error)) => {
                    let (code, message) = store_error(error);
                    (code.code(), Some(message))
                }
                (Ok(wanted), Ok(results)) => match results.iter().find(|(r, _)| *r == wanted) {
                    Some((_, Ok(()))) => (0, None),
                    Some((_, Err(error))) => (error.code(), Some(error.to_string())),
                    None => (ErrorCode::UnknownServerError.code(), None),
                },
            };
            (*ty, name.clone(), code, message)
        })
        .collect()
}
