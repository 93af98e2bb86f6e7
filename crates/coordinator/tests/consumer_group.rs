//! Goal: KIP-848 consumer groups behave as Kafka's `GroupMetadataManager.consumerGroupHeartbeat`
//! describes: a join bumps the group epoch and gets a target assignment from the server
//! assignor; when a member joins, partitions move only after their owner revoked them
//! (revocation before reassignment, `CurrentAssignmentBuilder`); stale epochs are fenced;
//! sessions expire after `group.consumer.session.timeout.ms`; the state replays from the
//! `ConsumerGroup*` records. Method: a shard driven on a virtual clock, failover by replay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use fjord_coordinator::records::TopicPartitions;
use fjord_coordinator::*;

const T: [u8; 16] = [9; 16];

fn topics() -> TopicsSnapshot {
    [(
        "t".to_string(),
        TopicInfo {
            id: T,
            partitions: 6,
        },
    )]
    .into()
}

struct Group {
    h: Harness,
    /// What each member owns as the client sees it, and its epoch.
    members: BTreeMap<String, (i32, BTreeSet<i32>)>,
}

impl Group {
    fn new() -> Self {
        let config = GroupCoordinatorConfig {
            consumer_session_timeout_ms: 10_000,
            ..GroupCoordinatorConfig::default()
        };
        Self {
            h: Harness::with_config(config),
            members: BTreeMap::new(),
        }
    }

    fn heartbeat(&mut self, request: ConsumerHeartbeatRequest) -> ConsumerHeartbeatResponse {
        let handle = self.h.handle();
        let result = self
            .h
            .shard
            .consumer_group_heartbeat(handle, &request, &topics(), self.h.now);
        self.h.apply(result);
        match self.h.responses.remove(&handle) {
            Some(CoordinatorResponse::ConsumerHeartbeat(response)) => response,
            other => panic!("expected a heartbeat response, got {other:?}"),
        }
    }

    /// A client's heartbeat: sends its epoch and what it owns; applies the assignment it
    /// gets (revoking first, as the client does).
    fn beat(&mut self, member: &str) -> ConsumerHeartbeatResponse {
        let (epoch, owned) = self
            .members
            .get(member)
            .cloned()
            .unwrap_or((0, BTreeSet::new()));
        let owned_tp: TopicPartitions = if owned.is_empty() {
            TopicPartitions::new()
        } else {
            [(T, owned.clone())].into()
        };
        let response = self.heartbeat(ConsumerHeartbeatRequest {
            api_version: 1,
            group_id: "g".into(),
            member_id: member.into(),
            member_epoch: epoch,
            rebalance_timeout_ms: 30_000,
            subscribed_topic_names: (epoch == 0).then(|| vec!["t".to_string()]),
            owned: Some(owned_tp),
            client_id: member.into(),
            client_host: "/127.0.0.1".into(),
            ..ConsumerHeartbeatRequest::default()
        });
        assert_eq!(response.error, None, "{member}: {response:?}");
        let mut now_owned = owned;
        if let Some(assignment) = &response.assignment {
            now_owned = assignment.get(&T).cloned().unwrap_or_default();
        }
        self.members
            .insert(member.into(), (response.member_epoch, now_owned));
        response
    }

    /// No partition owned twice, as clients see it.
    fn assert_disjoint(&self) {
        let mut seen = BTreeSet::new();
        for (id, (_, owned)) in &self.members {
            for p in owned {
                assert!(seen.insert(*p), "partition {p} owned twice (second: {id})");
            }
        }
    }

    fn converge(&mut self, members: &[&str]) {
        for _ in 0..6 {
            for m in members {
                self.beat(m);
                self.assert_disjoint();
            }
        }
    }

    fn owned(&self, member: &str) -> BTreeSet<i32> {
        self.members[member].1.clone()
    }
}

