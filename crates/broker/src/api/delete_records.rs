//! DeleteRecords (key 21): `DeleteRecordsRequest.json` / `DeleteRecordsResponse.json`.
//!
//! Raises each partition's log start offset (Kafka `ReplicaManager.deleteRecords` →
//! `UnifiedLog.maybeIncrementLogStartOffset`); segments wholly below it go at the next
//! retention pass. Offset -1 means "up to the high watermark"
//! (`DeleteRecordsRequest.HIGH_WATERMARK`). An offset beyond the high watermark, or negative
//! otherwise, is OFFSET_OUT_OF_RANGE. The answer's `low_watermark` is the new log start offset.

use fjord_common::TopicPartition;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DeleteRecordsRequest, DeleteRecordsResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_storage::StorageError;

use super::BrokerContext;

/// v0..=2, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DeleteRecords, 0, 2);

/// `DeleteRecordsRequest.HIGH_WATERMARK`: delete everything below the high watermark.
const HIGH_WATERMARK: i64 = -1;

/// Why one partition's deletion failed.
#[derive(Debug, thiserror::Error)]
enum DeleteRecordsError {
    #[error("This server does not host this topic-partition.")]
    UnknownTopicOrPartition,
    #[error("offset {0} is negative")]
    Negative(i64),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The one place DeleteRecords maps errors to wire codes.
fn error_code(error: &DeleteRecordsError) -> ErrorCode {
    match error {
        DeleteRecordsError::UnknownTopicOrPartition => ErrorCode::UnknownTopicOrPartition,
        DeleteRecordsError::Negative(_)
        | DeleteRecordsError::Storage(StorageError::OffsetOutOfRange { .. }) => {
            ErrorCode::OffsetOutOfRange
        }
        DeleteRecordsError::Storage(
            StorageError::Io { .. } | StorageError::LogDirOffline { .. },
        ) => ErrorCode::KafkaStorageError,
        DeleteRecordsError::Storage(_) => ErrorCode::UnknownServerError,
    }
}

fn delete_one(
    ctx: &BrokerContext,
    tp: &TopicPartition,
    offset: i64,
) -> Result<i64, DeleteRecordsError> {
    let log = ctx
        .replicas
        .log(tp)
        .ok_or(DeleteRecordsError::UnknownTopicOrPartition)?;
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let target = match offset {
        HIGH_WATERMARK => log.high_watermark().unwrap_or_else(|| log.log_end_offset()),
        negative if negative < 0 => return Err(DeleteRecordsError::Negative(negative)),
        offset => offset,
    };
    Ok(log.maybe_increment_log_start_offset(target)?)
}

/// Deletes records below each requested offset.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DeleteRecordsRequest,
) -> DeleteRecordsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|p| {
                    let tp = TopicPartition::new(topic.name.0.as_str(), p.partition_index);
                    let result = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index);
                    match delete_one(ctx, &tp, p.offset) {
                        Ok(low_watermark) => {
                            tracing::info!(partition = %tp, low_watermark, "deleted records");
                            result.with_low_watermark(low_watermark)
                        }
                        Err(error) => result
                            .with_low_watermark(-1)
                            .with_error_code(error_code(&error).code()),
                    }
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    DeleteRecordsResponse::default().with_topics(topics)
}
