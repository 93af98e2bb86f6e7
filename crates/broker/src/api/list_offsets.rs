//! ListOffsets (key 2): `ListOffsetsRequest.json` / `ListOffsetsResponse.json`.
//!
//! Through the log's `fetch_offset_by_timestamp` (Kafka `UnifiedLog.fetchOffsetByTimestamp`):
//! -2 earliest (log start offset), -1 latest (the high watermark, = log end offset on one
//! node), -3 max timestamp (KIP-734, v7+), -4 earliest local (KIP-405, v8+), otherwise the
//! first record (record granularity, Kafka `FileRecords.searchForTimestamp`) whose timestamp
//! is at or after the target (KIP-79), or offset -1 / timestamp -1 when there is none.
//! `current_leader_epoch` (v4+, KIP-320) is checked against the partition's epoch.

use fjord_common::TopicPartition;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, ListOffsetsRequest, ListOffsetsResponse};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_storage::{StorageError, special_timestamps};

use super::BrokerContext;
use super::offset_for_leader_epoch::{EpochCheck, check_leader_epoch};

/// v1 (librdkafka's minimum; v0 removed by KIP-896) ..= v9.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ListOffsets, 1, 9);

/// Why one partition's lookup failed.
#[derive(Debug, thiserror::Error)]
enum ListOffsetsError {
    #[error("This server does not host this topic-partition.")]
    UnknownTopicOrPartition,
    #[error("leader epoch check failed: {0:?}")]
    Epoch(EpochCheck),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The one place ListOffsets maps errors to wire codes.
fn error_code(error: &ListOffsetsError) -> ErrorCode {
    match error {
        ListOffsetsError::UnknownTopicOrPartition => ErrorCode::UnknownTopicOrPartition,
        ListOffsetsError::Epoch(check) => check.code(),
        ListOffsetsError::Storage(StorageError::Io { .. } | StorageError::LogDirOffline { .. }) => {
            ErrorCode::KafkaStorageError
        }
        ListOffsetsError::Storage(_) => ErrorCode::UnknownServerError,
    }
}

/// `(timestamp, offset, leader epoch)` of one lookup.
fn lookup(
    ctx: &BrokerContext,
    tp: &TopicPartition,
    current_leader_epoch: i32,
    timestamp: i64,
) -> Result<(i64, i64, i32), ListOffsetsError> {
    let image = ctx.replicas.image();
    let partition = image
        .topic(&tp.topic)
        .and_then(|t| t.partitions.get(&tp.partition))
        .ok_or(ListOffsetsError::UnknownTopicOrPartition)?;
    let check = check_leader_epoch(current_leader_epoch, partition.leader_epoch);
    if check != EpochCheck::Ok {
        return Err(ListOffsetsError::Epoch(check));
    }
    let log = ctx
        .replicas
        .log(tp)
        .ok_or(ListOffsetsError::UnknownTopicOrPartition)?;
    let log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if timestamp == special_timestamps::LATEST {
        // Consumers see up to the high watermark (Kafka: isolation READ_UNCOMMITTED).
        let hw = log.high_watermark().unwrap_or_else(|| log.log_end_offset());
        return Ok((-1, hw, partition.leader_epoch));
    }
    Ok(match log.fetch_offset_by_timestamp(timestamp)? {
        Some(found) => (
            found.timestamp,
            found.offset,
            found.leader_epoch.unwrap_or(-1),
        ),
        None => (-1, -1, -1),
    })
}

/// Looks up each partition's offset.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    // `leaderEpoch` exists from v4 (KIP-320, ListOffsetsResponse.json); older versions must
    // leave it at its default (-1) or the encoder refuses the response.
    let with_epoch = header.api_version >= 4;
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .into_iter()
                .map(|p| {
                    let tp = TopicPartition::new(topic.name.0.as_str(), p.partition_index);
                    let response = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index);
                    match lookup(ctx, &tp, p.current_leader_epoch, p.timestamp) {
                        Ok((timestamp, offset, leader_epoch)) => response
                            .with_timestamp(timestamp)
                            .with_offset(offset)
                            .with_leader_epoch(if with_epoch { leader_epoch } else { -1 }),
                        Err(error) => response
                            .with_error_code(error_code(&error).code())
                            .with_timestamp(-1)
                            .with_offset(-1),
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}
