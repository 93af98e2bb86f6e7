//! OffsetDelete (key 47, KIP-496): `OffsetDeleteRequest.json` / `OffsetDeleteResponse.json`.

use fjord_coordinator::{CoordinatorResponse, GroupError};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, OffsetDeleteRequest, OffsetDeleteResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::OffsetDelete, 0, 0);

/// Deletes committed offsets of an empty group, or of topics a group does not subscribe to.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let delete = fjord_coordinator::OffsetDeleteRequest {
        group_id: request.group_id.0.to_string(),
        topics: request
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.0.to_string(),
                    t.partitions.iter().map(|p| p.partition_index).collect(),
                )
            })
            .collect(),
    };
    let response = match ctx
        .groups
        .call(ctx, &delete.group_id, |shard, handle, now| {
            shard.offset_delete(handle, &delete, now)
        })
        .await
    {
        Ok(CoordinatorResponse::OffsetDelete(response)) => response,
        Ok(_) => {
            return OffsetDeleteResponse::default()
                .with_error_code(ErrorCode::UnknownServerError.code());
        }
        Err(error) => return OffsetDeleteResponse::default().with_error_code(error.code()),
    };
    let topics = response
        .topics
        .into_iter()
        .map(|(name, partitions)| {
            OffsetDeleteResponseTopic::default()
                .with_name(TopicName(str_bytes(&name)))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(index, error)| {
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(index)
                                .with_error_code(error.map_or(0, GroupError::code))
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetDeleteResponse::default()
        .with_error_code(response.error.map_or(0, GroupError::code))
        .with_topics(topics)
}
