//! The in-memory classic group: members, state and generation (Kafka
//! `org.apache.kafka.coordinator.group.classic.ClassicGroup` and `ClassicGroupMember`).
//!
//! The persisted part (generation, protocol, leader, members with subscription and
//! assignment) comes from `GroupMetadata` records through the shard's `replay`. The rebalance
//! bookkeeping (who is awaiting a JoinGroup or SyncGroup response, KIP-394 pending members,
//! deadlines) is transient, as in Kafka, where it lives in futures and timers and is lost on
//! coordinator failover: clients simply rejoin.

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};

use crate::api::RequestHandle;
use crate::records::{GroupMetadataValue, MemberMetadata};

/// Kafka's classic group states (`ClassicGroupState`), with their printed names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// No members; offsets may exist.
    Empty,
    /// Collecting JoinGroup requests for the next generation.
    PreparingRebalance,
    /// Generation formed; waiting for the leader's SyncGroup.
    CompletingRebalance,
    /// Assignment stored and handed out.
    Stable,
    /// Being deleted.
    Dead,
}

impl GroupState {
    /// The name Kafka prints and ListGroups filters on (KIP-518).
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Stable => "Stable",
            Self::Dead => "Dead",
        }
    }
}

/// One member of a classic group.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) member_id: String,
    pub(crate) group_instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) session_timeout_ms: i32,
    /// Supported protocols in preference order: (name, metadata).
    pub(crate) protocols: Vec<(String, Bytes)>,
    pub(crate) assignment: Bytes,
    /// The parked JoinGroup request, answered when the join phase completes.
    pub(crate) awaiting_join: Option<RequestHandle>,
    /// The parked SyncGroup request, answered when the leader's assignment is stored.
    pub(crate) awaiting_sync: Option<RequestHandle>,
    /// When the session expires without a heartbeat; `None` until the first tick after
    /// loading (replay takes no clock).
    pub(crate) heartbeat_deadline_ms: Option<i64>,
}

impl Member {
    /// The member's metadata for `protocol` (empty when it does not support it).
    pub(crate) fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, metadata)| metadata.clone())
            .unwrap_or_default()
    }

    /// Kafka `ClassicGroupMember.matches`: same protocols, same metadata, same order.
    pub(crate) fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    fn from_record(record: &MemberMetadata, protocol: Option<&str>) -> Self {
        Self {
            member_id: record.member_id.clone(),
            group_instance_id: record.group_instance_id.clone(),
            client_id: record.client_id.clone(),
            client_host: record.client_host.clone(),
            rebalance_timeout_ms: record.rebalance_timeout_ms,
            session_timeout_ms: record.session_timeout_ms,
            protocols: protocol
                .map(|name| vec![(name.to_string(), record.subscription.clone())])
                .unwrap_or_default(),
            assignment: record.assignment.clone(),
            awaiting_join: None,
            awaiting_sync: None,
            heartbeat_deadline_ms: None,
        }
    }
}

/// The delay of Kafka's `InitialDelayedJoin`: the first rebalance of an empty group waits
/// `group.initial.rebalance.delay.ms`, again and again while new members arrive, up to the
/// rebalance timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InitialDelay {
    pub(crate) delay_ms: i64,
    pub(crate) remaining_ms: i64,
}

/// A classic group.
#[derive(Debug, Clone)]
pub(crate) struct ClassicGroup {
    pub(crate) group_id: String,
    pub(crate) state: GroupState,
    /// When the group entered `state` (-1 unknown, e.g. a simple group created by replay).
    pub(crate) state_timestamp_ms: i64,
    pub(crate) generation: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol_name: Option<String>,
    pub(crate) leader: Option<String>,
    /// Members in join order (the order decides the next leader, as Kafka's map does).
    pub(crate) members: IndexMap<String, Member>,
    /// KIP-394: member ids handed out with MEMBER_ID_REQUIRED, with their expiry.
    pub(crate) pending_members: IndexMap<String, i64>,
    /// Members of the current generation that have not sent SyncGroup yet.
    pub(crate) pending_sync: IndexSet<String>,
    /// When the join phase completes even if members are missing.
    pub(crate) join_deadline_ms: Option<i64>,
    /// Set while the initial delayed join runs.
    pub(crate) initial_delay: Option<InitialDelay>,
    /// A member joined since the initial delay was (re)armed.
    pub(crate) new_member_added: bool,
    /// When members that have not synced are removed.
    pub(crate) sync_deadline_ms: Option<i64>,
}

impl ClassicGroup {
    /// A new empty group (JoinGroup of a new group id, or a simple group's first commit).
    pub(crate) fn new(group_id: String, now_ms: i64) -> Self {
        Self {
            group_id,
            state: GroupState::Empty,
            state_timestamp_ms: now_ms,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: IndexMap::new(),
            pending_members: IndexMap::new(),
            pending_sync: IndexSet::new(),
            join_deadline_ms: None,
            initial_delay: None,
            new_member_added: false,
            sync_deadline_ms: None,
        }
    }

    /// A group rebuilt from its latest `GroupMetadata` record: Empty without members, else
    /// Stable (Kafka `GroupMetadataManager.replay(GroupMetadataKey, GroupMetadataValue)`).
    pub(crate) fn from_record(group_id: String, value: &GroupMetadataValue) -> Self {
        let mut group = Self::new(group_id, value.current_state_timestamp);
        group.generation = value.generation;
        group.protocol_type = Some(value.protocol_type.clone()).filter(|t| !t.is_empty());
        group.protocol_name = value.protocol.clone();
        group.leader = value.leader.clone();
        for record in &value.members {
            let member = Member::from_record(record, value.protocol.as_deref());
            group.members.insert(member.member_id.clone(), member);
        }
        group.state = if group.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
        group
    }

