//! JoinGroup and the join phase (Kafka `GroupMetadataManager.classicGroupJoin*`,
//! `prepareRebalance`, `completeClassicGroupJoin`, `InitialDelayedJoin`).

use bytes::Bytes;

use super::{CoordinatorResult, GroupCoordinatorShard, validate_group_id};
use crate::api::{
    CoordinatorResponse, JoinGroupMember, JoinGroupRequest, JoinGroupResponse, RequestHandle,
};
use crate::error::GroupError;
use crate::group::{ClassicGroup, GroupState, InitialDelay, Member};
use crate::records::CoordinatorRecord;

/// The first JoinGroup version that gets MEMBER_ID_REQUIRED (KIP-394).
const MEMBER_ID_REQUIRED_VERSION_MIN: i16 = 4;
/// The first JoinGroup version with `skip_assignment` (KIP-814).
const SKIP_ASSIGNMENT_VERSION_MIN: i16 = 9;

impl GroupCoordinatorShard {
    /// JoinGroup. The response is usually parked until the join phase completes; it arrives
    /// in the result of a later call or `tick`, under `handle`.
    pub fn join_group(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        if let Err(error) = self.join_group_inner(handle, request, now_ms, &mut out) {
            out.responses.push((
                handle,
                CoordinatorResponse::Join(JoinGroupResponse::error(
                    error,
                    request.member_id.clone(),
                )),
            ));
        }
        self.finish(out)
    }

    fn join_group_inner(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        validate_group_id(&request.group_id)?;
        if request.session_timeout_ms < self.config.session_timeout_ms_min
            || request.session_timeout_ms > self.config.session_timeout_ms_max
        {
            return Err(GroupError::InvalidSessionTimeout);
        }
        if !self.groups.contains_key(&request.group_id) {
            if !request.member_id.is_empty() {
                return Err(GroupError::UnknownMemberId);
            }
            self.groups.insert(
                request.group_id.clone(),
                ClassicGroup::new(request.group_id.clone(), now_ms),
            );
        }
        let group = self.group(&request.group_id)?;
        if group.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        if !group.accepts_joining_member(&request.member_id, self.config.group_size_max) {
            if group.members.contains_key(&request.member_id) {
                self.remove_member(&request.group_id, &request.member_id, now_ms, out);
            }
            return Err(GroupError::GroupMaxSizeReached);
        }
        if !group.supports_protocols(&request.protocol_type, &request.protocols) {
            return Err(GroupError::InconsistentGroupProtocol);
        }
        if request.member_id.is_empty() {
            self.join_new_member(handle, request, now_ms, out)
        } else {
            self.join_existing_member(handle, request, now_ms, out)
        }
    }

    fn join_new_member(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let member_id = self.new_member_id(&request.client_id);
        if let Some(instance_id) = &request.group_instance_id {
            let existing = self.group(&request.group_id)?.static_member_id(instance_id);
            return match existing {
                Some(old_member_id) => self.replace_static_member(
                    handle,
                    request,
                    &old_member_id,
                    member_id,
                    now_ms,
                    out,
                ),
                None => self.add_member_and_rebalance(handle, request, member_id, now_ms, out),
            };
        }
        if request.api_version >= MEMBER_ID_REQUIRED_VERSION_MIN {
            // KIP-394: hand out the id and wait for the member to rejoin with it; the id
            // expires after one session timeout if it never does.
            let deadline = now_ms + i64::from(request.session_timeout_ms);
            self.group_mut(&request.group_id)?
                .pending_members
                .insert(member_id.clone(), deadline);
            out.responses.push((
                handle,
                CoordinatorResponse::Join(JoinGroupResponse::error(
                    GroupError::MemberIdRequired,
                    member_id,
                )),
            ));
            return Ok(());
        }
        self.add_member_and_rebalance(handle, request, member_id, now_ms, out)
    }

