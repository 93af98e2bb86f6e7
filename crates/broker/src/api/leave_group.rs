//! LeaveGroup (key 13): `LeaveGroupRequest.json` / `LeaveGroupResponse.json`; v3+ batches
//! member identities (KIP-345), v0..v2 name one member id (Kafka
//! `GroupMetadataManager.classicGroupLeave`).

use fjord_coordinator::{CoordinatorResponse, GroupError, LeavingMember};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::leave_group_response::MemberResponse;
use fjord_protocol::kafka_protocol::messages::{ApiKey, LeaveGroupRequest, LeaveGroupResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0..=5, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::LeaveGroup, 0, 5);

/// First version with batched members.
const BATCHED_VERSION_MIN: i16 = 3;

/// Removes members from a group, which rebalances it.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: LeaveGroupRequest,
) -> LeaveGroupResponse {
    let batched = header.api_version >= BATCHED_VERSION_MIN;
    let members = if batched {
        request
            .members
            .iter()
            .map(|m| LeavingMember {
                member_id: m.member_id.to_string(),
                group_instance_id: m.group_instance_id.as_ref().map(|id| id.to_string()),
            })
            .collect()
    } else {
        vec![LeavingMember {
            member_id: request.member_id.to_string(),
            group_instance_id: None,
        }]
    };
    let leave = fjord_coordinator::LeaveGroupRequest {
        group_id: request.group_id.0.to_string(),
        members,
    };
    let response = match ctx
        .groups
        .call(ctx, &leave.group_id, |shard, handle, now| {
            shard.leave_group(handle, &leave, now)
        })
        .await
    {
        Ok(CoordinatorResponse::Leave(response)) => response,
        Ok(_) => {
            return LeaveGroupResponse::default()
                .with_error_code(ErrorCode::UnknownServerError.code());
        }
        Err(error) => return LeaveGroupResponse::default().with_error_code(error.code()),
    };
    let top = response.error.map_or(0, GroupError::code);
    if !batched {
        // v0..v2: one error; the member's when the group-level one is NONE.
        let member = response
            .members
            .first()
            .and_then(|m| m.error)
            .map_or(0, GroupError::code);
        return LeaveGroupResponse::default().with_error_code(if top != 0 { top } else { member });
    }
    let members = response
        .members
        .into_iter()
        .map(|m| {
            MemberResponse::default()
                .with_member_id(str_bytes(&m.member_id))
                .with_group_instance_id(m.group_instance_id.as_deref().map(str_bytes))
                .with_error_code(m.error.map_or(0, GroupError::code))
        })
        .collect();
    LeaveGroupResponse::default()
        .with_error_code(top)
        .with_members(members)
}
