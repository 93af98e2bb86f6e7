//! Heartbeat (key 12): `HeartbeatRequest.json` / `HeartbeatResponse.json` (Kafka
//! `GroupMetadataManager.classicGroupHeartbeat`).

use fjord_coordinator::{CoordinatorResponse, GroupError};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::{ApiKey, HeartbeatRequest, HeartbeatResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v0..=4, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::Heartbeat, 0, 4);

/// Keeps a member's session alive; REBALANCE_IN_PROGRESS asks it to rejoin.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: HeartbeatRequest,
) -> HeartbeatResponse {
    let heartbeat = fjord_coordinator::HeartbeatRequest {
        group_id: request.group_id.0.to_string(),
        generation_id: request.generation_id,
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
    };
    let code = match ctx
        .groups
        .call(ctx, &heartbeat.group_id, |shard, handle, now| {
            shard.heartbeat(handle, &heartbeat, now)
        })
        .await
    {
        Ok(CoordinatorResponse::Heartbeat(error)) => error.map_or(0, GroupError::code),
        Ok(_) => ErrorCode::UnknownServerError.code(),
        Err(error) => error.code(),
    };
    HeartbeatResponse::default().with_error_code(code)
}
