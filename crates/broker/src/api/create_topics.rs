//! CreateTopics (key 19): `CreateTopicsRequest.json` / `CreateTopicsResponse.json`.
//!
//! `num_partitions = -1` and `replication_factor = -1` take `num.partitions` and
//! `default.replication.factor` (KIP-464). A replication factor above 1 cannot be met on one
//! node: INVALID_REPLICATION_FACTOR, with Kafka's message. `validate_only` runs every check
//! and creates nothing.

use std::collections::{BTreeMap, HashSet};

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
use fjord_protocol::kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, CreateTopicsRequest, CreateTopicsResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};
use crate::state::{CreateTopicError, TopicConfig};

/// v2..=7, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::CreateTopics, 2, 7);

/// `DescribeConfigsResponse` ConfigSource for a topic override (`TOPIC_CONFIG`).
const CONFIG_SOURCE_TOPIC: i8 = 1;

/// The one place CreateTopics maps errors to wire codes.
fn error_code(error: &CreateTopicError) -> ErrorCode {
    match error {
        CreateTopicError::InvalidName(_) => ErrorCode::InvalidTopicException,
        CreateTopicError::AlreadyExists(_) => ErrorCode::TopicAlreadyExists,
        CreateTopicError::InvalidPartitions => ErrorCode::InvalidPartitions,
        CreateTopicError::InvalidReplicationFactor(_) => ErrorCode::InvalidReplicationFactor,
        CreateTopicError::InvalidConfig(_) => ErrorCode::InvalidConfig,
    }
}

/// Creates (or validates) each topic independently.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let mut seen = HashSet::new();
    let duplicates: HashSet<String> = request
        .topics
        .iter()
        .filter(|t| !seen.insert(t.name.0.as_str().to_owned()))
        .map(|t| t.name.0.as_str().to_owned())
        .collect();
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let name = topic.name.clone();
            let result = CreatableTopicResult::default().with_name(name.clone());
            if duplicates.contains(name.0.as_str()) {
                // Kafka ControllerApis: "Duplicate topic name." → INVALID_REQUEST.
                return result
                    .with_error_code(ErrorCode::InvalidRequest.code())
                    .with_error_message(Some(str_bytes("Duplicate topic name.")));
            }
            match create_one(ctx, topic, request.validate_only) {
                Ok(created) => result
                    .with_topic_id(created.topic_id)
                    .with_num_partitions(created.partitions)
                    .with_replication_factor(created.replication_factor)
                    .with_configs(Some(created.configs)),
                Err(error) => result
                    .with_error_code(error_code(&error).code())
                    .with_error_message(Some(str_bytes(&error.to_string())))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1),
            }
        })
        .collect();
    CreateTopicsResponse::default().with_topics(topics)
}

struct Created {
    topic_id: uuid::Uuid,
    partitions: i32,
    replication_factor: i16,
    configs: Vec<CreatableTopicConfigs>,
}

fn create_one(
    ctx: &BrokerContext,
    topic: CreatableTopic,
    validate_only: bool,
) -> Result<Created, CreateTopicError> {
    let name = topic.name.0.as_str().to_owned();
    let (partitions, replication_factor) = if topic.assignments.is_empty() {
        let partitions = if topic.num_partitions == -1 {
            ctx.config.num_partitions
        } else {
            topic.num_partitions
        };
        let replication = if topic.replication_factor == -1 {
            ctx.config.default_replication_factor
        } else {
            topic.replication_factor
        };
        (partitions, replication)
    } else {
        // Manual assignment: every partition must list exactly this node.
        let node = ctx.config.node_id;
        let replication = topic.assignments.first().map_or(0, |a| a.broker_ids.len());
        if topic
            .assignments
            .iter()
            .any(|a| a.broker_ids.iter().any(|b| b.0 != node))
        {
            return Err(CreateTopicError::InvalidReplicationFactor(
                replication as i32,
            ));
        }
        (topic.assignments.len() as i32, replication as i16)
    };
    let mut overrides = BTreeMap::new();
    for entry in &topic.configs {
        let key = entry.name.as_str();
        let Some(value) = entry.value.as_ref() else {
            return Err(CreateTopicError::InvalidConfig(format!(
                "Null value not supported for topic configs: {key}"
            )));
        };
        overrides.insert(key.to_owned(), value.as_str().to_owned());
    }
    let config = TopicConfig { overrides };
    let configs = config
        .overrides
        .iter()
        .map(|(k, v)| {
            CreatableTopicConfigs::default()
                .with_name(str_bytes(k))
                .with_value(Some(str_bytes(v)))
                .with_config_source(CONFIG_SOURCE_TOPIC)
        })
        .collect();
    let topic_id = if validate_only {
        ctx.topics
            .validate_create(&name, partitions, i32::from(replication_factor), &config)?;
        uuid::Uuid::nil()
    } else {
        let created =
            ctx.topics
                .create(&name, partitions, i32::from(replication_factor), config)?;
        tracing::info!(topic = %name, partitions, "created topic");
        created.id
    };
    Ok(Created {
        topic_id,
        partitions,
        replication_factor,
        configs,
    })
}
