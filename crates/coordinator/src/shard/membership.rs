//! SyncGroup, Heartbeat, LeaveGroup, member removal and the per-group timers (Kafka
//! `GroupMetadataManager.classicGroupSync`, `classicGroupHeartbeat`, `classicGroupLeave`,
//! `removeMemberAndUpdateClassicGroup`, `expirePendingSync`,
//! `onClassicGroupMemberHeartbeatExpiration`).

use super::join::validate_member;
use super::{CoordinatorResult, GroupCoordinatorShard};
use crate::api::{
    CoordinatorResponse, HeartbeatRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, LeftMember, RequestHandle, SyncGroupRequest, SyncGroupResponse,
};
use crate::error::GroupError;
use crate::group::GroupState;
use crate::records::CoordinatorRecord;

impl GroupCoordinatorShard {
    /// SyncGroup. Followers are parked until the leader's assignment is stored; the leader's
    /// call emits the `GroupMetadata` record and every parked member's response.
    pub fn sync_group(
        &mut self,
        handle: RequestHandle,
        request: &SyncGroupRequest,
        now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        if let Err(error) = self.sync_group_inner(handle, request, now_ms, &mut out) {
            out.responses.push((
                handle,
                CoordinatorResponse::Sync(SyncGroupResponse::error(error)),
            ));
        }
        self.finish(out)
    }

    fn sync_group_inner(
        &mut self,
        handle: RequestHandle,
        request: &SyncGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let group = self.group(&request.group_id)?;
        if group.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        validate_member(
            group,
            &request.member_id,
            request.group_instance_id.as_deref(),
        )?;
        if request.generation_id != group.generation {
            return Err(GroupError::IllegalGeneration);
        }
        let type_matches = request
            .protocol_type
            .as_ref()
            .is_none_or(|t| group.protocol_type.as_ref() == Some(t));
        let name_matches = request
            .protocol_name
            .as_ref()
            .is_none_or(|n| group.protocol_name.as_ref() == Some(n));
        if !type_matches || !name_matches {
            return Err(GroupError::InconsistentGroupProtocol);
        }
        match group.state {
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
            GroupState::PreparingRebalance => Err(GroupError::RebalanceInProgress),
            GroupState::Stable => {
                let response = sync_response(group, &request.member_id);
                self.group_mut(&request.group_id)?
                    .pending_sync
                    .shift_remove(&request.member_id);
                self.touch_member(&request.group_id, &request.member_id, now_ms);
                out.responses
                    .push((handle, CoordinatorResponse::Sync(response)));
                Ok(())
            }
            GroupState::CompletingRebalance => {
                let is_leader = group.is_leader(&request.member_id);
                let group = self.group_mut(&request.group_id)?;
                group.pending_sync.shift_remove(&request.member_id);
                if let Some(member) = group.members.get_mut(&request.member_id)
                    && let Some(previous) = member.awaiting_sync.replace(handle)
                {
                    let retry = SyncGroupResponse::error(GroupError::RebalanceInProgress);
                    out.responses
                        .push((previous, CoordinatorResponse::Sync(retry)));
                }
                self.touch_member(&request.group_id, &request.member_id, now_ms);
                if is_leader {
                    self.store_assignment(request, now_ms, out)?;
                }
                Ok(())
            }
        }
    }

    /// The leader's SyncGroup: persist the generation with its assignment; replaying the
    /// record makes the group Stable, then every parked SyncGroup is answered.
    fn store_assignment(
        &mut self,
        request: &SyncGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let assignments = request.assignments.clone();
        let lookup = move |id: &str| {
            assignments
                .iter()
                .find(|(member_id, _)| member_id == id)
                .map(|(_, assignment)| assignment.clone())
                .unwrap_or_default()
        };
        let value = self.group(&request.group_id)?.to_record(&lookup, now_ms);
        let record = CoordinatorRecord::GroupMetadata {
            group: request.group_id.clone(),
            value: Some(value),
        };
        self.emit(out, record);
        let group = self.group_mut(&request.group_id)?;
        if group.state != GroupState::Stable {
            return Ok(());
        }
        let member_ids: Vec<String> = group.members.keys().cloned().collect();
        for member_id in member_ids {
            let response = sync_response(group, &member_id);
            if let Some(sync) = group
                .members
                .get_mut(&member_id)
                .and_then(|m| m.awaiting_sync.take())
            {
                out.responses
                    .push((sync, CoordinatorResponse::Sync(response)));
            }
        }
        Ok(())
    }

