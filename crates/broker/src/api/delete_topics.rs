//! DeleteTopics (key 20): `DeleteTopicsRequest.json` / `DeleteTopicsResponse.json`. v6 names
//! topics by name or id (KIP-516). Goes through the controller
//! (`ReplicationControlManager.deleteTopics`); the topics' logs are deleted before the
//! response is sent.

use fjord_metadata::controller::TopicRef;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::config_resources::{apply_to_logs, store_error};
use super::{BrokerContext, now_ms, str_bytes};

/// v1..=6, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DeleteTopics, 1, 6);

/// First version naming topics by id (KIP-516).
const TOPIC_ID_VERSION_MIN: i16 = 6;

/// Deletes each named topic. Unknown names: UNKNOWN_TOPIC_OR_PARTITION; unknown ids:
/// UNKNOWN_TOPIC_ID; with `delete.topic.enable=false`: TOPIC_DELETION_DISABLED (Kafka
/// `ControllerApis.deleteTopics`).
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let targets: Vec<TopicRef> = if header.api_version >= TOPIC_ID_VERSION_MIN {
        request
            .topics
            .into_iter()
            .map(|t| match t.name {
                Some(name) => TopicRef::Name(name.0.as_str().to_owned()),
                None => TopicRef::Id(t.topic_id),
            })
            .collect()
    } else {
        request
            .topic_names
            .into_iter()
            .map(|n| TopicRef::Name(n.0.as_str().to_owned()))
            .collect()
    };
    let blank = |target: &TopicRef| match target {
        TopicRef::Name(name) => {
            DeletableTopicResult::default().with_name(Some(TopicName(str_bytes(name))))
        }
        TopicRef::Id(id) => DeletableTopicResult::default().with_topic_id(*id),
    };
    if !ctx.config.delete_topic_enable {
        let responses = targets
            .iter()
            .map(|t| blank(t).with_error_code(ErrorCode::TopicDeletionDisabled.code()))
            .collect();
        return DeleteTopicsResponse::default().with_responses(responses);
    }
    let results = match ctx.replicas.metadata().delete_topics(&targets, now_ms()) {
        Ok(results) => results,
        Err(error) => {
            let (code, message) = store_error(&error);
            let responses = targets
                .iter()
                .map(|t| {
                    blank(t)
                        .with_error_code(code.code())
                        .with_error_message(Some(str_bytes(&message)))
                })
                .collect();
            return DeleteTopicsResponse::default().with_responses(responses);
        }
    };
    apply_to_logs(ctx);
    let responses = results
        .into_iter()
        .map(|(target, result)| match result {
            Ok(deleted) => {
                tracing::info!(topic = %deleted.name, "deleted topic");
                DeletableTopicResult::default()
                    .with_name(Some(TopicName(str_bytes(&deleted.name))))
                    .with_topic_id(deleted.topic_id)
            }
            Err(error) => blank(&target)
                .with_error_code(error.code())
                .with_error_message(Some(str_bytes(&error.to_string()))),
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}
