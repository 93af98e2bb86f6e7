//! The cluster metadata image: the state that replaying metadata records produces.
//!
//! Modelled on Kafka's `org.apache.kafka.image.MetadataImage` (TopicsImage, ClusterImage,
//! ConfigurationsImage, FeaturesImage). The image changes ONLY through [`MetadataImage::replay`],
//! which serves both live commits and loading the log, so a Raft log can replace the local log
//! without touching this type. Readers share it as an `Arc<MetadataImage>` snapshot.
//!
//! Replay preconditions are assertions: the records come from a log this controller wrote (or
//! a Kafka controller wrote) after validation, so a `PartitionRecord` for an unknown topic id
//! means a bug or a corrupt log, and continuing would serve wrong metadata.

mod security;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use security::{
    ClientQuotas, QuotaEntity, QuotaValue, ScramCredential, ScramCredentials, quota_entity,
};

use uuid::Uuid;

use crate::records::{
    BrokerEndpoint, ConfigRecord, ConfigResourceType, MetadataRecord, PartitionChangeRecord,
    PartitionRecord, RegisterBrokerRecord, TopicRecord, partition_constants,
};

/// A config resource: a type and a name (Kafka `ConfigResource`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResource {
    /// The resource type.
    pub resource_type: ConfigResourceType,
    /// Topic name, broker id as decimal, or "" for the cluster-wide broker default.
    pub name: String,
}

impl ConfigResource {
    /// A topic's config resource.
    pub fn topic(name: &str) -> Self {
        Self {
            resource_type: ConfigResourceType::Topic,
            name: name.to_string(),
        }
    }

    /// A broker's config resource (`None` = the cluster-wide default, name "").
    pub fn broker(node_id: Option<i32>) -> Self {
        Self {
            resource_type: ConfigResourceType::Broker,
            name: node_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

/// One partition's replica assignment and leadership (Kafka `PartitionRegistration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionImage {
    /// Replicas in preferred order.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Replicas being removed by a reassignment.
    pub removing_replicas: Vec<i32>,
    /// Replicas being added by a reassignment.
    pub adding_replicas: Vec<i32>,
    /// Leader node id, -1 for none.
    pub leader: i32,
    /// Leader epoch: bumped on every leader change.
    pub leader_epoch: i32,
    /// Partition epoch: bumped on every change.
    pub partition_epoch: i32,
    /// 0 recovered, 1 recovering from an unclean election.
    pub leader_recovery_state: i8,
    /// Log directory id per replica (parallel to `replicas`; empty if unknown).
    pub directories: Vec<Uuid>,
}

/// A topic and its partitions (Kafka `TopicImage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicImage {
    /// The topic name.
    pub name: String,
    /// The topic id (a Kafka `Uuid`; never zero).
    pub id: Uuid,
    /// Partitions by index.
    pub partitions: BTreeMap<i32, PartitionImage>,
}

impl TopicImage {
    /// The replication factor, taken from partition 0 (all partitions of a topic created
    /// through the controller have the same count).
    pub fn replication_factor(&self) -> usize {
        self.partitions
            .values()
            .next()
            .map_or(0, |partition| partition.replicas.len())
    }
}

/// A registered broker (Kafka `BrokerRegistration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerImage {
    /// Node id.
    pub id: i32,
    /// Incarnation id of the registering process.
    pub incarnation_id: Uuid,
    /// Broker epoch.
    pub epoch: i64,
    /// Advertised listeners.
    pub endpoints: Vec<BrokerEndpoint>,
    /// Rack, if configured.
    pub rack: Option<String>,
    /// Whether the broker is fenced.
    pub fenced: bool,
    /// Log directory ids.
    pub log_dirs: Vec<Uuid>,
}

/// The whole cluster metadata state at one log offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataImage {
    cluster_id: String,
    controller_id: i32,
    features: BTreeMap<String, i16>,
    brokers: BTreeMap<i32, BrokerImage>,
    // Values are shared between successive images (copy on write through `Arc::make_mut`), so
    // publishing an image after a commit copies pointers, not every partition and config.
    topics_by_name: BTreeMap<String, Arc<TopicImage>>,
    topics_by_id: BTreeMap<Uuid, String>,
    configs: BTreeMap<ConfigResource, Arc<BTreeMap<String, String>>>,
    scram_credentials: Arc<ScramCredentials>,
    client_quotas: Arc<ClientQuotas>,
    last_applied_offset: i64,
}