    pub(crate) fn transition(&mut self, state: GroupState, now_ms: i64) {
        self.state = state;
        self.state_timestamp_ms = now_ms;
    }

    pub(crate) fn is_leader(&self, member_id: &str) -> bool {
        self.leader.as_deref() == Some(member_id)
    }

    /// The member id holding `instance_id` (KIP-345).
    pub(crate) fn static_member_id(&self, instance_id: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.group_instance_id.as_deref() == Some(instance_id))
            .map(|m| m.member_id.clone())
    }

    /// The largest rebalance timeout of the members (the join phase's bound).
    pub(crate) fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn awaiting_join_count(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.awaiting_join.is_some())
            .count()
    }

    /// Kafka `hasAllMembersJoined`: every member is awaiting join and no KIP-394 member is
    /// still pending.
    pub(crate) fn all_members_joined(&self) -> bool {
        self.awaiting_join_count() == self.members.len() && self.pending_members.is_empty()
    }

    /// Kafka `supportsProtocols`: an empty group takes any non-empty type and protocol list;
    /// otherwise the type must match and one protocol must be supported by every member.
    pub(crate) fn supports_protocols(
        &self,
        protocol_type: &str,
        protocols: &[(String, Bytes)],
    ) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(own, _)| own == name))
            })
    }

    /// Kafka `acceptJoiningMember`: the group.max.size check, by state.
    pub(crate) fn accepts_joining_member(&self, member_id: &str, group_size_max: usize) -> bool {
        match self.state {
            GroupState::Empty | GroupState::Dead => true,
            GroupState::PreparingRebalance => {
                self.members
                    .get(member_id)
                    .is_some_and(|m| m.awaiting_join.is_some())
                    || self.awaiting_join_count() < group_size_max
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.members.contains_key(member_id) || self.members.len() < group_size_max
            }
        }
    }

    /// Adds a member; the first member of an empty group sets the protocol type and the
    /// first member ever becomes leader.
    pub(crate) fn add(&mut self, member: Member, protocol_type: &str) {
        if self.members.is_empty() {
            self.protocol_type = Some(protocol_type.to_string());
        }
        if self.leader.is_none() {
            self.leader = Some(member.member_id.clone());
        }
        self.pending_members.shift_remove(&member.member_id);
        self.members.insert(member.member_id.clone(), member);
    }

    /// Removes a member; a removed leader is replaced by the first remaining member.
    pub(crate) fn remove(&mut self, member_id: &str) -> Option<Member> {
        let member = self.members.shift_remove(member_id)?;
        self.pending_sync.shift_remove(member_id);
        if self.is_leader(member_id) {
            self.leader = self.members.keys().next().cloned();
        }
        Some(member)
    }

    /// Kafka `maybeElectNewJoinedLeader`: keep a leader that rejoined, else pick the first
    /// member that did; `false` when no member rejoined.
    pub(crate) fn elect_joined_leader(&mut self) -> bool {
        let Some(leader) = self.leader.clone() else {
            return false;
        };
        if self
            .members
            .get(&leader)
            .is_some_and(|m| m.awaiting_join.is_some())
        {
            return true;
        }
        match self.members.values().find(|m| m.awaiting_join.is_some()) {
            Some(member) => {
                self.leader = Some(member.member_id.clone());
                true
            }
            None => false,
        }
    }

    /// Kafka `selectProtocol`: among the protocols every member supports, each member votes
    /// for its most preferred; most votes wins, ties to the first candidate in the first
    /// member's preference order (Kafka leaves ties to hash order).
    pub(crate) fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(own, _)| own == name))
            })
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for member in self.members.values() {
            let choice = member
                .protocols
                .iter()
                .find(|(name, _)| candidates.contains(&name.as_str()));
            if let Some((name, _)) = choice
                && let Some(entry) = votes.iter_mut().find(|(c, _)| c == name)
            {
                entry.1 += 1;
            }
        }
        let best = votes.iter().map(|(_, count)| *count).max()?;
        votes
            .into_iter()
            .find(|(_, count)| *count == best)
            .map(|(name, _)| name.to_string())
    }

    /// Kafka `initNextGeneration`: bump the generation; with members pick the protocol and
    /// go to CompletingRebalance (everyone pending sync), without members go Empty.
    pub(crate) fn init_next_generation(&mut self, now_ms: i64) {
        self.generation += 1;
        self.pending_sync.clear();
        if self.members.is_empty() {
            self.protocol_name = None;
            self.transition(GroupState::Empty, now_ms);
        } else {
            self.protocol_name = self.select_protocol();
            self.pending_sync.extend(self.members.keys().cloned());
            self.transition(GroupState::CompletingRebalance, now_ms);
        }
    }

    /// The `GroupMetadata` value for the current generation with `assignment` per member
    /// (missing members get an empty assignment, as Kafka's SyncGroup handling does).
    pub(crate) fn to_record(
        &self,
        assignment: &dyn Fn(&str) -> Bytes,
        now_ms: i64,
    ) -> GroupMetadataValue {
        let protocol = self.protocol_name.clone();
        GroupMetadataValue {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation,
            protocol: protocol.clone(),
            leader: self.leader.clone(),
            current_state_timestamp: now_ms,
            members: self
                .members
                .values()
                .map(|m| MemberMetadata {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    session_timeout_ms: m.session_timeout_ms,
                    subscription: protocol
                        .as_deref()
                        .map(|p| m.metadata(p))
                        .unwrap_or_default(),
                    assignment: assignment(&m.member_id),
                })
                .collect(),
        }
    }
}
