//! CreateTopics, DeleteTopics and CreatePartitions, following Kafka's
//! `ReplicationControlManager.createTopics/createTopic/deleteTopics/createPartitions` and
//! `StripedReplicaPlacer` (for the replication-factor messages).

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::configs::topic_config_records;
use super::{Controller, ControllerError, ControllerResult, RECORDS_PER_REQUEST_MAX};
use crate::image::{ConfigResource, MetadataImage};
use crate::records::{
    MetadataRecord, PartitionRecord, RemoveTopicRecord, TopicRecord, partition_constants,
};

/// One topic of a CreateTopics request (`CreatableTopic`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatableTopic {
    /// Topic name.
    pub name: String,
    /// Partition count, or -1 for `num.partitions`. Must be -1 with manual assignments.
    pub num_partitions: i32,
    /// Replication factor, or -1 for `default.replication.factor`. Must be -1 with manual
    /// assignments.
    pub replication_factor: i16,
    /// Manual assignments: `(partition index, broker ids)`; empty for automatic placement.
    pub assignments: Vec<(i32, Vec<i32>)>,
    /// Topic configs `(name, value)`; a null value is refused, as in Kafka.
    pub configs: Vec<(String, Option<String>)>,
}

/// What a successful (or validate-only) topic creation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    /// Topic name.
    pub name: String,
    /// The new topic's id.
    pub topic_id: Uuid,
    /// Partition count.
    pub num_partitions: i32,
    /// Replication factor.
    pub replication_factor: i16,
    /// The topic's explicit configs.
    pub configs: BTreeMap<String, String>,
}

/// A topic of a DeleteTopics request: by name (all versions) or by id (v6+).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TopicRef {
    /// By name.
    Name(String),
    /// By topic id.
    Id(Uuid),
}

/// A deleted topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedTopic {
    /// Its name.
    pub name: String,
    /// Its id.
    pub topic_id: Uuid,
}

/// One topic of a CreatePartitions request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsTopic {
    /// Topic name.
    pub name: String,
    /// The new total partition count.
    pub count: i32,
    /// Broker ids for each new partition, or `None` for automatic placement.
    pub assignments: Option<Vec<Vec<i32>>>,
}

/// Per-topic results in request order.
pub type TopicResults<T> = Vec<(String, Result<T, ControllerError>)>;
/// Per-topic results of DeleteTopics in request order.
pub type DeleteResults = Vec<(TopicRef, Result<DeletedTopic, ControllerError>)>;

impl Controller {
    /// CreateTopics. Results come back in request order (one per distinct name). With
    /// `validate_only`, results say what would happen and no records are returned.
    pub fn create_topics(
        &mut self,
        image: &MetadataImage,
        topics: &[CreatableTopic],
        validate_only: bool,
    ) -> ControllerResult<TopicResults<CreatedTopic>> {
        let mut results: TopicResults<CreatedTopic> = Vec::with_capacity(topics.len());
        let mut topic_records: Vec<Vec<MetadataRecord>> = Vec::with_capacity(topics.len());
        // Kafka validateTotalNumberOfPartitions: the whole request fails.
        let total: i64 = topics
            .iter()
            .map(|topic| self.requested_partitions(topic))
            .sum();
        let too_many = total > RECORDS_PER_REQUEST_MAX as i64;
        for topic in topics {
            if let Some(index) = results.iter().position(|(name, _)| *name == topic.name) {
                // ControllerApis answers a duplicated name once, with INVALID_REQUEST.
                results[index].1 = Err(ControllerError::InvalidRequest(
                    "Duplicate topic name.".to_string(),
                ));
                continue;
            }
            let mut records = Vec::new();
            let result = if too_many {
                Err(ControllerError::PolicyViolation(
                    "Excessively large number of partitions per request.".to_string(),
                ))
            } else {
                self.create_topic(image, topic, &mut records)
            };
            results.push((topic.name.clone(), result));
            topic_records.push(records);
        }
        let records = collect_accepted(&results, topic_records, validate_only);
        ControllerResult {
            records,
            response: results,
        }
    }

