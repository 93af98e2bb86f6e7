//! Kafka's primitive wire types as used by flexible-version messages.
//!
//! Source: the Kafka protocol guide, "Protocol Primitive Types"
//! (<https://kafka.apache.org/protocol.html#protocol_types>): `UNSIGNED_VARINT` (LEB128, 7 bits
//! per byte, least significant group first), `COMPACT_STRING` (length + 1 as unsigned varint),
//! `COMPACT_NULLABLE_STRING` (0 = null), `COMPACT_ARRAY` (N + 1, 0 = null), `UUID` (16 bytes,
//! most significant half first), and the tagged-field section of KIP-482 (count, then per field
//! tag, size, bytes).

use uuid::Uuid;

use super::RecordDecodeError;

/// Largest element count accepted in a compact array, bounding allocations while decoding a
/// record from disk. Kafka's own partitions never list more replicas than brokers; 1 Mi is far
/// beyond any real record and small enough that a corrupt length cannot exhaust memory.
pub const ARRAY_ELEMENTS_MAX: usize = 1 << 20;

/// Writes Kafka wire values into a growing buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// `UNSIGNED_VARINT`.
    pub fn unsigned_varint(&mut self, mut value: u32) {
        while value >= 0x80 {
            self.buf.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    /// `INT8`.
    pub fn i8(&mut self, value: i8) {
        self.buf.push(value as u8);
    }

    /// `BOOLEAN`.
    pub fn bool(&mut self, value: bool) {
        self.buf.push(u8::from(value));
    }

    /// `INT16`, big-endian.
    pub fn i16(&mut self, value: i16) {
        self.raw(&value.to_be_bytes());
    }

    /// `UINT16`, big-endian.
    pub fn u16(&mut self, value: u16) {
        self.raw(&value.to_be_bytes());
    }

    /// `INT32`, big-endian.
    pub fn i32(&mut self, value: i32) {
        self.raw(&value.to_be_bytes());
    }

    /// `INT64`, big-endian.
    pub fn i64(&mut self, value: i64) {
        self.raw(&value.to_be_bytes());
    }

    /// `UUID`: 16 bytes, most significant 64 bits first (Kafka `Uuid` is two longs).
    pub fn uuid(&mut self, value: Uuid) {
        self.raw(value.as_bytes());
    }

    /// `COMPACT_STRING`.
    pub fn compact_string(&mut self, value: &str) {
        self.length_plus_one(value.len());
        self.raw(value.as_bytes());
    }

    /// `COMPACT_NULLABLE_STRING`.
    pub fn compact_nullable_string(&mut self, value: Option<&str>) {
        match value {
            None => self.unsigned_varint(0),
            Some(value) => self.compact_string(value),
        }
    }

    /// `FLOAT64`, IEEE 754 big-endian.
    pub fn f64(&mut self, value: f64) {
        self.raw(&value.to_bits().to_be_bytes());
    }

    /// `COMPACT_BYTES` (length + 1, then the bytes).
    pub fn compact_bytes(&mut self, value: &[u8]) {
        self.length_plus_one(value.len());
        self.raw(value);
    }

    /// `STRING` (non-flexible versions): INT16 length, then UTF-8 bytes.
    pub fn string(&mut self, value: &str) {
        self.i16(i16::try_from(value.len()).unwrap_or(i16::MAX));
        self.raw(value.as_bytes());
    }

    /// `NULLABLE_STRING` (non-flexible versions): length -1 for null.
    pub fn nullable_string(&mut self, value: Option<&str>) {
        match value {
            None => self.i16(-1),
            Some(value) => self.string(value),
        }
    }

    /// `COMPACT_ARRAY` of `INT32`.
    pub fn compact_i32_array(&mut self, values: &[i32]) {
        self.length_plus_one(values.len());
        for value in values {
            self.i32(*value);
        }
    }

    /// Nullable `COMPACT_ARRAY` of `INT32`.
    pub fn compact_nullable_i32_array(&mut self, values: Option<&[i32]>) {
        match values {
            None => self.unsigned_varint(0),
            Some(values) => self.compact_i32_array(values),
        }
    }

    /// `COMPACT_ARRAY` of `UUID`.
    pub fn compact_uuid_array(&mut self, values: &[Uuid]) {
        self.length_plus_one(values.len());
        for value in values {
            self.uuid(*value);
        }
    }

    /// Writes a compact length (`len + 1`).
    pub fn length_plus_one(&mut self, len: usize) {
        // Lengths here come from in-memory records far below u32::MAX; saturate rather
        // than wrap if a caller ever violates that.
        let encoded = u32::try_from(len).map_or(u32::MAX, |len| len.saturating_add(1));
        self.unsigned_varint(encoded);
    }

    /// Writes a tagged-field section from `(tag, encoded value)` pairs in ascending tag order.
    pub fn tagged_fields(&mut self, fields: &[(u32, Vec<u8>)]) {
        debug_assert!(
            fields.windows(2).all(|w| w[0].0 < w[1].0),
            "tags must ascend (KIP-482)"
        );
        // The tagged-field count is a plain N (not N + 1: it cannot be null).
        let count = u32::try_from(fields.len()).unwrap_or(u32::MAX);
        self.unsigned_varint(count);
        for (tag, bytes) in fields {
            self.unsigned_varint(*tag);
            self.unsigned_varint(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            self.raw(bytes);
        }
    }
}

/// Reads Kafka wire values from a byte slice, failing with a typed error on truncation.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// Reads from the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], RecordDecodeError> {
        if self.remaining() < count {
            return Err(RecordDecodeError::Truncated {
                field,
                needed: count,
                available: self.remaining(),
            });
        }
        let slice = &self.bytes[self.position..self.position + count];
        self.position += count;
        Ok(slice)
    }

    /// `UNSIGNED_VARINT` (at most 5 bytes).
    pub fn unsigned_varint(&mut self, field: &'static str) -> Result<u32, RecordDecodeError> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.take(1, field)?[0];
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(RecordDecodeError::Invalid {
            field,
            reason: "unsigned varint longer than 5 bytes".to_string(),
        })
    }

    /// `INT8`.
    pub fn i8(&mut self, field: &'static str) -> Result<i8, RecordDecodeError> {
        Ok(self.take(1, field)?[0] as i8)
    }

    /// `BOOLEAN` (any non-zero byte is true, as in Kafka's `readByte() != 0`).
    pub fn bool(&mut self, field: &'static str) -> Result<bool, RecordDecodeError> {
        Ok(self.take(1, field)?[0] != 0)
    }

    /// `INT16`.
    pub fn i16(&mut self, field: &'static str) -> Result<i16, RecordDecodeError> {
        let bytes = self.take(2, field)?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// `UINT16`.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, RecordDecodeError> {
        let bytes = self.take(2, field)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// `INT32`.
    pub fn i32(&mut self, field: &'static str) -> Result<i32, RecordDecodeError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4, field)?);
        Ok(i32::from_be_bytes(buf))
    }

    /// `INT64`.
    pub fn i64(&mut self, field: &'static str) -> Result<i64, RecordDecodeError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8, field)?);
        Ok(i64::from_be_bytes(buf))
    }

    /// `UUID`.
    pub fn uuid(&mut self, field: &'static str) -> Result<Uuid, RecordDecodeError> {
        let mut buf = [0u8; 16];
        buf.copy_from_slice(self.take(16, field)?);
        Ok(Uuid::from_bytes(buf))
    }

    /// A compact length: `None` for null (0), else `Some(N)`.
    fn compact_length(&mut self, field: &'static str) -> Result<Option<usize>, RecordDecodeError> {
        let encoded = self.unsigned_varint(field)?;
        Ok(encoded.checked_sub(1).map(|len| len as usize))
    }

    /// `COMPACT_NULLABLE_STRING`.
    pub fn compact_nullable_string(
        &mut self,
        field: &'static str,
    ) -> Result<Option<String>, RecordDecodeError> {
        let Some(len) = self.compact_length(field)? else {
            return Ok(None);
        };
        let bytes = self.take(len, field)?;
        let text = std::str::from_utf8(bytes).map_err(|error| RecordDecodeError::Invalid {
            field,
            reason: format!("not UTF-8: {error}"),
        })?;
        Ok(Some(text.to_string()))
    }

    /// `FLOAT64`, IEEE 754 big-endian.
    pub fn f64(&mut self, field: &'static str) -> Result<f64, RecordDecodeError> {
        let bytes = self.take(8, field)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(bytes);
        Ok(f64::from_bits(u64::from_be_bytes(raw)))
    }

    /// `COMPACT_BYTES` (null is an error).
    pub fn compact_bytes(&mut self, field: &'static str) -> Result<Vec<u8>, RecordDecodeError> {
        let len = self
            .compact_length(field)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null bytes where the schema does not allow null".to_string(),
            })?;
        Ok(self.take(len, field)?.to_vec())
    }

    /// `NULLABLE_STRING` (non-flexible versions): INT16 length, -1 for null.
    pub fn nullable_string(
        &mut self,
        field: &'static str,
    ) -> Result<Option<String>, RecordDecodeError> {
        let len = self.i16(field)?;
        if len < 0 {
            return Ok(None);
        }
        let bytes = self.take(len as usize, field)?;
        let text = std::str::from_utf8(bytes).map_err(|error| RecordDecodeError::Invalid {
            field,
            reason: format!("not UTF-8: {error}"),
        })?;
        Ok(Some(text.to_string()))
    }

    /// `STRING` (non-flexible versions; null is an error).
    pub fn string(&mut self, field: &'static str) -> Result<String, RecordDecodeError> {
        self.nullable_string(field)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null where the schema does not allow null".to_string(),
            })
    }

    /// `ARRAY` count (non-flexible versions): INT32, each element at least
    /// `element_bytes_min` long; null is an error.
    pub fn struct_count(
        &mut self,
        field: &'static str,
        element_bytes_min: usize,
    ) -> Result<usize, RecordDecodeError> {
        let len = self.i32(field)?;
        let len = usize::try_from(len).map_err(|_| RecordDecodeError::Invalid {
            field,
            reason: "null array where the schema does not allow null".to_string(),
        })?;
        if len > ARRAY_ELEMENTS_MAX || len.saturating_mul(element_bytes_min) > self.remaining() {
            return Err(RecordDecodeError::Invalid {
                field,
                reason: format!(
                    "array length {len} exceeds the {} bytes left",
                    self.remaining()
                ),
            });
        }
        Ok(len)
    }

    /// `COMPACT_STRING` (null is an error).
    pub fn compact_string(&mut self, field: &'static str) -> Result<String, RecordDecodeError> {
        self.compact_nullable_string(field)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null where the schema does not allow null".to_string(),
            })
    }

    fn array_length(
        &mut self,
        field: &'static str,
        element_bytes: usize,
    ) -> Result<Option<usize>, RecordDecodeError> {
        let Some(len) = self.compact_length(field)? else {
            return Ok(None);
        };
        if len > ARRAY_ELEMENTS_MAX || len.saturating_mul(element_bytes) > self.remaining() {
            return Err(RecordDecodeError::Invalid {
                field,
                reason: format!(
                    "array length {len} exceeds the {} bytes left",
                    self.remaining()
                ),
            });
        }
        Ok(Some(len))
    }

    /// Nullable `COMPACT_ARRAY` of `INT32`.
    pub fn compact_nullable_i32_array(
        &mut self,
        field: &'static str,
    ) -> Result<Option<Vec<i32>>, RecordDecodeError> {
        let Some(len) = self.array_length(field, 4)? else {
            return Ok(None);
        };
        (0..len)
            .map(|_| self.i32(field))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// `COMPACT_ARRAY` of `INT32` (null is an error).
    pub fn compact_i32_array(
        &mut self,
        field: &'static str,
    ) -> Result<Vec<i32>, RecordDecodeError> {
        self.compact_nullable_i32_array(field)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null array where the schema does not allow null".to_string(),
            })
    }

    /// `COMPACT_ARRAY` of `UUID` (null is an error).
    pub fn compact_uuid_array(
        &mut self,
        field: &'static str,
    ) -> Result<Vec<Uuid>, RecordDecodeError> {
        let len = self
            .array_length(field, 16)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null array where the schema does not allow null".to_string(),
            })?;
        (0..len).map(|_| self.uuid(field)).collect()
    }

    /// The element count of a non-nullable compact array of structs (each at least
    /// `element_bytes_min` long).
    pub fn compact_struct_count(
        &mut self,
        field: &'static str,
        element_bytes_min: usize,
    ) -> Result<usize, RecordDecodeError> {
        self.array_length(field, element_bytes_min)?
            .ok_or(RecordDecodeError::Invalid {
                field,
                reason: "null array where the schema does not allow null".to_string(),
            })
    }

    /// Reads a tagged-field section, calling `on_field(tag, value_bytes)` for each field.
    /// Unknown tags are the callback's to ignore (KIP-482: readers skip tags they do not know).
    pub fn tagged_fields(
        &mut self,
        mut on_field: impl FnMut(u32, &'a [u8]) -> Result<(), RecordDecodeError>,
    ) -> Result<(), RecordDecodeError> {
        let count = self.unsigned_varint("tagged field count")?;
        let mut previous: Option<u32> = None;
        for _ in 0..count {
            let tag = self.unsigned_varint("tag")?;
            if previous.is_some_and(|previous| tag <= previous) {
                return Err(RecordDecodeError::Invalid {
                    field: "tag",
                    reason: format!("tag {tag} is not greater than the previous tag"),
                });
            }
            previous = Some(tag);
            let size = self.unsigned_varint("tag size")? as usize;
            let bytes = self.take(size, "tagged field")?;
            on_field(tag, bytes)?;
        }
        Ok(())
    }
}
