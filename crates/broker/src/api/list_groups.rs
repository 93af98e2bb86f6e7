//! ListGroups (key 16): `ListGroupsRequest.json` / `ListGroupsResponse.json`; state filter
//! v4+ (KIP-518), type filter and group type v5+ (KIP-848).

use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::list_groups_response::ListedGroup;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, GroupId, ListGroupsRequest, ListGroupsResponse,
};

use super::{BrokerContext, str_bytes};

/// v0..=5, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ListGroups, 0, 5);

/// First version with `group_state`.
const STATE_VERSION_MIN: i16 = 4;
/// First version with `group_type`.
const TYPE_VERSION_MIN: i16 = 5;

/// Lists the groups of every shard.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: ListGroupsRequest,
) -> ListGroupsResponse {
    let version = header.api_version;
    let states: Vec<String> = request
        .states_filter
        .iter()
        .map(ToString::to_string)
        .collect();
    let types: Vec<String> = request
        .types_filter
        .iter()
        .map(ToString::to_string)
        .collect();
    let listed = match ctx
        .groups
        .read_all(ctx, |shard| shard.list_groups(&states, &types))
    {
        Ok(listed) => listed,
        Err(error) => return ListGroupsResponse::default().with_error_code(error.code()),
    };
    let groups = listed
        .into_iter()
        .map(|g| {
            let mut group = ListedGroup::default()
                .with_group_id(GroupId(str_bytes(&g.group_id)))
                .with_protocol_type(str_bytes(&g.protocol_type));
            if version >= STATE_VERSION_MIN {
                group = group.with_group_state(str_bytes(g.group_state));
            }
            if version >= TYPE_VERSION_MIN {
                group = group.with_group_type(str_bytes(g.group_type));
            }
            group
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}