    fn requested_partitions(&self, topic: &CreatableTopic) -> i64 {
        if !topic.assignments.is_empty() {
            topic.assignments.len() as i64
        } else if topic.num_partitions == -1 {
            i64::from(self.options.default_num_partitions)
        } else {
            i64::from(topic.num_partitions.max(0))
        }
    }

    fn create_topic(
        &mut self,
        image: &MetadataImage,
        topic: &CreatableTopic,
        records: &mut Vec<MetadataRecord>,
    ) -> Result<CreatedTopic, ControllerError> {
        // Order of Kafka createTopics: name rules and collisions, then existence (which
        // overrides a collision error), then configs, then the assignment.
        super::validate_topic_name(&topic.name).map_err(ControllerError::InvalidTopic)?;
        if image.topic(&topic.name).is_some() {
            return Err(ControllerError::TopicAlreadyExists(topic.name.clone()));
        }
        if let Some(existing) = colliding_topic(image, &topic.name) {
            return Err(ControllerError::InvalidTopic(format!(
                "Topic '{}' collides with existing topic: {existing}",
                topic.name
            )));
        }
        let configs = self.validate_creation_configs(&topic.name, &topic.configs)?;
        let assignments = if topic.assignments.is_empty() {
            self.automatic_assignment(image, topic)?
        } else {
            manual_assignment(image, topic)?
        };
        let topic_id = self.new_topic_id(image);
        records.push(MetadataRecord::Topic(TopicRecord {
            name: topic.name.clone(),
            topic_id,
        }));
        // ConfigRecords go after the TopicRecord and before the PartitionRecords (Kafka).
        records.extend(topic_config_records(&topic.name, &configs));
        for (partition_id, replicas) in assignments.iter().enumerate() {
            records.push(partition_record(
                image,
                topic_id,
                partition_id as i32,
                replicas,
            ));
        }
        let replication_factor = assignments.first().map_or(0, Vec::len);
        Ok(CreatedTopic {
            name: topic.name.clone(),
            topic_id,
            num_partitions: assignments.len() as i32,
            replication_factor: i16::try_from(replication_factor).unwrap_or(i16::MAX),
            configs,
        })
    }

