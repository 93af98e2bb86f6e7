//! Plain request and response types of the group coordinator APIs. The broker maps Kafka's
//! wire messages (JoinGroup … DescribeGroups, Kafka `common/message/*.json`) to and from
//! these; versions matter only where a field changes the coordinator's behaviour.

use bytes::Bytes;

use crate::error::GroupError;

/// A caller-chosen id for a request whose response may come later (JoinGroup, SyncGroup)
/// or only after the result's records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle(pub u64);

/// JoinGroup (api key 11, v0..v9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupRequest {
    /// Request version: v4+ get MEMBER_ID_REQUIRED (KIP-394); v9 may skip assignment (KIP-814).
    pub api_version: i16,
    /// Group id.
    pub group_id: String,
    /// Session timeout in ms.
    pub session_timeout_ms: i32,
    /// Rebalance timeout in ms (v1+; the broker passes the session timeout for v0).
    pub rebalance_timeout_ms: i32,
    /// Member id, "" when unknown.
    pub member_id: String,
    /// Static membership id (KIP-345, v5+).
    pub group_instance_id: Option<String>,
    /// Protocol type, e.g. "consumer".
    pub protocol_type: String,
    /// Supported protocols in preference order: (name, metadata).
    pub protocols: Vec<(String, Bytes)>,
    /// The client's id (from the request header).
    pub client_id: String,
    /// The client's host, as Kafka prints it ("/127.0.0.1").
    pub client_host: String,
}

/// A member as the leader sees it in a JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupMember {
    /// Member id.
    pub member_id: String,
    /// Static instance id.
    pub group_instance_id: Option<String>,
    /// The member's metadata for the selected protocol.
    pub metadata: Bytes,
}

/// JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupResponse {
    /// The error, `None` for success.
    pub error: Option<GroupError>,
    /// Generation id (-1 on error).
    pub generation_id: i32,
    /// Selected protocol type (v7+ on the wire).
    pub protocol_type: Option<String>,
    /// Selected protocol name.
    pub protocol_name: Option<String>,
    /// Leader member id ("" on error).
    pub leader: String,
    /// KIP-814: the static leader rejoined; it must not reassign (v9+).
    pub skip_assignment: bool,
    /// The member's id (newly assigned for new members and MEMBER_ID_REQUIRED).
    pub member_id: String,
    /// All members with their metadata; only the leader gets them.
    pub members: Vec<JoinGroupMember>,
}

impl JoinGroupResponse {
    /// An error response carrying `member_id` (Kafka echoes the request's member id).
    pub fn error(error: GroupError, member_id: impl Into<String>) -> Self {
        Self {
            error: Some(error),
            generation_id: -1,
            protocol_type: None,
            protocol_name: None,
            leader: String::new(),
            skip_assignment: false,
            member_id: member_id.into(),
            members: Vec::new(),
        }
    }
}

/// SyncGroup (api key 14, v0..v5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupRequest {
    /// Group id.
    pub group_id: String,
    /// Generation id.
    pub generation_id: i32,
    /// Member id.
    pub member_id: String,
    /// Static instance id (v3+).
    pub group_instance_id: Option<String>,
    /// Protocol type (v5+), checked against the group's when present.
    pub protocol_type: Option<String>,
    /// Protocol name (v5+), checked against the group's when present.
    pub protocol_name: Option<String>,
    /// The leader's assignment: (member id, assignment); empty for followers.
    pub assignments: Vec<(String, Bytes)>,
}

/// SyncGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupResponse {
    /// The error, `None` for success.
    pub error: Option<GroupError>,
    /// Protocol type (v5+).
    pub protocol_type: Option<String>,
    /// Protocol name (v5+).
    pub protocol_name: Option<String>,
    /// This member's assignment.
    pub assignment: Bytes,
}

impl SyncGroupResponse {
    /// An error response.
    pub fn error(error: GroupError) -> Self {
        Self {
            error: Some(error),
            protocol_type: None,
            protocol_name: None,
            assignment: Bytes::new(),
        }
    }
}

/// Heartbeat (api key 12, v0..v4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRequest {
    /// Group id.
    pub group_id: String,
    /// Generation id.
    pub generation_id: i32,
    /// Member id.
    pub member_id: String,
    /// Static instance id (v3+).
    pub group_instance_id: Option<String>,
}

/// One member identity in a LeaveGroup request (v3+ batches them, KIP-345).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavingMember {
    /// Member id ("" allowed when the instance id names the member).
    pub member_id: String,
    /// Static instance id.
    pub group_instance_id: Option<String>,
}

/// LeaveGroup (api key 13, v0..v5); v0-v2's single member id is one [`LeavingMember`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveGroupRequest {
    /// Group id.
    pub group_id: String,
    /// The members leaving.
    pub members: Vec<LeavingMember>,
}

