//! Plain request/response types of ConsumerGroupHeartbeat (API 68) and
//! ConsumerGroupDescribe (API 69), Kafka `ConsumerGroupHeartbeatRequest.json`,
//! `ConsumerGroupDescribeResponse.json`.

use std::collections::BTreeMap;

use crate::error::GroupError;
use crate::records::TopicPartitions;

/// A topic as the assignor needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic id.
    pub id: [u8; 16],
    /// Partition count.
    pub partitions: i32,
}

/// The broker's view of the topics (name → id and partition count) at the time of a call.
pub type TopicsSnapshot = BTreeMap<String, TopicInfo>;

/// ConsumerGroupHeartbeat request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerHeartbeatRequest {
    /// Request version (v1: the client generates its member id, KIP-1082).
    pub api_version: i16,
    /// Group id.
    pub group_id: String,
    /// Member id ("" on a v0 first join: the coordinator picks one).
    pub member_id: String,
    /// 0 to join, -1 to leave, -2 for a static member's temporary leave, else the
    /// member's current epoch.
    pub member_epoch: i32,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Rebalance timeout (-1: unchanged).
    pub rebalance_timeout_ms: i32,
    /// Subscribed topics (None: unchanged).
    pub subscribed_topic_names: Option<Vec<String>>,
    /// Subscribed regex (None: unchanged).
    pub subscribed_topic_regex: Option<String>,
    /// Preferred server assignor (None: unchanged).
    pub server_assignor: Option<String>,
    /// Partitions the member owns (None: unchanged since the last heartbeat).
    pub owned: Option<TopicPartitions>,
    /// Client id (request header).
    pub client_id: String,
    /// Client host ("/127.0.0.1").
    pub client_host: String,
}

/// ConsumerGroupHeartbeat response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerHeartbeatResponse {
    /// The error, `None` for success.
    pub error: Option<GroupError>,
    /// A human-readable detail of the error.
    pub error_message: Option<String>,
    /// The member id (the coordinator's choice on a v0 join).
    pub member_id: Option<String>,
    /// The member's epoch.
    pub member_epoch: i32,
    /// How often to heartbeat.
    pub heartbeat_interval_ms: i32,
    /// The partitions the member should own, when they changed.
    pub assignment: Option<TopicPartitions>,
}

impl ConsumerHeartbeatResponse {
    /// An error response.
    pub fn error(error: GroupError, message: impl Into<String>) -> Self {
        Self {
            error: Some(error),
            error_message: Some(message.into()),
            ..Self::default()
        }
    }
}

/// A member in ConsumerGroupDescribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedConsumerMember {
    /// Member id.
    pub member_id: String,
    /// Instance id.
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Member epoch.
    pub member_epoch: i32,
    /// Client id.
    pub client_id: String,
    /// Client host.
    pub client_host: String,
    /// Subscribed topics.
    pub subscribed_topic_names: Vec<String>,
    /// Subscribed regex.
    pub subscribed_topic_regex: Option<String>,
    /// Current assignment.
    pub assignment: TopicPartitions,
    /// Target assignment.
    pub target_assignment: TopicPartitions,
}

/// One group in ConsumerGroupDescribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedConsumerGroup {
    /// Group id.
    pub group_id: String,
    /// The error (GROUP_ID_NOT_FOUND when the id is not a consumer group).
    pub error: Option<GroupError>,
    /// Empty, Assigning, Reconciling or Stable.
    pub state: String,
    /// Group epoch.
    pub epoch: i32,
    /// Target assignment epoch.
    pub assignment_epoch: i32,
    /// The assignor in use.
    pub assignor_name: String,
    /// Members.
    pub members: Vec<DescribedConsumerMember>,
}
