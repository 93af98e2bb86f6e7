//! Plain data for consumer-group admin calls, and the ConsumerProtocol assignment parser that
//! turns a member's opaque assignment bytes into the partitions it owns.

use bytes::Bytes;
use fjord_protocol::kafka_protocol::messages::ConsumerProtocolAssignment;
use fjord_protocol::kafka_protocol::protocol::Decodable;

use crate::error::ClientError;
use crate::types::{BrokerInfo, TopicPartition};

/// The protocol type of consumer groups (`ConsumerProtocol.PROTOCOL_TYPE`).
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// One group from ListGroups (`GroupListing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// `consumer` for consumer groups, `connect`… for others, empty for offsets-only groups.
    pub protocol_type: String,
    /// The group state (ListGroups v4+, KIP-518), e.g. `Stable`, `Empty`.
    pub state: Option<String>,
    /// The group type as the broker names it (ListGroups v5+, KIP-848), e.g. `classic`,
    /// `consumer`.
    pub group_type: Option<String>,
}

/// One member of a described group (`MemberDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The member id the coordinator assigned.
    pub member_id: String,
    /// The static member id (KIP-345), if any.
    pub group_instance_id: Option<String>,
    /// The member's `client.id`.
    pub client_id: String,
    /// The member's host as the coordinator saw it (`/127.0.0.1`).
    pub host: String,
    /// The partitions the member owns, parsed from its ConsumerProtocol assignment (empty for
    /// non-consumer groups or while rebalancing).
    pub assignment: Vec<TopicPartition>,
}

/// A described group (`ConsumerGroupDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// The state: `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Dead`
    /// (an unknown group is `Dead`, as Kafka's coordinator answers).
    pub state: String,
    /// The protocol type (`consumer`).
    pub protocol_type: String,
    /// The selected protocol, i.e. the assignor name (`range`, `cooperative-sticky`…).
    pub assignor: String,
    /// The members.
    pub members: Vec<GroupMember>,
    /// The group's coordinator.
    pub coordinator: BrokerInfo,
}

/// A committed offset (`OffsetAndMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The next offset to consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record, if the client sent it (KIP-320).
    pub leader_epoch: Option<i32>,
    /// The commit metadata string.
    pub metadata: String,
}

/// Parses a member's assignment bytes with the `ConsumerProtocolAssignment` schema
/// (`ConsumerProtocolAssignment.json`, versions 0-3: an int16 version, then
/// `[topic, [partition]]` and nullable user data). Empty bytes mean no assignment yet. A
/// version above 3 is read with the v3 layout, as Kafka's `ConsumerProtocol` reads newer
/// versions by their known prefix.
pub fn parse_assignment(bytes: &[u8]) -> Result<Vec<TopicPartition>, ClientError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let bad = |detail: String| ClientError::Protocol {
        api: "ConsumerProtocolAssignment",
        detail,
    };
    let (version_bytes, _) = bytes
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("assignment shorter than its version field".to_owned()))?;
    let version = i16::from_be_bytes(*version_bytes);
    if version < 0 {
        return Err(bad(format!("negative assignment version {version}")));
    }
    let mut body = Bytes::copy_from_slice(&bytes[2..]);
    let assignment = ConsumerProtocolAssignment::decode(&mut body, version.min(3))
        .map_err(|e| bad(e.to_string()))?;
    let mut out: Vec<TopicPartition> = assignment
        .assigned_partitions
        .iter()
        .flat_map(|topic| {
            topic.partitions.iter().map(|partition| TopicPartition {
                topic: topic.topic.0.to_string(),
                partition: *partition,
            })
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds assignment bytes by hand from the schema: version, array length, topic string
    /// (int16 length), partitions (int32 count + values), user data (int32 -1 = null).
    fn encode(version: i16, topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut out = version.to_be_bytes().to_vec();
        out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for (topic, partitions) in topics {
            out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
            out.extend_from_slice(topic.as_bytes());
            out.extend_from_slice(&(partitions.len() as i32).to_be_bytes());
            for p in *partitions {
                out.extend_from_slice(&p.to_be_bytes());
            }
        }
        out.extend_from_slice(&(-1i32).to_be_bytes());
        out
    }

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.to_owned(),
            partition,
        }
    }

    #[test]
    fn consumer_protocol_assignment_v0_to_v3_lists_owned_partitions() {
        for version in 0..=3 {
            let bytes = encode(version, &[("orders", &[2, 0]), ("audit", &[1])]);
            assert_eq!(
                parse_assignment(&bytes).unwrap(),
                vec![tp("audit", 1), tp("orders", 0), tp("orders", 2)],
                "version {version}"
            );
        }
    }

    #[test]
    fn newer_assignment_versions_are_read_by_their_v3_prefix() {
        let bytes = encode(7, &[("t", &[0])]);
        assert_eq!(parse_assignment(&bytes).unwrap(), vec![tp("t", 0)]);
    }

    #[test]
    fn empty_bytes_are_no_assignment_and_truncated_bytes_are_an_error() {
        assert_eq!(parse_assignment(&[]).unwrap(), Vec::new());
        assert!(matches!(
            parse_assignment(&[0]),
            Err(ClientError::Protocol { .. })
        ));
        let mut bytes = encode(0, &[("orders", &[0, 1])]);
        bytes.truncate(bytes.len() - 7);
        assert!(matches!(
            parse_assignment(&bytes),
            Err(ClientError::Protocol { .. })
        ));
    }
}
