//! `GroupMetadataValue` (Kafka `GroupMetadataValue.json`, validVersions 0-4, flexible 4+):
//!
//! | field | versions |
//! |---|---|
//! | protocolType string | 0+ |
//! | generation int32 | 0+ |
//! | protocol nullable string | 0+ |
//! | leader nullable string | 0+ |
//! | currentStateTimestamp int64 (default -1) | 2+ |
//! | members []MemberMetadata | 0+ |
//!
//! `MemberMetadata`: memberId string 0+, groupInstanceId nullable string 3+, clientId 0+,
//! clientHost 0+, rebalanceTimeout int32 1+, sessionTimeout int32 0+, subscription bytes 0+,
//! assignment bytes 0+.

use bytes::Bytes;

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

const NAME: &str = "GroupMetadataValue";
/// Highest version read.
const VERSION_MAX: i16 = 4;
/// Version Kafka 4.1 writes (`GroupCoordinatorRecordHelpers.GROUP_METADATA_VALUE_VERSION`).
pub const GROUP_METADATA_VALUE_WRITE_VERSION: i16 = 3;

/// The persisted state of a classic group: written when a generation's assignment is
/// stored (SyncGroup from the leader), when the group becomes empty, and when a static
/// member is replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadataValue {
    /// Protocol type, e.g. "consumer"; "" for a group that never had one.
    pub protocol_type: String,
    /// The generation id.
    pub generation: i32,
    /// Selected protocol (assignor) name, e.g. "range".
    pub protocol: Option<String>,
    /// Leader member id.
    pub leader: Option<String>,
    /// When the group entered its current state, ms since the epoch (-1 unknown).
    pub current_state_timestamp: i64,
    /// The members of this generation.
    pub members: Vec<MemberMetadata>,
}

/// One member in a [`GroupMetadataValue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMetadata {
    /// Member id.
    pub member_id: String,
    /// Static membership instance id (KIP-345), v3+.
    pub group_instance_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host (as Kafka formats it, e.g. "/127.0.0.1").
    pub client_host: String,
    /// Rebalance timeout in ms (v1+; v0 records take the session timeout).
    pub rebalance_timeout_ms: i32,
    /// Session timeout in ms.
    pub session_timeout_ms: i32,
    /// The member's metadata for the selected protocol (the subscription).
    pub subscription: Bytes,
    /// The assignment the leader gave this member.
    pub assignment: Bytes,
}

impl GroupMetadataValue {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.i16(GROUP_METADATA_VALUE_WRITE_VERSION);
        writer.string(&self.protocol_type);
        writer.i32(self.generation);
        writer.nullable_string(self.protocol.as_deref());
        writer.nullable_string(self.leader.as_deref());
        writer.i64(self.current_state_timestamp);
        let count = i32::try_from(self.members.len()).unwrap_or(i32::MAX);
        writer.i32(count);
        for member in &self.members {
            writer.string(&member.member_id);
            writer.nullable_string(member.group_instance_id.as_deref());
            writer.string(&member.client_id);
            writer.string(&member.client_host);
            writer.i32(member.rebalance_timeout_ms);
            writer.i32(member.session_timeout_ms);
            writer.bytes(&member.subscription);
            writer.bytes(&member.assignment);
        }
        writer.buf
    }

    pub(super) fn decode(value: &[u8]) -> Result<Self, RecordDecodeError> {
        let mut reader = Reader::new(value, NAME);
        let version = reader.i16("version")?;
        if !(0..=VERSION_MAX).contains(&version) {
            return Err(RecordDecodeError::UnknownValueVersion {
                record: NAME,
                version,
            });
        }
        let flexible = version >= 4;
        let protocol_type = reader.string("protocolType", flexible)?;
        let generation = reader.i32("generation")?;
        let protocol = reader.nullable_string("protocol", flexible)?;
        let leader = reader.nullable_string("leader", flexible)?;
        let current_state_timestamp = if version >= 2 {
            reader.i64("currentStateTimestamp")?
        } else {
            -1
        };
        let count = reader.array_len("members", flexible)?;
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            members.push(decode_member(&mut reader, version)?);
        }
        if flexible {
            reader.skip_tagged_fields()?;
        }
        Ok(Self {
            protocol_type,
            generation,
            protocol,
            leader,
            current_state_timestamp,
            members,
        })
    }
}

fn decode_member(
    reader: &mut Reader<'_>,
    version: i16,
) -> Result<MemberMetadata, RecordDecodeError> {
    let flexible = version >= 4;
    let member_id = reader.string("members.memberId", flexible)?;
    let group_instance_id = if version >= 3 {
        reader.nullable_string("members.groupInstanceId", flexible)?
    } else {
        None
    };
    let client_id = reader.string("members.clientId", flexible)?;
    let client_host = reader.string("members.clientHost", flexible)?;
    let rebalance_timeout = if version >= 1 {
        Some(reader.i32("members.rebalanceTimeout")?)
    } else {
        None
    };
    let session_timeout_ms = reader.i32("members.sessionTimeout")?;
    let subscription = reader.bytes("members.subscription", flexible)?;
    let assignment = reader.bytes("members.assignment", flexible)?;
    if flexible {
        reader.skip_tagged_fields()?;
    }
    Ok(MemberMetadata {
        member_id,
        group_instance_id,
        client_id,
        client_host,
        // v0 had no rebalance timeout; Kafka's old loader used the session timeout.
        rebalance_timeout_ms: rebalance_timeout.unwrap_or(session_timeout_ms),
        session_timeout_ms,
        subscription,
        assignment,
    })
}
