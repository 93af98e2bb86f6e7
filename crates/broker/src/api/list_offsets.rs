//! ListOffsets (key 2): `ListOffsetsRequest.json` / `ListOffsetsResponse.json`.
//!
//! Timestamps: -2 earliest (log start offset), -1 latest (log end offset = high watermark on
//! one node), -3 max timestamp (KIP-734, v7+), otherwise the first offset whose timestamp is
//! at or after the target (KIP-79), or offset -1 / timestamp -1 when there is none.

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, ListOffsetsRequest, ListOffsetsResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v1 (librdkafka's minimum; v0 removed by KIP-896) ..= v9.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ListOffsets, 1, 9);

/// Latest offset.
const LATEST_TIMESTAMP: i64 = -1;
/// Earliest offset.
const EARLIEST_TIMESTAMP: i64 = -2;
/// Offset of the record with the largest timestamp (KIP-734).
const MAX_TIMESTAMP: i64 = -3;

/// Looks up each partition's offset.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let state = ctx.topics.get(topic.name.0.as_str());
            let partitions = topic
                .partitions
                .into_iter()
                .map(|p| {
                    let response = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index);
                    let log = state.as_ref().and_then(|s| {
                        usize::try_from(p.partition_index)
                            .ok()
                            .and_then(|i| s.partitions.get(i))
                    });
                    let Some(log) = log else {
                        return response
                            .with_error_code(ErrorCode::UnknownTopicOrPartition.code())
                            .with_timestamp(-1)
                            .with_offset(-1);
                    };
                    let (timestamp, offset) = match p.timestamp {
                        EARLIEST_TIMESTAMP => (-1, log.log_start_offset()),
                        LATEST_TIMESTAMP => (-1, log.log_end_offset()),
                        MAX_TIMESTAMP => log.max_timestamp_and_offset().unwrap_or((-1, -1)),
                        target => log.offset_for_timestamp(target).unwrap_or((-1, -1)),
                    };
                    response
                        .with_timestamp(timestamp)
                        .with_offset(offset)
                        .with_leader_epoch(0)
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}