    fn join_existing_member(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let group = self.group(&request.group_id)?;
        if group.pending_members.contains_key(&request.member_id) {
            return self.add_member_and_rebalance(
                handle,
                request,
                request.member_id.clone(),
                now_ms,
                out,
            );
        }
        validate_member(
            group,
            &request.member_id,
            request.group_instance_id.as_deref(),
        )?;
        let member = group
            .members
            .get(&request.member_id)
            .ok_or(GroupError::UnknownMemberId)?;
        let unchanged = member.matches(&request.protocols);
        let is_leader = group.is_leader(&request.member_id);
        match group.state {
            GroupState::PreparingRebalance => {
                self.update_member_and_rebalance(handle, request, now_ms, out)
            }
            // The member already has this generation's join response: answer it again.
            GroupState::CompletingRebalance if unchanged => {
                let response = join_response(group, &request.member_id, false);
                out.responses
                    .push((handle, CoordinatorResponse::Join(response)));
                Ok(())
            }
            // A follower rejoining unchanged gets the current generation; a leader's rejoin
            // (it may have seen metadata change) or new protocols start a rebalance.
            GroupState::Stable if unchanged && !is_leader => {
                let response = join_response(group, &request.member_id, false);
                out.responses
                    .push((handle, CoordinatorResponse::Join(response)));
                self.touch_member(&request.group_id, &request.member_id, now_ms);
                Ok(())
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.update_member_and_rebalance(handle, request, now_ms, out)
            }
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
        }
    }