    /// Heartbeat: restarts the member's session timer; REBALANCE_IN_PROGRESS tells it to
    /// rejoin.
    pub fn heartbeat(
        &mut self,
        handle: RequestHandle,
        request: &HeartbeatRequest,
        now_ms: i64,
    ) -> CoordinatorResult {
        let error = self.heartbeat_inner(request, now_ms).err();
        let out = CoordinatorResult {
            responses: vec![(handle, CoordinatorResponse::Heartbeat(error))],
            ..CoordinatorResult::default()
        };
        self.finish(out)
    }

    fn heartbeat_inner(
        &mut self,
        request: &HeartbeatRequest,
        now_ms: i64,
    ) -> Result<(), GroupError> {
        let group = self.group(&request.group_id)?;
        if group.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        validate_member(
            group,
            &request.member_id,
            request.group_instance_id.as_deref(),
        )?;
        if request.generation_id != group.generation {
            return Err(GroupError::IllegalGeneration);
        }
        match group.state {
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
            GroupState::PreparingRebalance => {
                self.touch_member(&request.group_id, &request.member_id, now_ms);
                Err(GroupError::RebalanceInProgress)
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.touch_member(&request.group_id, &request.member_id, now_ms);
                Ok(())
            }
        }
    }

    /// LeaveGroup (batched members since v3, KIP-345). Each leaving member triggers the
    /// state change Kafka's `removeMemberAndUpdateClassicGroup` makes.
    pub fn leave_group(
        &mut self,
        handle: RequestHandle,
        request: &LeaveGroupRequest,
        now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        let response = self.leave_group_inner(request, now_ms, &mut out);
        out.responses
            .push((handle, CoordinatorResponse::Leave(response)));
        self.finish(out)
    }