#[test]
fn members_join_revoke_before_reassignment_and_leave() {
    let mut g = Group::new();
    // Phase 1: a alone gets all six partitions at group epoch 1.
    let first = g.beat("a");
    assert_eq!(first.member_epoch, 1);
    assert_eq!(first.heartbeat_interval_ms, 5_000);
    assert_eq!(g.owned("a"), (0..6).collect());
    // Phase 2: b joins: a must revoke three before b gets them.
    g.beat("b");
    assert!(g.owned("b").is_empty(), "b gets nothing a still owns");
    let revoke = g.beat("a");
    assert_eq!(revoke.member_epoch, 1, "epoch unchanged until a revoked");
    assert_eq!(g.owned("a").len(), 3);
    g.converge(&["a", "b"]);
    assert_eq!(g.owned("b").len(), 3);
    let state = g.h.shard.consumer_group("g").unwrap();
    assert_eq!(state.epoch, 2);
    assert_eq!(state.state_name(), "Stable");
    // Phase 3: c joins; uniform is sticky: a and b only lose partitions.
    let (a2, b2) = (g.owned("a"), g.owned("b"));
    g.beat("c");
    g.converge(&["a", "b", "c"]);
    for m in ["a", "b", "c"] {
        assert_eq!(g.owned(m).len(), 2, "{m}");
    }
    assert!(g.owned("a").is_subset(&a2) && g.owned("b").is_subset(&b2));
    // Phase 4: failover: replaying the records gives the same epochs and assignments.
    let reloaded = g.h.reloaded();
    let live = g.h.shard.consumer_group("g").unwrap();
    let loaded = reloaded.consumer_group("g").unwrap();
    assert_eq!(
        (loaded.epoch, loaded.target_epoch),
        (live.epoch, live.target_epoch)
    );
    assert_eq!(loaded.target, live.target);
    for (id, member) in &live.members {
        let other = &loaded.members[id];
        assert_eq!(
            (other.member_epoch, &other.assigned, &other.metadata),
            (member.member_epoch, &member.assigned, &member.metadata)
        );
    }
    // Phase 5: c leaves (epoch -1): its partitions go to a and b.
    let (epoch, _) = g.members["c"].clone();
    let _ = epoch;
    let left = g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "c".into(),
        member_epoch: -1,
        ..ConsumerHeartbeatRequest::default()
    });
    assert_eq!((left.error, left.member_epoch), (None, -1));
    g.members.remove("c");
    g.converge(&["a", "b"]);
    assert_eq!(g.owned("a").len() + g.owned("b").len(), 6);
    g.assert_disjoint();
}

#[test]
fn stale_epochs_are_fenced_and_sessions_expire() {
    let mut g = Group::new();
    g.beat("a");
    g.beat("b");
    g.converge(&["a", "b"]);
    let epoch = g.members["a"].0;
    // A newer epoch than the member's is fenced (FENCED_MEMBER_EPOCH, 110).
    let fenced = g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "a".into(),
        member_epoch: epoch + 5,
        ..ConsumerHeartbeatRequest::default()
    });
    assert_eq!(fenced.error.map(GroupError::code), Some(110));
    // An unknown member with an epoch is UNKNOWN_MEMBER_ID (25).
    let unknown = g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "zz".into(),
        member_epoch: 1,
        ..ConsumerHeartbeatRequest::default()
    });
    assert_eq!(unknown.error.map(GroupError::code), Some(25));
    // An unknown server assignor is UNSUPPORTED_ASSIGNOR (112).
    let assignor = g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "x".into(),
        member_epoch: 0,
        subscribed_topic_names: Some(vec!["t".into()]),
        server_assignor: Some("sticky".into()),
        ..ConsumerHeartbeatRequest::default()
    });
    assert_eq!(assignor.error.map(GroupError::code), Some(112));
    // Offsets: a commit with the member's epoch is accepted, an old one is STALE (113).
    let mut commit = commit_request("g", epoch, "a", &[("t", 0, 5)]);
    assert_eq!(g.h.commit(&commit), vec![("t".into(), vec![(0, None)])]);
    commit.generation_id = epoch - 1;
    assert_eq!(
        g.h.commit(&commit),
        vec![("t".into(), vec![(0, Some(GroupError::StaleMemberEpoch))])]
    );
    // OffsetFetch v9 (Kafka `ConsumerGroup.validateOffsetFetch`): admin fetches pass, a
    // member must send its current epoch.
    let shard = &g.h.shard;
    assert_eq!(shard.validate_offset_fetch("g", None, -1), None);
    assert_eq!(shard.validate_offset_fetch("g", Some("a"), epoch), None);
    assert_eq!(
        shard.validate_offset_fetch("g", Some("a"), epoch - 1),
        Some(GroupError::StaleMemberEpoch)
    );
    assert_eq!(
        shard.validate_offset_fetch("g", Some("zz"), 1),
        Some(GroupError::UnknownMemberId)
    );
    assert_eq!(
        shard.validate_offset_fetch("classic-or-none", Some("a"), 7),
        None
    );
    // Only a heartbeats: b's session (10 s) expires and a takes everything.
    for _ in 0..4 {
        g.h.advance(4_000);
        g.beat("a");
    }
    let group = g.h.shard.consumer_group("g").unwrap();
    assert_eq!(group.members.keys().collect::<Vec<_>>(), vec!["a"]);
    g.members.remove("b");
    g.converge(&["a"]);
    assert_eq!(g.owned("a"), (0..6).collect());
}