    /// KIP-345: a static member rejoining with a new member id takes over the old member's
    /// slot; the old id is fenced. A Stable group with unchanged protocols keeps its
    /// generation (no rebalance): the new id is persisted and the member gets the current
    /// generation, then its assignment from SyncGroup.
    fn replace_static_member(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        old_member_id: &str,
        new_member_id: String,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let group = self.group_mut(&request.group_id)?;
        let was_leader = group.is_leader(old_member_id);
        let was_pending_sync = group.pending_sync.contains(old_member_id);
        let Some(mut member) = group.members.shift_remove(old_member_id) else {
            return Err(GroupError::UnknownMemberId);
        };
        if let Some(old_handle) = member.awaiting_join.take() {
            let fenced = JoinGroupResponse::error(GroupError::FencedInstanceId, old_member_id);
            out.responses
                .push((old_handle, CoordinatorResponse::Join(fenced)));
        }
        if let Some(old_handle) = member.awaiting_sync.take() {
            let fenced = crate::api::SyncGroupResponse::error(GroupError::FencedInstanceId);
            out.responses
                .push((old_handle, CoordinatorResponse::Sync(fenced)));
        }
        let unchanged = member.matches(&request.protocols);
        member.member_id = new_member_id.clone();
        member.rebalance_timeout_ms = request.rebalance_timeout_ms;
        member.session_timeout_ms = request.session_timeout_ms;
        member.client_id = request.client_id.clone();
        member.client_host = request.client_host.clone();
        group.pending_sync.shift_remove(old_member_id);
        if was_pending_sync {
            group.pending_sync.insert(new_member_id.clone());
        }
        group.members.insert(new_member_id.clone(), member);
        if was_leader {
            group.leader = Some(new_member_id.clone());
        }
        match group.state {
            GroupState::Stable if unchanged => {
                let assignments: Vec<(String, Bytes)> = group
                    .members
                    .values()
                    .map(|m| (m.member_id.clone(), m.assignment.clone()))
                    .collect();
                let lookup = move |id: &str| {
                    assignments
                        .iter()
                        .find(|(member_id, _)| member_id == id)
                        .map(|(_, a)| a.clone())
                        .unwrap_or_default()
                };
                let value = group.to_record(&lookup, group.state_timestamp_ms);
                let skip = was_leader && request.api_version >= SKIP_ASSIGNMENT_VERSION_MIN;
                let response = join_response(group, &new_member_id, skip);
                let record = CoordinatorRecord::GroupMetadata {
                    group: request.group_id.clone(),
                    value: Some(value),
                };
                self.emit(out, record);
                self.touch_member(&request.group_id, &new_member_id, now_ms);
                out.responses
                    .push((handle, CoordinatorResponse::Join(response)));
                Ok(())
            }
            _ => {
                let mut renamed = request.clone();
                renamed.member_id = new_member_id;
                self.update_member_and_rebalance(handle, &renamed, now_ms, out)
            }
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        member_id: String,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let member = Member {
            member_id,
            group_instance_id: request.group_instance_id.clone(),
            client_id: request.client_id.clone(),
            client_host: request.client_host.clone(),
            rebalance_timeout_ms: request.rebalance_timeout_ms,
            session_timeout_ms: request.session_timeout_ms,
            protocols: request.protocols.clone(),
            assignment: Bytes::new(),
            awaiting_join: Some(handle),
            awaiting_sync: None,
            heartbeat_deadline_ms: None,
        };
        let group = self.group_mut(&request.group_id)?;
        group.add(member, &request.protocol_type);
        group.new_member_added = true;
        self.rebalance_or_complete_join(&request.group_id, now_ms, out);
        Ok(())
    }

    fn update_member_and_rebalance(
        &mut self,
        handle: RequestHandle,
        request: &JoinGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let group = self.group_mut(&request.group_id)?;
        let member = group
            .members
            .get_mut(&request.member_id)
            .ok_or(GroupError::UnknownMemberId)?;
        member.protocols = request.protocols.clone();
        member.rebalance_timeout_ms = request.rebalance_timeout_ms;
        member.session_timeout_ms = request.session_timeout_ms;
        if let Some(previous) = member.awaiting_join.replace(handle) {
            // A duplicate JoinGroup replaces the parked one; the old one is told to retry.
            let retry = JoinGroupResponse::error(
                GroupError::RebalanceInProgress,
                request.member_id.clone(),
            );
            out.responses
                .push((previous, CoordinatorResponse::Join(retry)));
        }
        self.rebalance_or_complete_join(&request.group_id, now_ms, out);
        Ok(())
    }

    /// Kafka `maybePrepareRebalanceOrCompleteJoin`.
    pub(super) fn rebalance_or_complete_join(
        &mut self,
        group_id: &str,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) {
        let Some(group) = self.groups.get(group_id) else {
            return;
        };
        match group.state {
            GroupState::Empty | GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(group_id, now_ms, out);
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(group_id, now_ms, out),
            GroupState::Dead => {}
        }
    }

    /// Kafka `prepareRebalance`: parked SyncGroups get REBALANCE_IN_PROGRESS; an empty group
    /// waits the initial delay, others the rebalance timeout.
    pub(super) fn prepare_rebalance(
        &mut self,
        group_id: &str,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) {
        let initial_delay_ms = self.config.initial_rebalance_delay_ms;
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        if group.state == GroupState::CompletingRebalance {
            for member in group.members.values_mut() {
                member.assignment = Bytes::new();
                if let Some(sync) = member.awaiting_sync.take() {
                    let retry =
                        crate::api::SyncGroupResponse::error(GroupError::RebalanceInProgress);
                    out.responses.push((sync, CoordinatorResponse::Sync(retry)));
                }
            }
        }
        group.pending_sync.clear();
        group.sync_deadline_ms = None;
        let rebalance_timeout_ms = group.rebalance_timeout_ms();
        if group.state == GroupState::Empty {
            let delay_ms = initial_delay_ms.min(rebalance_timeout_ms);
            group.initial_delay = Some(InitialDelay {
                delay_ms,
                remaining_ms: (rebalance_timeout_ms - delay_ms).max(0),
            });
            group.new_member_added = false;
            group.join_deadline_ms = Some(now_ms + delay_ms);
        } else {
            group.initial_delay = None;
            group.join_deadline_ms = Some(now_ms + rebalance_timeout_ms);
        }
        group.transition(GroupState::PreparingRebalance, now_ms);
        self.maybe_complete_join(group_id, now_ms, out);
    }

    /// Completes the join phase early once every member has rejoined (Kafka
    /// `DelayedJoin.tryComplete`); the initial delayed join always waits its delay.
    pub(super) fn maybe_complete_join(
        &mut self,
        group_id: &str,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) {
        let ready = self.groups.get(group_id).is_some_and(|g| {
            g.state == GroupState::PreparingRebalance
                && g.initial_delay.is_none()
                && g.all_members_joined()
        });
        if ready {
            self.complete_join(group_id, now_ms, out);
        }
    }

    /// The join deadline passed: extend the initial delay while members keep arriving,
    /// else complete the join phase.
    pub(super) fn on_join_deadline(
        &mut self,
        group_id: &str,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        if let Some(initial) = group.initial_delay
            && group.new_member_added
            && initial.remaining_ms > 0
        {
            group.new_member_added = false;
            let delay_ms = initial.delay_ms.min(initial.remaining_ms);
            group.initial_delay = Some(InitialDelay {
                delay_ms,
                remaining_ms: (initial.remaining_ms - initial.delay_ms).max(0),
            });
            group.join_deadline_ms = Some(now_ms + delay_ms);
            return;
        }
        self.complete_join(group_id, now_ms, out);
    }

    /// Kafka `completeClassicGroupJoin`: drop dynamic members that did not rejoin, start the
    /// next generation and answer every parked JoinGroup (the leader gets all members).
    fn complete_join(&mut self, group_id: &str, now_ms: i64, out: &mut CoordinatorResult) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        if group.state != GroupState::PreparingRebalance {
            return;
        }
        group.join_deadline_ms = None;
        group.initial_delay = None;
        let missing: Vec<String> = group
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && m.group_instance_id.is_none())
            .map(|m| m.member_id.clone())
            .collect();
        for member_id in &missing {
            group.remove(member_id);
        }
        if !group.members.is_empty() && !group.elect_joined_leader() {
            // Nobody rejoined: wait another rebalance timeout for sessions to expire.
            group.join_deadline_ms = Some(now_ms + group.rebalance_timeout_ms());
            return;
        }
        group.init_next_generation(now_ms);
        if group.state == GroupState::Empty {
            let value = group.to_record(&|_| Bytes::new(), now_ms);
            let record = CoordinatorRecord::GroupMetadata {
                group: group_id.to_string(),
                value: Some(value),
            };
            self.emit(out, record);
            return;
        }
        let member_ids: Vec<String> = group.members.keys().cloned().collect();
        for member_id in member_ids {
            let response = join_response(group, &member_id, false);
            let Some(member) = group.members.get_mut(&member_id) else {
                continue;
            };
            member.heartbeat_deadline_ms = Some(now_ms + i64::from(member.session_timeout_ms));
            if let Some(join) = member.awaiting_join.take() {
                out.responses
                    .push((join, CoordinatorResponse::Join(response)));
            }
        }
        group.sync_deadline_ms = Some(now_ms + group.rebalance_timeout_ms());
    }

    pub(super) fn group(&self, group_id: &str) -> Result<&ClassicGroup, GroupError> {
        self.groups.get(group_id).ok_or(GroupError::UnknownMemberId)
    }

    pub(super) fn group_mut(&mut self, group_id: &str) -> Result<&mut ClassicGroup, GroupError> {
        self.groups
            .get_mut(group_id)
            .ok_or(GroupError::UnknownMemberId)
    }

    /// Restarts a member's session timer (a heartbeat, or a request that counts as one).
    pub(super) fn touch_member(&mut self, group_id: &str, member_id: &str, now_ms: i64) {
        if let Some(member) = self
            .groups
            .get_mut(group_id)
            .and_then(|g| g.members.get_mut(member_id))
        {
            member.heartbeat_deadline_ms = Some(now_ms + i64::from(member.session_timeout_ms));
        }
    }
}

