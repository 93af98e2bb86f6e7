//! Records inside a magic v2 batch: the [`Record`] model, its encoding, and [`RecordIter`],
//! which decodes (and, where the attributes say so, decompresses) a batch's records.
//!
//! ```text
//! length          varint   bytes after this field
//! attributes      int8     unused, 0
//! timestampDelta  varlong  timestamp - baseTimestamp (may be negative)
//! offsetDelta     varint   offset - baseOffset
//! keyLength       varint   -1 = null key
//! key             bytes
//! valueLength     varint   -1 = null value
//! value           bytes
//! headerCount     varint
//! headers         [headerKeyLength varint, headerKey UTF-8, headerValueLength varint (-1 = null), value]
//! ```
//! Source: Kafka documentation §5.3.2 "Record" and §5.3.2.1 "Record Header";
//! `org.apache.kafka.common.record.DefaultRecord` (`writeTo`, `readFrom`).

use bytes::Bytes;

use crate::compression::decompress;
use crate::error::RecordError;
use crate::header::{BatchHeader, CompressionType, HEADER_BYTES, TimestampType};
use crate::varint::{
    decode_varint, decode_varlong, encode_varint, encode_varlong, varint_len, varlong_len,
};

/// One record header. Header keys may repeat; order is significant (Kafka `RecordHeaders`
/// keeps a list, not a map).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header key (Kafka: a UTF-8 string, never null).
    pub key: String,
    /// The header value; `None` is encoded as length -1.
    pub value: Option<Bytes>,
}

impl Header {
    /// A header with a value.
    pub fn new(key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        Self {
            key: key.into(),
            value: Some(value.into()),
        }
    }
}

/// One record as stored inside a batch (deltas relative to the batch header).
///
/// Keys, values and header values are [`Bytes`]; when decoded from an uncompressed batch held
/// in a `Bytes` they are slices of it (no copy).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Record {
    /// Record attributes (unused by Kafka, 0).
    pub attributes: i8,
    /// `timestamp - baseTimestamp`; a varlong on the wire, so spreads beyond i32 ms fit.
    pub timestamp_delta: i64,
    /// `offset - baseOffset`.
    pub offset_delta: i32,
    /// The key; `None` is a null key (length -1).
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone under compaction).
    pub value: Option<Bytes>,
    /// Headers in wire order, duplicates kept.
    pub headers: Vec<Header>,
}

fn encode_nullable(value: Option<&Bytes>, out: &mut Vec<u8>) {
    match value {
        None => encode_varint(-1, out),
        Some(bytes) => {
            encode_varint(len_i32(bytes.len()), out);
            out.extend_from_slice(bytes);
        }
    }
}

/// Appends a record without key or headers, exactly as [`Record::encode`] would, without its
/// per-record buffer: the body length is computed, not measured.
pub fn encode_value_record(
    offset_delta: i32,
    timestamp_delta: i64,
    value: &[u8],
    out: &mut Vec<u8>,
) {
    let value_len = len_i32(value.len());
    // attributes + timestampDelta + offsetDelta + keyLength -1 + valueLength + value + headerCount 0
    let body = 1
        + varlong_len(timestamp_delta)
        + varint_len(offset_delta)
        + 1
        + varint_len(value_len)
        + value.len()
        + 1;
    encode_varint(len_i32(body), out);
    out.push(0);
    encode_varlong(timestamp_delta, out);
    encode_varint(offset_delta, out);
    encode_varint(-1, out);
    encode_varint(value_len, out);
    out.extend_from_slice(value);
    encode_varint(0, out);
}

/// Lengths inside a record are varints; callers bound batch sizes far below i32::MAX.
fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

impl Record {
    /// Appends the record's wire form, length prefix included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(self.body_len_hint());
        body.push(self.attributes as u8);
        encode_varlong(self.timestamp_delta, &mut body);
        encode_varint(self.offset_delta, &mut body);
        encode_nullable(self.key.as_ref(), &mut body);
        encode_nullable(self.value.as_ref(), &mut body);
        encode_varint(len_i32(self.headers.len()), &mut body);
        for header in &self.headers {
            encode_varint(len_i32(header.key.len()), &mut body);
            body.extend_from_slice(header.key.as_bytes());
            encode_nullable(header.value.as_ref(), &mut body);
        }
        encode_varint(len_i32(body.len()), out);
        out.extend_from_slice(&body);
    }

    fn body_len_hint(&self) -> usize {
        let field = |b: &Option<Bytes>| b.as_ref().map_or(0, Bytes::len) + 5;
        let headers: usize = self
            .headers
            .iter()
            .map(|h| h.key.len() + 5 + field(&h.value))
            .sum();
        1 + 10 + 5 + field(&self.key) + field(&self.value) + 5 + headers
    }
}

