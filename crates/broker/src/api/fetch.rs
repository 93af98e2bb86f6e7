//! Fetch (key 1): `FetchRequest.json` / `FetchResponse.json`.
//!
//! Session-less fetches only (KIP-227 sessions are not implemented): a request with
//! `SessionId = 0` gets `SessionId = 0` back (Kafka's answer when it does not create a
//! session); an unknown non-zero session id gets FETCH_SESSION_ID_NOT_FOUND. Topics are named
//! by id from v13 (KIP-516). Long poll: when fewer than `min_bytes` are available, the request
//! parks on the partitions' append notifications until enough data arrives or `max_wait_ms`
//! passes. Limits: `max_bytes` for the response and `partition_max_bytes` per partition, both
//! soft for the first batch so consumers always progress (KIP-74).

use std::sync::Arc;
use std::time::Duration;

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::fetch_response::{
    FetchableTopicResponse, PartitionData,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, FetchResponse};
use fjord_protocol::{ApiSpec, ErrorCode};
use tokio::sync::Notify;

use super::BrokerContext;
use crate::state::{PartitionLog, TopicState};

/// v4 (magic v2, librdkafka's MsgVer2 minimum) ..= v16.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::Fetch, 4, 16);

/// Longest `max_wait_ms` honoured: a client asking for more waits this long (bounded parking).
const FETCH_WAIT_MAX: Duration = Duration::from_secs(30);
/// First version that names topics by id (KIP-516).
const TOPIC_ID_VERSION_MIN: i16 = 13;

/// A resolved partition of the request.
struct Target {
    topic_index: usize,
    partition: i32,
    fetch_offset: i64,
    partition_max_bytes: usize,
    log: Result<Arc<PartitionLog>, ErrorCode>,
}

/// Answers a fetch, waiting up to `max_wait_ms` for `min_bytes`.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: FetchRequest,
) -> FetchResponse {
    if request.session_id != 0 {
        return FetchResponse::default().with_error_code(ErrorCode::FetchSessionIdNotFound.code());
    }
    let by_id = header.api_version >= TOPIC_ID_VERSION_MIN;
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    let mut targets = Vec::new();
    for topic in &request.topics {
        let state: Option<Arc<TopicState>> = if by_id {
            ctx.topics.get_by_id(topic.topic_id)
        } else {
            ctx.topics.get(topic.topic.0.as_str())
        };
        let missing = if by_id {
            ErrorCode::UnknownTopicId
        } else {
            ErrorCode::UnknownTopicOrPartition
        };
        let topic_index = topics.len();
        topics.push(
            FetchableTopicResponse::default()
                .with_topic(topic.topic.clone())
                .with_topic_id(topic.topic_id),
        );
        for partition in &topic.partitions {
            let log = state.as_ref().ok_or(missing).and_then(|s| {
                usize::try_from(partition.partition)
                    .ok()
                    .and_then(|p| s.partitions.get(p).cloned())
                    .ok_or(ErrorCode::UnknownTopicOrPartition)
            });
            targets.push(Target {
                topic_index,
                partition: partition.partition,
                fetch_offset: partition.fetch_offset,
                partition_max_bytes: usize::try_from(partition.partition_max_bytes).unwrap_or(0),
                log,
            });
        }
    }
    let max_bytes = usize::try_from(request.max_bytes).unwrap_or(0);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let wait =
        Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0)).min(FETCH_WAIT_MAX);
    let deadline = tokio::time::Instant::now() + wait;
    let notify = Arc::new(Notify::new());
    let partitions = loop {
        // Register before reading, so an append in between still wakes us.
        for target in &targets {
            if let Ok(log) = &target.log {
                log.register_waiter(&notify);
            }
        }
        let (partitions, bytes, any_error) = read_all(&targets, max_bytes);
        if bytes >= min_bytes || any_error || tokio::time::Instant::now() >= deadline {
            break partitions;
        }
        if tokio::time::timeout_at(deadline, notify.notified())
            .await
            .is_err()
        {
            break read_all(&targets, max_bytes).0;
        }
    };
    for (target, data) in targets.iter().zip(partitions) {
        topics[target.topic_index].partitions.push(data);
    }
    FetchResponse::default()
        .with_session_id(0)
        .with_responses(topics)
}

/// Reads every target once. Returns the partition data, total record bytes, and whether any
/// partition reported an error (errors are returned at once, like Kafka's `DelayedFetch`).
fn read_all(targets: &[Target], max_bytes: usize) -> (Vec<PartitionData>, usize, bool) {
    let mut total = 0usize;
    let mut any_error = false;
    let data = targets
        .iter()
        .map(|target| {
            let base = PartitionData::default()
                .with_partition_index(target.partition)
                .with_preferred_read_replica(BrokerId(-1))
                .with_aborted_transactions(Some(Vec::new()));
            let log = match &target.log {
                Ok(log) => log,
                Err(code) => {
                    any_error = true;
                    return base
                        .with_error_code(code.code())
                        .with_high_watermark(-1)
                        .with_last_stable_offset(-1)
                        .with_log_start_offset(-1);
                }
            };
            let budget = target
                .partition_max_bytes
                .min(max_bytes.saturating_sub(total));
            match log.read(target.fetch_offset, budget, total == 0) {
                Ok(slice) => {
                    total += slice.records.len();
                    base.with_high_watermark(slice.high_watermark)
                        .with_last_stable_offset(slice.high_watermark)
                        .with_log_start_offset(slice.log_start_offset)
                        .with_records(Some(slice.records))
                }
                Err((log_start, log_end)) => {
                    any_error = true;
                    base.with_error_code(ErrorCode::OffsetOutOfRange.code())
                        .with_high_watermark(log_end)
                        .with_last_stable_offset(log_end)
                        .with_log_start_offset(log_start)
                }
            }
        })
        .collect();
    (data, total, any_error)
}
