//! OffsetCommit (key 8): `OffsetCommitRequest.json` / `OffsetCommitResponse.json`, with the
//! classic generation/member checks (Kafka `ClassicGroup.validateOffsetCommit`) and
//! generation -1 commits of simple consumers.

use fjord_coordinator::{CoordinatorResponse, GroupError, OffsetCommitPartition};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, OffsetCommitRequest, OffsetCommitResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v2..=9: what kafka-protocol 0.18 decodes (Kafka 4.0 removed v0-v1, KIP-896).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::OffsetCommit, 2, 9);

/// Last version with `retention_time_ms`.
const RETENTION_VERSION_MAX: i16 = 4;

/// Commits offsets for a group.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: OffsetCommitRequest,
) -> OffsetCommitResponse {
    let commit = fjord_coordinator::OffsetCommitRequest {
        api_version: header.api_version,
        group_id: request.group_id.0.to_string(),
        generation_id: request.generation_id_or_member_epoch,
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.as_ref().map(|id| id.to_string()),
        retention_time_ms: if header.api_version <= RETENTION_VERSION_MAX {
            request.retention_time_ms
        } else {
            -1
        },
        topics: request
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| OffsetCommitPartition {
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        leader_epoch: p.committed_leader_epoch,
                        metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                    })
                    .collect();
                (t.name.0.to_string(), partitions)
            })
            .collect(),
    };
    let outcome = ctx
        .groups
        .call(ctx, &commit.group_id, |shard, handle, now| {
            shard.offset_commit(handle, &commit, now)
        })
        .await;
    // Per partition, in request order: the shard's error, or the coordinator-level failure.
    let codes: Vec<Vec<(i32, i16)>> = match outcome {
        Ok(CoordinatorResponse::OffsetCommit(errors)) => errors
            .into_iter()
            .map(|(_, partitions)| {
                partitions
                    .into_iter()
                    .map(|(p, e)| (p, e.map_or(0, GroupError::code)))
                    .collect()
            })
            .collect(),
        Ok(_) => uniform(&request, ErrorCode::UnknownServerError.code()),
        Err(error) => uniform(&request, error.code()),
    };
    let topics = codes
        .into_iter()
        .zip(&request.topics)
        .map(|(partitions, topic)| {
            OffsetCommitResponseTopic::default()
                .with_name(topic.name.clone())
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(index, code)| {
                            OffsetCommitResponsePartition::default()
                                .with_partition_index(index)
                                .with_error_code(code)
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}

/// The same code for every partition, as coordinator-level failures are reported.
fn uniform(request: &OffsetCommitRequest, code: i16) -> Vec<Vec<(i32, i16)>> {
    request
        .topics
        .iter()
        .map(|t| {
            t.partitions
                .iter()
                .map(|p| (p.partition_index, code))
                .collect()
        })
        .collect()
}
