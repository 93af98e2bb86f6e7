//! Kafka's textual form of a 128-bit id (`org.apache.kafka.common.Uuid.toString`): URL-safe
//! base64 without padding, 22 characters. Topic ids print this way in `kafka-topics.sh
//! --describe`.

use uuid::Uuid;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Formats `id` as Kafka does (`Uuid.toString()`).
pub fn kafka_uuid_string(id: &Uuid) -> String {
    let bytes = id.as_bytes();
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Parses Kafka's textual id (22 URL-safe base64 characters); `None` if malformed.
pub fn parse_kafka_uuid(text: &str) -> Option<Uuid> {
    if text.len() != 22 {
        return None;
    }
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(16);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = (bits << 6) | value;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(((bits >> nbits) & 0xff) as u8);
        }
    }
    let bytes: [u8; 16] = out.try_into().ok()?;
    Some(Uuid::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_kafka_uuid_to_string() {
        // Kafka Uuid.ZERO_UUID prints "AAAAAAAAAAAAAAAAAAAAAA"; Uuid.METADATA_TOPIC_ID (0,1)
        // prints "AAAAAAAAAAAAAAAAAAAAAQ" (UuidTest.testToString / Uuid constants).
        assert_eq!(kafka_uuid_string(&Uuid::nil()), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            kafka_uuid_string(&Uuid::from_u128(1)),
            "AAAAAAAAAAAAAAAAAAAAAQ"
        );
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(parse_kafka_uuid(&kafka_uuid_string(&id)), Some(id));
        assert_eq!(parse_kafka_uuid("short"), None);
    }
}