    fn validate_creation_configs(
        &self,
        topic: &str,
        configs: &[(String, Option<String>)],
    ) -> Result<BTreeMap<String, String>, ControllerError> {
        let nulls: Vec<&str> = configs
            .iter()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.as_str())
            .collect();
        if !nulls.is_empty() {
            return Err(ControllerError::InvalidConfig(format!(
                "Null value not supported for topic configs: {}",
                nulls.join(",")
            )));
        }
        let configs: BTreeMap<String, String> = configs
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.clone()?)))
            .collect();
        self.validator
            .validate(&ConfigResource::topic(topic), &configs)
            .map_err(ControllerError::InvalidConfig)?;
        Ok(configs)
    }

    fn automatic_assignment(
        &self,
        image: &MetadataImage,
        topic: &CreatableTopic,
    ) -> Result<Vec<Vec<i32>>, ControllerError> {
        if topic.replication_factor < -1 || topic.replication_factor == 0 {
            return Err(ControllerError::InvalidReplicationFactor(
                "Replication factor must be larger than 0, or -1 to use the default value."
                    .to_string(),
            ));
        }
        if topic.num_partitions < -1 || topic.num_partitions == 0 {
            return Err(ControllerError::InvalidPartitions(
                "Number of partitions was set to an invalid non-positive value.".to_string(),
            ));
        }
        let partitions = if topic.num_partitions == -1 {
            self.options.default_num_partitions
        } else {
            topic.num_partitions
        };
        let replication_factor = if topic.replication_factor == -1 {
            self.options.default_replication_factor
        } else {
            topic.replication_factor
        };
        place_replicas(image, 0, partitions, replication_factor)
    }

    /// DeleteTopics by name or id. Results in request order.
    pub fn delete_topics(
        &self,
        image: &MetadataImage,
        topics: &[TopicRef],
    ) -> ControllerResult<DeleteResults> {
        let mut records = Vec::new();
        let mut results: DeleteResults = Vec::with_capacity(topics.len());
        let mut deleted = BTreeSet::new();
        for topic_ref in topics {
            if let Some(index) = results.iter().position(|(seen, _)| seen == topic_ref) {
                // Kafka ControllerApis.deleteTopics answers a repeated name (or id) once, with
                // INVALID_REQUEST, and deletes nothing for it.
                let message = match topic_ref {
                    TopicRef::Name(_) => "Duplicate topic name.",
                    TopicRef::Id(_) => "Duplicate topic id.",
                };
                results[index].1 = Err(ControllerError::InvalidRequest(message.to_string()));
                continue;
            }
            let found = match topic_ref {
                TopicRef::Name(name) => {
                    image.topic(name).ok_or_else(ControllerError::unknown_topic)
                }
                TopicRef::Id(id) if id.is_nil() => Err(ControllerError::InvalidRequest(format!(
                    "Attempt to find topic with invalid topicId {}",
                    super::kafka_uuid_string(id)
                ))),
                TopicRef::Id(id) => image
                    .topic_by_id(id)
                    .ok_or_else(ControllerError::unknown_topic_id),
            };
            let result = found.map(|topic| DeletedTopic {
                name: topic.name.clone(),
                topic_id: topic.id,
            });
            results.push((topic_ref.clone(), result));
        }
        // One RemoveTopicRecord per topic, even when named both by name and by id (Kafka
        // resolves names to ids and deletes the set of ids).
        for (_, result) in &results {
            if let Ok(topic) = result
                && deleted.insert(topic.topic_id)
            {
                records.push(MetadataRecord::RemoveTopic(RemoveTopicRecord {
                    topic_id: topic.topic_id,
                }));
            }
        }
        ControllerResult {
            records,
            response: results,
        }
    }

    /// CreatePartitions. Results in request order.
    pub fn create_partitions(
        &self,
        image: &MetadataImage,
        topics: &[CreatePartitionsTopic],
        validate_only: bool,
    ) -> ControllerResult<TopicResults<()>> {
        let mut results: TopicResults<()> = Vec::with_capacity(topics.len());
        let mut topic_records: Vec<Vec<MetadataRecord>> = Vec::with_capacity(topics.len());
        for topic in topics {
            if let Some(index) = results.iter().position(|(name, _)| *name == topic.name) {
                results[index].1 = Err(ControllerError::InvalidRequest(
                    "Duplicate topic name.".to_string(),
                ));
                continue;
            }
            let mut records = Vec::new();
            let result = self.create_partitions_for(image, topic, &mut records);
            results.push((topic.name.clone(), result));
            topic_records.push(records);
        }
        let records = collect_accepted(&results, topic_records, validate_only);
        ControllerResult {
            records,
            response: results,
        }
    }

    fn create_partitions_for(
        &self,
        image: &MetadataImage,
        request: &CreatePartitionsTopic,
        records: &mut Vec<MetadataRecord>,
    ) -> Result<(), ControllerError> {
        let topic = image
            .topic(&request.name)
            .ok_or_else(ControllerError::unknown_topic)?;
        let current = topic.partitions.len() as i32;
        if request.count == current {
            return Err(ControllerError::InvalidPartitions(format!(
                "Topic already has {current} partition(s)."
            )));
        }
        if request.count < current {
            return Err(ControllerError::InvalidPartitions(format!(
                "The topic {} currently has {current} partition(s); {} would not be an increase.",
                request.name, request.count
            )));
        }
        let additional = request.count - current;
        if additional as usize > RECORDS_PER_REQUEST_MAX {
            return Err(ControllerError::PolicyViolation(
                "Excessively large number of partitions per request.".to_string(),
            ));
        }
        let replication_factor = topic.replication_factor();
        let assignments = match &request.assignments {
            Some(assignments) => {
                if assignments.len() != additional as usize {
                    return Err(ControllerError::InvalidReplicaAssignment(format!(
                        "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                        assignments.len()
                    )));
                }
                for replicas in assignments {
                    validate_manual_replicas(image, replicas, Some(replication_factor))?;
                }
                assignments.clone()
            }
            None => {
                let replication_factor = i16::try_from(replication_factor).unwrap_or(i16::MAX);
                place_replicas(image, current, additional, replication_factor)?
            }
        };
        for (offset, replicas) in assignments.iter().enumerate() {
            records.push(partition_record(
                image,
                topic.id,
                current + offset as i32,
                replicas,
            ));
        }
        Ok(())
    }
}

