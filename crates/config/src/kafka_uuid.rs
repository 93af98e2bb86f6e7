//! Kafka's `org.apache.kafka.common.Uuid` text form: the 16 bytes in URL-safe base64 without
//! padding (22 characters), used for cluster ids, directory ids and topic ids.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A Kafka UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KafkaUuid(pub [u8; 16]);

/// Why a string is not a Kafka UUID (Kafka: `Uuid.fromString` throws
/// `IllegalArgumentException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Input string `{0}` decoded as {1} bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID"
)]
pub struct UuidParseError(pub String, pub usize);

impl KafkaUuid {
    /// `Uuid.ZERO_UUID`, reserved.
    pub const ZERO: Self = Self([0; 16]);
    /// `Uuid.ONE_UUID` (`METADATA_TOPIC_ID`), reserved.
    pub const ONE: Self = Self([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// A random version-4 UUID as `Uuid.randomUuid` makes it: never a reserved value and never
    /// one whose text starts with `-` (so it cannot be mistaken for a command-line flag).
    pub fn random() -> Self {
        Self::random_with(|| *uuid::Uuid::new_v4().as_bytes())
    }

    /// [`Self::random`] with an injected source of 16 random bytes (deterministic tests).
    pub fn random_with(mut bytes: impl FnMut() -> [u8; 16]) -> Self {
        loop {
            let candidate = Self(bytes());
            if !candidate.is_reserved() && !candidate.to_string().starts_with('-') {
                return candidate;
            }
        }
    }

    /// Whether this is one of Kafka's reserved ids (`Uuid.RESERVED`: ZERO and ONE; directory ids
    /// also reserve 2, `DirectoryId.LOST`/`MIGRATING`/`UNASSIGNED` being 0..2).
    pub fn is_reserved(&self) -> bool {
        self.0[..15].iter().all(|&b| b == 0) && self.0[15] <= 2
    }
}

impl fmt::Display for KafkaUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(22);
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let symbols = chunk.len() + 1;
            for i in 0..symbols {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        f.write_str(&out)
    }
}

impl FromStr for KafkaUuid {
    type Err = UuidParseError;

    /// Parses the base64url text; like Java's `Base64.getUrlDecoder` it accepts optional `=`
    /// padding.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim_end_matches('=');
        let mut bits: u32 = 0;
        let mut bit_count = 0;
        let mut bytes = Vec::with_capacity(16);
        for c in trimmed.bytes() {
            let value = ALPHABET
                .iter()
                .position(|&a| a == c)
                .ok_or_else(|| UuidParseError(s.to_owned(), 0))?;
            bits = (bits << 6) | value as u32;
            bit_count += 6;
            if bit_count >= 8 {
                bit_count -= 8;
                bytes.push(((bits >> bit_count) & 0xff) as u8);
            }
        }
        let array: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| UuidParseError(s.to_owned(), bytes.len()))?;
        Ok(Self(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_cluster_id_round_trips() {
        // The cluster id from Kafka's quickstart docs style: 22 base64url chars.
        let text = "MkU3OEVBNTcwNTJENDM2Qg";
        let uuid: KafkaUuid = text.parse().unwrap();
        assert_eq!(uuid.to_string(), text);
        assert_eq!(&uuid.0[..4], b"2E78");
    }

    #[test]
    fn random_is_22_chars_url_safe_and_never_starts_with_dash() {
        for _ in 0..200 {
            let text = KafkaUuid::random().to_string();
            assert_eq!(text.len(), 22, "{text}");
            assert!(!text.starts_with('-'));
            assert!(text.bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn random_skips_reserved_and_dash_values() {
        let mut seq = vec![[0u8; 16], [0xf8; 16], [7u8; 16]].into_iter();
        let uuid = KafkaUuid::random_with(|| seq.next().unwrap_or([9; 16]));
        assert_eq!(uuid, KafkaUuid([7; 16]));
    }

    #[test]
    fn wrong_length_is_rejected() {
        assert!("abc".parse::<KafkaUuid>().is_err());
        assert!("MkU3OEVBNTcwNTJENDM2QgAA".parse::<KafkaUuid>().is_err());
        assert!("MkU3OEVBNTcwNTJENDM2Q!".parse::<KafkaUuid>().is_err());
    }
}
