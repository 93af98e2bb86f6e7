//! ConsumerGroupHeartbeat (key 68, KIP-848): `ConsumerGroupHeartbeatRequest.json` /
//! `ConsumerGroupHeartbeatResponse.json` (Kafka `GroupMetadataManager.consumerGroupHeartbeat`).
//! Served only when `group.coordinator.rebalance.protocols` includes `consumer`
//! (see [`super::registry_for`]).

use std::collections::BTreeMap;

use fjord_coordinator::{
    ConsumerHeartbeatRequest, CoordinatorResponse, GroupError, TopicInfo, TopicsSnapshot,
};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment, TopicPartitions,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};
use uuid::Uuid;

use super::{BrokerContext, str_bytes};

/// v0..=1, Kafka 4.1's range (v1: the client generates its member id, KIP-1082).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ConsumerGroupHeartbeat, 0, 1);

/// Joins, heartbeats in, or leaves a KIP-848 consumer group.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let heartbeat = ConsumerHeartbeatRequest {
        api_version: header.api_version,
        group_id: request.group_id.0.to_string(),
        member_id: request.member_id.to_string(),
        member_epoch: request.member_epoch,
        instance_id: request.instance_id.map(|s| s.to_string()),
        rack_id: request.rack_id.map(|s| s.to_string()),
        rebalance_timeout_ms: request.rebalance_timeout_ms,
        subscribed_topic_names: request
            .subscribed_topic_names
            .map(|names| names.into_iter().map(|n| n.0.to_string()).collect()),
        subscribed_topic_regex: request.subscribed_topic_regex.map(|s| s.to_string()),
        server_assignor: request.server_assignor.map(|s| s.to_string()),
        owned: request.topic_partitions.map(|topics| {
            let mut owned = fjord_coordinator::records::TopicPartitions::new();
            for topic in topics {
                owned
                    .entry(*topic.topic_id.as_bytes())
                    .or_default()
                    .extend(topic.partitions);
            }
            owned
        }),
        client_id: header.client_id.clone().unwrap_or_default(),
        client_host: header
            .client_address
            .map(|ip| format!("/{ip}"))
            .unwrap_or_default(),
    };
    let topics = topics_snapshot(ctx);
    let result = ctx
        .groups
        .call(ctx, &heartbeat.group_id, |shard, handle, now| {
            shard.consumer_group_heartbeat(handle, &heartbeat, &topics, now)
        })
        .await;
    match result {
        Ok(CoordinatorResponse::ConsumerHeartbeat(response)) => {
            ConsumerGroupHeartbeatResponse::default()
                .with_error_code(response.error.map_or(0, GroupError::code))
                .with_error_message(response.error_message.as_deref().map(str_bytes))
                .with_member_id(response.member_id.as_deref().map(str_bytes))
                .with_member_epoch(response.member_epoch)
                .with_heartbeat_interval_ms(response.heartbeat_interval_ms)
                .with_assignment(response.assignment.map(|assignment| {
                    Assignment::default().with_topic_partitions(
                        assignment
                            .into_iter()
                            .map(|(id, partitions)| {
                                TopicPartitions::default()
                                    .with_topic_id(Uuid::from_bytes(id))
                                    .with_partitions(partitions.into_iter().collect())
                            })
                            .collect(),
                    )
                }))
        }
        Ok(_) => ConsumerGroupHeartbeatResponse::default()
            .with_error_code(ErrorCode::UnknownServerError.code()),
        Err(error) => ConsumerGroupHeartbeatResponse::default()
            .with_error_code(error.code())
            .with_error_message(Some(str_bytes(&error.to_string()))),
    }
}

/// Every topic's id and partition count from the current metadata image (the server
/// assignor's input).
pub(crate) fn topics_snapshot(ctx: &BrokerContext) -> TopicsSnapshot {
    let image = ctx.replicas.image();
    image
        .topics()
        .iter()
        .map(|(name, topic)| {
            (
                name.clone(),
                TopicInfo {
                    id: *topic.id.as_bytes(),
                    partitions: i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX),
                },
            )
        })
        .collect::<BTreeMap<_, _>>()
}