/// Replica placement for `count` partitions starting at `start`: round-robin over the
/// registered unfenced brokers in id order. Checks and messages are Kafka
/// `StripedReplicaPlacer.place`'s, wrapped as `ReplicationControlManager.createTopic` wraps them.
fn place_replicas(
    image: &MetadataImage,
    start: i32,
    count: i32,
    replication_factor: i16,
) -> Result<Vec<Vec<i32>>, ControllerError> {
    let wrap = |reason: String| {
        ControllerError::InvalidReplicationFactor(format!(
            "Unable to replicate the partition {replication_factor} time(s): {reason}"
        ))
    };
    if replication_factor <= 0 {
        return Err(wrap(format!(
            "Invalid replication factor {replication_factor}: the replication factor must be positive."
        )));
    }
    let usable: Vec<i32> = image
        .brokers()
        .values()
        .filter(|broker| !broker.fenced)
        .map(|broker| broker.id)
        .collect();
    if usable.is_empty() {
        return Err(wrap("All brokers are currently fenced.".to_string()));
    }
    let total = image.brokers().len();
    let factor = replication_factor as usize;
    if factor > total {
        return Err(wrap(format!(
            "The target replication factor of {replication_factor} cannot be reached because only {total} broker(s) are registered."
        )));
    }
    if factor > usable.len() {
        return Err(wrap(
            "All brokers are currently fenced or in controlled shutdown.".to_string(),
        ));
    }
    let assignments = (start..start + count)
        .map(|partition| {
            (0..factor)
                .map(|replica| usable[(partition as usize + replica) % usable.len()])
                .collect()
        })
        .collect();
    Ok(assignments)
}

/// Manual assignments of CreateTopics (Kafka `createTopic` + `validateManualPartitionAssignment`).
fn manual_assignment(
    image: &MetadataImage,
    topic: &CreatableTopic,
) -> Result<Vec<Vec<i32>>, ControllerError> {
    if topic.replication_factor != -1 {
        return Err(ControllerError::InvalidRequest(
            "A manual partition assignment was specified, but replication factor was not set to -1.".to_string(),
        ));
    }
    if topic.num_partitions != -1 {
        return Err(ControllerError::InvalidRequest(
            "A manual partition assignment was specified, but numPartitions was not set to -1."
                .to_string(),
        ));
    }
    let mut by_partition: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut replication_factor = None;
    for (partition, replicas) in &topic.assignments {
        if by_partition.contains_key(partition) {
            return Err(ControllerError::InvalidReplicaAssignment(format!(
                "Found multiple manual partition assignments for partition {partition}"
            )));
        }
        validate_manual_replicas(image, replicas, replication_factor)?;
        replication_factor = Some(replicas.len());
        by_partition.insert(*partition, replicas.clone());
    }
    let consecutive = by_partition
        .keys()
        .enumerate()
        .all(|(index, partition)| *partition == index as i32);
    if !consecutive {
        return Err(ControllerError::InvalidReplicaAssignment(
            "partitions should be a consecutive 0-based integer sequence".to_string(),
        ));
    }
    Ok(by_partition.into_values().collect())
}

