//! Goal: static membership (KIP-345, KIP-814) as Kafka's classic coordinator implements it:
//! a restarted static member takes its old slot without a rebalance, the old member id is
//! fenced, and the replacement survives a coordinator failover. Method: phases on one shard
//! with a virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::*;
use fjord_coordinator::*;

fn static_join(group: &str, member_id: &str, instance: &str) -> JoinGroupRequest {
    let mut request = join_request(group, member_id, instance);
    request.group_instance_id = Some(instance.to_string());
    request
}

/// Two static members i1, i2 in a Stable group; returns (generation, leader, [id1, id2]).
fn static_group(h: &mut Harness) -> (i32, String, Vec<String>) {
    // Static members skip the KIP-394 round trip: they are admitted on the first join.
    let handles = [
        h.join(&static_join("g", "", "i1")),
        h.join(&static_join("g", "", "i2")),
    ];
    h.advance(6_000);
    let responses: Vec<_> = handles
        .iter()
        .map(|hd| h.join_response(*hd).unwrap())
        .collect();
    assert!(responses.iter().all(|r| r.error.is_none()));
    let generation = responses[0].generation_id;
    let leader = responses[0].leader.clone();
    let ids: Vec<String> = responses.iter().map(|r| r.member_id.clone()).collect();
    let assignments = ids
        .iter()
        .map(|id| (id.clone(), Bytes::from(format!("a-{}", &id[..2]))))
        .collect();
    let follower = ids.iter().find(|id| **id != leader).unwrap().clone();
    let s1 = h.sync(&sync_request("g", generation, &follower, vec![]));
    let s0 = h.sync(&sync_request("g", generation, &leader, assignments));
    assert!(h.sync_response(s0).unwrap().error.is_none());
    assert!(h.sync_response(s1).unwrap().error.is_none());
    (generation, leader, ids)
}

#[test]
fn static_member_restart_keeps_slot_without_rebalance_kip_345() {
    let mut h = Harness::new();
    let (generation, leader, ids) = static_group(&mut h);
    let old_i2 = ids[1].clone();
    assert_ne!(old_i2, leader, "i2 joined second and is a follower");

    // Phase 1: i2 restarts (new process, no member id) within its session timeout.
    h.advance(5_000);
    assert_eq!(h.heartbeat("g", generation, &leader), None);
    let handle = h.join(&static_join("g", "", "i2"));
    let response = h
        .join_response(handle)
        .expect("answered at once: no rebalance");
    assert_eq!(response.error, None);
    assert_eq!(response.generation_id, generation, "same generation");
    assert_eq!(response.leader, leader);
    assert!(response.members.is_empty());
    assert_ne!(
        response.member_id, old_i2,
        "a fresh member id replaces the old one"
    );
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
    let new_i2 = response.member_id;

    // Phase 2: SyncGroup with the new id returns the slot's existing assignment.
    let handle = h.sync(&sync_request("g", generation, &new_i2, vec![]));
    assert_eq!(
        h.sync_response(handle).unwrap().assignment,
        Bytes::from(format!("a-{}", &old_i2[..2]))
    );

    // Phase 3: the old process is fenced (FENCED_INSTANCE_ID, 82).
    let handle = h.handle();
    let stale = HeartbeatRequest {
        group_id: "g".into(),
        generation_id: generation,
        member_id: old_i2.clone(),
        group_instance_id: Some("i2".into()),
    };
    let result = h.shard.heartbeat(handle, &stale, h.now);
    h.apply(result);
    assert_eq!(
        h.responses.remove(&handle),
        Some(CoordinatorResponse::Heartbeat(Some(
            GroupError::FencedInstanceId
        )))
    );
    let mut commit = commit_request("g", generation, &old_i2, &[("t", 0, 5)]);
    commit.group_instance_id = Some("i2".into());
    assert_eq!(
        h.commit(&commit)[0].1[0].1,
        Some(GroupError::FencedInstanceId)
    );

    // Phase 4: the replacement was persisted: a failover keeps the new id.
    let reloaded = h.reloaded();
    let described = reloaded.describe_group("g");
    assert_eq!(described.group_state, "Stable");
    let mut members: Vec<_> = described
        .members
        .iter()
        .map(|m| m.member_id.clone())
        .collect();
    members.sort();
    let mut expected = vec![leader.clone(), new_i2.clone()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(reloaded.group_generation("g"), Some(generation));
}

#[test]
fn static_leader_rejoin_skips_assignment_kip_814() {
    let mut h = Harness::new();
    let (generation, leader, _) = static_group(&mut h);
    let leader_instance = if h.shard.describe_group("g").members[0].member_id == leader {
        "i1"
    } else {
        "i2"
    };
    let handle = h.join(&static_join("g", "", leader_instance));
    let response = h.join_response(handle).unwrap();
    assert_eq!(response.generation_id, generation);
    assert!(
        response.skip_assignment,
        "v9 leader learns it must not reassign"
    );
    assert_eq!(
        response.leader, response.member_id,
        "the new id is the leader"
    );
    assert_eq!(
        response.members.len(),
        2,
        "and it gets the members to watch their metadata"
    );
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
}

#[test]
fn static_member_with_new_protocols_triggers_rebalance() {
    let mut h = Harness::new();
    let (generation, _, ids) = static_group(&mut h);
    let mut request = static_join("g", "", "i2");
    request.protocols = vec![("range".into(), subscription(&["t", "u"]))];
    let handle = h.join(&request);
    assert!(
        h.join_response(handle).is_none(),
        "parked: the group rebalances"
    );
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    // Static members that do not rejoin but stay alive are kept (not dropped at join
    // completion, unlike dynamic members); the generation forms at the rebalance timeout.
    for _ in 0..4 {
        h.advance(5_000);
        if !h.responses.contains_key(&handle) {
            assert_eq!(
                h.heartbeat("g", generation, &ids[0]),
                Some(GroupError::RebalanceInProgress)
            );
        }
    }
    let response = h
        .join_response(handle)
        .unwrap_or_else(|| panic!("join done at {}", h.now));
    assert_eq!(response.generation_id, generation + 1);
    assert_eq!(h.shard.describe_group("g").members.len(), 2);
}

#[test]
fn leave_group_by_instance_id_kip_345() {
    let mut h = Harness::new();
    let (_, _, ids) = static_group(&mut h);
    // A wrong member id for the instance is fenced; the member stays.
    let response = h.leave(
        "g",
        vec![LeavingMember {
            member_id: "someone-else".into(),
            group_instance_id: Some("i1".into()),
        }],
    );
    assert_eq!(
        response.members[0].error,
        Some(GroupError::FencedInstanceId)
    );
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
    // Batched leave (v3+): by instance id alone, plus an unknown instance.
    let response = h.leave(
        "g",
        vec![
            LeavingMember {
                member_id: String::new(),
                group_instance_id: Some("i2".into()),
            },
            LeavingMember {
                member_id: String::new(),
                group_instance_id: Some("i9".into()),
            },
        ],
    );
    assert_eq!(response.members[0].error, None);
    assert_eq!(response.members[1].error, Some(GroupError::UnknownMemberId));
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    assert!(
        h.shard
            .describe_group("g")
            .members
            .iter()
            .all(|m| m.member_id != ids[1])
    );
}