#[test]
fn range_assignor_and_describe() {
    let mut g = Group::new();
    let join = |member: &str| ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: member.into(),
        member_epoch: 0,
        subscribed_topic_names: Some(vec!["t".into()]),
        server_assignor: Some("range".into()),
        owned: Some(TopicPartitions::new()),
        ..ConsumerHeartbeatRequest::default()
    };
    g.heartbeat(join("m1"));
    g.heartbeat(join("m2"));
    let described = g.h.shard.consumer_group_describe("g");
    assert_eq!(described.assignor_name, "range");
    assert_eq!(described.epoch, 2);
    let targets: Vec<Vec<i32>> = described
        .members
        .iter()
        .map(|m| m.target_assignment[&T].iter().copied().collect())
        .collect();
    assert_eq!(targets, vec![vec![0, 1, 2], vec![3, 4, 5]]);
    assert_eq!(
        g.h.shard.consumer_group_describe("nope").error,
        Some(GroupError::GroupIdNotFound)
    );
    // ListGroups v5 (KIP-848): the group is listed with type "consumer", filtered by type.
    let listed = g.h.shard.list_groups(&[], &[]);
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].group_id.as_str(),
            listed[0].group_type,
            listed[0].protocol_type.as_str()
        ),
        ("g", "consumer", "consumer")
    );
    assert!(g.h.shard.list_groups(&[], &["classic".into()]).is_empty());
    assert_eq!(g.h.shard.list_groups(&[], &["Consumer".into()]).len(), 1);
}

/// Kafka `consumerGroupRebalanceTimeout`: a member that never revokes what it must is
/// removed after its rebalance timeout, and the partitions go to the member waiting for them.
#[test]
fn member_that_never_revokes_is_removed_after_rebalance_timeout() {
    let mut g = Group::new();
    g.beat("a");
    g.beat("b");
    // a is asked to revoke three partitions but keeps claiming all six (rebalance timeout
    // 30 s in `beat`); it keeps heartbeating, so only the revocation timer can expire it.
    let stubborn = |g: &mut Group| {
        g.heartbeat(ConsumerHeartbeatRequest {
            group_id: "g".into(),
            member_id: "a".into(),
            member_epoch: 1,
            owned: Some([(T, (0..6).collect())].into()),
            ..ConsumerHeartbeatRequest::default()
        })
    };
    let response = stubborn(&mut g);
    assert_eq!(response.error, None);
    for _ in 0..7 {
        g.h.advance(4_000);
        g.beat("b");
        if g.h
            .shard
            .consumer_group("g")
            .unwrap()
            .members
            .contains_key("a")
        {
            stubborn(&mut g);
        }
    }
    assert!(
        !g.h.shard
            .consumer_group("g")
            .unwrap()
            .members
            .contains_key("a"),
        "a is fenced after the rebalance timeout"
    );
    g.members.remove("a");
    g.converge(&["b"]);
    assert_eq!(g.owned("b"), (0..6).collect());
}

