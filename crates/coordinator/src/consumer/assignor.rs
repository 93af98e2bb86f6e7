//! Server-side assignors of KIP-848 (`group.consumer.assignors`, Kafka
//! `org.apache.kafka.coordinator.group.assignor`): `uniform` (the default, sticky) and
//! `range`. Both are pure functions of the members' subscriptions, the topics' partition
//! counts and (for `uniform`) the previous target assignment; iteration orders are sorted so
//! the result is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use crate::records::TopicPartitions;

/// The name of Kafka's default server assignor (`UniformAssignor.NAME`).
pub const UNIFORM: &str = "uniform";
/// `RangeAssignor.NAME`.
pub const RANGE: &str = "range";

/// What an assignor sees of a member.
#[derive(Debug, Clone)]
pub struct AssignorMember<'a> {
    /// Subscribed topic ids (topics that exist).
    pub topics: BTreeSet<[u8; 16]>,
    /// The member's previous target assignment (stickiness).
    pub previous: Option<&'a TopicPartitions>,
}

/// Runs assignor `name` over `members` (by member id) and `partitions` (count per topic id).
/// `None` when the assignor is unknown.
pub fn assign(
    name: &str,
    members: &BTreeMap<String, AssignorMember<'_>>,
    partitions: &BTreeMap<[u8; 16], i32>,
) -> Option<BTreeMap<String, TopicPartitions>> {
    match name {
        UNIFORM => Some(uniform(members, partitions)),
        RANGE => Some(range(members, partitions)),
        _ => None,
    }
}

/// Kafka `RangeAssignor` (server side): per topic, the subscribed members in member-id
/// order get contiguous ranges; the first `partitions % members` get one extra.
fn range(
    members: &BTreeMap<String, AssignorMember<'_>>,
    partitions: &BTreeMap<[u8; 16], i32>,
) -> BTreeMap<String, TopicPartitions> {
    let mut out: BTreeMap<String, TopicPartitions> = members
        .keys()
        .map(|id| (id.clone(), TopicPartitions::new()))
        .collect();
    for (topic, count) in partitions {
        let subscribers: Vec<&String> = members
            .iter()
            .filter(|(_, m)| m.topics.contains(topic))
            .map(|(id, _)| id)
            .collect();
        if subscribers.is_empty() {
            continue;
        }
        let n = i32::try_from(subscribers.len()).unwrap_or(i32::MAX);
        let (base, extra) = (count / n, count % n);
        let mut next = 0;
        for (index, member) in subscribers.into_iter().enumerate() {
            let index = i32::try_from(index).unwrap_or(i32::MAX);
            let take = base + i32::from(index < extra);
            let set: BTreeSet<i32> = (next..next + take).collect();
            next += take;
            if !set.is_empty()
                && let Some(assignment) = out.get_mut(member)
            {
                assignment.insert(*topic, set);
            }
        }
    }
    out
}

