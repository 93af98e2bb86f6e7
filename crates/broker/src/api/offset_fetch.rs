//! OffsetFetch (key 9): `OffsetFetchRequest.json` / `OffsetFetchResponse.json`; v8+ batches
//! groups (KIP-709), older versions fetch one group (null topics = all, v2+).
//! `require_stable` needs nothing: fjord has no pending transactional offsets.

use fjord_coordinator::{GroupError, OffsetFetchGroupRequest, OffsetFetchGroupResponse};
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, GroupId, OffsetFetchRequest, OffsetFetchResponse, TopicName,
};

use super::{BrokerContext, str_bytes};

/// v1..=9: what kafka-protocol 0.18 decodes (Kafka 4.0 removed v0, KIP-896).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::OffsetFetch, 1, 9);

/// First version with batched groups.
const BATCHED_VERSION_MIN: i16 = 8;
/// First version with `member_id` / `member_epoch` (KIP-848).
const MEMBER_EPOCH_VERSION_MIN: i16 = 9;
/// First version with `committed_leader_epoch`.
const LEADER_EPOCH_VERSION_MIN: i16 = 5;

/// Fetches committed offsets.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: OffsetFetchRequest,
) -> OffsetFetchResponse {
    let version = header.api_version;
    if version >= BATCHED_VERSION_MIN {
        let groups = request
            .groups
            .iter()
            .map(|group| {
                let fetch = OffsetFetchGroupRequest {
                    group_id: group.group_id.0.to_string(),
                    topics: group.topics.as_ref().map(|topics| {
                        topics
                            .iter()
                            .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                            .collect()
                    }),
                };
                // KIP-848 (v9+): a consumer-group member's fetch carries its epoch.
                let member = (version >= MEMBER_EPOCH_VERSION_MIN).then(|| {
                    (
                        group.member_id.as_ref().map(ToString::to_string),
                        group.member_epoch,
                    )
                });
                batched_group(fetch_one(ctx, &fetch, member))
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let fetch = OffsetFetchGroupRequest {
        group_id: request.group_id.0.to_string(),
        topics: request.topics.as_ref().map(|topics| {
            topics
                .iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        }),
    };
    let (response, code) = fetch_one(ctx, &fetch, None);
    let topics = response
        .topics
        .into_iter()
        .map(|(name, partitions)| {
            OffsetFetchResponseTopic::default()
                .with_name(TopicName(str_bytes(&name)))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|p| {
                            let partition = OffsetFetchResponsePartition::default()
                                .with_partition_index(p.partition)
                                .with_committed_offset(p.offset)
                                .with_metadata(Some(str_bytes(&p.metadata)));
                            if version >= LEADER_EPOCH_VERSION_MIN {
                                partition.with_committed_leader_epoch(p.leader_epoch)
                            } else {
                                partition
                            }
                        })
                        .collect(),
                )
        })
        .collect();
    // v1 has no top-level error code; its partitions would carry it, but a failed group
    // has no partitions to report, so v1 clients just see no offsets.
    let wire = OffsetFetchResponse::default().with_topics(topics);
    if version >= 2 {
        wire.with_error_code(code)
    } else {
        wire
    }
}

/// One group's offsets and its error code (shard error or coordinator failure).
fn fetch_one(
    ctx: &BrokerContext,
    request: &OffsetFetchGroupRequest,
    member: Option<(Option<String>, i32)>,
) -> (OffsetFetchGroupResponse, i16) {
    let fetch = |shard: &fjord_coordinator::GroupCoordinatorShard| {
        let invalid = member.as_ref().and_then(|(id, epoch)| {
            shard.validate_offset_fetch(&request.group_id, id.as_deref(), *epoch)
        });
        match invalid {
            Some(error) => OffsetFetchGroupResponse {
                group_id: request.group_id.clone(),
                error: Some(error),
                topics: Vec::new(),
            },
            None => shard.offset_fetch(request),
        }
    };
    match ctx.groups.read(ctx, &request.group_id, fetch) {
        Ok(response) => {
            let code = response.error.map_or(0, GroupError::code);
            (response, code)
        }
        Err(error) => (
            OffsetFetchGroupResponse {
                group_id: request.group_id.clone(),
                error: None,
                topics: Vec::new(),
            },
            error.code(),
        ),
    }
}

fn batched_group((response, code): (OffsetFetchGroupResponse, i16)) -> OffsetFetchResponseGroup {
    let topics = response
        .topics
        .into_iter()
        .map(|(name, partitions)| {
            OffsetFetchResponseTopics::default()
                .with_name(TopicName(str_bytes(&name)))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|p| {
                            OffsetFetchResponsePartitions::default()
                                .with_partition_index(p.partition)
                                .with_committed_offset(p.offset)
                                .with_committed_leader_epoch(p.leader_epoch)
                                .with_metadata(Some(str_bytes(&p.metadata)))
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetFetchResponseGroup::default()
        .with_group_id(GroupId(str_bytes(&response.group_id)))
        .with_topics(topics)
        .with_error_code(code)
}
