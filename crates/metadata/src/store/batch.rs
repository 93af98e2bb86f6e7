//! A small record batch (magic v2) builder and reader for metadata batches: uncompressed,
//! null keys, no headers, one metadata record value per record — the `__cluster_metadata`
//! layout Kafka's `RecordsIterator`/`BatchBuilder` (raft module) reads and writes.
//!
//! Private until fjord-record's `BatchBuilder` and record iteration land; then this module is
//! replaced by them. Record layout: Kafka documentation §5.3.2 "Record" (length varint,
//! attributes int8, timestampDelta varlong, offsetDelta varint, keyLength varint, key,
//! valueLen varint, value, headers count varint); all varints zigzag-encoded.

use fjord_record::header::{self, BatchHeader, HEADER_BYTES, offsets};

use super::StoreError;

/// Builds one uncompressed batch at base offset 0 (the log assigns the real offset by
/// patching `baseOffset`, outside the CRC).
pub(crate) fn build_batch(values: &[Vec<u8>], timestamp_ms: i64, leader_epoch: i32) -> Vec<u8> {
    assert!(
        !values.is_empty(),
        "a metadata batch holds at least one record"
    );
    let mut records = Vec::new();
    for (offset_delta, value) in values.iter().enumerate() {
        let mut body = Vec::with_capacity(value.len() + 8);
        body.push(0); // attributes
        write_varlong(&mut body, 0); // timestampDelta
        write_varlong(&mut body, offset_delta as i64);
        write_varlong(&mut body, -1); // keyLength: null key
        write_varlong(&mut body, value.len() as i64);
        body.extend_from_slice(value);
        write_varlong(&mut body, 0); // headers count
        write_varlong(&mut records, body.len() as i64);
        records.extend_from_slice(&body);
    }
    let count = values.len() as i32;
    let mut batch = Vec::with_capacity(HEADER_BYTES + records.len());
    batch.extend_from_slice(&0i64.to_be_bytes()); // baseOffset
    let batch_length = (HEADER_BYTES - header::LOG_OVERHEAD_BYTES + records.len()) as i32;
    batch.extend_from_slice(&batch_length.to_be_bytes());
    batch.extend_from_slice(&leader_epoch.to_be_bytes());
    batch.push(header::MAGIC_V2 as u8);
    batch.extend_from_slice(&0u32.to_be_bytes()); // crc, written below
    batch.extend_from_slice(&0i16.to_be_bytes()); // attributes: no compression, CreateTime
    batch.extend_from_slice(&(count - 1).to_be_bytes()); // lastOffsetDelta
    batch.extend_from_slice(&timestamp_ms.to_be_bytes()); // baseTimestamp
    batch.extend_from_slice(&timestamp_ms.to_be_bytes()); // maxTimestamp
    batch.extend_from_slice(&(-1i64).to_be_bytes()); // producerId
    batch.extend_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
    batch.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
    batch.extend_from_slice(&count.to_be_bytes()); // recordCount
    debug_assert_eq!(batch.len(), offsets::RECORD_COUNT + 4);
    batch.extend_from_slice(&records);
    header::rewrite_crc(&mut batch);
    batch
}

/// The record values of one validated batch, or an empty list for a control batch (Kafka's
/// metadata log also holds LeaderChange/KRaftVersion/Voters control records, which are not
/// metadata records).
pub(crate) fn batch_values(batch: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    let header = BatchHeader::new(batch).map_err(StoreError::corrupt_batch)?;
    let base_offset = header.base_offset();
    if header.attributes().is_control() {
        return Ok(Vec::new());
    }
    if header.attributes().compression_id() != 0 {
        return Err(StoreError::Corrupt {
            offset: base_offset,
            reason: "compressed metadata batches are not supported yet".to_string(),
        });
    }
    let corrupt = |reason: &str| StoreError::Corrupt {
        offset: base_offset,
        reason: reason.to_string(),
    };
    let mut cursor = &batch[HEADER_BYTES..header.total_size()];
    let mut values = Vec::with_capacity(header.record_count().max(0) as usize);
    for _ in 0..header.record_count() {
        let length = read_varlong(&mut cursor).ok_or_else(|| corrupt("record length"))?;
        let length = usize::try_from(length).map_err(|_| corrupt("negative record length"))?;
        if length > cursor.len() {
            return Err(corrupt("record longer than its batch"));
        }
        let (mut record, rest) = cursor.split_at(length);
        cursor = rest;
        record = record
            .get(1..)
            .ok_or_else(|| corrupt("record attributes"))?;
        read_varlong(&mut record).ok_or_else(|| corrupt("timestampDelta"))?;
        read_varlong(&mut record).ok_or_else(|| corrupt("offsetDelta"))?;
        let key_length = read_varlong(&mut record).ok_or_else(|| corrupt("keyLength"))?;
        if key_length > 0 {
            let skip = usize::try_from(key_length).map_err(|_| corrupt("keyLength"))?;
            record = record
                .get(skip..)
                .ok_or_else(|| corrupt("key longer than its record"))?;
        }
        let value_length = read_varlong(&mut record).ok_or_else(|| corrupt("valueLength"))?;
        let value_length =
            usize::try_from(value_length).map_err(|_| corrupt("null metadata record value"))?;
        let value = record
            .get(..value_length)
            .ok_or_else(|| corrupt("value longer than its record"))?;
        values.push(value.to_vec());
    }
    if !cursor.is_empty() {
        return Err(corrupt("bytes after the last record of the batch"));
    }
    Ok(values)
}

fn write_varlong(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8 & 0x7f) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

fn read_varlong(input: &mut &[u8]) -> Option<i64> {
    let mut raw: u64 = 0;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        raw |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((raw >> 1) as i64 ^ -((raw & 1) as i64));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_batch_validates_and_reads_back() {
        let values = vec![b"first".to_vec(), vec![], b"third".to_vec()];
        let batch = build_batch(&values, 1_700_000_000_000, 1);
        let header = BatchHeader::validate(&batch, usize::MAX).expect("valid batch");
        assert_eq!(header.record_count(), 3);
        assert_eq!(header.last_offset_delta(), 2);
        assert_eq!(header.partition_leader_epoch(), 1);
        assert_eq!(batch_values(&batch).expect("values"), values);
    }

    #[test]
    fn varlong_round_trips_extremes() {
        for value in [0, -1, 1, 63, -64, 64, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_varlong(&mut out, value);
            let mut input = out.as_slice();
            assert_eq!(read_varlong(&mut input), Some(value));
            assert!(input.is_empty());
        }
    }
}
