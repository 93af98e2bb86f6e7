//! DescribeGroups (key 15): `DescribeGroupsRequest.json` / `DescribeGroupsResponse.json`.

use fjord_coordinator::GroupError;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_groups_response::{
    DescribedGroup, DescribedGroupMember,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, DescribeGroupsResponse,
};

use super::{BrokerContext, str_bytes};

/// v0..=6, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeGroups, 0, 6);

/// First version with members' `group_instance_id`.
const INSTANCE_ID_VERSION_MIN: i16 = 4;
/// First version with `error_message` (KIP-1043), where a non-classic group is an error.
const NOT_CLASSIC_ERROR_VERSION_MIN: i16 = 6;
/// `authorized_operations` when not requested (Kafka: `Integer.MIN_VALUE`).
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// Describes each group through its shard.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let groups = request
        .groups
        .into_iter()
        .map(|group| {
            let group_id = group.0.to_string();
            let read = ctx.groups.read(ctx, &group_id, |shard| {
                (
                    shard.describe_group(&group_id),
                    shard.consumer_group(&group_id).is_some(),
                )
            });
            let described = match read {
                // A KIP-848 group is not a classic group: v6 says so (GROUP_ID_NOT_FOUND,
                // Kafka `GroupMetadataManager.describeGroups`); older versions see it Dead.
                Ok((_, true)) if header.api_version >= NOT_CLASSIC_ERROR_VERSION_MIN => {
                    return DescribedGroup::default()
                        .with_group_id(group)
                        .with_error_code(GroupError::GroupIdNotFound.code())
                        .with_error_message(Some(str_bytes(&format!(
                            "Group {group_id} is not a classic group."
                        ))))
                        .with_group_state(str_bytes("Dead"))
                        .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED);
                }
                Ok((described, _)) => described,
                Err(error) => {
                    return DescribedGroup::default()
                        .with_group_id(group)
                        .with_error_code(error.code())
                        .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED);
                }
            };
            let members = described
                .members
                .into_iter()
                .map(|m| {
                    let member = DescribedGroupMember::default()
                        .with_member_id(str_bytes(&m.member_id))
                        .with_client_id(str_bytes(&m.client_id))
                        .with_client_host(str_bytes(&m.client_host))
                        .with_member_metadata(m.metadata)
                        .with_member_assignment(m.assignment);
                    if header.api_version >= INSTANCE_ID_VERSION_MIN {
                        member.with_group_instance_id(m.group_instance_id.as_deref().map(str_bytes))
                    } else {
                        member
                    }
                })
                .collect();
            DescribedGroup::default()
                .with_group_id(group)
                .with_error_code(described.error.map_or(0, GroupError::code))
                .with_group_state(str_bytes(described.group_state))
                .with_protocol_type(str_bytes(&described.protocol_type))
                .with_protocol_data(str_bytes(&described.protocol_data))
                .with_members(members)
                .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
        })
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}
