//! Deciding, batch by batch, what survives cleaning and rebuilding batches that lost records
//! (Kafka `MemoryRecords.filterTo` with the cleaner's `RecordFilter`, `Cleaner.shouldRetainRecord`).
//!
//! Rules, per record (Kafka `Cleaner.shouldRetainRecord`):
//! - above the offset map's range (`offset > map.latest_offset()`): kept;
//! - without a key: dropped (compacted logs reject them at produce time);
//! - not the latest offset for its key: dropped;
//! - a tombstone (null value) whose batch carries a delete horizon (KIP-534) that has passed:
//!   dropped; otherwise kept.
//!
//! Per batch: control batches are kept unchanged (transaction markers; see the module docs
//! of [`crate::cleaner`] for what is not implemented). A batch that keeps every record and
//! needs no delete horizon is copied byte for byte. A batch that keeps some records is
//! rebuilt with the same base offset, `lastOffsetDelta` (Kafka overrides the last offset with
//! the original's so producer sequences stay valid), leader epoch, producer id/epoch/base
//! sequence, attributes and codec, and — when it holds a tombstone and had no horizon — the
//! delete-horizon bit with `baseTimestamp = now + delete.retention.ms` (KIP-534). A batch that
//! keeps nothing is dropped, unless it is the last batch of a still-active producer: then an
//! empty batch (recordCount 0, same offsets and producer fields) stays so the producer's
//! state survives a restart (Kafka `BatchRetention.RETAIN_EMPTY`).

use std::collections::HashMap;

use fjord_record::header::{HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC_V2, offsets, rewrite_crc};
use fjord_record::{Attributes, BatchHeader, CompressionType, Record, TimestampType};

use super::CleanerError;
use super::offset_map::OffsetMap;

/// What cleaning makes of one batch.
#[derive(Debug, PartialEq, Eq)]
pub enum FilteredBatch {
    /// Every record kept: copy the original bytes.
    Original,
    /// Some records kept, or a delete horizon set: the new batch bytes.
    Rebuilt(Vec<u8>),
    /// Nothing kept.
    Dropped,
}

/// Inputs that stay the same for every batch of one cleaning round.
#[derive(Debug)]
pub struct FilterContext<'a> {
    /// The key → latest offset map of the dirty section.
    pub map: &'a OffsetMap,
    /// The cleaning time.
    pub now_ms: i64,
    /// `delete.retention.ms` of the log.
    pub delete_retention_ms: i64,
    /// Producer id → last offset of its last data batch, for active producers.
    pub producer_last_offsets: &'a HashMap<i64, i64>,
    /// Cap on decompressed batch size.
    pub decompressed_cap: usize,
}

/// Counters of one batch's filtering.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FilterCounts {
    /// Records read.
    pub records_read: u64,
    /// Records kept.
    pub records_kept: u64,
    /// Tombstones kept (their batch has a delete horizon in the future).
    pub tombstones_kept: u64,
}

/// Filters one validated batch.
pub fn filter_batch(
    batch: &[u8],
    ctx: &FilterContext<'_>,
) -> Result<(FilteredBatch, FilterCounts, Option<i64>), CleanerError> {
    let header = BatchHeader::validate(batch, batch.len())?;
    let attributes = header.attributes();
    let mut counts = FilterCounts::default();
    if attributes.is_control() {
        return Ok((FilteredBatch::Original, counts, None));
    }
    let horizon = attributes
        .has_delete_horizon()
        .then(|| header.base_timestamp());
    let retain_deletes = horizon.is_none_or(|h| ctx.now_ms < h);
    let mut kept: Vec<(i64, Record)> = Vec::new();
    let mut holds_tombstone = false;
    for record in fjord_record::records(batch, ctx.decompressed_cap)? {
        let record = record?;
        counts.records_read += 1;
        let past_map = record.offset > ctx.map.latest_offset();
        let keep = past_map
            || match &record.record.key {
                None => false,
                Some(key) => {
                    record.offset >= ctx.map.get(key)
                        && (record.record.value.is_some() || retain_deletes)
                }
            };
        if keep {
            if record.record.value.is_none() {
                holds_tombstone = true;
                counts.tombstones_kept += 1;
            }
            let absolute = header
                .base_timestamp()
                .saturating_add(record.record.timestamp_delta);
            kept.push((absolute, record.record));
        }
    }
    counts.records_kept = kept.len() as u64;
    let need_horizon = holds_tombstone && horizon.is_none();
    let new_horizon = if need_horizon {
        Some(ctx.now_ms.saturating_add(ctx.delete_retention_ms))
    } else {
        horizon
    };
    let pending_horizon = if holds_tombstone { new_horizon } else { None };
    if counts.records_kept == counts.records_read && !need_horizon {
        return Ok((FilteredBatch::Original, counts, pending_horizon));
    }
    if kept.is_empty() {
        let last_of_producer = header.producer_id() >= 0
            && ctx.producer_last_offsets.get(&header.producer_id()) == Some(&header.last_offset());
        if last_of_producer {
            return Ok((FilteredBatch::Rebuilt(empty_batch(&header)), counts, None));
        }
        return Ok((FilteredBatch::Dropped, counts, None));
    }
    let rebuilt = rebuild(&header, &kept, new_horizon)?;
    Ok((FilteredBatch::Rebuilt(rebuilt), counts, pending_horizon))
}

