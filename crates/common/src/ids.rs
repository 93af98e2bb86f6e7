//! Identifier newtypes with Kafka's text forms.

use std::fmt;

/// A record offset within a partition (Kafka `long offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Offset(pub i64);

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A partition leader epoch (Kafka `int leaderEpoch`); -1 means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderEpoch(pub i32);

impl LeaderEpoch {
    /// Kafka's `RecordBatch.NO_PARTITION_LEADER_EPOCH` / `UNDEFINED_EPOCH`.
    pub const UNDEFINED: LeaderEpoch = LeaderEpoch(-1);
}

impl fmt::Display for LeaderEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A topic name plus partition index.
///
/// Its [`fmt::Display`] form, `<topic>-<partition>`, is Kafka's partition directory name
/// (`UnifiedLog.logDirName`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
}

/// Why a directory name is not a `<topic>-<partition>` name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a <topic>-<partition> directory name: {reason}")]
pub struct TopicPartitionParseError {
    /// The name that failed to parse.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl TopicPartition {
    /// Builds a topic-partition.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }

    /// Kafka's directory name, `<topic>-<partition>`.
    pub fn dir_name(&self) -> String {
        self.to_string()
    }

    /// Parses a directory name `<topic>-<partition>`; the topic may itself contain `-`, so the
    /// split is at the last `-` (Kafka `UnifiedLog.parseTopicPartitionName`).
    pub fn parse_dir_name(name: &str) -> Result<Self, TopicPartitionParseError> {
        let err = |reason| TopicPartitionParseError {
            name: name.to_string(),
            reason,
        };
        let (topic, partition) = name
            .rsplit_once('-')
            .ok_or_else(|| err("no '-' separator"))?;
        if topic.is_empty() {
            return Err(err("empty topic"));
        }
        let partition: i32 = partition
            .parse()
            .map_err(|_| err("partition is not an integer"))?;
        if partition < 0 {
            return Err(err("negative partition"));
        }
        Ok(Self::new(topic, partition))
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A 16-byte topic id (Kafka `Uuid`), shown as unpadded base64url like Kafka's `Uuid.toString`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub [u8; 16]);

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl TopicId {
    /// Kafka's `Uuid.ZERO_UUID`, which means "no topic id".
    pub const ZERO: TopicId = TopicId([0; 16]);

    /// Parses Kafka's 22-character unpadded base64url form.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 22 {
            return None;
        }
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut out = [0u8; 16];
        let mut at = 0;
        for &c in bytes {
            let v = BASE64URL.iter().position(|&b| b == c)? as u32;
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                if at < 16 {
                    out[at] = (bits >> nbits) as u8;
                }
                at += 1;
                bits &= (1 << nbits) - 1;
            }
        }
        // 22 chars carry 132 bits: 128 of data and 4 zero padding bits.
        if at != 16 || bits != 0 {
            return None;
        }
        Some(Self(out))
    }
}

impl fmt::Display for TopicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut out = String::with_capacity(22);
        for &b in &self.0 {
            bits = (bits << 8) | u32::from(b);
            nbits += 8;
            while nbits >= 6 {
                nbits -= 6;
                out.push(BASE64URL[((bits >> nbits) & 0x3f) as usize] as char);
            }
            bits &= (1 << nbits) - 1;
        }
        if nbits > 0 {
            out.push(BASE64URL[((bits << (6 - nbits)) & 0x3f) as usize] as char);
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_name_round_trips_with_dashes_in_topic() {
        let tp = TopicPartition::new("my-topic", 12);
        assert_eq!(tp.dir_name(), "my-topic-12");
        assert_eq!(TopicPartition::parse_dir_name("my-topic-12"), Ok(tp));
        assert!(TopicPartition::parse_dir_name("nodash").is_err());
        assert!(TopicPartition::parse_dir_name("t-x").is_err());
        assert!(TopicPartition::parse_dir_name("-3").is_err());
    }

    /// Kafka `UuidTest`: Uuid.toString is url-safe base64 without padding (22 chars).
    #[test]
    fn topic_id_base64url_matches_kafka_uuid_to_string() {
        let id = TopicId([0xff; 16]);
        assert_eq!(id.to_string(), "_____________________w");
        assert_eq!(TopicId::parse("_____________________w"), Some(id));
        let zero = TopicId::ZERO;
        assert_eq!(zero.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        let mixed = TopicId([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_eq!(TopicId::parse(&mixed.to_string()), Some(mixed));
        assert_eq!(mixed.to_string(), "AQIDBAUGBwgJCgsMDQ4PEA");
        assert_eq!(TopicId::parse("short"), None);
    }
}
