//! Zigzag variable-length integers as used inside magic v2 records.
//!
//! Kafka encodes record fields as protobuf-style varints: 7 bits per byte, least significant
//! group first, high bit = "more bytes follow", with zigzag mapping so small negative numbers
//! stay short (`0 → 0, -1 → 1, 1 → 2, -2 → 3 …`). A varint (i32) takes at most 5 bytes, a
//! varlong (i64) at most 10. Source: Kafka `org.apache.kafka.common.utils.ByteUtils`
//! (`writeVarint`, `readVarint`, `writeVarlong`, `readVarlong`, `sizeOfVarint`), and the
//! record layout in Kafka documentation §5.3.2 "Record".
//!
//! Decoding follows `ByteUtils`: a value that needs more than 5 (10) bytes is rejected; bits
//! of the last allowed byte beyond the type's width are ignored, as Java does.

/// Longest encoding of a zigzag varint (i32), in bytes.
pub const VARINT_BYTES_MAX: usize = 5;
/// Longest encoding of a zigzag varlong (i64), in bytes.
pub const VARLONG_BYTES_MAX: usize = 10;

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    /// The buffer ended while the continuation bit said more bytes follow.
    #[error("varint truncated after {read} bytes")]
    Truncated {
        /// Bytes consumed before the buffer ended.
        read: usize,
    },
    /// More than the maximum number of bytes for the type carried the continuation bit
    /// (Kafka `ByteUtils.illegalVarintException` / `illegalVarlongException`).
    #[error("varint longer than {max_bytes} bytes")]
    TooLong {
        /// The maximum encoding length for the type (5 or 10).
        max_bytes: usize,
    },
}

fn read_unsigned(buf: &[u8], max_bytes: usize) -> Result<(u64, usize), VarintError> {
    let mut value: u64 = 0;
    for (index, &byte) in buf.iter().enumerate() {
        if index >= max_bytes {
            return Err(VarintError::TooLong { max_bytes });
        }
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok((value, index + 1));
        }
    }
    if buf.len() >= max_bytes {
        return Err(VarintError::TooLong { max_bytes });
    }
    Err(VarintError::Truncated { read: buf.len() })
}

