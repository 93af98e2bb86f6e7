//! DeleteGroups (key 42): `DeleteGroupsRequest.json` / `DeleteGroupsResponse.json`; each
//! group is deleted by its own coordinator shard.

use fjord_coordinator::{CoordinatorResponse, GroupError};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use fjord_protocol::kafka_protocol::messages::{ApiKey, DeleteGroupsRequest, DeleteGroupsResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v0..=2, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DeleteGroups, 0, 2);

/// Deletes empty groups with their offsets.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DeleteGroupsRequest,
) -> DeleteGroupsResponse {
    let mut results = Vec::with_capacity(request.groups_names.len());
    for group in request.groups_names {
        let group_id = group.0.to_string();
        let ids = [group_id.clone()];
        let code = match ctx
            .groups
            .call(ctx, &group_id, |shard, handle, now| {
                shard.delete_groups(handle, &ids, now)
            })
            .await
        {
            Ok(CoordinatorResponse::DeleteGroups(outcome)) => outcome
                .first()
                .and_then(|(_, e)| *e)
                .map_or(0, GroupError::code),
            Ok(_) => ErrorCode::UnknownServerError.code(),
            Err(error) => error.code(),
        };
        results.push(
            DeletableGroupResult::default()
                .with_group_id(group)
                .with_error_code(code),
        );
    }
    DeleteGroupsResponse::default().with_results(results)
}