    fn leave_group_inner(
        &mut self,
        request: &LeaveGroupRequest,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> LeaveGroupResponse {
        let state = self.groups.get(&request.group_id).map(|g| g.state);
        let group_error = match state {
            None => Some(GroupError::UnknownMemberId),
            Some(GroupState::Dead) => Some(GroupError::CoordinatorNotAvailable),
            Some(_) => None,
        };
        if group_error.is_some() {
            return LeaveGroupResponse {
                error: group_error,
                members: Vec::new(),
            };
        }
        let mut members = Vec::with_capacity(request.members.len());
        for leaving in &request.members {
            let error = self
                .leave_member(&request.group_id, leaving, now_ms, out)
                .err();
            members.push(LeftMember {
                member_id: leaving.member_id.clone(),
                group_instance_id: leaving.group_instance_id.clone(),
                error,
            });
        }
        LeaveGroupResponse {
            error: None,
            members,
        }
    }

    fn leave_member(
        &mut self,
        group_id: &str,
        leaving: &crate::api::LeavingMember,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        let group = self.group_mut(group_id)?;
        let member_id = match &leaving.group_instance_id {
            Some(instance_id) => {
                let existing = group
                    .static_member_id(instance_id)
                    .ok_or(GroupError::UnknownMemberId)?;
                if !leaving.member_id.is_empty() && leaving.member_id != existing {
                    return Err(GroupError::FencedInstanceId);
                }
                existing
            }
            None => {
                if group
                    .pending_members
                    .shift_remove(&leaving.member_id)
                    .is_some()
                {
                    // KIP-394: a pending member leaving just forgets its id.
                    self.maybe_complete_join(group_id, now_ms, out);
                    return Ok(());
                }
                if !group.members.contains_key(&leaving.member_id) {
                    return Err(GroupError::UnknownMemberId);
                }
                leaving.member_id.clone()
            }
        };
        self.remove_member(group_id, &member_id, now_ms, out);
        Ok(())
    }

    /// Kafka `removeMemberAndUpdateClassicGroup`: a parked JoinGroup gets UNKNOWN_MEMBER_ID
    /// (so a live client rejoins); a Stable or CompletingRebalance group rebalances; a
    /// PreparingRebalance group may now complete its join.
    pub(super) fn remove_member(
        &mut self,
        group_id: &str,
        member_id: &str,
        now_ms: i64,
        out: &mut CoordinatorResult,
    ) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        let Some(member) = group.remove(member_id) else {
            return;
        };
        if let Some(join) = member.awaiting_join {
            let gone = JoinGroupResponse::error(GroupError::UnknownMemberId, member_id);
            out.responses.push((join, CoordinatorResponse::Join(gone)));
        }
        if let Some(sync) = member.awaiting_sync {
            let gone = SyncGroupResponse::error(GroupError::UnknownMemberId);
            out.responses.push((sync, CoordinatorResponse::Sync(gone)));
        }
        match group.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(group_id, now_ms, out)
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(group_id, now_ms, out),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    /// Runs the group's due timers.
    pub(super) fn tick_group(&mut self, group_id: &str, now_ms: i64, out: &mut CoordinatorResult) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        // Members loaded by replay start their session now.
        for member in group.members.values_mut() {
            if member.heartbeat_deadline_ms.is_none() {
                member.heartbeat_deadline_ms = Some(now_ms + i64::from(member.session_timeout_ms));
            }
        }
        let expired_pending: Vec<String> = group
            .pending_members
            .iter()
            .filter(|(_, deadline)| **deadline <= now_ms)
            .map(|(id, _)| id.clone())
            .collect();
        for member_id in &expired_pending {
            group.pending_members.shift_remove(member_id);
        }
        // Members parked in JoinGroup or SyncGroup are waiting on us and do not expire
        // (Kafka `ClassicGroupMember.shouldKeepAlive` … here simplified to "parked").
        let expired: Vec<String> = group
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && m.awaiting_sync.is_none())
            .filter(|m| m.heartbeat_deadline_ms.is_some_and(|d| d <= now_ms))
            .map(|m| m.member_id.clone())
            .collect();
        let sync_due = group.sync_deadline_ms.is_some_and(|d| d <= now_ms);
        let join_due = group.join_deadline_ms.is_some_and(|d| d <= now_ms);
        if !expired_pending.is_empty() {
            self.maybe_complete_join(group_id, now_ms, out);
        }
        for member_id in &expired {
            self.remove_member(group_id, member_id, now_ms, out);
        }
        if sync_due {
            self.on_sync_deadline(group_id, now_ms, out);
        }
        if join_due
            && self
                .groups
                .get(group_id)
                .is_some_and(|g| g.join_deadline_ms.is_some_and(|d| d <= now_ms))
        {
            self.on_join_deadline(group_id, now_ms, out);
        }
    }

    /// Kafka `expirePendingSync`: members that never sent SyncGroup within the rebalance
    /// timeout are removed, which rebalances the group.
    fn on_sync_deadline(&mut self, group_id: &str, now_ms: i64, out: &mut CoordinatorResult) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        group.sync_deadline_ms = None;
        if !matches!(
            group.state,
            GroupState::CompletingRebalance | GroupState::Stable
        ) {
            return;
        }
        let laggards: Vec<String> = group.pending_sync.iter().cloned().collect();
        group.pending_sync.clear();
        for member_id in &laggards {
            self.remove_member(group_id, member_id, now_ms, out);
        }
    }
}

fn sync_response(group: &crate::group::ClassicGroup, member_id: &str) -> SyncGroupResponse {
    SyncGroupResponse {
        error: None,
        protocol_type: group.protocol_type.clone(),
        protocol_name: group.protocol_name.clone(),
        assignment: group
            .members
            .get(member_id)
            .map(|m| m.assignment.clone())
            .unwrap_or_default(),
    }
}