/// Header fields of a batch being written.
struct HeaderFields {
    attributes: i16,
    base_timestamp: i64,
    max_timestamp: i64,
    record_count: i32,
}

fn write_header(source: &BatchHeader<'_>, fields: &HeaderFields, payload: &[u8]) -> Vec<u8> {
    let total = HEADER_BYTES + payload.len();
    let batch_length = i32::try_from(total - LOG_OVERHEAD_BYTES).unwrap_or(i32::MAX);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&source.base_offset().to_be_bytes());
    out.extend_from_slice(&batch_length.to_be_bytes());
    out.extend_from_slice(&source.partition_leader_epoch().to_be_bytes());
    out.push(MAGIC_V2 as u8);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&fields.attributes.to_be_bytes());
    out.extend_from_slice(&source.last_offset_delta().to_be_bytes());
    out.extend_from_slice(&fields.base_timestamp.to_be_bytes());
    out.extend_from_slice(&fields.max_timestamp.to_be_bytes());
    out.extend_from_slice(&source.producer_id().to_be_bytes());
    out.extend_from_slice(&source.producer_epoch().to_be_bytes());
    out.extend_from_slice(&source.base_sequence().to_be_bytes());
    out.extend_from_slice(&fields.record_count.to_be_bytes());
    debug_assert_eq!(out.len(), HEADER_BYTES);
    debug_assert_eq!(offsets::RECORD_COUNT + 4, HEADER_BYTES);
    out.extend_from_slice(payload);
    rewrite_crc(&mut out);
    out
}

/// Kafka `MemoryRecords.writeEmptyHeader`: no records, codec none, the original offsets,
/// timestamps and producer fields.
fn empty_batch(source: &BatchHeader<'_>) -> Vec<u8> {
    let keep = Attributes::TIMESTAMP_TYPE | Attributes::TRANSACTIONAL | Attributes::CONTROL;
    let fields = HeaderFields {
        attributes: source.attributes().0 & keep,
        base_timestamp: source.base_timestamp(),
        max_timestamp: source.max_timestamp(),
        record_count: 0,
    };
    write_header(source, &fields, &[])
}