/// Kafka `ClassicGroup.validateMember`: a static instance id must map to this member id.
pub(super) fn validate_member(
    group: &ClassicGroup,
    member_id: &str,
    instance_id: Option<&str>,
) -> Result<(), GroupError> {
    if let Some(instance_id) = instance_id {
        match group.static_member_id(instance_id) {
            None => return Err(GroupError::UnknownMemberId),
            Some(existing) if existing != member_id => return Err(GroupError::FencedInstanceId),
            Some(_) => {}
        }
    }
    if !group.members.contains_key(member_id) {
        return Err(GroupError::UnknownMemberId);
    }
    Ok(())
}

/// The JoinGroup response of the current generation for `member_id`; the leader (or a
/// static leader skipping assignment) gets every member's metadata.
fn join_response(
    group: &ClassicGroup,
    member_id: &str,
    skip_assignment: bool,
) -> JoinGroupResponse {
    let protocol = group.protocol_name.clone().unwrap_or_default();
    let members =
        if group.is_leader(member_id) && (skip_assignment || group.state != GroupState::Stable) {
            group
                .members
                .values()
                .map(|m| JoinGroupMember {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    metadata: m.metadata(&protocol),
                })
                .collect()
        } else {
            Vec::new()
        };
    JoinGroupResponse {
        error: None,
        generation_id: group.generation,
        protocol_type: group.protocol_type.clone(),
        protocol_name: group.protocol_name.clone(),
        leader: group.leader.clone().unwrap_or_default(),
        skip_assignment,
        member_id: member_id.to_string(),
        members,
    }
}
