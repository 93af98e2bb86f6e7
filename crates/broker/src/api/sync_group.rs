//! SyncGroup (key 14): `SyncGroupRequest.json` / `SyncGroupResponse.json`. Followers wait for
//! the leader's assignment (Kafka `GroupMetadataManager.classicGroupSync`).

use fjord_coordinator::{CoordinatorResponse, GroupError};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::{ApiKey, SyncGroupRequest, SyncGroupResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0..=5, Kafka 4.1's range (v5 adds protocol type and name).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::SyncGroup, 0, 5);

/// First version carrying protocol type and name.
const PROTOCOL_VERSION_MIN: i16 = 5;

/// Stores (leader) or fetches (followers) the generation's assignment.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: SyncGroupRequest,
) -> SyncGroupResponse {
    let sync = fjord_coordinator::SyncGroupRequest {
        group_id: request.group_id.0.to_string(),
        generation_id: request.generation_id,
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
        protocol_type: request.protocol_type.map(|t| t.to_string()),
        protocol_name: request.protocol_name.map(|n| n.to_string()),
        assignments: request
            .assignments
            .into_iter()
            .map(|a| (a.member_id.to_string(), a.assignment))
            .collect(),
    };
    let outcome = ctx
        .groups
        .call(ctx, &sync.group_id, |shard, handle, now| {
            shard.sync_group(handle, &sync, now)
        })
        .await;
    let response = match outcome {
        Ok(CoordinatorResponse::Sync(response)) => response,
        Ok(_) => {
            return SyncGroupResponse::default()
                .with_error_code(ErrorCode::UnknownServerError.code());
        }
        Err(error) => return SyncGroupResponse::default().with_error_code(error.code()),
    };
    let wire = SyncGroupResponse::default()
        .with_error_code(response.error.map_or(0, GroupError::code))
        .with_assignment(response.assignment);
    if header.api_version >= PROTOCOL_VERSION_MIN {
        wire.with_protocol_type(response.protocol_type.as_deref().map(str_bytes))
            .with_protocol_name(response.protocol_name.as_deref().map(str_bytes))
    } else {
        wire
    }
}
