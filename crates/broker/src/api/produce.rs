//! Produce (key 0): `ProduceRequest.json` / `ProduceResponse.json`.
//!
//! Record data stays raw `Bytes` from the socket to the log: each partition's `records` must
//! hold exactly one magic-v2 batch (Kafka `ProduceRequest.validateRecords`), whose header and
//! CRC-32C are validated and whose `baseOffset` is patched in place; the batch is never
//! re-encoded (re-encoding through a generic record model loses duplicate header keys).
//! `acks=0` requests are handled but get no response (`api::handle_frame`).

use bytes::BytesMut;
use fjord_common::TopicPartition;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, TopicProduceResponse,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_record::header::{MAGIC_V2, offsets};
use fjord_record::{BatchHeader, RecordError};
use fjord_storage::{AppendInfo, StorageError};

use super::{BrokerContext, now_ms, str_bytes};
use crate::state::replica_manager::AppendError;

/// v3 (first magic-v2 version, Kafka 4's minimum after KIP-896) ..= v12.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::Produce, 3, 12);

/// Zstd batches need Produce v7+ (KIP-110; `ProduceRequest.validateRecords`).
const ZSTD_PRODUCE_VERSION_MIN: i16 = 7;
/// Codec id of zstd in attributes bits 0-2.
const ZSTD_CODEC_ID: u8 = 4;

/// Why one partition's produce failed.
#[derive(Debug, thiserror::Error)]
enum ProduceError {
    #[error(
        "Produce requests with version {0} are only allowed to contain record batches with magic version 2"
    )]
    NotMagicV2(i16),
    #[error("Produce requests with version {0} must have at least one record batch per partition")]
    NoRecords(i16),
    #[error("Produce requests with version {0} are not allowed to use ZStandard compression")]
    ZstdBeforeV7(i16),
    #[error("Invalid required acks value {0}: must be -1, 0 or 1")]
    InvalidRequiredAcks(i16),
    #[error(
        "Produce requests with version {0} must have exactly one record batch per partition, found more"
    )]
    NotOneBatch(i16),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// The one place Produce maps errors to wire codes (Kafka `Errors.forException` on the
/// exceptions `UnifiedLog.append` and `ProduceRequest.validateRecords` throw).
fn error_code(error: &ProduceError) -> ErrorCode {
    match error {
        ProduceError::NotMagicV2(_) | ProduceError::NoRecords(_) => ErrorCode::InvalidRecord,
        ProduceError::ZstdBeforeV7(_) => ErrorCode::UnsupportedCompressionType,
        ProduceError::InvalidRequiredAcks(_) => ErrorCode::InvalidRequiredAcks,
        ProduceError::NotOneBatch(_) => ErrorCode::InvalidRecord,
        ProduceError::Append(AppendError::UnknownTopicOrPartition) => {
            ErrorCode::UnknownTopicOrPartition
        }
        ProduceError::Append(AppendError::Storage(error)) => match error {
            StorageError::MessageTooLarge { .. } => ErrorCode::MessageTooLarge,
            StorageError::Record(RecordError::UnsupportedMagic { .. }) => ErrorCode::InvalidRecord,
            // Bad CRC, truncated batch, inconsistent header: Kafka's CorruptRecordException.
            StorageError::Record(_) => ErrorCode::CorruptMessage,
            // Kafka's LogDirFailureChannel path: KafkaStorageException.
            StorageError::Io { .. }
            | StorageError::LogDirOffline { .. }
            | StorageError::NoSpace { .. } => ErrorCode::KafkaStorageError,
            // Idempotent producer checks (KIP-98; Kafka ProducerAppendInfo). A retried
            // duplicate is not an error: the log answers with the original offsets.
            StorageError::InvalidProducerEpoch { .. } => ErrorCode::InvalidProducerEpoch,
            StorageError::OutOfOrderSequence { .. } => ErrorCode::OutOfOrderSequenceNumber,
            StorageError::InvalidTxnState { .. } => ErrorCode::InvalidTxnState,
            StorageError::InvalidProducerSequence { .. } => ErrorCode::InvalidRecord,
            // Kafka LogValidator.validateKey: "Compacted topic cannot accept message without
            // key" is an InvalidRecordException.
            StorageError::CompactedRecordWithoutKey { .. } => ErrorCode::InvalidRecord,
            // Not reachable through a leader append of a validated request; report it as
            // Kafka reports unexpected exceptions.
            _ => ErrorCode::UnknownServerError,
        },
    }
}

/// Appends each partition's batch and reports where it landed.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: ProduceRequest,
) -> ProduceResponse {
    let version = header.api_version;
    let responses = request
        .topic_data
        .into_iter()
        .map(|topic_data| {
            let partition_responses = topic_data
                .partition_data
                .into_iter()
                .map(|partition| {
                    let result = if !matches!(request.acks, -1..=1) {
                        Err(ProduceError::InvalidRequiredAcks(request.acks))
                    } else {
                        append_one(ctx, topic_data.name.0.as_str(), partition.index, partition.records.as_deref(), version)
                    };
                    let response = PartitionProduceResponse::default().with_index(partition.index);
                    match result {
                        Ok(info) => response
                            .with_base_offset(info.first_offset)
                            .with_log_append_time_ms(info.log_append_time)
                            .with_log_start_offset(info.log_start_offset),
                        Err(error) => {
                            tracing::debug!(topic = %topic_data.name.0.as_str(), partition = partition.index, %error, "produce refused");
                            response
                                .with_error_code(error_code(&error).code())
                                .with_error_message(Some(str_bytes(&error.to_string())))
                                .with_base_offset(-1)
                                .with_log_append_time_ms(-1)
                                .with_log_start_offset(-1)
                        }
                    }
                })
                .collect();
            TopicProduceResponse::default()
                .with_name(topic_data.name)
                .with_topic_id(topic_data.topic_id)
                .with_partition_responses(partition_responses)
        })
        .collect();
    ProduceResponse::default().with_responses(responses)
}

fn append_one(
    ctx: &BrokerContext,
    topic: &str,
    partition: i32,
    records: Option<&[u8]>,
    version: i16,
) -> Result<AppendInfo, ProduceError> {
    let records = records
        .filter(|r| !r.is_empty())
        .ok_or(ProduceError::NoRecords(version))?;
    if records.len() > offsets::MAGIC && records[offsets::MAGIC] as i8 != MAGIC_V2 {
        return Err(ProduceError::NotMagicV2(version));
    }
    if records.len() > offsets::ATTRIBUTES + 1
        && version < ZSTD_PRODUCE_VERSION_MIN
        && records[offsets::ATTRIBUTES + 1] & 0x07 == ZSTD_CODEC_ID
    {
        return Err(ProduceError::ZstdBeforeV7(version));
    }
    // Kafka ProduceRequest.validateRecords: v3+ carries exactly one batch per partition. A
    // header that does not parse is left to the log's validation (CORRUPT_MESSAGE).
    if let Ok(header) = BatchHeader::new(records)
        && records.len() > header.total_size()
    {
        return Err(ProduceError::NotOneBatch(version));
    }
    // The request buffer is shared with the decoder: the log patches offsets in a private copy.
    let mut batch = BytesMut::from(records);
    let tp = TopicPartition::new(topic, partition);
    Ok(ctx.replicas.append(&tp, &mut batch, now_ms())?)
}