/// KIP-848 static membership: a member with an instance id that leaves with epoch -2 keeps
/// its partitions; a new member id with the same instance id takes them over without a group
/// epoch bump; a second instance while the first is still in gets UNRELEASED_INSTANCE_ID
/// (111); a static member that never comes back expires after the session timeout.
#[test]
fn static_member_rejoins_with_its_partitions_and_no_epoch_bump() {
    let mut g = Group::new();
    let join = |member: &str| ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: member.into(),
        member_epoch: 0,
        instance_id: Some("instance-1".into()),
        rebalance_timeout_ms: 30_000,
        subscribed_topic_names: Some(vec!["t".into()]),
        owned: Some(TopicPartitions::new()),
        ..ConsumerHeartbeatRequest::default()
    };
    g.beat("a");
    let first = g.heartbeat(join("s1"));
    assert_eq!(first.error, None);
    g.members
        .insert("s1".into(), (first.member_epoch, BTreeSet::new()));
    g.converge(&["a", "s1"]);
    let owned_s1 = g.owned("s1");
    assert_eq!(owned_s1.len(), 3);
    let epoch = g.h.shard.consumer_group("g").unwrap().epoch;
    // A second instance while s1 is still in.
    let clash = g.heartbeat(join("s2"));
    assert_eq!(clash.error.map(GroupError::code), Some(111));
    // s1 leaves temporarily (epoch -2) and comes back as s2.
    let left = g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "s1".into(),
        member_epoch: -2,
        ..ConsumerHeartbeatRequest::default()
    });
    assert_eq!((left.error, left.member_epoch), (None, -2));
    g.members.remove("s1");
    g.beat("a");
    assert_eq!(
        g.owned("a").len(),
        3,
        "a does not get the static member's partitions"
    );
    let back = g.heartbeat(join("s2"));
    assert_eq!(back.error, None);
    assert_eq!(back.assignment.unwrap()[&T], owned_s1);
    let group = g.h.shard.consumer_group("g").unwrap();
    assert_eq!(group.epoch, epoch, "no rebalance");
    assert_eq!(group.members.keys().collect::<Vec<_>>(), vec!["a", "s2"]);
    // s2 leaves temporarily and never returns: after the session timeout a gets everything.
    g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "s2".into(),
        member_epoch: -2,
        ..ConsumerHeartbeatRequest::default()
    });
    for _ in 0..4 {
        g.h.advance(4_000);
        g.beat("a");
    }
    g.converge(&["a"]);
    assert_eq!(g.owned("a"), (0..6).collect());
}

/// KIP-496/KIP-848 admin operations on a consumer group (Kafka
/// `ConsumerGroup.validateOffsetDelete` / `validateDeleteGroup`): OffsetDelete refuses a
/// subscribed topic (GROUP_SUBSCRIBED_TO_TOPIC, 86) but deletes others; DeleteGroups refuses a
/// group with members (NON_EMPTY_GROUP, 68) and deletes an empty one with its offsets, which a
/// reload agrees with.
#[test]
fn offset_delete_and_delete_groups_on_a_consumer_group() {
    let mut g = Group::new();
    g.beat("a");
    let epoch = g.members["a"].0;
    g.h.commit(&commit_request(
        "g",
        epoch,
        "a",
        &[("t", 0, 4), ("old", 0, 2)],
    ));
    let call =
        |g: &mut Group,
         f: &dyn Fn(&mut GroupCoordinatorShard, RequestHandle, i64) -> CoordinatorResult| {
            let handle = g.h.handle();
            let result = f(&mut g.h.shard, handle, g.h.now);
            g.h.apply(result);
            g.h.responses.remove(&handle).unwrap()
        };
    let delete = |topic: &str| OffsetDeleteRequest {
        group_id: "g".into(),
        topics: vec![(topic.to_string(), vec![0])],
    };
    let (t, old) = (delete("t"), delete("old"));
    let in_use = call(&mut g, &|s, h, now| s.offset_delete(h, &t, now));
    let CoordinatorResponse::OffsetDelete(in_use) = in_use else {
        panic!("{in_use:?}")
    };
    assert_eq!(
        in_use.topics[0].1,
        vec![(0, Some(GroupError::GroupSubscribedToTopic))]
    );
    let gone = call(&mut g, &|s, h, now| s.offset_delete(h, &old, now));
    let CoordinatorResponse::OffsetDelete(gone) = gone else {
        panic!("{gone:?}")
    };
    assert_eq!(gone.topics[0].1, vec![(0, None)]);
    assert!(g.h.shard.committed_offset("g", "old", 0).is_none());

    let ids = vec!["g".to_string()];
    let busy = call(&mut g, &|s, h, now| s.delete_groups(h, &ids, now));
    assert_eq!(
        busy,
        CoordinatorResponse::DeleteGroups(vec![("g".into(), Some(GroupError::NonEmptyGroup))])
    );
    g.heartbeat(ConsumerHeartbeatRequest {
        group_id: "g".into(),
        member_id: "a".into(),
        member_epoch: -1,
        ..ConsumerHeartbeatRequest::default()
    });
    let deleted = call(&mut g, &|s, h, now| s.delete_groups(h, &ids, now));
    assert_eq!(
        deleted,
        CoordinatorResponse::DeleteGroups(vec![("g".into(), None)])
    );
    assert!(g.h.shard.consumer_group("g").is_none());
    assert!(g.h.shard.committed_offset("g", "t", 0).is_none());
    let reloaded = g.h.reloaded();
    assert!(reloaded.consumer_group("g").is_none());
    assert!(reloaded.committed_offset("g", "t", 0).is_none());
}
