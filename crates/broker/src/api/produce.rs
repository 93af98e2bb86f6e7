//! Produce (key 0): `ProduceRequest.json` / `ProduceResponse.json`.
//!
//! Record data stays raw `Bytes` from the socket to the log: each partition's `records` must
//! hold exactly one magic-v2 batch (Kafka `ProduceRequest.validateRecords`), whose header and
//! CRC-32C are validated and whose `baseOffset` is patched in place; the batch is never
//! re-encoded (re-encoding through a generic record model loses duplicate header keys).
//! `acks=0` requests are handled but get no response (`api::handle_frame`).

use fjord_common::TopicPartition;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, TopicProduceResponse,
};
use fjord_protocol::kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_record::header::{MAGIC_V2, offsets};
use fjord_record::{BatchHeader, CompressionType, RecordError};
use fjord_storage::{AppendInfo, StorageError};

use super::{BrokerContext, now_ms, str_bytes};
use crate::state::replica_manager::{AppendError, RECOMPRESS_DECOMPRESSED_BYTES_MAX};

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
    #[error("Invalid reported count for record batch: {0}")]
    InvalidRecordCount(i32),
    #[error(
        "Inconsistent batch offset range [0, {last_offset_delta}] and count of records {record_count}"
    )]
    InconsistentOffsetRange {
        last_offset_delta: i32,
        record_count: i32,
    },
    #[error("compressed record batch does not decode: {0}")]
    CompressedRecords(#[source] RecordError),
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
        ProduceError::NotOneBatch(_)
        | ProduceError::InvalidRecordCount(_)
        | ProduceError::InconsistentOffsetRange { .. } => ErrorCode::InvalidRecord,
        // Kafka reports records that fail to decode as CorruptRecordException, the same code
        // the log gives a bad CRC.
        ProduceError::CompressedRecords(_) => ErrorCode::CorruptMessage,
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
    validate_offset_range(records)?;
    validate_compressed_records(records)?;
    // The log writes a patched copy of the 61-byte header and then the rest of the request's
    // bytes as received: no copy of the batch before the write into the page cache.
    let tp = TopicPartition::new(topic, partition);
    Ok(ctx.replicas.append(&tp, records, now_ms())?)
}

/// Kafka `LogValidator.validateBatch` for a produced magic v2 batch: at least one record, and
/// `lastOffsetDelta + 1 == recordCount`. The log accepts sparse batches (compaction leaves
/// gaps), but a client's batch claiming a wider offset range than its records would move the
/// log end offset past offsets that hold nothing (one record could advance it by 2^31).
/// Headers that do not parse are left to the log's own validation.
fn validate_offset_range(records: &[u8]) -> Result<(), ProduceError> {
    let Ok(header) = BatchHeader::new(records) else {
        return Ok(());
    };
    let record_count = header.record_count();
    if record_count <= 0 {
        return Err(ProduceError::InvalidRecordCount(record_count));
    }
    let last_offset_delta = header.last_offset_delta();
    if i64::from(last_offset_delta) + 1 != i64::from(record_count) {
        return Err(ProduceError::InconsistentOffsetRange {
            last_offset_delta,
            record_count,
        });
    }
    Ok(())
}

/// Decompresses a compressed batch and reads every record, as Kafka's
/// `LogValidator.validateMessagesAndAssignOffsetsCompressed` does, so a batch whose payload is
/// garbage under its codec (or whose records or record count do not match) is refused rather
/// than stored behind a valid CRC to break every consumer that reaches it. Uncompressed batches
/// and batches whose header does not parse are left to the log's own validation. Costs one
/// decompression per compressed batch; decompressed size is capped at
/// [`RECOMPRESS_DECOMPRESSED_BYTES_MAX`] (decompression bombs).
fn validate_compressed_records(records: &[u8]) -> Result<(), ProduceError> {
    let Ok(header) = BatchHeader::new(records) else {
        return Ok(());
    };
    if matches!(
        header.attributes().compression(),
        None | Some(CompressionType::None)
    ) {
        return Ok(());
    }
    let batch = &records[..header.total_size().min(records.len())];
    let iter = fjord_record::records(batch, RECOMPRESS_DECOMPRESSED_BYTES_MAX)
        .map_err(ProduceError::CompressedRecords)?;
    for record in iter {
        record.map_err(ProduceError::CompressedRecords)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjord_record::header::{HEADER_BYTES, rewrite_crc};
    use fjord_record::{BatchBuilder, NewRecord};

    fn batch(codec: CompressionType) -> Vec<u8> {
        let mut builder = BatchBuilder::new(codec);
        for i in 0..3 {
            builder.push(NewRecord::new(1_700_000_000_000).value(format!("v{i}")));
        }
        builder.build().map(|b| b.to_vec()).unwrap_or_default()
    }

    #[test]
    fn garbage_payload_under_each_codec_is_corrupt_message_despite_a_valid_crc() {
        // Kafka LogValidator.validateMessagesAndAssignOffsetsCompressed decompresses and reads
        // every record of a compressed batch; payload that does not decode is refused.
        for codec in [
            CompressionType::Gzip,
            CompressionType::Snappy,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            let mut bytes = batch(codec);
            assert!(
                validate_compressed_records(&bytes).is_ok(),
                "{codec:?} valid"
            );
            for (i, byte) in bytes[HEADER_BYTES..].iter_mut().enumerate() {
                *byte = (i as u8).wrapping_mul(151) ^ 0x5a;
            }
            rewrite_crc(&mut bytes);
            let error = validate_compressed_records(&bytes).err();
            assert!(
                matches!(error, Some(ProduceError::CompressedRecords(_))),
                "{codec:?}: {error:?}"
            );
            assert_eq!(
                error.map(|e| error_code(&e)),
                Some(ErrorCode::CorruptMessage)
            );
        }
    }

    #[test]
    fn compressed_batch_whose_record_count_lies_is_refused() {
        // DefaultRecordBatch.RecordIterator: "Incorrect declared batch size".
        let mut bytes = batch(CompressionType::Gzip);
        bytes[offsets::RECORD_COUNT..offsets::RECORD_COUNT + 4]
            .copy_from_slice(&2i32.to_be_bytes());
        rewrite_crc(&mut bytes);
        assert!(matches!(
            validate_compressed_records(&bytes),
            Err(ProduceError::CompressedRecords(_))
        ));
    }

    #[test]
    fn offset_range_must_match_the_record_count() {
        // LogValidator.validateBatch: "Inconsistent batch offset range" / "Invalid reported
        // count for record batch".
        let mut bytes = batch(CompressionType::None);
        assert!(validate_offset_range(&bytes).is_ok());
        let delta = offsets::LAST_OFFSET_DELTA;
        bytes[delta..delta + 4].copy_from_slice(&i32::MAX.to_be_bytes());
        let error = validate_offset_range(&bytes).err();
        assert!(matches!(
            error,
            Some(ProduceError::InconsistentOffsetRange {
                last_offset_delta: i32::MAX,
                record_count: 3
            })
        ));
        assert_eq!(
            error.map(|e| error_code(&e)),
            Some(ErrorCode::InvalidRecord)
        );
        bytes[offsets::RECORD_COUNT..offsets::RECORD_COUNT + 4]
            .copy_from_slice(&0i32.to_be_bytes());
        assert!(matches!(
            validate_offset_range(&bytes),
            Err(ProduceError::InvalidRecordCount(0))
        ));
    }

    #[test]
    fn uncompressed_batches_are_left_to_the_log() {
        assert!(validate_compressed_records(&batch(CompressionType::None)).is_ok());
    }
}
