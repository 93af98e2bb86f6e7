//! KIP-848 consumer groups (`group.protocol=consumer`): the in-memory group rebuilt from the
//! `ConsumerGroup*` records, and member reconciliation (Kafka `ConsumerGroup`,
//! `ConsumerGroupMember`, `CurrentAssignmentBuilder`).
//!
//! The group has an *epoch* bumped whenever its membership, a subscription or a subscribed
//! topic's partitions change; the *target assignment* is computed by a server-side assignor
//! ([`assignor`]) for the group epoch. Each member converges to its target one step at a
//! time: partitions it must give up are revoked first (state `UnrevokedPartitions`, member
//! epoch unchanged); only once the member reports them gone does it get the new epoch, and a
//! partition is handed to a member only when no other member still owns it
//! (`UnreleasedPartitions` until then).
//!
//! Persisted: group epoch, member subscriptions, target assignment (with its epoch) and each
//! member's current assignment. Transient (lost on failover, as in Kafka's timers): session
//! and revocation deadlines, the assignment last sent.

pub mod api;
pub mod assignor;
mod reconcile;

use std::collections::BTreeMap;

pub use reconcile::reconcile;

use crate::records::{
    ConsumerGroupRecord, ConsumerMemberAssignment, ConsumerMemberMetadata, TopicPartitions,
};

/// Kafka `MemberState` (`ConsumerGroupCurrentMemberAssignmentValue.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// The member must revoke partitions before getting its new epoch.
    UnrevokedPartitions,
    /// The member has its epoch but waits for partitions other members still own.
    UnreleasedPartitions,
    /// The member owns its target assignment.
    Stable,
}

impl MemberState {
    /// Kafka's byte value.
    pub fn value(self) -> i8 {
        match self {
            Self::UnrevokedPartitions => 0,
            Self::UnreleasedPartitions => 1,
            Self::Stable => 2,
        }
    }

    /// Decodes Kafka's byte value (unknown values read as Stable).
    pub fn from_value(value: i8) -> Self {
        match value {
            0 => Self::UnrevokedPartitions,
            1 => Self::UnreleasedPartitions,
            _ => Self::Stable,
        }
    }

    /// Kafka's printed name.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnrevokedPartitions => "UNREVOKED_PARTITIONS",
            Self::UnreleasedPartitions => "UNRELEASED_PARTITIONS",
            Self::Stable => "STABLE",
        }
    }
}

/// One member of a consumer group.
#[derive(Debug, Clone)]
pub struct ConsumerMember {
    /// Member id.
    pub member_id: String,
    /// Subscription and client details (persisted).
    pub metadata: ConsumerMemberMetadata,
    /// The epoch the member must send next.
    pub member_epoch: i32,
    /// The epoch before the last bump.
    pub previous_member_epoch: i32,
    /// Reconciliation state.
    pub state: MemberState,
    /// Partitions the member owns.
    pub assigned: TopicPartitions,
    /// Partitions it must revoke.
    pub pending_revocation: TopicPartitions,
    /// When its session expires (transient).
    pub session_deadline_ms: Option<i64>,
    /// When a pending revocation times out (transient).
    pub revocation_deadline_ms: Option<i64>,
    /// The assignment last sent in a heartbeat response (transient).
    pub last_sent: Option<TopicPartitions>,
}

impl ConsumerMember {
    pub(crate) fn new(member_id: String) -> Self {
        Self {
            member_id,
            metadata: ConsumerMemberMetadata::default(),
            member_epoch: 0,
            previous_member_epoch: -1,
            state: MemberState::Stable,
            assigned: TopicPartitions::new(),
            pending_revocation: TopicPartitions::new(),
            session_deadline_ms: None,
            revocation_deadline_ms: None,
            last_sent: None,
        }
    }

