//! JoinGroup (key 11): `JoinGroupRequest.json` / `JoinGroupResponse.json`, served by the
//! group coordinator shard of the group's `__consumer_offsets` partition. The response is
//! delayed until the join phase completes (Kafka `GroupMetadataManager.classicGroupJoin`).

use fjord_coordinator::{CoordinatorResponse, GroupError};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use fjord_protocol::kafka_protocol::messages::{ApiKey, JoinGroupRequest, JoinGroupResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0..=9, Kafka 4.1's range (v4+ KIP-394 member id required, v5+ static members, v9
/// KIP-814 skip assignment).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::JoinGroup, 0, 9);

/// First version whose members carry `group_instance_id`.
const INSTANCE_ID_VERSION_MIN: i16 = 5;
/// First version with `skip_assignment`.
const SKIP_ASSIGNMENT_VERSION_MIN: i16 = 9;

/// Joins (or rejoins) a classic group.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: JoinGroupRequest,
) -> JoinGroupResponse {
    let version = header.api_version;
    let join = fjord_coordinator::JoinGroupRequest {
        api_version: version,
        group_id: request.group_id.0.to_string(),
        session_timeout_ms: request.session_timeout_ms,
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalance_timeout_ms: if version >= 1 {
            request.rebalance_timeout_ms
        } else {
            request.session_timeout_ms
        },
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
        protocol_type: request.protocol_type.to_string(),
        protocols: request
            .protocols
            .into_iter()
            .map(|p| (p.name.to_string(), p.metadata))
            .collect(),
        client_id: header.client_id.clone().unwrap_or_default(),
        // Kafka's member clientHost is `InetAddress.toString()`: "/127.0.0.1".
        client_host: header
            .client_address
            .map(|address| format!("/{address}"))
            .unwrap_or_default(),
    };
    let outcome = ctx
        .groups
        .call(ctx, &join.group_id, |shard, handle, now| {
            shard.join_group(handle, &join, now)
        })
        .await;
    let response = match outcome {
        Ok(CoordinatorResponse::Join(response)) => response,
        Ok(_) => return error_response(ErrorCode::UnknownServerError.code(), &join.member_id),
        Err(error) => return error_response(error.code(), &join.member_id),
    };
    let members = response
        .members
        .into_iter()
        .map(|m| {
            let member = JoinGroupResponseMember::default()
                .with_member_id(str_bytes(&m.member_id))
                .with_metadata(m.metadata);
            if version >= INSTANCE_ID_VERSION_MIN {
                member.with_group_instance_id(m.group_instance_id.as_deref().map(str_bytes))
            } else {
                member
            }
        })
        .collect();
    JoinGroupResponse::default()
        .with_error_code(response.error.map_or(0, GroupError::code))
        .with_generation_id(response.generation_id)
        .with_protocol_type(response.protocol_type.as_deref().map(str_bytes))
        .with_protocol_name(response.protocol_name.as_deref().map(str_bytes))
        .with_leader(str_bytes(&response.leader))
        .with_skip_assignment(version >= SKIP_ASSIGNMENT_VERSION_MIN && response.skip_assignment)
        .with_member_id(str_bytes(&response.member_id))
        .with_members(members)
}

fn error_response(code: i16, member_id: &str) -> JoinGroupResponse {
    JoinGroupResponse::default()
        .with_error_code(code)
        .with_generation_id(-1)
        .with_protocol_name(Some(str_bytes("")))
        .with_member_id(str_bytes(member_id))
}