/// A decoded record with its absolute offset and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// `baseOffset + offsetDelta`.
    pub offset: i64,
    /// `baseTimestamp + timestampDelta` for CreateTime batches; the batch's `maxTimestamp`
    /// for LogAppendTime batches (Kafka `DefaultRecordBatch` / `DefaultRecord.readFrom`).
    pub timestamp: i64,
    /// The record as stored.
    pub record: Record,
}

/// Decodes the records of one batch (`batch` = exactly one batch, header first), copying the
/// records section once into a shared buffer. See [`records_shared`] for the zero-copy form.
///
/// Validates the header and CRC first (with `batch.len()` as the size limit), then
/// decompresses when the attributes name a codec, failing with
/// [`RecordError::DecompressedTooLarge`] if the records would exceed `decompressed_cap` bytes.
pub fn records(batch: &[u8], decompressed_cap: usize) -> Result<RecordIter, RecordError> {
    let header = BatchHeader::validate(batch, batch.len())?;
    let section = &batch[HEADER_BYTES..header.total_size()];
    // Compressed sections are decoded straight from the borrowed bytes; only plain ones are copied.
    RecordIter::new(
        &header,
        section,
        || Bytes::copy_from_slice(section),
        decompressed_cap,
    )
}

/// Like [`records`], but uncompressed keys and values are slices of `batch` (no copy).
pub fn records_shared(batch: Bytes, decompressed_cap: usize) -> Result<RecordIter, RecordError> {
    let header = BatchHeader::validate(&batch, batch.len())?;
    let range = HEADER_BYTES..header.total_size();
    RecordIter::new(
        &header,
        &batch[range.clone()],
        || batch.slice(range.clone()),
        decompressed_cap,
    )
}

/// Iterator over the records of one batch, yielding [`BatchRecord`]s in wire order.
///
/// After `recordCount` records it checks that no bytes remain (Kafka
/// `DefaultRecordBatch.RecordIterator` / `ensureNoneRemaining`: "Incorrect declared batch
/// size"). After the first error it yields nothing more.
#[derive(Debug, Clone)]
pub struct RecordIter {
    data: Bytes,
    pos: usize,
    index: usize,
    record_count: usize,
    base_offset: i64,
    base_timestamp: i64,
    max_timestamp: i64,
    last_offset_delta: i32,
    timestamp_type: TimestampType,
    finished: bool,
}

impl RecordIter {
    /// `section` is the records section as stored; `plain` turns it into owned `Bytes` when it
    /// is not compressed.
    fn new(
        header: &BatchHeader<'_>,
        section: &[u8],
        plain: impl FnOnce() -> Bytes,
        cap: usize,
    ) -> Result<Self, RecordError> {
        let base_offset = header.base_offset();
        let codec = header
            .attributes()
            .compression()
            .ok_or(RecordError::UnknownCompression {
                base_offset,
                codec: header.attributes().compression_id(),
            })?;
        let data = match codec {
            CompressionType::None => {
                if section.len() > cap {
                    return Err(RecordError::DecompressedTooLarge { base_offset, cap });
                }
                plain()
            }
            codec => Bytes::from(
                decompress(codec, section, cap).map_err(|e| e.into_record_error(base_offset))?,
            ),
        };
        Ok(Self {
            data,
            pos: 0,
            index: 0,
            // validate() rejected negative counts.
            record_count: usize::try_from(header.record_count()).unwrap_or(0),
            base_offset,
            base_timestamp: header.base_timestamp(),
            max_timestamp: header.max_timestamp(),
            last_offset_delta: header.last_offset_delta(),
            timestamp_type: header.attributes().timestamp_type(),
            finished: false,
        })
    }

    /// The decoded (decompressed) records section.
    pub fn records_bytes(&self) -> &Bytes {
        &self.data
    }

    fn invalid(&self, field: &'static str, reason: String) -> RecordError {
        RecordError::InvalidRecord {
            base_offset: self.base_offset,
            record_index: self.index,
            field,
            reason,
        }
    }

