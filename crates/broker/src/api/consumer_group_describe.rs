//! ConsumerGroupDescribe (key 69, KIP-848): `ConsumerGroupDescribeRequest.json` /
//! `ConsumerGroupDescribeResponse.json` (Kafka `GroupMetadataManager.consumerGroupDescribe`).

use fjord_coordinator::GroupError;
use fjord_coordinator::records::TopicPartitions as Partitions;
use fjord_metadata::MetadataImage;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::consumer_group_describe_response::{
    Assignment, DescribedGroup, Member, TopicPartitions,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, GroupId, TopicName,
};
use uuid::Uuid;

use super::{BrokerContext, str_bytes};

/// v0..=1, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ConsumerGroupDescribe, 0, 1);
/// `authorized_operations` when not requested (Kafka: `Integer.MIN_VALUE`).
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;
/// `MemberType` of a member using the consumer protocol (v1+).
const MEMBER_TYPE_CONSUMER: i8 = 1;

/// Describes each group through its shard.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let image = ctx.replicas.image();
    let groups = request
        .group_ids
        .into_iter()
        .map(|group| {
            let group_id = group.0.to_string();
            let described = match ctx.groups.read(ctx, &group_id, |shard| {
                shard.consumer_group_describe(&group_id)
            }) {
                Ok(described) => described,
                Err(error) => {
                    return DescribedGroup::default()
                        .with_group_id(group)
                        .with_error_code(error.code())
                        .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED);
                }
            };
            DescribedGroup::default()
                .with_group_id(GroupId(str_bytes(&described.group_id)))
                .with_error_code(described.error.map_or(0, GroupError::code))
                .with_group_state(str_bytes(&described.state))
                .with_group_epoch(described.epoch)
                .with_assignment_epoch(described.assignment_epoch)
                .with_assignor_name(str_bytes(&described.assignor_name))
                .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
                .with_members(
                    described
                        .members
                        .into_iter()
                        .map(|m| {
                            Member::default()
                                .with_member_id(str_bytes(&m.member_id))
                                .with_instance_id(m.instance_id.as_deref().map(str_bytes))
                                .with_rack_id(m.rack_id.as_deref().map(str_bytes))
                                .with_member_epoch(m.member_epoch)
                                .with_client_id(str_bytes(&m.client_id))
                                .with_client_host(str_bytes(&m.client_host))
                                .with_subscribed_topic_names(
                                    m.subscribed_topic_names
                                        .iter()
                                        .map(|t| TopicName(str_bytes(t)))
                                        .collect(),
                                )
                                .with_subscribed_topic_regex(
                                    m.subscribed_topic_regex.as_deref().map(str_bytes),
                                )
                                .with_assignment(assignment(&image, &m.assignment))
                                .with_target_assignment(assignment(&image, &m.target_assignment))
                                .with_member_type(MEMBER_TYPE_CONSUMER)
                        })
                        .collect(),
                )
        })
        .collect();
    ConsumerGroupDescribeResponse::default().with_groups(groups)
}

fn assignment(image: &MetadataImage, partitions: &Partitions) -> Assignment {
    Assignment::default().with_topic_partitions(
        partitions
            .iter()
            .map(|(id, set)| {
                let id = Uuid::from_bytes(*id);
                let name = image
                    .topic_by_id(&id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                TopicPartitions::default()
                    .with_topic_id(id)
                    .with_topic_name(TopicName(str_bytes(&name)))
                    .with_partitions(set.iter().copied().collect())
            })
            .collect(),
    )
}
