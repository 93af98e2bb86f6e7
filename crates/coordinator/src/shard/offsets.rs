//! OffsetCommit, OffsetFetch, OffsetDelete and offset expiry (Kafka
//! `OffsetMetadataManager`, `ClassicGroup.validateOffsetCommit`/`validateOffsetDelete`/
//! `offsetExpirationCondition`, KIP-211, KIP-496).

use super::join::validate_member;
use super::{CoordinatorResult, GroupCoordinatorShard, validate_group_id};
use crate::api::{
    CoordinatorResponse, FetchedOffset, OffsetCommitRequest, OffsetDeleteRequest,
    OffsetDeleteResponse, OffsetFetchGroupRequest, OffsetFetchGroupResponse, PartitionErrors,
    RequestHandle,
};
use crate::error::GroupError;
use crate::group::{ClassicGroup, GroupState};
use crate::records::{CoordinatorRecord, OffsetCommitKey, OffsetCommitValue};
use crate::subscription::subscribed_topics;

/// OffsetCommit versions from which a missing group is GROUP_ID_NOT_FOUND rather than
/// ILLEGAL_GENERATION (KIP-848 bumped OffsetCommit to v9).
const GROUP_ID_NOT_FOUND_VERSION_MIN: i16 = 9;
/// The protocol type of Kafka consumers; OffsetDelete and expiry read their subscriptions.
const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

impl GroupCoordinatorShard {
    /// OffsetCommit: validates generation and member (classic rules), then writes one
    /// `OffsetCommit` record per accepted partition.
    pub fn offset_commit(
        &mut self,
        handle: RequestHandle,
        request: &OffsetCommitRequest,
        now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        let response = match self.validate_offset_commit(request, now_ms) {
            Err(error) => all_partitions(&request.topics, |_| Some(error)),
            Ok(()) => self.commit_partitions(request, now_ms, &mut out),
        };
        out.responses
            .push((handle, CoordinatorResponse::OffsetCommit(response)));
        self.finish(out)
    }

    fn validate_offset_commit(
        &mut self,
        request: &OffsetCommitRequest,
        now_ms: i64,
    ) -> Result<(), GroupError> {
        validate_group_id(&request.group_id)?;
        if let Some(result) = self.validate_consumer_commit(
            &request.group_id,
            &request.member_id,
            request.generation_id,
        ) {
            // KIP-848: OffsetCommit v9 carries the member epoch in GenerationIdOrMemberEpoch.
            return result;
        }
        if !self.groups.contains_key(&request.group_id) {
            if request.generation_id >= 0 {
                return Err(if request.api_version >= GROUP_ID_NOT_FOUND_VERSION_MIN {
                    GroupError::GroupIdNotFound
                } else {
                    GroupError::IllegalGeneration
                });
            }
            // A simple group (admin client or a consumer without group management).
            self.groups.insert(
                request.group_id.clone(),
                ClassicGroup::new(request.group_id.clone(), now_ms),
            );
        }
        let group = self.group(&request.group_id)?;
        validate_commit_against(group, request)?;
        if group.state == GroupState::Stable && group.members.contains_key(&request.member_id) {
            // A commit from a live member counts as a heartbeat, as in Kafka.
            self.touch_member(&request.group_id, &request.member_id, now_ms);
        }
        Ok(())
    }

