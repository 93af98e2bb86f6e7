//! CreatePartitions (key 37, KIP-195): `CreatePartitionsRequest.json` /
//! `CreatePartitionsResponse.json`.
//!
//! Through the controller (`ReplicationControlManager.createPartitions`, which words the
//! errors: a count that is not an increase is INVALID_PARTITIONS, an unknown topic
//! UNKNOWN_TOPIC_OR_PARTITION); the new partitions' logs exist before the response is sent.

use fjord_metadata::controller::CreatePartitionsTopic;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreatePartitionsResponse, TopicName,
};

use super::config_resources::{apply_to_logs, store_error};
use super::{BrokerContext, now_ms, str_bytes};

/// v0..=3, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::CreatePartitions, 0, 3);

/// Raises each topic's partition count.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let topics: Vec<CreatePartitionsTopic> = request
        .topics
        .iter()
        .map(|t| CreatePartitionsTopic {
            name: t.name.0.as_str().to_owned(),
            count: t.count,
            assignments: t.assignments.as_ref().map(|assignments| {
                assignments
                    .iter()
                    .map(|a| a.broker_ids.iter().map(|b| b.0).collect())
                    .collect()
            }),
        })
        .collect();
    let results =
        match ctx
            .replicas
            .metadata()
            .create_partitions(&topics, request.validate_only, now_ms())
        {
            Ok(results) => results,
            Err(error) => {
                let (code, message) = store_error(&error);
                let results = topics
                    .iter()
                    .map(|t| {
                        CreatePartitionsTopicResult::default()
                            .with_name(TopicName(str_bytes(&t.name)))
                            .with_error_code(code.code())
                            .with_error_message(Some(str_bytes(&message)))
                    })
                    .collect();
                return CreatePartitionsResponse::default().with_results(results);
            }
        };
    if !request.validate_only {
        apply_to_logs(ctx);
    }
    let results = results
        .into_iter()
        .map(|(name, result)| {
            let response =
                CreatePartitionsTopicResult::default().with_name(TopicName(str_bytes(&name)));
            match result {
                Ok(()) => response,
                Err(error) => response
                    .with_error_code(error.code())
                    .with_error_message(Some(str_bytes(&error.to_string()))),
            }
        })
        .collect();
    CreatePartitionsResponse::default().with_results(results)
}
