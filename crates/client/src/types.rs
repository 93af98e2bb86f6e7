//! Plain data returned by the admin operations.

use uuid::Uuid;

/// A broker as listed in Metadata / DescribeCluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `node.id`.
    pub node_id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: i32,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

/// One partition's replica state from Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Partition index.
    pub partition: i32,
    /// Leader node id, `None` when there is no leader (Metadata says -1).
    pub leader: Option<i32>,
    /// Leader epoch (-1 when unknown).
    pub leader_epoch: i32,
    /// Assigned replicas.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Replicas that are offline.
    pub offline_replicas: Vec<i32>,
    /// The partition's error code in the Metadata response (0 = none).
    pub error_code: i16,
}

/// One topic from Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Topic id (nil when the broker predates topic ids, Metadata < v10).
    pub topic_id: Uuid,
    /// Whether the topic is internal (`__consumer_offsets`…).
    pub is_internal: bool,
    /// Partitions, sorted by index.
    pub partitions: Vec<PartitionInfo>,
}

/// A Metadata snapshot of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMetadata {
    /// Cluster id, when the broker reports one.
    pub cluster_id: Option<String>,
    /// The controller's node id (-1 when unknown).
    pub controller_id: i32,
    /// Live brokers.
    pub brokers: Vec<BrokerInfo>,
    /// Topics that were found (topics with errors are left out and reported separately).
    pub topics: Vec<TopicInfo>,
}

impl ClusterMetadata {
    /// The topic named `name`, if present.
    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// The broker with `node_id`, if live.
    pub fn broker(&self, node_id: i32) -> Option<&BrokerInfo> {
        self.brokers.iter().find(|b| b.node_id == node_id)
    }
}

/// A topic to create (`org.apache.kafka.clients.admin.NewTopic`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTopic {
    /// Topic name.
    pub name: String,
    /// Partition count; `None` uses the broker's `num.partitions` (sent as -1, KIP-464).
    pub partitions: Option<i32>,
    /// Replication factor; `None` uses `default.replication.factor` (sent as -1, KIP-464).
    pub replication_factor: Option<i16>,
    /// Manual assignment: replicas per partition index, in order. When non-empty, partitions
    /// and replication factor are taken from it.
    pub replica_assignment: Vec<Vec<i32>>,
    /// Topic config overrides.
    pub configs: Vec<(String, String)>,
}

/// Which kind of entity a config belongs to (`ConfigResource.Type`, wire ids from
/// `DescribeConfigsRequest.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigResourceType {
    /// A topic (2).
    Topic,
    /// A broker (4); an empty name means the cluster-wide default.
    Broker,
    /// A broker's loggers (8).
    BrokerLogger,
}

impl ConfigResourceType {
    /// The wire id.
    pub fn id(self) -> i8 {
        match self {
            Self::Topic => 2,
            Self::Broker => 4,
            Self::BrokerLogger => 8,
        }
    }
}

/// A config-bearing entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigResource {
    /// Its kind.
    pub resource_type: ConfigResourceType,
    /// Its name (topic name, broker id, or "" for the broker default).
    pub name: String,
}

pub use fjord_common::ConfigSource;

/// One config value (`org.apache.kafka.clients.admin.ConfigEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Key.
    pub name: String,
    /// Value (`None` for sensitive values or unset keys).
    pub value: Option<String>,
    /// Source of the value.
    pub source: ConfigSource,
    /// Whether the value is sensitive (passwords).
    pub is_sensitive: bool,
    /// Whether it cannot be changed dynamically.
    pub read_only: bool,
    /// Synonyms in precedence order: `(name, value, source)`.
    pub synonyms: Vec<(String, Option<String>, ConfigSource)>,
}

impl ConfigEntry {
    /// Whether this is a default value (`ConfigEntry.isDefault`: source DEFAULT_CONFIG).
    pub fn is_default(&self) -> bool {
        self.source == ConfigSource::DefaultConfig
    }
}

/// An IncrementalAlterConfigs operation (`AlterConfigOp.OpType`, KIP-339).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterConfigOpType {
    /// 0: set the value.
    Set,
    /// 1: remove the override.
    Delete,
    /// 2: append to a list value.
    Append,
    /// 3: remove from a list value.
    Subtract,
}

impl AlterConfigOpType {
    /// The wire id.
    pub fn id(self) -> i8 {
        match self {
            Self::Set => 0,
            Self::Delete => 1,
            Self::Append => 2,
            Self::Subtract => 3,
        }
    }
}

/// One change to a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigOp {
    /// Key.
    pub name: String,
    /// What to do.
    pub op: AlterConfigOpType,
    /// Value for Set/Append/Subtract.
    pub value: Option<String>,
}

/// What offset ListOffsets should look up (`OffsetSpec`; special timestamps from
/// `ListOffsetsRequest`: -1 latest, -2 earliest, -3 max timestamp (KIP-734), -4 earliest
/// local (KIP-405), -5 latest tiered (KIP-1005)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// -1.
    Latest,
    /// -2.
    Earliest,
    /// -3.
    MaxTimestamp,
    /// -4.
    EarliestLocal,
    /// -5.
    LatestTiered,
    /// The earliest offset whose timestamp is ≥ this many ms since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    /// The timestamp field sent on the wire.
    pub fn wire_timestamp(self) -> i64 {
        match self {
            Self::Latest => -1,
            Self::Earliest => -2,
            Self::MaxTimestamp => -3,
            Self::EarliestLocal => -4,
            Self::LatestTiered => -5,
            Self::Timestamp(ts) => ts,
        }
    }

    /// The lowest ListOffsets version that understands this spec.
    pub fn min_version(self) -> i16 {
        match self {
            Self::Latest | Self::Earliest | Self::Timestamp(_) => 0,
            Self::MaxTimestamp => 7,
            Self::EarliestLocal => 8,
            Self::LatestTiered => 9,
        }
    }
}

/// A ListOffsets answer for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    /// The offset (-1 when no record matches a timestamp lookup).
    pub offset: i64,
    /// The matched record's timestamp (-1 when not applicable).
    pub timestamp: i64,
    /// The leader epoch of the matched record, if known.
    pub leader_epoch: Option<i32>,
}

/// A topic-partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
}

impl std::fmt::Display for TopicPartition {
    /// Kafka's `TopicPartition.toString`: `topic-partition`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// DescribeCluster's answer (or the Metadata fallback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// Cluster id.
    pub cluster_id: Option<String>,
    /// Controller node id (-1 when unknown).
    pub controller_id: i32,
    /// Live brokers.
    pub brokers: Vec<BrokerInfo>,
}