    fn commit_partitions(
        &mut self,
        request: &OffsetCommitRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> PartitionErrors {
        let metadata_max = self.config.offset_metadata_bytes_max;
        let expire_timestamp = if request.retention_time_ms >= 0 {
            now_ms + request.retention_time_ms
        } else {
            -1
        };
        let mut response = Vec::with_capacity(request.topics.len());
        for (topic, partitions) in &request.topics {
            let mut results = Vec::with_capacity(partitions.len());
            for partition in partitions {
                let metadata = partition.metadata.clone().unwrap_or_default();
                if metadata.len() > metadata_max {
                    results.push((
                        partition.partition,
                        Some(GroupError::OffsetMetadataTooLarge),
                    ));
                    continue;
                }
                let record = CoordinatorRecord::OffsetCommit {
                    key: OffsetCommitKey {
                        group: request.group_id.clone(),
                        topic: topic.clone(),
                        partition: partition.partition,
                    },
                    value: Some(OffsetCommitValue {
                        offset: partition.offset,
                        leader_epoch: partition.leader_epoch,
                        metadata,
                        commit_timestamp: now_ms,
                        expire_timestamp,
                    }),
                };
                self.emit(out, record);
                results.push((partition.partition, None));
            }
            response.push((topic.clone(), results));
        }
        response
    }

    /// OffsetFetch for one group (v8+ sends several; the broker calls this per group).
    /// `require_stable` needs no handling: this coordinator has no pending transactional
    /// offsets.
    pub fn offset_fetch(&self, request: &OffsetFetchGroupRequest) -> OffsetFetchGroupResponse {
        let mut response = OffsetFetchGroupResponse {
            group_id: request.group_id.clone(),
            error: None,
            topics: Vec::new(),
        };
        if let Err(error) = validate_group_id(&request.group_id) {
            response.error = Some(error);
            return response;
        }
        let offsets = self.offsets.get(&request.group_id);
        let fetched = |topic: &str, partition: i32| {
            let value = offsets.and_then(|o| o.get(&(topic.to_string(), partition)));
            FetchedOffset {
                partition,
                offset: value.map_or(-1, |v| v.offset),
                leader_epoch: value.map_or(-1, |v| v.leader_epoch),
                metadata: value.map(|v| v.metadata.clone()).unwrap_or_default(),
            }
        };
        match &request.topics {
            Some(topics) => {
                for (topic, partitions) in topics {
                    let results = partitions.iter().map(|p| fetched(topic, *p)).collect();
                    response.topics.push((topic.clone(), results));
                }
            }
            None => {
                for (topic, partition) in offsets.into_iter().flat_map(|o| o.keys()) {
                    match response.topics.last_mut() {
                        Some((last, results)) if last == topic => {
                            results.push(fetched(topic, *partition))
                        }
                        _ => response
                            .topics
                            .push((topic.clone(), vec![fetched(topic, *partition)])),
                    }
                }
            }
        }
        response
    }

    /// OffsetDelete (KIP-496): deletes offsets of an Empty group, or of topics a consumer
    /// group is not subscribed to.
    pub fn offset_delete(
        &mut self,
        handle: RequestHandle,
        request: &OffsetDeleteRequest,
        _now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        let response = self.offset_delete_inner(request, &mut out);
        out.responses
            .push((handle, CoordinatorResponse::OffsetDelete(response)));
        self.finish(out)
    }

    fn offset_delete_inner(
        &mut self,
        request: &OffsetDeleteRequest,
        out: &mut CoordinatorResult,
    ) -> OffsetDeleteResponse {
        let failed = |error| OffsetDeleteResponse {
            error: Some(error),
            topics: Vec::new(),
        };
        if let Err(error) = validate_group_id(&request.group_id) {
            return failed(error);
        }
        // `None` inside: a subscription could not be read, so every topic counts as in use.
        let consumer = self
            .consumer_subscriptions(&request.group_id)
            .map(|topics| Some(Some(topics)));
        let group = self.groups.get(&request.group_id);
        let subscribed: Option<Option<Vec<String>>> = match (consumer, group) {
            // KIP-848 groups: topics a member subscribes to are in use.
            (Some(subscribed), _) => subscribed,
            (None, None) => return failed(GroupError::GroupIdNotFound),
            (None, Some(group)) => match group.state {
                GroupState::Dead => return failed(GroupError::GroupIdNotFound),
                GroupState::Empty => None,
                _ if group.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE) => {
                    Some(group_subscriptions(group))
                }
                _ => return failed(GroupError::NonEmptyGroup),
            },
        };
        let mut topics = Vec::with_capacity(request.topics.len());
        for (topic, partitions) in &request.topics {
            let in_use = match &subscribed {
                None => false,
                Some(None) => true,
                Some(Some(topics)) => topics.contains(topic),
            };
            let mut results = Vec::with_capacity(partitions.len());
            for partition in partitions {
                if in_use {
                    results.push((*partition, Some(GroupError::GroupSubscribedToTopic)));
                    continue;
                }
                if self
                    .committed_offset(&request.group_id, topic, *partition)
                    .is_some()
                {
                    let record = CoordinatorRecord::OffsetCommit {
                        key: OffsetCommitKey {
                            group: request.group_id.clone(),
                            topic: topic.clone(),
                            partition: *partition,
                        },
                        value: None,
                    };
                    self.emit(out, record);
                }
                results.push((*partition, None));
            }
            topics.push((topic.clone(), results));
        }
        OffsetDeleteResponse {
            error: None,
            topics,
        }
    }

