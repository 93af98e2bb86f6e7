//! ConsumerGroupHeartbeat and ConsumerGroupDescribe (KIP-848; Kafka
//! `GroupMetadataManager.consumerGroupHeartbeat`, `consumerGroupLeave`,
//! `consumerGroupDescribe`, session/rebalance timers).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use super::{CoordinatorResult, GroupCoordinatorShard, validate_group_id};
use crate::api::{CoordinatorResponse, RequestHandle};
use crate::consumer::api::{
    ConsumerHeartbeatRequest, ConsumerHeartbeatResponse, DescribedConsumerGroup,
    DescribedConsumerMember, TopicsSnapshot,
};
use crate::consumer::assignor::{self, AssignorMember};
use crate::consumer::{ConsumerGroup, ConsumerMember, MemberState, reconcile};
use crate::error::GroupError;
use crate::group::GroupState;
use crate::records::{ConsumerGroupRecord, CoordinatorRecord, TopicPartitions};

/// Member epoch of a leave request.
const LEAVE_EPOCH: i32 = -1;
/// Member epoch of a static member's temporary leave (KIP-848).
const STATIC_LEAVE_EPOCH: i32 = -2;

impl GroupCoordinatorShard {
    /// ConsumerGroupHeartbeat: join (epoch 0), heartbeat, or leave (epoch -1/-2).
    /// `topics` is the broker's current topic view (the assignor's input).
    pub fn consumer_group_heartbeat(
        &mut self,
        handle: RequestHandle,
        request: &ConsumerHeartbeatRequest,
        topics: &TopicsSnapshot,
        now_ms: i64,
    ) -> CoordinatorResult {
        self.topics = Some(topics.clone());
        let mut out = CoordinatorResult::default();
        let response = match self.consumer_heartbeat_inner(request, now_ms, &mut out) {
            Ok(response) => response,
            Err((error, message)) => ConsumerHeartbeatResponse::error(error, message),
        };
        out.responses
            .push((handle, CoordinatorResponse::ConsumerHeartbeat(response)));
        self.finish(out)
    }

