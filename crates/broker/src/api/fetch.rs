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

use bytes::Bytes;
use fjord_common::TopicPartition;
use fjord_metadata::{ConfigResource, MetadataImage};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::fetch_response::{
    FetchableTopicResponse, PartitionData,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, FetchResponse};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_record::{CompressionTarget, CompressionType};
use fjord_storage::{SharedLog, StorageError};
use tokio::sync::Notify;

use super::BrokerContext;
use super::response_frame::FileSlice;
use crate::state::log_config::topic_configs;

/// v4 (magic v2, librdkafka's MsgVer2 minimum) ..= v16.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::Fetch, 4, 16);

/// Longest `max_wait_ms` honoured: a client asking for more waits this long (bounded parking).
const FETCH_WAIT_MAX: Duration = Duration::from_secs(30);
/// First version that names topics by id (KIP-516).
const TOPIC_ID_VERSION_MIN: i16 = 13;
/// First version allowed to read a topic whose `compression.type` is zstd (KIP-110).
const ZSTD_FETCH_VERSION_MIN: i16 = 10;

/// A resolved partition of the request.
struct Target {
    topic_index: usize,
    tp: TopicPartition,
    fetch_offset: i64,
    partition_max_bytes: usize,
    log: Result<SharedLog, ErrorCode>,
}

/// The one place Fetch maps storage errors to wire codes.
fn error_code(error: &StorageError) -> ErrorCode {
    match error {
        StorageError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
        // Kafka's LogDirFailureChannel path: KafkaStorageException.
        StorageError::Io { .. } | StorageError::LogDirOffline { .. } => {
            ErrorCode::KafkaStorageError
        }
        _ => ErrorCode::UnknownServerError,
    }
}

/// Answers a fetch, waiting up to `max_wait_ms` for `min_bytes`. Record data is returned as
/// file ranges (one [`FileSlice`] per partition with data, in response order) whose markers
/// stand in the response's `records` fields.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: FetchRequest,
) -> (FetchResponse, Vec<FileSlice>) {
    if request.session_id != 0 {
        let response =
            FetchResponse::default().with_error_code(ErrorCode::FetchSessionIdNotFound.code());
        return (response, Vec::new());
    }
    let by_id = header.api_version >= TOPIC_ID_VERSION_MIN;
    let image = ctx.replicas.image();
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    let mut targets = Vec::new();
    for topic in &request.topics {
        let state = if by_id {
            image.topic_by_id(&topic.topic_id)
        } else {
            image.topic(topic.topic.0.as_str())
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
        let zstd_refused = header.api_version < ZSTD_FETCH_VERSION_MIN
            && state.is_some_and(|s| zstd_topic(ctx, &image, &s.name));
        for partition in &topic.partitions {
            let name = state.map_or_else(|| topic.topic.0.as_str().to_owned(), |s| s.name.clone());
            let tp = TopicPartition::new(name, partition.partition);
            let log = state.ok_or(missing).and_then(|s| {
                s.partitions
                    .contains_key(&partition.partition)
                    .then(|| ctx.replicas.log(&tp))
                    .flatten()
                    .ok_or(ErrorCode::UnknownTopicOrPartition)
            });
            let log = log.and_then(|log| {
                if zstd_refused {
                    Err(ErrorCode::UnsupportedCompressionType)
                } else {
                    Ok(log)
                }
            });
            targets.push(Target {
                topic_index,
                tp,
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
    let (partitions, files) = loop {
        // Register before reading, so an append in between still wakes us.
        for target in &targets {
            if target.log.is_ok() {
                ctx.replicas.waiters().register(&target.tp, &notify);
            }
        }
        let read = read_all(&targets, max_bytes);
        if read.bytes >= min_bytes || read.any_error || tokio::time::Instant::now() >= deadline {
            break (read.partitions, read.files);
        }
        if tokio::time::timeout_at(deadline, notify.notified())
            .await
            .is_err()
        {
            let read = read_all(&targets, max_bytes);
            break (read.partitions, read.files);
        }
    };
    for (target, data) in targets.iter().zip(partitions) {
        topics[target.topic_index].partitions.push(data);
    }
    let response = FetchResponse::default()
        .with_session_id(0)
        .with_responses(topics);
    (response, files)
}

/// Kafka `KafkaApis.maybeConvertFetchedData`: a Fetch older than v10 of a topic whose
/// effective `compression.type` is zstd gets UNSUPPORTED_COMPRESSION_TYPE whatever codec its
/// batches use (KIP-110); under `producer` zstd batches are served as stored.
fn zstd_topic(ctx: &BrokerContext, image: &MetadataImage, topic: &str) -> bool {
    let overrides = image.configs(&ConfigResource::topic(topic));
    matches!(
        topic_configs(overrides, ctx.replicas.server()),
        Ok((_, CompressionTarget::Codec(CompressionType::Zstd)))
    )
}

/// One pass over every target.
struct Read {
    partitions: Vec<PartitionData>,
    files: Vec<FileSlice>,
    bytes: usize,
    any_error: bool,
}

/// Reads every target once, up to its high watermark. Errors are returned at once, like
/// Kafka's `DelayedFetch`.
fn read_all(targets: &[Target], max_bytes: usize) -> Read {
    let mut read = Read {
        partitions: Vec::with_capacity(targets.len()),
        files: Vec::new(),
        bytes: 0,
        any_error: false,
    };
    for target in targets {
        let base = PartitionData::default()
            .with_partition_index(target.tp.partition)
            .with_preferred_read_replica(BrokerId(-1))
            .with_aborted_transactions(Some(Vec::new()));
        let failed = |code: ErrorCode, hw: i64, log_start: i64| {
            base.clone()
                .with_error_code(code.code())
                .with_high_watermark(hw)
                .with_last_stable_offset(hw)
                .with_log_start_offset(log_start)
        };
        let log = match &target.log {
            Ok(log) => log,
            Err(code) => {
                read.any_error = true;
                read.partitions.push(failed(*code, -1, -1));
                continue;
            }
        };
        let budget = target
            .partition_max_bytes
            .min(max_bytes.saturating_sub(read.bytes));
        let log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let high_watermark = log.high_watermark().unwrap_or_else(|| log.log_end_offset());
        let log_start = log.log_start_offset();
        // Only committed data is served (Kafka FetchIsolation.HIGH_WATERMARK for consumers).
        match log.read(
            target.fetch_offset,
            budget,
            Some(high_watermark),
            read.bytes == 0,
        ) {
            Ok(data) => {
                read.bytes += usize::try_from(data.total_bytes).unwrap_or(usize::MAX);
                let partition = base
                    .with_high_watermark(high_watermark)
                    .with_last_stable_offset(high_watermark)
                    .with_log_start_offset(log_start);
                if data.ranges.is_empty() {
                    read.partitions
                        .push(partition.with_records(Some(Bytes::new())));
                } else {
                    let slice = FileSlice::new(data.ranges);
                    let marker = Bytes::copy_from_slice(&slice.marker);
                    read.files.push(slice);
                    read.partitions.push(partition.with_records(Some(marker)));
                }
            }
            Err(error) => {
                read.any_error = true;
                read.partitions
                    .push(failed(error_code(&error), high_watermark, log_start));
            }
        }
    }
    read
}