/// Kafka `validateManualPartitionAssignment`.
fn validate_manual_replicas(
    image: &MetadataImage,
    replicas: &[i32],
    replication_factor: Option<usize>,
) -> Result<(), ControllerError> {
    if replicas.is_empty() {
        return Err(ControllerError::InvalidReplicaAssignment(
            "The manual partition assignment includes an empty replica list.".to_string(),
        ));
    }
    let mut sorted = replicas.to_vec();
    sorted.sort_unstable();
    for (index, broker) in sorted.iter().enumerate() {
        if !image.brokers().contains_key(broker) {
            return Err(ControllerError::InvalidReplicaAssignment(format!(
                "The manual partition assignment includes broker {broker}, but no such broker is registered."
            )));
        }
        if index > 0 && sorted[index - 1] == *broker {
            return Err(ControllerError::InvalidReplicaAssignment(format!(
                "The manual partition assignment includes the broker {broker} more than once."
            )));
        }
    }
    if let Some(expected) = replication_factor
        && sorted.len() != expected
    {
        return Err(ControllerError::InvalidReplicaAssignment(format!(
            "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {expected} replica(s).",
            sorted.len()
        )));
    }
    let all_fenced = replicas
        .iter()
        .all(|id| image.brokers().get(id).is_some_and(|broker| broker.fenced));
    if all_fenced {
        return Err(ControllerError::InvalidReplicaAssignment(
            "All brokers specified in the manual partition assignment are fenced or in controlled shutdown."
                .to_string(),
        ));
    }
    Ok(())
}

/// A new partition: ISR = the unfenced replicas, leader = the first of them, epochs 0
/// (Kafka `buildPartitionRegistration`). Directories: each broker's single log dir, or the
/// unassigned id (zero) when it has none or several (Kafka `ClusterControlManager.defaultDir`).
fn partition_record(
    image: &MetadataImage,
    topic_id: Uuid,
    partition_id: i32,
    replicas: &[i32],
) -> MetadataRecord {
    let isr: Vec<i32> = replicas
        .iter()
        .copied()
        .filter(|id| image.brokers().get(id).is_some_and(|broker| !broker.fenced))
        .collect();
    assert!(
        !isr.is_empty(),
        "placement returned partition {partition_id} with no unfenced replica"
    );
    let directories = replicas
        .iter()
        .map(|id| {
            match image
                .brokers()
                .get(id)
                .map(|broker| broker.log_dirs.as_slice())
            {
                Some([only]) => *only,
                _ => Uuid::nil(),
            }
        })
        .collect();
    MetadataRecord::Partition(PartitionRecord {
        partition_id,
        topic_id,
        replicas: replicas.to_vec(),
        leader: isr[0],
        isr,
        removing_replicas: Vec::new(),
        adding_replicas: Vec::new(),
        leader_recovery_state: partition_constants::LEADER_RECOVERED,
        leader_epoch: 0,
        partition_epoch: 0,
        directories,
        eligible_leader_replicas: None,
        last_known_elr: None,
    })
}

/// An existing topic whose name differs from `name` only in `.` versus `_` (Kafka names the
/// first its set yields; we name the least, so the message is deterministic).
fn colliding_topic<'a>(image: &'a MetadataImage, name: &str) -> Option<&'a str> {
    if !super::has_collision_chars(name) {
        return None;
    }
    let unified = super::unify_collision_chars(name);
    image
        .topics()
        .keys()
        .map(String::as_str)
        .find(|existing| *existing != name && super::unify_collision_chars(existing) == unified)
}

/// The records of the accepted items, in request order (none when validating only).
fn collect_accepted<T>(
    results: &TopicResults<T>,
    per_item: Vec<Vec<MetadataRecord>>,
    validate_only: bool,
) -> Vec<MetadataRecord> {
    if validate_only {
        return Vec::new();
    }
    results
        .iter()
        .zip(per_item)
        .filter(|((_, result), _)| result.is_ok())
        .flat_map(|(_, records)| records)
        .collect()
}
