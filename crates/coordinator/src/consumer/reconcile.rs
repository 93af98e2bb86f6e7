//! One reconciliation step of a member towards its target assignment (Kafka
//! `CurrentAssignmentBuilder.build` / `computeNextAssignment`, KIP-848 "Member
//! Reconciliation").

use std::collections::BTreeSet;

use super::{ConsumerGroup, ConsumerMember, MemberState};
use crate::records::TopicPartitions;

/// The member's next state given the group's target assignment and, when the heartbeat
/// carried it, what the member says it owns. Returns the updated member (the caller persists
/// it when it differs).
pub fn reconcile(
    group: &ConsumerGroup,
    member: &ConsumerMember,
    owned: Option<&TopicPartitions>,
) -> ConsumerMember {
    let empty = TopicPartitions::new();
    let target = group.target.get(&member.member_id).unwrap_or(&empty);
    match member.state {
        MemberState::Stable if member.member_epoch == group.target_epoch => member.clone(),
        MemberState::UnrevokedPartitions => {
            // Only once the member no longer owns anything it must revoke.
            let still_owns =
                owned.is_none_or(|owned| intersects(owned, &member.pending_revocation));
            if still_owns {
                member.clone()
            } else {
                next_assignment(group, member, target)
            }
        }
        _ => next_assignment(group, member, target),
    }
}

fn intersects(a: &TopicPartitions, b: &TopicPartitions) -> bool {
    a.iter()
        .any(|(topic, set)| b.get(topic).is_some_and(|other| !set.is_disjoint(other)))
}

/// Kafka `computeNextAssignment`: revoke first; otherwise take the new epoch with the
/// partitions no other member still owns.
fn next_assignment(
    group: &ConsumerGroup,
    member: &ConsumerMember,
    target: &TopicPartitions,
) -> ConsumerMember {
    let mut kept = TopicPartitions::new();
    let mut revoke = TopicPartitions::new();
    let mut newly = TopicPartitions::new();
    let mut unreleased = false;
    let topics: BTreeSet<[u8; 16]> = member
        .assigned
        .keys()
        .chain(target.keys())
        .copied()
        .collect();
    let none = BTreeSet::new();
    for topic in topics {
        let current = member.assigned.get(&topic).unwrap_or(&none);
        let wanted = target.get(&topic).unwrap_or(&none);
        for partition in current {
            if wanted.contains(partition) {
                kept.entry(topic).or_default().insert(*partition);
            } else {
                revoke.entry(topic).or_default().insert(*partition);
            }
        }
        for partition in wanted.difference(current) {
            if group.owned_by_other(&member.member_id, &topic, *partition) {
                unreleased = true;
            } else {
                newly.entry(topic).or_default().insert(*partition);
            }
        }
    }
    let mut next = member.clone();
    if !revoke.is_empty() {
        next.state = MemberState::UnrevokedPartitions;
        next.assigned = kept;
        next.pending_revocation = revoke;
        return next;
    }
    if next.member_epoch != group.target_epoch {
        next.previous_member_epoch = next.member_epoch;
        next.member_epoch = group.target_epoch;
    }
    for (topic, set) in newly {
        kept.entry(topic).or_default().extend(set);
    }
    next.assigned = kept;
    next.pending_revocation = TopicPartitions::new();
    next.state = if unreleased {
        MemberState::UnreleasedPartitions
    } else {
        MemberState::Stable
    };
    next
}