impl MetadataImage {
    /// An empty image for `cluster_id` (from `meta.properties`) whose active controller is
    /// `controller_id`. Nothing has been applied yet (`last_applied_offset() == -1`).
    pub fn empty(cluster_id: &str, controller_id: i32) -> Self {
        Self {
            cluster_id: cluster_id.to_string(),
            controller_id,
            features: BTreeMap::new(),
            brokers: BTreeMap::new(),
            topics_by_name: BTreeMap::new(),
            topics_by_id: BTreeMap::new(),
            configs: BTreeMap::new(),
            scram_credentials: Arc::default(),
            client_quotas: Arc::default(),
            last_applied_offset: -1,
        }
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The active controller's node id.
    pub fn controller_id(&self) -> i32 {
        self.controller_id
    }

    /// Offset of the last metadata record applied, -1 if none (Kafka's image provenance offset;
    /// equals the metadata log's high watermark minus one on a single node).
    pub fn last_applied_offset(&self) -> i64 {
        self.last_applied_offset
    }

    /// Finalized feature levels, e.g. `metadata.version`.
    pub fn features(&self) -> &BTreeMap<String, i16> {
        &self.features
    }

    /// Registered brokers by node id.
    pub fn brokers(&self) -> &BTreeMap<i32, BrokerImage> {
        &self.brokers
    }

    /// Topics by name, in name order.
    pub fn topics(&self) -> &BTreeMap<String, Arc<TopicImage>> {
        &self.topics_by_name
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<&TopicImage> {
        self.topics_by_name.get(name).map(Arc::as_ref)
    }

    /// A topic by id.
    pub fn topic_by_id(&self, id: &Uuid) -> Option<&TopicImage> {
        self.topics_by_id.get(id).and_then(|name| self.topic(name))
    }

    /// Explicitly set configs of one resource (empty if none).
    pub fn configs(&self, resource: &ConfigResource) -> Option<&BTreeMap<String, String>> {
        self.configs.get(resource).map(Arc::as_ref)
    }

    /// SCRAM credentials by user and mechanism id (Kafka `ScramImage`).
    pub fn scram_credentials(&self) -> &ScramCredentials {
        &self.scram_credentials
    }

    /// Client quotas by entity and key (Kafka `ClientQuotasImage`).
    pub fn client_quotas(&self) -> &ClientQuotas {
        &self.client_quotas
    }

    /// All config resources that have at least one explicit config.
    pub fn config_resources(
        &self,
    ) -> impl Iterator<Item = (&ConfigResource, &BTreeMap<String, String>)> {
        self.configs
            .iter()
            .map(|(resource, configs)| (resource, configs.as_ref()))
    }

    /// Replays a batch of records committed at offsets `last_offset - records.len() + 1
    /// ..= last_offset`, then records `last_offset` as applied.
    ///
    /// # Panics
    /// If `last_offset` does not advance, or a record's preconditions fail (see
    /// [`MetadataImage::replay`]).
    pub fn replay_batch(&mut self, last_offset: i64, records: &[MetadataRecord]) {
        assert!(
            last_offset > self.last_applied_offset,
            "metadata offsets must advance: batch ends at {last_offset}, already applied {}",
            self.last_applied_offset
        );
        for record in records {
            self.replay(record);
        }
        self.last_applied_offset = last_offset;
    }

    /// Applies one record. This is the only way the image changes.
    ///
    /// # Panics
    /// On records that contradict the image: a TopicRecord whose name or id exists, a
    /// PartitionRecord or PartitionChangeRecord for an unknown topic id or partition, a
    /// RemoveTopicRecord for an unknown topic id. These cannot come from a validated log.
    pub fn replay(&mut self, record: &MetadataRecord) {
        match record {
            MetadataRecord::RegisterBroker(record) => self.replay_register_broker(record),
            MetadataRecord::Topic(record) => self.replay_topic(record),
            MetadataRecord::Partition(record) => self.replay_partition(record),
            MetadataRecord::PartitionChange(record) => self.replay_partition_change(record),
            MetadataRecord::Config(record) => self.replay_config(record),
            MetadataRecord::RemoveTopic(record) => self.replay_remove_topic(record.topic_id),
            MetadataRecord::FeatureLevel(record) => {
                // Kafka FeatureControlManager.replay: level 0 removes the feature.
                if record.feature_level == 0 {
                    self.features.remove(&record.name);
                } else {
                    self.features
                        .insert(record.name.clone(), record.feature_level);
                }
            }
            MetadataRecord::NoOp => {}
            MetadataRecord::UserScramCredential(record) => {
                security::replay_scram(Arc::make_mut(&mut self.scram_credentials), record);
            }
            MetadataRecord::RemoveUserScramCredential(record) => {
                security::replay_remove_scram(Arc::make_mut(&mut self.scram_credentials), record);
            }
            MetadataRecord::ClientQuota(record) => {
                security::replay_quota(Arc::make_mut(&mut self.client_quotas), record);
            }
            MetadataRecord::Unknown {
                api_key, version, ..
            } => {
                tracing::debug!(
                    api_key,
                    version,
                    "ignoring metadata record type fjord does not model"
                );
            }
        }
    }

    fn replay_register_broker(&mut self, record: &RegisterBrokerRecord) {
        // A re-registration replaces the previous one (Kafka ClusterControlManager.replay).
        let broker = BrokerImage {
            id: record.broker_id,
            incarnation_id: record.incarnation_id,
            epoch: record.broker_epoch,
            endpoints: record.end_points.clone(),
            rack: record.rack.clone(),
            fenced: record.fenced,
            log_dirs: record.log_dirs.clone(),
        };
        self.brokers.insert(record.broker_id, broker);
    }

    fn replay_topic(&mut self, record: &TopicRecord) {
        assert!(
            !record.topic_id.is_nil(),
            "TopicRecord for {} carries the zero topic id",
            record.name
        );
        assert!(
            !self.topics_by_name.contains_key(&record.name),
            "TopicRecord for {} but a topic of that name exists",
            record.name
        );
        assert!(
            !self.topics_by_id.contains_key(&record.topic_id),
            "TopicRecord for {} reuses topic id {}",
            record.name,
            record.topic_id
        );
        self.topics_by_id
            .insert(record.topic_id, record.name.clone());
        let topic = TopicImage {
            name: record.name.clone(),
            id: record.topic_id,
            partitions: BTreeMap::new(),
        };
        self.topics_by_name
            .insert(record.name.clone(), Arc::new(topic));
    }

    fn topic_mut(&mut self, topic_id: &Uuid, what: &str) -> &mut TopicImage {
        let name = self.topics_by_id.get(topic_id);
        let topic = name.and_then(|name| self.topics_by_name.get_mut(name));
        match topic {
            Some(topic) => Arc::make_mut(topic),
            None => panic!("{what} for unknown topic id {topic_id}"),
        }
    }

    fn replay_partition(&mut self, record: &PartitionRecord) {
        assert!(
            record.partition_id >= 0,
            "PartitionRecord with negative partition id {}",
            record.partition_id
        );
        let partition = PartitionImage {
            replicas: record.replicas.clone(),
            isr: record.isr.clone(),
            removing_replicas: record.removing_replicas.clone(),
            adding_replicas: record.adding_replicas.clone(),
            leader: record.leader,
            leader_epoch: record.leader_epoch,
            partition_epoch: record.partition_epoch,
            leader_recovery_state: record.leader_recovery_state,
            directories: record.directories.clone(),
        };
        // A PartitionRecord for an existing partition replaces it (Kafka
        // ReplicationControlManager.replay(PartitionRecord)).
        self.topic_mut(&record.topic_id, "PartitionRecord")
            .partitions
            .insert(record.partition_id, partition);
    }

    fn replay_partition_change(&mut self, record: &PartitionChangeRecord) {
        let topic = self.topic_mut(&record.topic_id, "PartitionChangeRecord");
        let Some(partition) = topic.partitions.get_mut(&record.partition_id) else {
            panic!(
                "PartitionChangeRecord for unknown partition {}-{}",
                topic.name, record.partition_id
            );
        };
        // Merge rules of Kafka PartitionRegistration.merge: null/default fields are unchanged;
        // a leader change bumps the leader epoch; every change bumps the partition epoch.
        if let Some(isr) = &record.isr {
            partition.isr = isr.clone();
        }
        if record.leader != partition_constants::LEADER_UNCHANGED {
            partition.leader = record.leader;
            partition.leader_epoch += 1;
        }
        if let Some(replicas) = &record.replicas {
            partition.replicas = replicas.clone();
        }
        if let Some(removing) = &record.removing_replicas {
            partition.removing_replicas = removing.clone();
        }
        if let Some(adding) = &record.adding_replicas {
            partition.adding_replicas = adding.clone();
        }
        if record.leader_recovery_state != partition_constants::LEADER_RECOVERY_UNCHANGED {
            partition.leader_recovery_state = record.leader_recovery_state;
        }
        if let Some(directories) = &record.directories {
            partition.directories = directories.clone();
        }
        partition.partition_epoch += 1;
    }

    fn replay_config(&mut self, record: &ConfigRecord) {
        let Some(resource_type) = ConfigResourceType::from_id(record.resource_type) else {
            tracing::debug!(
                resource_type = record.resource_type,
                "ignoring ConfigRecord of unknown resource type"
            );
            return;
        };
        let resource = ConfigResource {
            resource_type,
            name: record.resource_name.clone(),
        };
        match &record.value {
            Some(value) => {
                let configs = self.configs.entry(resource).or_default();
                Arc::make_mut(configs).insert(record.name.clone(), value.clone());
            }
            None => {
                if let Some(configs) = self.configs.get_mut(&resource) {
                    Arc::make_mut(configs).remove(&record.name);
                    if configs.is_empty() {
                        self.configs.remove(&resource);
                    }
                }
            }
        }
    }

    fn replay_remove_topic(&mut self, topic_id: Uuid) {
        let Some(name) = self.topics_by_id.remove(&topic_id) else {
            panic!("RemoveTopicRecord for unknown topic id {topic_id}");
        };
        let removed = self.topics_by_name.remove(&name);
        assert!(
            removed.is_some(),
            "topic {name} indexed by id {topic_id} but not by name"
        );
        // Kafka ReplicationControlManager.replay(RemoveTopicRecord) deletes the topic's configs.
        self.configs.remove(&ConfigResource::topic(&name));
    }
}