    fn consumer_heartbeat_inner(
        &mut self,
        request: &ConsumerHeartbeatRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<ConsumerHeartbeatResponse, (GroupError, String)> {
        validate_group_id(&request.group_id).map_err(|e| (e, "invalid group id".to_string()))?;
        let epoch = request.member_epoch;
        if epoch == 0
            && (request.subscribed_topic_names.is_none()
                && request.subscribed_topic_regex.is_none())
        {
            return Err((
                GroupError::InvalidRequest,
                "SubscribedTopicNames or SubscribedTopicRegex must be set in first request"
                    .to_string(),
            ));
        }
        if let Some(name) = &request.server_assignor
            && !self.config.consumer_assignors.contains(name)
        {
            return Err((
                GroupError::UnsupportedAssignor,
                format!("server assignor {name} is not supported"),
            ));
        }
        if epoch == LEAVE_EPOCH || epoch == STATIC_LEAVE_EPOCH {
            return self.consumer_leave(request, now_ms, out);
        }
        self.ensure_consumer_group(&request.group_id, epoch, out)?;
        let member_id = if request.member_id.is_empty() {
            self.new_member_id("").trim_start_matches('-').to_string()
        } else {
            request.member_id.clone()
        };
        if epoch == 0
            && let Some(instance_id) = &request.instance_id
        {
            self.replace_static_consumer(&request.group_id, instance_id, &member_id, out)?;
        }
        let group = self
            .consumer_groups
            .get(&request.group_id)
            .ok_or((GroupError::UnknownMemberId, "unknown group".to_string()))?;
        let existing = group.members.get(&member_id);
        match existing {
            None if epoch != 0 => {
                return Err((
                    GroupError::UnknownMemberId,
                    format!("member {member_id} is not in group {}", request.group_id),
                ));
            }
            None if group.members.len() >= self.config.consumer_group_size_max => {
                return Err((
                    GroupError::GroupMaxSizeReached,
                    "group.consumer.max.size reached".to_string(),
                ));
            }
            Some(member) if epoch != 0 => validate_epoch(member, epoch, request.owned.as_ref())?,
            _ => {}
        }
        let mut member = existing.cloned().unwrap_or_else(|| new_member(&member_id));
        let is_new = existing.is_none();
        let mut bump = is_new;
        let before = member.metadata.clone();
        let metadata = &mut member.metadata;
        metadata.client_id = request.client_id.clone();
        metadata.client_host = request.client_host.clone();
        if let Some(topics) = &request.subscribed_topic_names {
            let mut topics = topics.clone();
            topics.sort();
            topics.dedup();
            metadata.subscribed_topics = topics;
        }
        if request.subscribed_topic_regex.is_some() {
            metadata.subscribed_regex = request.subscribed_topic_regex.clone();
        }
        if request.rebalance_timeout_ms >= 0 {
            metadata.rebalance_timeout_ms = request.rebalance_timeout_ms;
        }
        if request.server_assignor.is_some() {
            metadata.server_assignor = request.server_assignor.clone();
        }
        if request.rack_id.is_some() {
            metadata.rack_id = request.rack_id.clone();
        }
        if request.instance_id.is_some() {
            metadata.instance_id = request.instance_id.clone();
        }
        if member.metadata != before || is_new {
            bump |= before.subscribed_topics != member.metadata.subscribed_topics
                || before.server_assignor != member.metadata.server_assignor;
            self.emit_consumer(
                out,
                ConsumerGroupRecord::Member {
                    group: request.group_id.clone(),
                    member: member_id.clone(),
                    value: Some(member.metadata.clone()),
                },
            );
        }
        let hash = self.metadata_hash(&request.group_id);
        let group = self.consumer_group_or_err(&request.group_id)?;
        bump |= group.metadata_hash.is_some_and(|h| h != hash);
        if bump {
            let epoch = group.epoch + 1;
            self.emit_consumer(
                out,
                ConsumerGroupRecord::Metadata {
                    group: request.group_id.clone(),
                    epoch: Some(epoch),
                },
            );
        }
        if let Some(group) = self.consumer_groups.get_mut(&request.group_id) {
            group.metadata_hash = Some(hash);
        }
        self.update_target(&request.group_id, out)?;
        let full = epoch == 0 || request.owned.is_some();
        let response = self.reconcile_member(
            &request.group_id,
            &member_id,
            request.owned.as_ref(),
            full,
            now_ms,
            out,
        )?;
        Ok(response)
    }

    /// Creates the group on a join; an Empty classic group of the same id (e.g. offsets
    /// committed before) is converted, a non-empty one refuses (Kafka
    /// `getOrMaybeCreateConsumerGroup`).
    fn ensure_consumer_group(
        &mut self,
        group_id: &str,
        epoch: i32,
        out: &mut CoordinatorResult,
    ) -> Result<(), (GroupError, String)> {
        if self.consumer_groups.contains_key(group_id) {
            return Ok(());
        }
        if epoch != 0 {
            return Err((
                GroupError::UnknownMemberId,
                format!("group {group_id} does not exist"),
            ));
        }
        if let Some(classic) = self.groups.get(group_id) {
            if classic.state != GroupState::Empty || !classic.members.is_empty() {
                return Err((
                    GroupError::GroupIdNotFound,
                    format!("group {group_id} is not a consumer group"),
                ));
            }
            self.emit(
                out,
                CoordinatorRecord::GroupMetadata {
                    group: group_id.to_string(),
                    value: None,
                },
            );
        }
        self.emit_consumer(
            out,
            ConsumerGroupRecord::Metadata {
                group: group_id.to_string(),
                epoch: Some(0),
            },
        );
        Ok(())
    }

    fn consumer_group_or_err(
        &self,
        group_id: &str,
    ) -> Result<&ConsumerGroup, (GroupError, String)> {
        self.consumer_groups.get(group_id).ok_or((
            GroupError::UnknownMemberId,
            format!("group {group_id} does not exist"),
        ))
    }

    /// Recomputes the target assignment when the group epoch moved past it.
    fn update_target(
        &mut self,
        group_id: &str,
        out: &mut CoordinatorResult,
    ) -> Result<(), (GroupError, String)> {
        let group = self.consumer_group_or_err(group_id)?;
        // Before the first heartbeat after loading, the topics are unknown: the target is
        // computed on the next heartbeat (target epoch < group epoch until then).
        let Some(topic_view) = self.topics.as_ref() else {
            return Ok(());
        };
        if group.target_epoch == group.epoch {
            return Ok(());
        }
        let assignor_name = self.assignor_for(group);
        let mut partitions: BTreeMap<[u8; 16], i32> = BTreeMap::new();
        let mut members: BTreeMap<String, AssignorMember<'_>> = BTreeMap::new();
        for (id, member) in &group.members {
            let mut topics = BTreeSet::new();
            for name in &member.metadata.subscribed_topics {
                if let Some(info) = topic_view.get(name) {
                    topics.insert(info.id);
                    partitions.insert(info.id, info.partitions);
                }
            }
            members.insert(
                id.clone(),
                AssignorMember {
                    topics,
                    previous: group.target.get(id),
                },
            );
        }
        let target = assignor::assign(&assignor_name, &members, &partitions).ok_or((
            GroupError::UnsupportedAssignor,
            format!("server assignor {assignor_name} is not supported"),
        ))?;
        let epoch = group.epoch;
        let changed: Vec<(String, TopicPartitions)> = target
            .into_iter()
            .filter(|(id, t)| group.target.get(id) != Some(t))
            .collect();
        for (member, value) in changed {
            self.emit_consumer(
                out,
                ConsumerGroupRecord::TargetMember {
                    group: group_id.to_string(),
                    member,
                    value: Some(value),
                },
            );
        }
        self.emit_consumer(
            out,
            ConsumerGroupRecord::TargetMetadata {
                group: group_id.to_string(),
                epoch: Some(epoch),
            },
        );
        Ok(())
    }

    /// The group's assignor: the members' preferred one if any (first by member id), else
    /// the first of `group.consumer.assignors`.
    fn assignor_for(&self, group: &ConsumerGroup) -> String {
        group
            .members
            .values()
            .find_map(|m| m.metadata.server_assignor.clone())
            .or_else(|| self.config.consumer_assignors.first().cloned())
            .unwrap_or_else(|| assignor::UNIFORM.to_string())
    }

    fn reconcile_member(
        &mut self,
        group_id: &str,
        member_id: &str,
        owned: Option<&TopicPartitions>,
        full: bool,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<ConsumerHeartbeatResponse, (GroupError, String)> {
        let session_ms = i64::from(self.config.consumer_session_timeout_ms);
        let interval_ms = self.config.consumer_heartbeat_interval_ms;
        let group = self.consumer_group_or_err(group_id)?;
        let current = group
            .members
            .get(member_id)
            .cloned()
            .unwrap_or_else(|| new_member(member_id));
        let next = reconcile(group, &current, owned);
        if next.assignment_value() != current.assignment_value()
            || !group.members.contains_key(member_id)
        {
            self.emit_consumer(
                out,
                ConsumerGroupRecord::CurrentAssignment {
                    group: group_id.to_string(),
                    member: member_id.to_string(),
                    value: Some(next.assignment_value()),
                },
            );
        }
        let Some(member) = self
            .consumer_groups
            .get_mut(group_id)
            .and_then(|g| g.members.get_mut(member_id))
        else {
            return Err((GroupError::UnknownMemberId, "member vanished".to_string()));
        };
        member.session_deadline_ms = Some(now_ms + session_ms);
        member.revocation_deadline_ms = match (member.state, current.state) {
            (MemberState::UnrevokedPartitions, MemberState::UnrevokedPartitions) => {
                member.revocation_deadline_ms
            }
            (MemberState::UnrevokedPartitions, _) => {
                Some(now_ms + i64::from(member.metadata.rebalance_timeout_ms.max(0)))
            }
            _ => None,
        };
        let send = full || member.last_sent.as_ref() != Some(&member.assigned);
        let assignment = send.then(|| member.assigned.clone());
        if send {
            member.last_sent = Some(member.assigned.clone());
        }
        Ok(ConsumerHeartbeatResponse {
            error: None,
            error_message: None,
            member_id: Some(member_id.to_string()),
            member_epoch: member.member_epoch,
            heartbeat_interval_ms: interval_ms,
            assignment,
        })
    }

    fn consumer_leave(
        &mut self,
        request: &ConsumerHeartbeatRequest,
        _now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<ConsumerHeartbeatResponse, (GroupError, String)> {
        let known = self
            .consumer_groups
            .get(&request.group_id)
            .is_some_and(|g| g.members.contains_key(&request.member_id));
        if !known {
            return Err((
                GroupError::UnknownMemberId,
                format!(
                    "member {} is not in group {}",
                    request.member_id, request.group_id
                ),
            ));
        }
        let static_member = self
            .consumer_groups
            .get(&request.group_id)
            .and_then(|g| g.members.get(&request.member_id))
            .filter(|m| m.metadata.instance_id.is_some())
            .cloned();
        match static_member {
            // KIP-848 static member leaving temporarily: it keeps its assignment (nobody
            // else gets its partitions) until its session expires or it is replaced.
            Some(member) if request.member_epoch == STATIC_LEAVE_EPOCH => {
                let mut value = member.assignment_value();
                value.previous_member_epoch = member.member_epoch;
                value.member_epoch = STATIC_LEAVE_EPOCH;
                self.emit_consumer(
                    out,
                    ConsumerGroupRecord::CurrentAssignment {
                        group: request.group_id.clone(),
                        member: request.member_id.clone(),
                        value: Some(value),
                    },
                );
            }
            _ => self.remove_consumer_member(&request.group_id, &request.member_id, out),
        }
        Ok(ConsumerHeartbeatResponse {
            member_id: Some(request.member_id.clone()),
            member_epoch: request.member_epoch,
            heartbeat_interval_ms: 0,
            ..ConsumerHeartbeatResponse::default()
        })
    }

    /// KIP-848 static membership (Kafka `GroupMetadataManager` static member replacement): a
    /// join carrying the `instance_id` of a member that left temporarily (epoch -2) takes
    /// over that member's subscription, target and assignment under the new member id, with
    /// no group epoch bump; if the old member has not left, UNRELEASED_INSTANCE_ID.
    fn replace_static_consumer(
        &mut self,
        group_id: &str,
        instance_id: &str,
        member_id: &str,
        out: &mut CoordinatorResult,
    ) -> Result<(), (GroupError, String)> {
        let Some(group) = self.consumer_groups.get(group_id) else {
            return Ok(());
        };
        let Some(old) = group
            .members
            .values()
            .find(|m| {
                m.metadata.instance_id.as_deref() == Some(instance_id) && m.member_id != member_id
            })
            .cloned()
        else {
            return Ok(());
        };
        if old.member_epoch != STATIC_LEAVE_EPOCH {
            return Err((
                GroupError::UnreleasedInstanceId,
                format!("static member {instance_id} has not left the group yet"),
            ));
        }
        let target = group.target.get(&old.member_id).cloned();
        let mut assignment = old.assignment_value();
        assignment.member_epoch = old.previous_member_epoch;
        let records = [
            ConsumerGroupRecord::CurrentAssignment {
                group: group_id.to_string(),
                member: old.member_id.clone(),
                value: None,
            },
            ConsumerGroupRecord::TargetMember {
                group: group_id.to_string(),
                member: old.member_id.clone(),
                value: None,
            },
            ConsumerGroupRecord::Member {
                group: group_id.to_string(),
                member: old.member_id.clone(),
                value: None,
            },
            ConsumerGroupRecord::Member {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: Some(old.metadata.clone()),
            },
            ConsumerGroupRecord::TargetMember {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: target,
            },
            ConsumerGroupRecord::CurrentAssignment {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: Some(assignment),
            },
        ];
        for record in records {
            self.emit_consumer(out, record);
        }
        Ok(())
    }

    /// Removes a member (leave, session expiry, revocation timeout): tombstones its
    /// records, bumps the group epoch and recomputes the target.
    pub(super) fn remove_consumer_member(
        &mut self,
        group_id: &str,
        member_id: &str,
        out: &mut CoordinatorResult,
    ) {
        let Some(group) = self.consumer_groups.get(group_id) else {
            return;
        };
        let epoch = group.epoch + 1;
        for record in [
            ConsumerGroupRecord::CurrentAssignment {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: None,
            },
            ConsumerGroupRecord::TargetMember {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: None,
            },
            ConsumerGroupRecord::Member {
                group: group_id.to_string(),
                member: member_id.to_string(),
                value: None,
            },
            ConsumerGroupRecord::Metadata {
                group: group_id.to_string(),
                epoch: Some(epoch),
            },
        ] {
            self.emit_consumer(out, record);
        }
        // The target only fails for an unknown assignor, which joins already refused.
        let _ = self.update_target(group_id, out);
    }

    /// Expires sessions and revocations that timed out (Kafka
    /// `consumerGroupSessionTimeout`, `consumerGroupRebalanceTimeout`).
    pub(super) fn tick_consumer_groups(&mut self, now_ms: i64, out: &mut CoordinatorResult) {
        let session_ms = i64::from(self.config.consumer_session_timeout_ms);
        let mut expired: Vec<(String, String)> = Vec::new();
        for (group_id, group) in &mut self.consumer_groups {
            for member in group.members.values_mut() {
                // Members loaded by replay start their session now.
                let deadline = *member
                    .session_deadline_ms
                    .get_or_insert(now_ms + session_ms);
                let revocation_due = member.revocation_deadline_ms.is_some_and(|d| d <= now_ms);
                if deadline <= now_ms || revocation_due {
                    expired.push((group_id.clone(), member.member_id.clone()));
                }
            }
        }
        for (group_id, member_id) in expired {
            self.remove_consumer_member(&group_id, &member_id, out);
        }
    }

    /// The consumer-group deadlines (for `next_deadline_ms`).
    pub(super) fn consumer_deadlines(&self) -> impl Iterator<Item = i64> + '_ {
        self.consumer_groups.values().flat_map(|g| {
            g.members.values().flat_map(|m| {
                [
                    Some(m.session_deadline_ms.unwrap_or(i64::MIN)),
                    m.revocation_deadline_ms,
                ]
                .into_iter()
                .flatten()
            })
        })
    }

    /// ConsumerGroupDescribe of one group (GROUP_ID_NOT_FOUND when it is not a consumer
    /// group).
    pub fn consumer_group_describe(&self, group_id: &str) -> DescribedConsumerGroup {
        let Some(group) = self.consumer_groups.get(group_id) else {
            return DescribedConsumerGroup {
                group_id: group_id.to_string(),
                error: Some(GroupError::GroupIdNotFound),
                state: "Dead".to_string(),
                epoch: -1,
                assignment_epoch: -1,
                assignor_name: String::new(),
                members: Vec::new(),
            };
        };
        DescribedConsumerGroup {
            group_id: group_id.to_string(),
            error: None,
            state: group.state_name().to_string(),
            epoch: group.epoch,
            assignment_epoch: group.target_epoch,
            assignor_name: self.assignor_for(group),
            members: group
                .members
                .values()
                .map(|m| DescribedConsumerMember {
                    member_id: m.member_id.clone(),
                    instance_id: m.metadata.instance_id.clone(),
                    rack_id: m.metadata.rack_id.clone(),
                    member_epoch: m.member_epoch,
                    client_id: m.metadata.client_id.clone(),
                    client_host: m.metadata.client_host.clone(),
                    subscribed_topic_names: m.metadata.subscribed_topics.clone(),
                    subscribed_topic_regex: m.metadata.subscribed_regex.clone(),
                    assignment: m.assigned.clone(),
                    target_assignment: group.target.get(&m.member_id).cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// Kafka `ConsumerGroup.validateOffsetCommit`: `None` when `group_id` is not a consumer
    /// group (the classic rules apply). Epoch < 0 from a non-member is allowed while the group
    /// is empty; a member must send its current epoch (STALE_MEMBER_EPOCH otherwise).
    pub(super) fn validate_consumer_commit(
        &self,
        group_id: &str,
        member_id: &str,
        member_epoch: i32,
    ) -> Option<Result<(), GroupError>> {
        let group = self.consumer_groups.get(group_id)?;
        if member_epoch < 0 && group.members.is_empty() {
            return Some(Ok(()));
        }
        let Some(member) = group.members.get(member_id) else {
            return Some(Err(GroupError::UnknownMemberId));
        };
        if member_epoch != member.member_epoch {
            return Some(Err(GroupError::StaleMemberEpoch));
        }
        Some(Ok(()))
    }

    /// Kafka `ConsumerGroup.validateOffsetFetch` (OffsetFetch v9+): a fetch naming a member
    /// of a consumer group must carry its current epoch (STALE_MEMBER_EPOCH) and the member
    /// must exist (UNKNOWN_MEMBER_ID); admin fetches (no member id, epoch < 0) always pass.
    pub fn validate_offset_fetch(
        &self,
        group_id: &str,
        member_id: Option<&str>,
        member_epoch: i32,
    ) -> Option<GroupError> {
        let group = self.consumer_groups.get(group_id)?;
        let member_id = match member_id {
            None if member_epoch < 0 => return None,
            None => "",
            Some(id) => id,
        };
        match group.members.get(member_id) {
            None => Some(GroupError::UnknownMemberId),
            Some(member) if member.member_epoch != member_epoch => {
                Some(GroupError::StaleMemberEpoch)
            }
            Some(_) => None,
        }
    }

    /// Topics subscribed by consumer group `group_id` (offset expiry keeps their offsets).
    pub(super) fn consumer_subscriptions(&self, group_id: &str) -> Option<Vec<String>> {
        self.consumer_groups
            .get(group_id)
            .map(ConsumerGroup::subscribed_topics)
    }

    fn emit_consumer(&mut self, out: &mut CoordinatorResult, record: ConsumerGroupRecord) {
        self.emit(out, CoordinatorRecord::ConsumerGroup(record));
    }

    /// A hash of the ids and partition counts of the group's subscribed topics.
    fn metadata_hash(&self, group_id: &str) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for topic in self
            .consumer_groups
            .get(group_id)
            .map(ConsumerGroup::subscribed_topics)
            .unwrap_or_default()
        {
            topic.hash(&mut hasher);
            self.topics
                .as_ref()
                .and_then(|t| t.get(&topic))
                .map(|t| (t.id, t.partitions))
                .hash(&mut hasher);
        }
        hasher.finish()
    }
}

fn new_member(member_id: &str) -> ConsumerMember {
    ConsumerMember::new(member_id.to_string())
}

/// Kafka `throwIfMemberEpochIsInvalid`: a newer epoch than ours is fenced; an older one is
/// accepted only if it is the previous epoch and the member owns nothing outside its
/// current assignment (the response carrying the bump was lost).
fn validate_epoch(
    member: &ConsumerMember,
    received: i32,
    owned: Option<&TopicPartitions>,
) -> Result<(), (GroupError, String)> {
    if received == member.member_epoch {
        return Ok(());
    }
    let subset = owned.is_some_and(|owned| {
        owned.iter().all(|(topic, set)| {
            member
                .assigned
                .get(topic)
                .is_some_and(|assigned| set.is_subset(assigned))
        })
    });
    if received > member.member_epoch || received != member.previous_member_epoch || !subset {
        return Err((
            GroupError::FencedMemberEpoch,
            format!(
                "member epoch {received} is fenced; the current epoch is {}",
                member.member_epoch
            ),
        ));
    }
    Ok(())
}
