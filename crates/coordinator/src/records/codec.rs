//! Primitive readers and writers for Kafka's message-spec types as used by the
//! `__consumer_offsets` schemas: big-endian integers, `string`/`bytes` with i16/i32 length
//! prefixes in non-flexible versions, and compact (unsigned-varint length + 1) forms plus
//! tagged fields in flexible versions.
//!
//! Reference: Kafka `clients/src/main/resources/common/message/README.md` ("Serialization"),
//! `org.apache.kafka.common.protocol.ByteBufferAccessor` and `ByteUtils.readUnsignedVarint`.

use bytes::Bytes;

use super::RecordDecodeError;

/// A cursor over one key or value buffer.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The record being read, for error messages.
    record: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], record: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            record,
        }
    }

    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], RecordDecodeError> {
        let remaining = self.buf.len() - self.pos;
        if len > remaining {
            return Err(RecordDecodeError::Truncated {
                record: self.record,
                field,
                needed: len,
                remaining,
            });
        }
        let slice = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], RecordDecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn i16(&mut self, field: &'static str) -> Result<i16, RecordDecodeError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i8(&mut self, field: &'static str) -> Result<i8, RecordDecodeError> {
        Ok(i8::from_be_bytes(self.array(field)?))
    }

    /// `uuid`: 16 bytes.
    pub(crate) fn uuid(&mut self, field: &'static str) -> Result<[u8; 16], RecordDecodeError> {
        self.array(field)
    }

    pub(crate) fn i32(&mut self, field: &'static str) -> Result<i32, RecordDecodeError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i64(&mut self, field: &'static str) -> Result<i64, RecordDecodeError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// Kafka `ByteUtils.readUnsignedVarint`: at most 5 bytes, 7 bits each, little-endian groups.
    pub(crate) fn unsigned_varint(
        &mut self,
        field: &'static str,
    ) -> Result<u32, RecordDecodeError> {
        let mut value: u32 = 0;
        for index in 0..5 {
            let byte = self.array::<1>(field)?[0];
            value |= u32::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(RecordDecodeError::VarintTooLong {
            record: self.record,
            field,
        })
    }

    fn utf8(&self, raw: &[u8], field: &'static str) -> Result<String, RecordDecodeError> {
        String::from_utf8(raw.to_vec()).map_err(|_| RecordDecodeError::InvalidUtf8 {
            record: self.record,
            field,
        })
    }

    /// Length of a nullable field: `None` for null (-1 / compact 0), an error for other
    /// negative lengths.
    fn length(
        &mut self,
        field: &'static str,
        flexible: bool,
        wide: bool,
    ) -> Result<Option<usize>, RecordDecodeError> {
        let raw: i64 = if flexible {
            i64::from(self.unsigned_varint(field)?) - 1
        } else if wide {
            i64::from(self.i32(field)?)
        } else {
            i64::from(self.i16(field)?)
        };
        match raw {
            -1 => Ok(None),
            len if len < 0 => Err(RecordDecodeError::NegativeLength {
                record: self.record,
                field,
                length: len,
            }),
            len => Ok(Some(usize::try_from(len).unwrap_or(usize::MAX))),
        }
    }

    /// A nullable `string` (i16 length) or, when `flexible`, a compact nullable string.
    pub(crate) fn nullable_string(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Option<String>, RecordDecodeError> {
        match self.length(field, flexible, false)? {
            None => Ok(None),
            Some(len) => {
                let raw = self.take(len, field)?;
                self.utf8(raw, field).map(Some)
            }
        }
    }

    /// A non-nullable `string`: null is an error.
    pub(crate) fn string(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<String, RecordDecodeError> {
        self.nullable_string(field, flexible)?
            .ok_or(RecordDecodeError::UnexpectedNull {
                record: self.record,
                field,
            })
    }

    /// A non-nullable `bytes` (i32 length, or compact when `flexible`).
    pub(crate) fn bytes(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Bytes, RecordDecodeError> {
        match self.length(field, flexible, true)? {
            None => Err(RecordDecodeError::UnexpectedNull {
                record: self.record,
                field,
            }),
            Some(len) => Ok(Bytes::copy_from_slice(self.take(len, field)?)),
        }
    }

    /// An array length (i32, or compact when `flexible`); null arrays are an error here
    /// because no `__consumer_offsets` array is nullable.
    pub(crate) fn array_len(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<usize, RecordDecodeError> {
        let len = self
            .length(field, flexible, true)?
            .ok_or(RecordDecodeError::UnexpectedNull {
                record: self.record,
                field,
            })?;
        // Every element takes at least one byte: refuse counts the buffer cannot hold
        // before allocating for them.
        let remaining = self.buf.len() - self.pos;
        if len > remaining {
            return Err(RecordDecodeError::Truncated {
                record: self.record,
                field,
                needed: len,
                remaining,
            });
        }
        Ok(len)
    }

    /// Skips a tagged-field section (flexible versions only). None of these records define
    /// tagged fields yet, so every tag is unknown and skipped, as Kafka's generated readers do.
    pub(crate) fn skip_tagged_fields(&mut self) -> Result<(), RecordDecodeError> {
        let count = self.unsigned_varint("_tagged_fields")?;
        for _ in 0..count {
            let _tag = self.unsigned_varint("_tagged_fields")?;
            let size = self.unsigned_varint("_tagged_fields")?;
            self.take(
                usize::try_from(size).unwrap_or(usize::MAX),
                "_tagged_fields",
            )?;
        }
        Ok(())
    }
}

/// Appends Kafka's non-flexible primitives to a buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn i16(&mut self, value: i16) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn i32(&mut self, value: i32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn i64(&mut self, value: i64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// `string`: i16 length then UTF-8. Callers bound lengths by
    /// [`crate::limits::STRING_BYTES_MAX`]; longer strings are a programmer error.
    pub(crate) fn string(&mut self, value: &str) {
        assert!(
            value.len() <= usize::from(i16::MAX.unsigned_abs()),
            "string longer than i16::MAX bytes"
        );
        self.i16(value.len() as i16);
        self.buf.extend_from_slice(value.as_bytes());
    }

    /// Nullable `string`: -1 for null.
    pub(crate) fn nullable_string(&mut self, value: Option<&str>) {
        match value {
            None => self.i16(-1),
            Some(text) => self.string(text),
        }
    }

    pub(crate) fn i8(&mut self, value: i8) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Kafka `ByteUtils.writeUnsignedVarint`.
    pub(crate) fn unsigned_varint(&mut self, mut value: u32) {
        while value >= 0x80 {
            self.buf.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    /// A compact length prefix: length + 1, 0 for null (flexible versions).
    pub(crate) fn compact_len(&mut self, len: Option<usize>) {
        let value = len.map_or(0, |l| u32::try_from(l + 1).unwrap_or(u32::MAX));
        self.unsigned_varint(value);
    }

    /// A compact nullable `string` (flexible versions).
    pub(crate) fn compact_nullable_string(&mut self, value: Option<&str>) {
        self.compact_len(value.map(str::len));
        if let Some(text) = value {
            self.buf.extend_from_slice(text.as_bytes());
        }
    }

    /// `uuid`: 16 bytes.
    pub(crate) fn uuid(&mut self, value: &[u8; 16]) {
        self.buf.extend_from_slice(value);
    }

    /// An empty tagged-field section.
    pub(crate) fn no_tagged_fields(&mut self) {
        self.unsigned_varint(0);
    }

    /// `bytes`: i32 length then the bytes.
    pub(crate) fn bytes(&mut self, value: &[u8]) {
        let len = i32::try_from(value.len()).unwrap_or(i32::MAX);
        assert!(
            usize::try_from(len).is_ok_and(|l| l == value.len()),
            "bytes longer than i32::MAX"
        );
        self.i32(len);
        self.buf.extend_from_slice(value);
    }
}