/// A sticky uniform assignment (Kafka `UniformAssignor`, simplified to one algorithm for
/// homogeneous and heterogeneous subscriptions): every member gets a quota of
/// `total / members` (+1 for the remainder, preferring members that already hold more),
/// keeps as many of its previous partitions as its quota allows, and the rest are handed
/// to the subscribed member holding the fewest.
fn uniform(
    members: &BTreeMap<String, AssignorMember<'_>>,
    partitions: &BTreeMap<[u8; 16], i32>,
) -> BTreeMap<String, TopicPartitions> {
    let mut out: BTreeMap<String, TopicPartitions> = members
        .keys()
        .map(|id| (id.clone(), TopicPartitions::new()))
        .collect();
    if members.is_empty() {
        return out;
    }
    let subscribed: BTreeSet<[u8; 16]> = members.values().flat_map(|m| m.topics.clone()).collect();
    let total: usize = partitions
        .iter()
        .filter(|(t, _)| subscribed.contains(*t))
        .map(|(_, c)| usize::try_from(*c).unwrap_or(0))
        .sum();
    let base = total / members.len();
    let mut extra = total % members.len();
    // Members holding more than the base quota keep their extra partition first.
    let mut by_previous: Vec<(&String, usize)> = members
        .iter()
        .map(|(id, m)| {
            (
                id,
                m.previous
                    .map_or(0, |p| p.values().map(BTreeSet::len).sum()),
            )
        })
        .collect();
    by_previous.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut quota: BTreeMap<&String, usize> = BTreeMap::new();
    for (id, _) in by_previous {
        let bonus = usize::from(extra > 0);
        extra -= bonus;
        quota.insert(id, base + bonus);
    }
    let mut taken: BTreeSet<([u8; 16], i32)> = BTreeSet::new();
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    // Sticky phase.
    for (id, member) in members {
        let limit = quota.get(id).copied().unwrap_or(0);
        let mut held = 0;
        for (topic, set) in member.previous.into_iter().flatten() {
            let Some(count) = partitions.get(topic) else {
                continue;
            };
            if !member.topics.contains(topic) {
                continue;
            }
            for partition in set {
                if held >= limit || *partition >= *count || taken.contains(&(*topic, *partition)) {
                    continue;
                }
                taken.insert((*topic, *partition));
                held += 1;
                if let Some(assignment) = out.get_mut(id) {
                    assignment.entry(*topic).or_default().insert(*partition);
                }
            }
        }
        counts.insert(id, held);
    }
    // Fill phase: unassigned partitions to the subscribed member furthest below its quota
    // (ties to the smallest member id), else to the subscribed member holding the fewest.
    for (topic, count) in partitions {
        if !subscribed.contains(topic) {
            continue;
        }
        for partition in 0..*count {
            if taken.contains(&(*topic, partition)) {
                continue;
            }
            let pick = members
                .iter()
                .filter(|(_, m)| m.topics.contains(topic))
                .map(|(id, _)| {
                    let held = counts.get(id).copied().unwrap_or(0);
                    let room = quota.get(id).copied().unwrap_or(0).saturating_sub(held);
                    (id, room, held)
                })
                .max_by(|a, b| {
                    (a.1 > 0)
                        .cmp(&(b.1 > 0))
                        .then(b.2.cmp(&a.2))
                        .then(b.0.cmp(a.0))
                })
                .map(|(id, ..)| id);
            if let Some(id) = pick {
                *counts.entry(id).or_default() += 1;
                if let Some(assignment) = out.get_mut(id) {
                    assignment.entry(*topic).or_default().insert(partition);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const T: [u8; 16] = [1; 16];

    fn members<'a>(
        ids: &[&str],
        previous: &'a BTreeMap<String, TopicPartitions>,
    ) -> BTreeMap<String, AssignorMember<'a>> {
        ids.iter()
            .map(|id| {
                (
                    (*id).to_string(),
                    AssignorMember {
                        topics: [T].into(),
                        previous: previous.get(*id),
                    },
                )
            })
            .collect()
    }

    fn owned(assignment: &BTreeMap<String, TopicPartitions>, id: &str) -> Vec<i32> {
        assignment[id]
            .get(&T)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Kafka `RangeAssignorTest`: 6 partitions over 3 members in member-id order.
    #[test]
    fn range_gives_contiguous_ranges_in_member_id_order() {
        let none = BTreeMap::new();
        let out = assign(RANGE, &members(&["b", "a", "c"], &none), &[(T, 7)].into()).unwrap();
        assert_eq!(owned(&out, "a"), vec![0, 1, 2]);
        assert_eq!(owned(&out, "b"), vec![3, 4]);
        assert_eq!(owned(&out, "c"), vec![5, 6]);
    }

    /// Uniform: balanced, every partition exactly once, and sticky when a member joins (the
    /// existing members only lose partitions, never swap them).
    #[test]
    fn uniform_is_balanced_and_sticky() {
        let none = BTreeMap::new();
        let two = assign(UNIFORM, &members(&["a", "b"], &none), &[(T, 6)].into()).unwrap();
        assert_eq!(owned(&two, "a").len(), 3);
        assert_eq!(owned(&two, "b").len(), 3);
        let three = assign(UNIFORM, &members(&["a", "b", "c"], &two), &[(T, 6)].into()).unwrap();
        let mut all: Vec<i32> = ["a", "b", "c"]
            .iter()
            .flat_map(|m| owned(&three, m))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..6).collect::<Vec<_>>());
        for id in ["a", "b"] {
            assert_eq!(owned(&three, id).len(), 2);
            assert!(
                owned(&three, id)
                    .iter()
                    .all(|p| owned(&two, id).contains(p))
            );
        }
        assert_eq!(owned(&three, "c").len(), 2);
        assert!(assign("sticky", &members(&["a"], &none), &[(T, 1)].into()).is_none());
    }
}