    /// Offset expiry (Kafka `OffsetMetadataManager.cleanupExpiredOffsets` with
    /// `ClassicGroup.offsetExpirationCondition`, KIP-211):
    /// - an Empty group's offsets expire `offsets.retention.minutes` after the group became
    ///   Empty (after their commit when that time is unknown);
    /// - a Stable consumer-protocol group's offsets of topics *no member subscribes to*
    ///   expire `offsets.retention.minutes` after their commit;
    /// - a simple group's (no protocol type) offsets expire after their commit;
    /// - otherwise (rebalancing, non-consumer protocols, unreadable subscriptions) nothing
    ///   expires. Where a condition applies, an explicit v1 expire timestamp wins.
    ///
    /// A group left Empty without offsets is deleted.
    pub(super) fn expire_offsets(&mut self, now_ms: i64, out: &mut CoordinatorResult) {
        let retention_ms = self.config.offsets_retention_ms;
        let mut expired: Vec<OffsetCommitKey> = Vec::new();
        for (group_id, offsets) in &self.offsets {
            // Kafka `ConsumerGroup.offsetExpirationCondition`: commit time, except topics
            // the members subscribe to.
            let consumer =
                self.consumer_subscriptions(group_id)
                    .map(|subscribed| ExpiryCondition {
                        base: ExpiryBase::CommitTime,
                        subscribed,
                    });
            let Some(condition) = consumer.or_else(|| {
                self.groups.get(group_id).map_or(
                    Some(ExpiryCondition {
                        base: ExpiryBase::CommitTime,
                        subscribed: Vec::new(),
                    }),
                    expiry_condition,
                )
            }) else {
                continue;
            };
            for ((topic, partition), value) in offsets {
                if condition.subscribed.contains(topic) {
                    continue;
                }
                let due = if value.expire_timestamp >= 0 {
                    now_ms >= value.expire_timestamp
                } else {
                    let base = match condition.base {
                        ExpiryBase::StateTime(at) => at,
                        ExpiryBase::CommitTime => value.commit_timestamp,
                    };
                    now_ms - base >= retention_ms
                };
                if due {
                    expired.push(OffsetCommitKey {
                        group: group_id.clone(),
                        topic: topic.clone(),
                        partition: *partition,
                    });
                }
            }
        }
        let mut touched: Vec<String> = Vec::new();
        for key in expired {
            if touched.last() != Some(&key.group) {
                touched.push(key.group.clone());
            }
            self.emit(out, CoordinatorRecord::OffsetCommit { key, value: None });
        }
        for group_id in touched {
            let empty = self
                .groups
                .get(&group_id)
                .is_some_and(|g| g.state == GroupState::Empty && g.members.is_empty());
            if empty && !self.offsets.contains_key(&group_id) {
                self.emit(
                    out,
                    CoordinatorRecord::GroupMetadata {
                        group: group_id,
                        value: None,
                    },
                );
            }
        }
    }
}

/// From when an offset's retention counts.
#[derive(Debug, Clone, Copy)]
enum ExpiryBase {
    /// When the group became Empty.
    StateTime(i64),
    /// The offset's own commit timestamp.
    CommitTime,
}

/// Kafka `OffsetExpirationCondition`: the retention base, and the topics whose offsets are
/// kept whatever their age (`ClassicGroup.isSubscribedToTopic`).
#[derive(Debug)]
struct ExpiryCondition {
    base: ExpiryBase,
    subscribed: Vec<String>,
}

/// Kafka `ClassicGroup.offsetExpirationCondition`; `None`: no offset of the group expires.
fn expiry_condition(group: &ClassicGroup) -> Option<ExpiryCondition> {
    let Some(protocol_type) = group.protocol_type.as_deref() else {
        // A simple group (standalone consumer or admin commits).
        return Some(ExpiryCondition {
            base: ExpiryBase::CommitTime,
            subscribed: Vec::new(),
        });
    };
    match group.state {
        GroupState::Empty => Some(ExpiryCondition {
            base: if group.state_timestamp_ms >= 0 {
                ExpiryBase::StateTime(group.state_timestamp_ms)
            } else {
                ExpiryBase::CommitTime
            },
            subscribed: Vec::new(),
        }),
        GroupState::Stable if protocol_type == CONSUMER_PROTOCOL_TYPE => {
            // KIP-211: a live consumer group keeps the offsets of what it reads; offsets of
            // topics it stopped subscribing to age out from their commit.
            group_subscriptions(group).map(|subscribed| ExpiryCondition {
                base: ExpiryBase::CommitTime,
                subscribed,
            })
        }
        _ => None,
    }
}

/// Kafka `ClassicGroup.validateOffsetCommit` (non-transactional).
fn validate_commit_against(
    group: &ClassicGroup,
    request: &OffsetCommitRequest,
) -> Result<(), GroupError> {
    if group.state == GroupState::Dead {
        return Err(GroupError::CoordinatorNotAvailable);
    }
    if request.generation_id < 0 && group.state == GroupState::Empty {
        return Ok(());
    }
    if request.generation_id >= 0
        || !request.member_id.is_empty()
        || request.group_instance_id.is_some()
    {
        validate_member(
            group,
            &request.member_id,
            request.group_instance_id.as_deref(),
        )?;
        if request.generation_id != group.generation {
            return Err(GroupError::IllegalGeneration);
        }
    } else if group.state != GroupState::Empty {
        return Err(GroupError::UnknownMemberId);
    }
    if group.state == GroupState::CompletingRebalance {
        return Err(GroupError::RebalanceInProgress);
    }
    Ok(())
}

/// The union of the members' subscribed topics (consumer protocol), used by OffsetDelete;
/// `None` when a subscription cannot be read.
fn group_subscriptions(group: &ClassicGroup) -> Option<Vec<String>> {
    let protocol = group.protocol_name.clone().unwrap_or_default();
    let mut topics: Vec<String> = Vec::new();
    for member in group.members.values() {
        topics.extend(subscribed_topics(&member.metadata(&protocol))?);
    }
    Some(topics)
}

fn all_partitions(
    topics: &[(String, Vec<crate::api::OffsetCommitPartition>)],
    error: impl Fn(i32) -> Option<GroupError>,
) -> PartitionErrors {
    topics
        .iter()
        .map(|(topic, partitions)| {
            (
                topic.clone(),
                partitions
                    .iter()
                    .map(|p| (p.partition, error(p.partition)))
                    .collect(),
            )
        })
        .collect()
}
