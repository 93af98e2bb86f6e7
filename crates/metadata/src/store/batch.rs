//! Metadata batches in the `__cluster_metadata` layout: uncompressed, null keys, no headers,
//! one metadata record value per record (what Kafka's raft `BatchBuilder` writes and
//! `RecordsIterator` reads). Built and read with fjord-record.

use bytes::Bytes;
use fjord_record::{BatchBuilder, BatchHeader, CompressionType, NewRecord};

use super::StoreError;
use crate::records::MetadataRecord;

/// Builds one batch at base offset 0 (the log assigns offsets by patching `baseOffset`).
pub(crate) fn build_batch(
    records: &[MetadataRecord],
    timestamp_ms: i64,
    leader_epoch: i32,
) -> Result<Vec<u8>, StoreError> {
    assert!(
        !records.is_empty(),
        "a metadata batch holds at least one record"
    );
    let mut builder = BatchBuilder::new(CompressionType::None).partition_leader_epoch(leader_epoch);
    for record in records {
        builder.push(NewRecord::new(timestamp_ms).value(Bytes::from(record.encode())));
    }
    builder.build().map_err(|error| StoreError::Corrupt {
        offset: -1,
        reason: format!("cannot build batch: {error}"),
    })
}

/// Decodes one validated batch into `(last offset, records)`. Control batches (Kafka's
/// LeaderChange, KRaftVersion and Voters records) carry no metadata records: `(last, [])`.
pub(crate) fn decode_batch(batch: &[u8]) -> Result<(i64, Vec<MetadataRecord>), StoreError> {
    let header = BatchHeader::new(batch).map_err(|error| StoreError::Corrupt {
        offset: -1,
        reason: error.to_string(),
    })?;
    let offset = header.base_offset();
    let corrupt = |reason: String| StoreError::Corrupt { offset, reason };
    if header.attributes().is_control() {
        return Ok((header.last_offset(), Vec::new()));
    }
    let iter = fjord_record::records(batch, super::log::METADATA_BATCH_BYTES_MAX)
        .map_err(|e| corrupt(e.to_string()))?;
    let mut records = Vec::with_capacity(usize::try_from(header.record_count()).unwrap_or(0));
    for record in iter {
        let record = record.map_err(|e| corrupt(e.to_string()))?;
        let value = record
            .record
            .value
            .ok_or_else(|| corrupt(format!("null value at offset {}", record.offset)))?;
        records.push(
            MetadataRecord::decode(&value)
                .map_err(|e| corrupt(format!("offset {}: {e}", record.offset)))?,
        );
    }
    Ok((header.last_offset(), records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{FeatureLevelRecord, RemoveTopicRecord};

    #[test]
    fn built_batch_is_a_valid_v2_batch_that_decodes_back() {
        let records = vec![
            MetadataRecord::FeatureLevel(FeatureLevelRecord {
                name: "metadata.version".into(),
                feature_level: 27,
            }),
            MetadataRecord::RemoveTopic(RemoveTopicRecord {
                topic_id: uuid::Uuid::from_u128(5),
            }),
        ];
        let batch = build_batch(&records, 1_700_000_000_000, 1).unwrap();
        let header = BatchHeader::validate(&batch, batch.len()).unwrap();
        assert_eq!(
            (header.record_count(), header.partition_leader_epoch()),
            (2, 1)
        );
        assert_eq!(
            header.attributes().compression_id(),
            0,
            "metadata batches are uncompressed"
        );
        let first = fjord_record::records(&batch, batch.len())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            first.record.key, None,
            "__cluster_metadata records have null keys"
        );
        assert_eq!(decode_batch(&batch).unwrap(), (1, records));
    }

    #[test]
    fn control_batches_carry_no_metadata_records() {
        let mut builder = BatchBuilder::new(CompressionType::None)
            .control(true)
            .base_offset(7);
        builder.push(
            NewRecord::new(0)
                .key(Bytes::from_static(&[0, 0, 0, 2]))
                .value(Bytes::from_static(&[0])),
        );
        let batch = builder.build().unwrap();
        assert_eq!(decode_batch(&batch).unwrap(), (7, vec![]));
    }
}
