//! CreateTopics (key 19): `CreateTopicsRequest.json` / `CreateTopicsResponse.json`.
//!
//! Each request goes through the controller (`fjord_metadata::Controller::create_topics`,
//! Kafka `ReplicationControlManager.createTopics`), is committed to `__cluster_metadata`, and
//! the new partitions' logs are created before the response is sent. `num_partitions = -1`
//! and `replication_factor = -1` take `num.partitions` and `default.replication.factor`
//! (KIP-464). `validate_only` runs every check and commits nothing. From v5 the response lists
//! every config of the new topic with its source (KIP-525).

use fjord_metadata::controller::CreatableTopic;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, CreateTopicsResponse, TopicName,
};

use super::config_resources::{apply_to_logs, describe_topic, store_error};
use super::{BrokerContext, now_ms, str_bytes};

/// v2..=7, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::CreateTopics, 2, 7);

/// First version whose response carries the topic's configs (KIP-525).
const CONFIGS_VERSION_MIN: i16 = 5;

/// Converts the wire topic into the controller's request.
fn creatable(
    topic: &fjord_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic,
) -> CreatableTopic {
    CreatableTopic {
        name: topic.name.0.as_str().to_owned(),
        num_partitions: topic.num_partitions,
        replication_factor: topic.replication_factor,
        assignments: topic
            .assignments
            .iter()
            .map(|a| {
                (
                    a.partition_index,
                    a.broker_ids.iter().map(|b| b.0).collect(),
                )
            })
            .collect(),
        configs: topic
            .configs
            .iter()
            .map(|c| {
                (
                    c.name.as_str().to_owned(),
                    c.value.as_ref().map(|v| v.as_str().to_owned()),
                )
            })
            .collect(),
    }
}

/// Creates (or validates) the topics; one result per distinct name, in request order.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let topics: Vec<CreatableTopic> = request.topics.iter().map(creatable).collect();
    let results =
        match ctx
            .replicas
            .metadata()
            .create_topics(&topics, request.validate_only, now_ms())
        {
            Ok(results) => results,
            Err(error) => {
                let (code, message) = store_error(&error);
                let mut seen = std::collections::BTreeSet::new();
                let topics = topics
                    .iter()
                    .filter(|t| seen.insert(t.name.clone()))
                    .map(|t| {
                        CreatableTopicResult::default()
                            .with_name(TopicName(str_bytes(&t.name)))
                            .with_error_code(code.code())
                            .with_error_message(Some(str_bytes(&message)))
                            .with_num_partitions(-1)
                            .with_replication_factor(-1)
                    })
                    .collect();
                return CreateTopicsResponse::default().with_topics(topics);
            }
        };
    if !request.validate_only {
        apply_to_logs(ctx);
    }
    let image = ctx.replicas.image();
    let topics = results
        .into_iter()
        .map(|(name, result)| {
            let response = CreatableTopicResult::default().with_name(TopicName(str_bytes(&name)));
            match result {
                Ok(created) => {
                    if !request.validate_only {
                        tracing::info!(topic = %name, partitions = created.num_partitions, "created topic");
                    }
                    let configs = if header.api_version >= CONFIGS_VERSION_MIN && !request.validate_only {
                        describe_topic(ctx, &image, &name)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|c| {
                                CreatableTopicConfigs::default()
                                    .with_name(str_bytes(&c.entry.name))
                                    .with_value(c.entry.value.as_deref().map(str_bytes))
                                    .with_read_only(c.entry.read_only)
                                    .with_config_source(c.entry.source.id())
                                    .with_is_sensitive(c.entry.is_sensitive)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    response
                        .with_topic_id(created.topic_id)
                        .with_num_partitions(created.num_partitions)
                        .with_replication_factor(created.replication_factor)
                        .with_configs(Some(configs))
                }
                Err(error) => response
                    .with_error_code(error.code())
                    .with_error_message(Some(str_bytes(&error.to_string())))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1),
            }
        })
        .collect();
    CreateTopicsResponse::default().with_topics(topics)
}
