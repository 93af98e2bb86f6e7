//! DeleteTopics (key 20): `DeleteTopicsRequest.json` / `DeleteTopicsResponse.json`. v6 names
//! topics by name or id (KIP-516).

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v1..=6, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DeleteTopics, 1, 6);

/// Deletes each named topic. Unknown names: UNKNOWN_TOPIC_OR_PARTITION; unknown ids:
/// UNKNOWN_TOPIC_ID; with `delete.topic.enable=false`: TOPIC_DELETION_DISABLED (Kafka
/// `ControllerApis.deleteTopics`).
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let targets: Vec<(Option<String>, uuid::Uuid)> = if header.api_version >= 6 {
        request
            .topics
            .into_iter()
            .map(|t| (t.name.map(|n| n.0.as_str().to_owned()), t.topic_id))
            .collect()
    } else {
        request
            .topic_names
            .into_iter()
            .map(|n| (Some(n.0.as_str().to_owned()), uuid::Uuid::nil()))
            .collect()
    };
    let responses = targets
        .into_iter()
        .map(|(name, id)| {
            let topic = match &name {
                Some(name) => ctx.topics.get(name),
                None => ctx.topics.get_by_id(id),
            };
            let result = DeletableTopicResult::default()
                .with_name(name.as_deref().map(|n| TopicName(str_bytes(n))))
                .with_topic_id(id);
            match topic {
                Some(_) if !ctx.config.delete_topic_enable => {
                    result.with_error_code(ErrorCode::TopicDeletionDisabled.code())
                }
                Some(topic) => {
                    ctx.topics.delete(&topic.name);
                    tracing::info!(topic = %topic.name, "deleted topic");
                    result
                        .with_name(Some(TopicName(str_bytes(&topic.name))))
                        .with_topic_id(topic.id)
                }
                None => {
                    let code = if name.is_some() {
                        ErrorCode::UnknownTopicOrPartition
                    } else {
                        ErrorCode::UnknownTopicId
                    };
                    result.with_error_code(code.code())
                }
            }
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}