    fn next_record(&mut self) -> Result<BatchRecord, RecordError> {
        let mut reader = FieldReader {
            data: &self.data,
            pos: self.pos,
        };
        let length = reader.varint(self, "length")?;
        let body_len = usize::try_from(length)
            .map_err(|_| self.invalid("length", format!("negative ({length})")))?;
        let body_start = reader.pos;
        let body_end = body_start
            .checked_add(body_len)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| {
                self.invalid(
                    "length",
                    format!(
                        "{body_len} bytes announced, {} remain",
                        self.data.len() - body_start
                    ),
                )
            })?;
        // Fields are read from the record body only, so a field cannot run into the next record.
        let body = self.data.slice(..body_end);
        let mut reader = FieldReader {
            data: &body,
            pos: body_start,
        };
        let attributes = reader.byte(self, "attributes")? as i8;
        let timestamp_delta = reader.varlong(self, "timestampDelta")?;
        let offset_delta = reader.varint(self, "offsetDelta")?;
        if offset_delta < 0 || offset_delta > self.last_offset_delta {
            return Err(self.invalid(
                "offsetDelta",
                format!(
                    "{offset_delta} outside [0, lastOffsetDelta {}]",
                    self.last_offset_delta
                ),
            ));
        }
        let key = reader.nullable_bytes(self, "keyLength")?;
        let value = reader.nullable_bytes(self, "valueLength")?;
        let header_count = reader.varint(self, "headerCount")?;
        let header_count = usize::try_from(header_count)
            .map_err(|_| self.invalid("headerCount", format!("negative ({header_count})")))?;
        // Each header needs at least 2 bytes, which bounds the allocation by the record size.
        let mut headers = Vec::with_capacity(header_count.min(body_len / 2));
        for _ in 0..header_count {
            let key_len = reader.varint(self, "headerKeyLength")?;
            let key_len = usize::try_from(key_len)
                .map_err(|_| self.invalid("headerKeyLength", format!("negative ({key_len})")))?;
            let key_bytes = reader.take(self, "headerKey", key_len)?;
            // Java's `Utils.utf8(ByteBuffer, int)` replaces malformed UTF-8; so do we.
            let key = String::from_utf8_lossy(&key_bytes).into_owned();
            let value = reader.nullable_bytes(self, "headerValueLength")?;
            headers.push(Header { key, value });
        }
        if reader.pos != body_end {
            return Err(self.invalid(
                "length",
                format!(
                    "{body_len} bytes announced, fields took {}",
                    reader.pos - body_start
                ),
            ));
        }
        self.pos = body_end;
        let timestamp = match self.timestamp_type {
            TimestampType::LogAppendTime => self.max_timestamp,
            TimestampType::CreateTime => self.base_timestamp.wrapping_add(timestamp_delta),
        };
        Ok(BatchRecord {
            offset: self.base_offset + i64::from(offset_delta),
            timestamp,
            record: Record {
                attributes,
                timestamp_delta,
                offset_delta,
                key,
                value,
                headers,
            },
        })
    }
}

impl Iterator for RecordIter {
    type Item = Result<BatchRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if self.index == self.record_count {
            self.finished = true;
            if self.pos != self.data.len() {
                return Some(Err(RecordError::InvalidField {
                    base_offset: self.base_offset,
                    field: "recordCount",
                    reason: format!(
                        "{} records declared but {} bytes remain after them",
                        self.record_count,
                        self.data.len() - self.pos
                    ),
                }));
            }
            return None;
        }
        if self.pos == self.data.len() {
            self.finished = true;
            return Some(Err(RecordError::InvalidField {
                base_offset: self.base_offset,
                field: "recordCount",
                reason: format!(
                    "{} records declared but the batch holds only {}",
                    self.record_count, self.index
                ),
            }));
        }
        let result = self.next_record();
        match result {
            Ok(_) => self.index += 1,
            Err(_) => self.finished = true,
        }
        Some(result)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.finished {
            (0, Some(0))
        } else {
            (0, Some(self.record_count - self.index + 1))
        }
    }
}

/// Bounds-checked field reader over a record body.
struct FieldReader<'a> {
    data: &'a Bytes,
    pos: usize,
}

impl FieldReader<'_> {
    fn byte(&mut self, iter: &RecordIter, field: &'static str) -> Result<u8, RecordError> {
        let byte = *self
            .data
            .get(self.pos)
            .ok_or_else(|| iter.invalid(field, "truncated".to_owned()))?;
        self.pos += 1;
        Ok(byte)
    }

    fn varint(&mut self, iter: &RecordIter, field: &'static str) -> Result<i32, RecordError> {
        let (value, read) = decode_varint(&self.data[self.pos..])
            .map_err(|e| iter.invalid(field, e.to_string()))?;
        self.pos += read;
        Ok(value)
    }

    fn varlong(&mut self, iter: &RecordIter, field: &'static str) -> Result<i64, RecordError> {
        let (value, read) = decode_varlong(&self.data[self.pos..])
            .map_err(|e| iter.invalid(field, e.to_string()))?;
        self.pos += read;
        Ok(value)
    }

    fn take(
        &mut self,
        iter: &RecordIter,
        field: &'static str,
        len: usize,
    ) -> Result<Bytes, RecordError> {
        let remaining = self.data.len() - self.pos;
        if len > remaining {
            return Err(iter.invalid(
                field,
                format!("{len} bytes announced, {remaining} remain in the record"),
            ));
        }
        let bytes = self.data.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(bytes)
    }

    /// A varint length (-1 = null) then that many bytes. Lengths below -1 are rejected (Java
    /// reads any negative length as null; no Kafka client writes one).
    fn nullable_bytes(
        &mut self,
        iter: &RecordIter,
        length_field: &'static str,
    ) -> Result<Option<Bytes>, RecordError> {
        let len = self.varint(iter, length_field)?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len)
            .map_err(|_| iter.invalid(length_field, format!("negative ({len})")))?;
        self.take(iter, length_field, len).map(Some)
    }
}
