//! Partition-level operations routed to each partition's leader: ListOffsets and
//! DeleteRecords.

use std::collections::BTreeMap;

use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::{
    BrokerId, DeleteRecordsRequest, ListOffsetsRequest,
    delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic},
    list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic},
};

use super::{AdminClient, topic_name};
use crate::connection::BrokerConnection;
use crate::error::ClientError;
use crate::types::{ListedOffset, OffsetSpec, TopicPartition};

/// Per-partition outcome of a partition-level call.
pub type PartitionResults<T> = BTreeMap<TopicPartition, Result<T, ClientError>>;

impl AdminClient {
    /// Groups `partitions` by leader from fresh metadata; partitions without a leader (or of
    /// unknown topics) get their error directly.
    async fn by_leader<T: Clone>(
        &mut self,
        partitions: &[(TopicPartition, T)],
    ) -> Result<
        (
            BTreeMap<i32, Vec<(TopicPartition, T)>>,
            PartitionResults<()>,
        ),
        ClientError,
    > {
        let mut topics: Vec<String> = partitions.iter().map(|(tp, _)| tp.topic.clone()).collect();
        topics.sort();
        topics.dedup();
        let metadata = self.metadata_inner(None).await?;
        let mut groups: BTreeMap<i32, Vec<(TopicPartition, T)>> = BTreeMap::new();
        let mut failed = PartitionResults::new();
        for (tp, value) in partitions {
            let leader = metadata
                .topic(&tp.topic)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == tp.partition))
                .map(|p| p.leader);
            match leader {
                Some(Some(leader)) => groups
                    .entry(leader)
                    .or_default()
                    .push((tp.clone(), value.clone())),
                Some(None) => {
                    failed.insert(
                        tp.clone(),
                        Err(ClientError::from_code(
                            ErrorCode::LeaderNotAvailable.code(),
                            None,
                        )),
                    );
                }
                None => {
                    failed.insert(
                        tp.clone(),
                        Err(ClientError::from_code(
                            ErrorCode::UnknownTopicOrPartition.code(),
                            None,
                        )),
                    );
                }
            }
        }
        Ok((groups, failed))
    }

    /// Looks up offsets (`Admin.listOffsets`); `isolation_level` 0 = read_uncommitted,
    /// 1 = read_committed.
    pub async fn list_offsets(
        &mut self,
        partitions: &[(TopicPartition, OffsetSpec)],
        isolation_level: i8,
    ) -> Result<PartitionResults<ListedOffset>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("listOffsets", timeout, async {
            let (groups, failed) = self.by_leader(partitions).await?;
            let mut results: PartitionResults<ListedOffset> = failed
                .into_iter()
                .map(|(tp, r)| (tp, r.map(|()| unreachable_offset())))
                .collect();
            for (leader, entries) in groups {
                let mut by_topic: BTreeMap<String, Vec<ListOffsetsPartition>> = BTreeMap::new();
                let mut min_version = 0;
                for (tp, spec) in &entries {
                    let mut partition = ListOffsetsPartition::default();
                    partition.partition_index = tp.partition;
                    partition.current_leader_epoch = -1;
                    partition.timestamp = spec.wire_timestamp();
                    min_version = min_version.max(spec.min_version());
                    by_topic
                        .entry(tp.topic.clone())
                        .or_default()
                        .push(partition);
                }
                let mut request = ListOffsetsRequest::default();
                request.replica_id = BrokerId(-1);
                request.isolation_level = isolation_level;
                request.topics = by_topic
                    .into_iter()
                    .map(|(name, partitions)| {
                        let mut topic = ListOffsetsTopic::default();
                        topic.name = topic_name(&name);
                        topic.partitions = partitions;
                        topic
                    })
                    .collect();
                let connection: &mut BrokerConnection = self.node(leader).await?;
                let version = connection
                    .version_for::<ListOffsetsRequest>()
                    .filter(|v| *v >= min_version)
                    .ok_or(ClientError::UnsupportedApi { api: "ListOffsets" })?;
                let response = connection.send_at(&request, version).await?;
                for topic in &response.topics {
                    for p in &topic.partitions {
                        let tp = TopicPartition {
                            topic: topic.name.0.to_string(),
                            partition: p.partition_index,
                        };
                        let outcome = if p.error_code != 0 {
                            Err(ClientError::from_code(p.error_code, None))
                        } else {
                            Ok(ListedOffset {
                                offset: p.offset,
                                timestamp: p.timestamp,
                                leader_epoch: (p.leader_epoch >= 0).then_some(p.leader_epoch),
                            })
                        };
                        results.insert(tp, outcome);
                    }
                }
            }
            Ok(results)
        })
        .await
    }

    /// Deletes records before the given offsets (`Admin.deleteRecords`, KIP-107); -1 means
    /// the high watermark. Answers each partition's new low watermark.
    pub async fn delete_records(
        &mut self,
        partitions: &[(TopicPartition, i64)],
    ) -> Result<PartitionResults<i64>, ClientError> {
        let timeout = self.config.default_api_timeout;
        let server_timeout =
            i32::try_from(self.config.request_timeout.as_millis()).unwrap_or(i32::MAX);
        Self::bounded("deleteRecords", timeout, async {
            let (groups, failed) = self.by_leader(partitions).await?;
            let mut results: PartitionResults<i64> = failed
                .into_iter()
                .map(|(tp, r)| (tp, r.map(|()| -1)))
                .collect();
            for (leader, entries) in groups {
                let mut by_topic: BTreeMap<String, Vec<DeleteRecordsPartition>> = BTreeMap::new();
                for (tp, offset) in &entries {
                    let mut partition = DeleteRecordsPartition::default();
                    partition.partition_index = tp.partition;
                    partition.offset = *offset;
                    by_topic
                        .entry(tp.topic.clone())
                        .or_default()
                        .push(partition);
                }
                let mut request = DeleteRecordsRequest::default();
                request.timeout_ms = server_timeout;
                request.topics = by_topic
                    .into_iter()
                    .map(|(name, partitions)| {
                        let mut topic = DeleteRecordsTopic::default();
                        topic.name = topic_name(&name);
                        topic.partitions = partitions;
                        topic
                    })
                    .collect();
                let response = self.send_to(Some(leader), &request).await?;
                for topic in &response.topics {
                    for p in &topic.partitions {
                        let tp = TopicPartition {
                            topic: topic.name.0.to_string(),
                            partition: p.partition_index,
                        };
                        let outcome = if p.error_code != 0 {
                            Err(ClientError::from_code(p.error_code, None))
                        } else {
                            Ok(p.low_watermark)
                        };
                        results.insert(tp, outcome);
                    }
                }
            }
            Ok(results)
        })
        .await
    }
}

/// Placeholder for the `Ok` arm of a partition that already failed (never produced: the
/// results it is mapped over are all `Err`).
fn unreachable_offset() -> ListedOffset {
    ListedOffset {
        offset: -1,
        timestamp: -1,
        leader_epoch: None,
    }
}