    /// The current-assignment record value of this member.
    pub fn assignment_value(&self) -> ConsumerMemberAssignment {
        ConsumerMemberAssignment {
            member_epoch: self.member_epoch,
            previous_member_epoch: self.previous_member_epoch,
            state: self.state.value(),
            assigned: self.assigned.clone(),
            pending_revocation: self.pending_revocation.clone(),
        }
    }
}

/// A KIP-848 consumer group.
#[derive(Debug, Clone, Default)]
pub struct ConsumerGroup {
    /// Group id.
    pub group_id: String,
    /// Group epoch.
    pub epoch: i32,
    /// Epoch of the target assignment.
    pub target_epoch: i32,
    /// Target assignment per member.
    pub target: BTreeMap<String, TopicPartitions>,
    /// Members by id.
    pub members: BTreeMap<String, ConsumerMember>,
    /// Hash of the subscribed topics' ids and partition counts (transient; a change bumps
    /// the epoch, as KIP-1101's metadata hash does).
    pub metadata_hash: Option<u64>,
}

impl ConsumerGroup {
    /// Kafka `ConsumerGroup.ConsumerGroupState` name: Empty, Assigning, Reconciling, Stable.
    pub fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.target_epoch != self.epoch {
            "Assigning"
        } else if self
            .members
            .values()
            .any(|m| m.member_epoch != self.target_epoch || m.state != MemberState::Stable)
        {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    /// Topics any member subscribes to.
    pub fn subscribed_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .members
            .values()
            .flat_map(|m| m.metadata.subscribed_topics.iter().cloned())
            .collect();
        topics.sort();
        topics.dedup();
        topics
    }

    /// Whether a member other than `member_id` owns or is still revoking (topic, partition).
    pub fn owned_by_other(&self, member_id: &str, topic: &[u8; 16], partition: i32) -> bool {
        self.members.values().any(|m| {
            m.member_id != member_id
                && (m
                    .assigned
                    .get(topic)
                    .is_some_and(|s| s.contains(&partition))
                    || m.pending_revocation
                        .get(topic)
                        .is_some_and(|s| s.contains(&partition)))
        })
    }

    fn member_mut(&mut self, member_id: &str) -> &mut ConsumerMember {
        self.members
            .entry(member_id.to_string())
            .or_insert_with(|| ConsumerMember::new(member_id.to_string()))
    }
}

/// Applies one consumer-group record to `groups` (Kafka `GroupMetadataManager.replay` for the
/// `ConsumerGroup*` records).
pub fn replay(groups: &mut BTreeMap<String, ConsumerGroup>, record: &ConsumerGroupRecord) {
    let group_id = record.group_id().to_string();
    if let ConsumerGroupRecord::Metadata { epoch: None, .. } = record {
        groups.remove(&group_id);
        return;
    }
    let group = groups
        .entry(group_id.clone())
        .or_insert_with(|| ConsumerGroup {
            group_id,
            ..ConsumerGroup::default()
        });
    match record {
        ConsumerGroupRecord::Metadata { epoch, .. } => group.epoch = epoch.unwrap_or(0),
        ConsumerGroupRecord::TargetMetadata { epoch, .. } => {
            if let Some(epoch) = epoch {
                group.target_epoch = *epoch;
            }
        }
        ConsumerGroupRecord::Member { member, value, .. } => match value {
            Some(metadata) => group.member_mut(member).metadata = metadata.clone(),
            None => {
                group.members.remove(member);
            }
        },
        ConsumerGroupRecord::TargetMember { member, value, .. } => match value {
            Some(target) => {
                group.target.insert(member.clone(), target.clone());
            }
            None => {
                group.target.remove(member);
            }
        },
        ConsumerGroupRecord::CurrentAssignment { member, value, .. } => {
            if let Some(value) = value {
                let m = group.member_mut(member);
                m.member_epoch = value.member_epoch;
                m.previous_member_epoch = value.previous_member_epoch;
                m.state = MemberState::from_value(value.state);
                m.assigned = value.assigned.clone();
                m.pending_revocation = value.pending_revocation.clone();
            }
        }
    }
}