/// Per-member result of a LeaveGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftMember {
    /// Member id as requested.
    pub member_id: String,
    /// Instance id as requested.
    pub group_instance_id: Option<String>,
    /// The member's error.
    pub error: Option<GroupError>,
}

/// LeaveGroup response. For v0-v2 the broker answers with the top-level error, or the single
/// member's error when the top level is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveGroupResponse {
    /// Group-level error.
    pub error: Option<GroupError>,
    /// Per-member results.
    pub members: Vec<LeftMember>,
}

/// One partition of an OffsetCommit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitPartition {
    /// Partition index.
    pub partition: i32,
    /// Offset to commit.
    pub offset: i64,
    /// Leader epoch (v6+), -1 unknown.
    pub leader_epoch: i32,
    /// Metadata; `None` is stored as "".
    pub metadata: Option<String>,
}

/// OffsetCommit (api key 8, v0..v9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitRequest {
    /// Request version: v9+ answers GROUP_ID_NOT_FOUND for a missing group.
    pub api_version: i16,
    /// Group id.
    pub group_id: String,
    /// Generation id; -1 for simple (non-group) commits.
    pub generation_id: i32,
    /// Member id; "" for simple commits.
    pub member_id: String,
    /// Static instance id (v7+).
    pub group_instance_id: Option<String>,
    /// `retention_time_ms` (v2..v4), -1 for the broker default.
    pub retention_time_ms: i64,
    /// (topic, partitions).
    pub topics: Vec<(String, Vec<OffsetCommitPartition>)>,
}

/// Per-partition errors, grouped by topic in request order.
pub type PartitionErrors = Vec<(String, Vec<(i32, Option<GroupError>)>)>;

/// One group of an OffsetFetch (v8+ batches groups; older versions send one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetFetchGroupRequest {
    /// Group id.
    pub group_id: String,
    /// (topic, partitions), or `None` for every committed offset of the group.
    pub topics: Option<Vec<(String, Vec<i32>)>>,
}

/// One partition of an OffsetFetch response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedOffset {
    /// Partition index.
    pub partition: i32,
    /// Committed offset, -1 when none.
    pub offset: i64,
    /// Leader epoch, -1 unknown.
    pub leader_epoch: i32,
    /// Metadata ("" when none).
    pub metadata: String,
}

/// One group of an OffsetFetch response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetFetchGroupResponse {
    /// Group id.
    pub group_id: String,
    /// Group-level error.
    pub error: Option<GroupError>,
    /// (topic, partitions) in request order, or sorted for "all topics".
    pub topics: Vec<(String, Vec<FetchedOffset>)>,
}

/// OffsetDelete (api key 47, KIP-496).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetDeleteRequest {
    /// Group id.
    pub group_id: String,
    /// (topic, partitions).
    pub topics: Vec<(String, Vec<i32>)>,
}

/// OffsetDelete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetDeleteResponse {
    /// Group-level error.
    pub error: Option<GroupError>,
    /// Per-partition errors.
    pub topics: PartitionErrors,
}

/// One group in a ListGroups response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    /// Group id.
    pub group_id: String,
    /// Protocol type ("" for simple groups).
    pub protocol_type: String,
    /// State name as Kafka prints it ("Stable", …), v4+.
    pub group_state: &'static str,
    /// Group type, "classic" (v5+, KIP-848).
    pub group_type: &'static str,
}

/// One member in a DescribeGroups response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    /// Member id.
    pub member_id: String,
    /// Static instance id (v4+).
    pub group_instance_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host.
    pub client_host: String,
    /// Metadata for the selected protocol (Stable groups only, else empty).
    pub metadata: Bytes,
    /// Assignment (Stable groups only, else empty).
    pub assignment: Bytes,
}

/// One group in a DescribeGroups response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedGroup {
    /// Group id.
    pub group_id: String,
    /// Error (INVALID_GROUP_ID for ""); unknown groups are described as Dead without error.
    pub error: Option<GroupError>,
    /// State name.
    pub group_state: &'static str,
    /// Protocol type.
    pub protocol_type: String,
    /// Selected protocol, only for Stable groups ("" otherwise).
    pub protocol_data: String,
    /// Members.
    pub members: Vec<DescribedMember>,
}

/// A response produced by the shard, to be sent once the result's records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinatorResponse {
    /// JoinGroup.
    Join(JoinGroupResponse),
    /// SyncGroup.
    Sync(SyncGroupResponse),
    /// Heartbeat.
    Heartbeat(Option<GroupError>),
    /// LeaveGroup.
    Leave(LeaveGroupResponse),
    /// OffsetCommit.
    OffsetCommit(PartitionErrors),
    /// OffsetDelete.
    OffsetDelete(OffsetDeleteResponse),
    /// DeleteGroups: (group id, error) in request order.
    DeleteGroups(Vec<(String, Option<GroupError>)>),
    /// ConsumerGroupHeartbeat (KIP-848).
    ConsumerHeartbeat(crate::consumer::api::ConsumerHeartbeatResponse),
}