/// Re-encodes the kept records with their original offset deltas (gaps stay) and absolute
/// timestamps, the source codec, and the delete horizon when given.
fn rebuild(
    source: &BatchHeader<'_>,
    kept: &[(i64, Record)],
    delete_horizon: Option<i64>,
) -> Result<Vec<u8>, CleanerError> {
    let source_attributes = source.attributes();
    let codec = source_attributes
        .compression()
        .unwrap_or(CompressionType::None);
    let base_timestamp = match (delete_horizon, kept.first()) {
        (Some(horizon), _) => horizon,
        (None, Some((first, _))) => *first,
        (None, None) => source.base_timestamp(),
    };
    let max_timestamp = match source_attributes.timestamp_type() {
        TimestampType::LogAppendTime => source.max_timestamp(),
        TimestampType::CreateTime => kept.iter().map(|(ts, _)| *ts).max().unwrap_or(-1),
    };
    let mut payload = Vec::new();
    for (absolute, record) in kept {
        let record = Record {
            timestamp_delta: absolute.saturating_sub(base_timestamp),
            ..record.clone()
        };
        record.encode(&mut payload);
    }
    let payload = fjord_record::compress(codec, &payload)
        .map_err(|e| CleanerError::Record(e.into_record_error(source.base_offset())))?;
    let mut attributes = source_attributes.0;
    if delete_horizon.is_some() {
        attributes |= Attributes::DELETE_HORIZON;
    }
    let fields = HeaderFields {
        attributes,
        base_timestamp,
        max_timestamp,
        record_count: i32::try_from(kept.len()).unwrap_or(i32::MAX),
    };
    Ok(write_header(source, &fields, &payload))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use fjord_record::{BatchBuilder, NewRecord};

    use super::*;

    fn ctx<'a>(map: &'a OffsetMap, producers: &'a HashMap<i64, i64>) -> FilterContext<'a> {
        FilterContext {
            map,
            now_ms: 1_000,
            delete_retention_ms: 500,
            producer_last_offsets: producers,
            decompressed_cap: 1 << 20,
        }
    }

    #[test]
    fn rebuilt_batch_keeps_offsets_codec_producer_and_sets_kip_534_horizon() {
        let mut builder = BatchBuilder::new(CompressionType::Gzip)
            .base_offset(100)
            .partition_leader_epoch(3)
            .producer(7, 1, 40);
        builder.push(NewRecord::new(10).key("a").value("1"));
        builder.push(NewRecord::new(11).key("b").value("2"));
        builder.push(NewRecord::new(12).key("c"));
        let batch = builder.build().unwrap();
        let mut map = OffsetMap::new(100);
        map.put(b"a", 200);
        map.put(b"b", 101);
        map.put(b"c", 102);
        map.update_latest_offset(300);
        let producers = HashMap::new();
        let (out, counts, pending) = filter_batch(&batch, &ctx(&map, &producers)).unwrap();
        let FilteredBatch::Rebuilt(bytes) = out else {
            panic!("expected a rebuilt batch, got {out:?}");
        };
        assert_eq!((counts.records_read, counts.records_kept), (3, 2));
        assert_eq!(pending, Some(1_500));
        let header = BatchHeader::validate(&bytes, bytes.len()).unwrap();
        assert_eq!(header.base_offset(), 100);
        assert_eq!(header.last_offset(), 102, "lastOffsetDelta kept");
        assert_eq!(header.record_count(), 2);
        assert_eq!(header.partition_leader_epoch(), 3);
        assert_eq!(
            (
                header.producer_id(),
                header.producer_epoch(),
                header.base_sequence()
            ),
            (7, 1, 40)
        );
        assert_eq!(
            header.attributes().compression(),
            Some(CompressionType::Gzip)
        );
        assert!(header.attributes().has_delete_horizon());
        assert_eq!(header.base_timestamp(), 1_500);
        assert_eq!(header.max_timestamp(), 12);
        let records: Vec<_> = fjord_record::records(&bytes, 1 << 20)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let seen: Vec<_> = records.iter().map(|r| (r.offset, r.timestamp)).collect();
        assert_eq!(seen, vec![(101, 11), (102, 12)]);
    }

    #[test]
    fn emptied_last_batch_of_a_producer_stays_as_an_empty_batch() {
        let mut builder = BatchBuilder::new(CompressionType::None)
            .base_offset(5)
            .producer(9, 0, 0);
        builder.push(NewRecord::new(1).key("k").value("old"));
        builder.push(NewRecord::new(2).key("k").value("older"));
        let batch = builder.build().unwrap();
        let mut map = OffsetMap::new(5);
        map.put(b"k", 50);
        map.update_latest_offset(50);
        let producers: HashMap<i64, i64> = [(9, 6)].into();
        let (out, _, _) = filter_batch(&batch, &ctx(&map, &producers)).unwrap();
        let FilteredBatch::Rebuilt(bytes) = out else {
            panic!("expected an empty batch, got {out:?}");
        };
        let header = BatchHeader::validate(&bytes, bytes.len()).unwrap();
        assert_eq!((header.base_offset(), header.last_offset()), (5, 6));
        assert_eq!((header.record_count(), header.producer_id()), (0, 9));
        let other: HashMap<i64, i64> = [(9, 99)].into();
        let (out, _, _) = filter_batch(&batch, &ctx(&map, &other)).unwrap();
        assert_eq!(out, FilteredBatch::Dropped);
    }
}