fn write_unsigned(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes a zigzag varint (i32) at the start of `buf`; returns the value and bytes read.
pub fn decode_varint(buf: &[u8]) -> Result<(i32, usize), VarintError> {
    let (raw, read) = read_unsigned(buf, VARINT_BYTES_MAX)?;
    // Truncation to 32 bits mirrors Java's `int` arithmetic in ByteUtils.readVarint.
    let raw = raw as u32;
    Ok((((raw >> 1) as i32) ^ -((raw & 1) as i32), read))
}

/// Decodes a zigzag varlong (i64) at the start of `buf`; returns the value and bytes read.
pub fn decode_varlong(buf: &[u8]) -> Result<(i64, usize), VarintError> {
    let (raw, read) = read_unsigned(buf, VARLONG_BYTES_MAX)?;
    Ok((((raw >> 1) as i64) ^ -((raw & 1) as i64), read))
}

/// Decodes an unsigned varint (u32, no zigzag) as used by flexible protocol versions for
/// compact lengths and tagged-field counts (Kafka `ByteUtils.readUnsignedVarint`).
pub fn decode_unsigned_varint(buf: &[u8]) -> Result<(u32, usize), VarintError> {
    let (raw, read) = read_unsigned(buf, VARINT_BYTES_MAX)?;
    Ok((raw as u32, read))
}

/// Appends `value` as a zigzag varint (i32).
pub fn encode_varint(value: i32, out: &mut Vec<u8>) {
    write_unsigned(u64::from(((value << 1) ^ (value >> 31)) as u32), out);
}

/// Appends `value` as a zigzag varlong (i64).
pub fn encode_varlong(value: i64, out: &mut Vec<u8>) {
    write_unsigned(((value << 1) ^ (value >> 63)) as u64, out);
}

/// Appends `value` as an unsigned varint (no zigzag).
pub fn encode_unsigned_varint(value: u32, out: &mut Vec<u8>) {
    write_unsigned(u64::from(value), out);
}

fn unsigned_len(value: u64) -> usize {
    // Bits needed, rounded up to groups of 7; zero still takes one byte.
    let bits = 64 - value.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Bytes `value` takes as a zigzag varint (Kafka `ByteUtils.sizeOfVarint`).
pub fn varint_len(value: i32) -> usize {
    unsigned_len(u64::from(((value << 1) ^ (value >> 31)) as u32))
}

/// Bytes `value` takes as a zigzag varlong (Kafka `ByteUtils.sizeOfVarlong`).
pub fn varlong_len(value: i64) -> usize {
    unsigned_len(((value << 1) ^ (value >> 63)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn varint_bytes(value: i32) -> Vec<u8> {
        let mut out = Vec::new();
        encode_varint(value, &mut out);
        out
    }

    #[test]
    fn zigzag_examples_from_kafka_byte_utils_test() {
        // Kafka ByteUtilsTest.testVarintSerde: 0 → 00, -1 → 01, 1 → 02, -64 → 7f, 64 → 80 01,
        // i32::MAX → fe ff ff ff 0f, i32::MIN → ff ff ff ff 0f.
        assert_eq!(varint_bytes(0), [0x00]);
        assert_eq!(varint_bytes(-1), [0x01]);
        assert_eq!(varint_bytes(1), [0x02]);
        assert_eq!(varint_bytes(-64), [0x7f]);
        assert_eq!(varint_bytes(64), [0x80, 0x01]);
        assert_eq!(varint_bytes(i32::MAX), [0xfe, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(varint_bytes(i32::MIN), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn truncated_and_overlong_inputs_are_typed_errors() {
        assert_eq!(decode_varint(&[]), Err(VarintError::Truncated { read: 0 }));
        assert_eq!(
            decode_varint(&[0x80, 0x80]),
            Err(VarintError::Truncated { read: 2 })
        );
        assert_eq!(
            decode_varint(&[0x80; 6]),
            Err(VarintError::TooLong { max_bytes: 5 })
        );
        assert_eq!(
            decode_varint(&[0x80; 5]),
            Err(VarintError::TooLong { max_bytes: 5 })
        );
        assert_eq!(
            decode_varlong(&[0xff; 11]),
            Err(VarintError::TooLong { max_bytes: 10 })
        );
        assert_eq!(
            decode_varlong(&[0xff; 3]),
            Err(VarintError::Truncated { read: 3 })
        );
    }

    #[test]
    fn decoding_stops_at_the_first_byte_without_continuation() {
        assert_eq!(decode_varint(&[0x02, 0xff, 0xff]), Ok((1, 1)));
        assert_eq!(decode_unsigned_varint(&[0x80, 0x01]), Ok((128, 2)));
    }

    proptest! {
        #[test]
        fn varint_round_trips(value: i32, trailing: Vec<u8>) {
            let mut out = Vec::new();
            encode_varint(value, &mut out);
            prop_assert_eq!(out.len(), varint_len(value));
            out.extend_from_slice(&trailing);
            prop_assert_eq!(decode_varint(&out), Ok((value, varint_len(value))));
        }

        #[test]
        fn varlong_round_trips(value: i64) {
            let mut out = Vec::new();
            encode_varlong(value, &mut out);
            prop_assert_eq!(out.len(), varlong_len(value));
            prop_assert!(out.len() <= VARLONG_BYTES_MAX);
            prop_assert_eq!(decode_varlong(&out), Ok((value, out.len())));
        }

        #[test]
        fn unsigned_varint_round_trips(value: u32) {
            let mut out = Vec::new();
            encode_unsigned_varint(value, &mut out);
            prop_assert_eq!(decode_unsigned_varint(&out), Ok((value, out.len())));
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes: Vec<u8>) {
            let _ = decode_varint(&bytes);
            let _ = decode_varlong(&bytes);
        }
    }
}
