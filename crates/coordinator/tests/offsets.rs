//! Goal: committed offsets and group administration behave as Kafka's classic coordinator
//! (`OffsetMetadataManager`, `ClassicGroup.validateOffsetCommit`, KIP-211 expiry, KIP-496
//! OffsetDelete, KIP-518 ListGroups filter) and survive a failover: replaying the written
//! records into a fresh shard gives the same offsets and group state. Method: phases on one
//! shard; failover = a new shard loaded from the writer's batches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fjord_coordinator::*;

fn fetch(
    shard: &GroupCoordinatorShard,
    group: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> OffsetFetchGroupResponse {
    shard.offset_fetch(&OffsetFetchGroupRequest {
        group_id: group.into(),
        topics,
    })
}

fn offsets_of(response: &OffsetFetchGroupResponse) -> Vec<(String, i32, i64)> {
    response
        .topics
        .iter()
        .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), p.partition, p.offset)))
        .collect()
}

#[test]
fn commit_then_replay_into_fresh_shard_gives_same_offsets_and_group() {
    let mut h = Harness::new();
    let (generation, leader, ids) = stable_group(&mut h, "g", &["c1", "c2"]);
    // Phase 1: members commit with the current generation.
    let errors = h.commit(&commit_request(
        "g",
        generation,
        &leader,
        &[("t", 0, 10), ("t", 1, 11), ("u", 0, 5)],
    ));
    assert!(
        errors
            .iter()
            .all(|(_, ps)| ps.iter().all(|(_, e)| e.is_none())),
        "{errors:?}"
    );
    let errors = h.commit(&commit_request("g", generation, &ids[1], &[("t", 1, 12)]));
    assert_eq!(errors, vec![("t".to_string(), vec![(1, None)])]);

    // Phase 2: failover: a fresh shard replays the partition.
    let reloaded = h.reloaded();
    let all = fetch(&reloaded, "g", None);
    assert_eq!(
        offsets_of(&all),
        vec![("t".into(), 0, 10), ("t".into(), 1, 12), ("u".into(), 0, 5)]
    );
    assert_eq!(all, fetch(&h.shard, "g", None));
    let value = reloaded.committed_offset("g", "t", 0).unwrap();
    assert_eq!(
        (
            value.leader_epoch,
            value.metadata.as_str(),
            value.commit_timestamp
        ),
        (3, "m10", h.now)
    );
    assert_eq!(reloaded.group_state("g"), Some(GroupState::Stable));
    assert_eq!(reloaded.group_generation("g"), Some(generation));
    let live = h.shard.describe_group("g");
    let loaded = reloaded.describe_group("g");
    assert_eq!(loaded.protocol_data, "range");
    assert_eq!(
        loaded.members, live.members,
        "members with subscriptions and assignments"
    );

    // Phase 3: after loading, sessions start at the first tick; members that never
    // heartbeat to the new coordinator expire, and with all gone the group becomes Empty
    // in a new generation (the offsets stay).
    let mut reloaded = reloaded;
    let _ = reloaded.tick(h.now);
    let _ = reloaded.tick(h.now + i64::from(SESSION_MS) - 1);
    assert_eq!(reloaded.group_state("g"), Some(GroupState::Stable));
    let result = reloaded.tick(h.now + i64::from(SESSION_MS));
    assert_eq!(reloaded.group_state("g"), Some(GroupState::Empty));
    assert_eq!(reloaded.group_generation("g"), Some(generation + 1));
    assert_eq!(result.records.len(), 1, "the empty generation is persisted");
    assert_eq!(
        reloaded.committed_offset("g", "t", 1).map(|v| v.offset),
        Some(12)
    );
}

#[test]
fn offset_commit_validation_errors() {
    let mut h = Harness::new();
    let (generation, leader, _) = stable_group(&mut h, "g", &["c1"]);
    let first = |errors: PartitionErrors| errors[0].1[0].1;
    // ILLEGAL_GENERATION (22) for a stale generation.
    let stale = first(h.commit(&commit_request(
        "g",
        generation - 1,
        &leader,
        &[("t", 0, 1)],
    )));
    assert_eq!(stale, Some(GroupError::IllegalGeneration));
    assert_eq!(stale.map(GroupError::code), Some(22));
    // UNKNOWN_MEMBER_ID (25) for a member not in the group.
    assert_eq!(
        first(h.commit(&commit_request("g", generation, "ghost", &[("t", 0, 1)]))),
        Some(GroupError::UnknownMemberId)
    );
    // A commit without member/generation into a non-empty group: UNKNOWN_MEMBER_ID.
    assert_eq!(
        first(h.commit(&commit_request("g", -1, "", &[("t", 0, 1)]))),
        Some(GroupError::UnknownMemberId)
    );
    // Missing group with a generation: GROUP_ID_NOT_FOUND from v9, ILLEGAL_GENERATION before.
    assert_eq!(
        first(h.commit(&commit_request("nope", 1, "m", &[("t", 0, 1)]))),
        Some(GroupError::GroupIdNotFound)
    );
    let mut old = commit_request("nope", 1, "m", &[("t", 0, 1)]);
    old.api_version = 8;
    assert_eq!(first(h.commit(&old)), Some(GroupError::IllegalGeneration));
    // INVALID_GROUP_ID for "".
    assert_eq!(
        first(h.commit(&commit_request("", -1, "", &[("t", 0, 1)]))),
        Some(GroupError::InvalidGroupId)
    );
    // OFFSET_METADATA_TOO_LARGE (12) only for the partition whose metadata is too big.
    let mut request = commit_request("g", generation, &leader, &[("t", 0, 7), ("t", 1, 8)]);
    request.topics[0].1[1].metadata = Some("x".repeat(4097));
    let errors = h.commit(&request);
    assert_eq!(
        errors[0].1,
        vec![(0, None), (1, Some(GroupError::OffsetMetadataTooLarge))]
    );
    assert_eq!(
        h.shard.committed_offset("g", "t", 0).map(|v| v.offset),
        Some(7)
    );
    assert_eq!(h.shard.committed_offset("g", "t", 1), None);
    // Nothing rejected was written: only the accepted offset is in the log.
    assert_eq!(
        offsets_of(&fetch(&h.reloaded(), "g", None)),
        vec![("t".into(), 0, 7)]
    );
    // REBALANCE_IN_PROGRESS (27) while CompletingRebalance.
    let id = h.member_id_for("g", "c2");
    let j2 = h.join(&join_request("g", &id, "c2"));
    let j1 = h.join(&join_request("g", &leader, "c1"));
    let generation2 = h.join_response(j1).unwrap().generation_id;
    assert!(h.join_response(j2).is_some());
    assert_eq!(
        first(h.commit(&commit_request("g", generation2, &leader, &[("t", 0, 9)]))),
        Some(GroupError::RebalanceInProgress)
    );
}

#[test]
fn simple_consumer_commits_and_fetches() {
    let mut h = Harness::new();
    // Generation -1 and no member id: a simple group is created (admin / assign() users).
    let errors = h.commit(&commit_request(
        "simple",
        -1,
        "",
        &[("t", 0, 42), ("t", 3, 7)],
    ));
    assert!(errors[0].1.iter().all(|(_, e)| e.is_none()));
    assert_eq!(h.shard.group_state("simple"), Some(GroupState::Empty));
    // OffsetFetch of named partitions: unknown ones are -1, not errors.
    let response = fetch(
        &h.shard,
        "simple",
        Some(vec![("t".into(), vec![0, 1]), ("v".into(), vec![0])]),
    );
    assert_eq!(response.error, None);
    assert_eq!(
        offsets_of(&response),
        vec![
            ("t".into(), 0, 42),
            ("t".into(), 1, -1),
            ("v".into(), 0, -1)
        ]
    );
    assert_eq!(response.topics[0].1[0].metadata, "m42");
    // Unknown group: no offsets, no error (Kafka answers the same).
    assert_eq!(fetch(&h.shard, "unknown", None).topics, vec![]);
    // The simple group is listed with an empty protocol type and survives a reload.
    let listed = h.shard.list_groups(&[], &[]);
    assert_eq!(
        listed,
        vec![ListedGroup {
            group_id: "simple".into(),
            protocol_type: String::new(),
            group_state: "Empty",
            group_type: "classic"
        }]
    );
    assert_eq!(
        h.reloaded()
            .committed_offset("simple", "t", 3)
            .map(|v| v.offset),
        Some(7)
    );
}

#[test]
fn offset_delete_kip_496() {
    let mut h = Harness::new();
    h.commit(&commit_request(
        "simple",
        -1,
        "",
        &[("t", 0, 1), ("u", 0, 2)],
    ));
    let delete = |h: &mut Harness, group: &str, topics: Vec<(String, Vec<i32>)>| {
        let handle = h.handle();
        let result = h.shard.offset_delete(
            handle,
            &OffsetDeleteRequest {
                group_id: group.into(),
                topics,
            },
            h.now,
        );
        h.apply(result);
        match h.responses.remove(&handle) {
            Some(CoordinatorResponse::OffsetDelete(response)) => response,
            other => panic!("unexpected {other:?}"),
        }
    };
    // An Empty group: deleted, and the tombstone survives a reload.
    let response = delete(&mut h, "simple", vec![("t".into(), vec![0])]);
    assert_eq!(
        response,
        OffsetDeleteResponse {
            error: None,
            topics: vec![("t".into(), vec![(0, None)])]
        }
    );
    assert_eq!(h.reloaded().committed_offset("simple", "t", 0), None);
    assert!(h.reloaded().committed_offset("simple", "u", 0).is_some());
    // Unknown group: GROUP_ID_NOT_FOUND (69).
    assert_eq!(
        delete(&mut h, "nope", vec![]).error.map(GroupError::code),
        Some(69)
    );
    // A live consumer group: topics it subscribes to are refused (GROUP_SUBSCRIBED_TO_TOPIC,
    // 86), others deleted.
    let (generation, leader, _) = stable_group(&mut h, "g", &["c1"]);
    h.commit(&commit_request(
        "g",
        generation,
        &leader,
        &[("t", 0, 5), ("old", 0, 6)],
    ));
    let response = delete(
        &mut h,
        "g",
        vec![("t".into(), vec![0]), ("old".into(), vec![0])],
    );
    assert_eq!(
        response.topics,
        vec![
            (
                "t".into(),
                vec![(0, Some(GroupError::GroupSubscribedToTopic))]
            ),
            ("old".into(), vec![(0, None)])
        ]
    );
    assert_eq!(GroupError::GroupSubscribedToTopic.code(), 86);
    assert!(h.shard.committed_offset("g", "t", 0).is_some());
    assert!(h.shard.committed_offset("g", "old", 0).is_none());
}

#[test]
fn delete_groups_list_and_describe() {
    let mut h = Harness::new();
    h.commit(&commit_request("empty", -1, "", &[("t", 0, 1)]));
    stable_group(&mut h, "busy", &["c1"]);
    // ListGroups with the KIP-518 state filter (case-insensitive) and the type filter.
    let ids = |groups: Vec<ListedGroup>| groups.into_iter().map(|g| g.group_id).collect::<Vec<_>>();
    assert_eq!(ids(h.shard.list_groups(&[], &[])), vec!["busy", "empty"]);
    assert_eq!(
        ids(h.shard.list_groups(&["stable".into()], &[])),
        vec!["busy"]
    );
    assert_eq!(
        ids(h.shard.list_groups(&["Empty".into(), "Dead".into()], &[])),
        vec!["empty"]
    );
    assert_eq!(
        ids(h.shard.list_groups(&[], &["consumer".into()])),
        Vec::<String>::new()
    );
    // DescribeGroups: a Stable group shows protocol, metadata and assignment.
    let described = h.shard.describe_group("busy");
    assert_eq!(
        (
            described.group_state,
            described.protocol_type.as_str(),
            described.protocol_data.as_str()
        ),
        ("Stable", "consumer", "range")
    );
    assert_eq!(described.members[0].metadata, subscription(&["t"]));
    assert_eq!(described.members[0].client_host, "/127.0.0.1");
    assert_eq!(h.shard.describe_group("unknown").group_state, "Dead");
    assert_eq!(
        h.shard.describe_group("").error,
        Some(GroupError::InvalidGroupId)
    );
    // DeleteGroups: NON_EMPTY_GROUP (68), GROUP_ID_NOT_FOUND (69), and a deletion.
    let handle = h.handle();
    let result = h.shard.delete_groups(
        handle,
        &["busy".into(), "nope".into(), "empty".into(), String::new()],
        h.now,
    );
    h.apply(result);
    let Some(CoordinatorResponse::DeleteGroups(results)) = h.responses.remove(&handle) else {
        panic!("no response")
    };
    let codes: Vec<_> = results
        .iter()
        .map(|(_, e)| e.map(GroupError::code))
        .collect();
    assert_eq!(codes, vec![Some(68), Some(69), None, Some(24)]);
    assert_eq!(h.shard.group_state("empty"), None);
    let reloaded = h.reloaded();
    assert_eq!(reloaded.group_state("empty"), None);
    assert_eq!(reloaded.committed_offset("empty", "t", 0), None);
    assert_eq!(reloaded.group_state("busy"), Some(GroupState::Stable));
}

#[test]
fn offsets_expire_after_retention_kip_211() {
    let config = GroupCoordinatorConfig {
        offsets_retention_ms: 60_000,
        offsets_retention_check_interval_ms: 1_000,
        ..GroupCoordinatorConfig::default()
    };
    let mut h = Harness::with_config(config);
    let _ = h.shard.tick(h.now);
    // Phase 1: a consumer group commits, then its only member leaves: the group is Empty.
    let (generation, leader, _) = stable_group(&mut h, "g", &["c1"]);
    h.commit(&commit_request("g", generation, &leader, &[("t", 0, 5)]));
    h.commit(&commit_request("simple", -1, "", &[("t", 0, 9)]));
    // While the group has members its offsets never expire, however old.
    for _ in 0..13 {
        h.advance(5_000);
        assert_eq!(h.heartbeat("g", generation, &leader), None);
    }
    assert!(h.shard.committed_offset("g", "t", 0).is_some());
    assert!(
        h.shard.committed_offset("simple", "t", 0).is_none(),
        "simple group: commit time + retention"
    );
    assert_eq!(
        h.shard.group_state("simple"),
        None,
        "an expired Empty group without offsets is deleted"
    );
    h.leave(
        "g",
        vec![LeavingMember {
            member_id: leader,
            group_instance_id: None,
        }],
    );
    h.advance(1);
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Empty));
    // Phase 2 (KIP-211): retention counts from when the group became Empty.
    h.advance(59_000);
    assert!(h.shard.committed_offset("g", "t", 0).is_some());
    h.advance(2_000);
    assert!(h.shard.committed_offset("g", "t", 0).is_none());
    assert_eq!(h.shard.group_state("g"), None);
    let reloaded = h.reloaded();
    assert_eq!(
        (
            reloaded.group_state("g"),
            reloaded.committed_offset("g", "t", 0)
        ),
        (None, None)
    );
}

#[test]
fn failed_append_is_recovered_by_reloading() {
    // PartitionWriter contract: on an append error the shard is rebuilt from the log, so an
    // unwritten commit is not visible afterwards.
    let mut h = Harness::new();
    h.commit(&commit_request("simple", -1, "", &[("t", 0, 1)]));
    let handle = h.handle();
    let result = h.shard.offset_commit(
        handle,
        &commit_request("simple", -1, "", &[("t", 0, 2)]),
        h.now,
    );
    assert_eq!(
        h.shard.committed_offset("simple", "t", 0).map(|v| v.offset),
        Some(2),
        "applied in memory"
    );
    h.writer.fail_next_append = true;
    assert!(h.writer.append(PARTITION, &result.records, h.now).is_err());
    let rebuilt = h.reloaded();
    assert_eq!(
        rebuilt.committed_offset("simple", "t", 0).map(|v| v.offset),
        Some(1)
    );
}

/// KIP-211 / Kafka `ClassicGroup.offsetExpirationCondition`: a Stable consumer group keeps the
/// offsets of the topics its members subscribe to however old, while offsets of a topic no
/// member subscribes to any more expire `offsets.retention.minutes` after their commit. The
/// clock is the harness's virtual one.
#[test]
fn stable_group_expires_offsets_of_unsubscribed_topics_only() {
    let config = GroupCoordinatorConfig {
        offsets_retention_ms: 60_000,
        offsets_retention_check_interval_ms: 1_000,
        ..GroupCoordinatorConfig::default()
    };
    let mut h = Harness::with_config(config);
    let _ = h.shard.tick(h.now);
    // The members subscribe to "t" only (see `join_request`).
    let (generation, leader, ids) = stable_group(&mut h, "g", &["c1", "c2"]);
    let committed_at = h.now;
    h.commit(&commit_request(
        "g",
        generation,
        &leader,
        &[("t", 0, 5), ("t", 1, 6), ("old", 0, 7)],
    ));
    // Phase 1: just before retention passes, everything is still there.
    while h.now < committed_at + 59_000 {
        h.advance(5_000.min(committed_at + 59_000 - h.now));
        for id in &ids {
            assert_eq!(h.heartbeat("g", generation, id), None);
        }
    }
    assert!(h.shard.committed_offset("g", "old", 0).is_some());
    // Phase 2: past retention the unsubscribed topic's offset is gone, "t" stays, and the
    // group is untouched (same generation, still Stable).
    h.advance(2_000);
    assert!(h.shard.committed_offset("g", "old", 0).is_none());
    assert_eq!(h.shard.committed_offset("g", "t", 0).unwrap().offset, 5);
    assert_eq!(h.shard.committed_offset("g", "t", 1).unwrap().offset, 6);
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
    assert_eq!(h.shard.group_generation("g"), Some(generation));
    // The expiry is a tombstone in the log: a reloaded shard agrees.
    let reloaded = h.reloaded();
    assert!(reloaded.committed_offset("g", "old", 0).is_none());
    assert_eq!(reloaded.committed_offset("g", "t", 0).unwrap().offset, 5);
    // Phase 3: an hour later the subscribed offsets are still kept.
    for _ in 0..12 {
        h.advance(5_000);
        for id in &ids {
            assert_eq!(h.heartbeat("g", generation, id), None);
        }
    }
    assert!(h.shard.committed_offset("g", "t", 0).is_some());
}

/// Kafka `OffsetExpirationConditionImpl.isOffsetExpired`: an OffsetCommit v1 explicit expire
/// timestamp (retention_time_ms) wins over the retention setting, but a subscribed topic of a
/// Stable group never expires and a rebalancing group expires nothing.
#[test]
fn explicit_expire_timestamp_and_rebalancing_groups() {
    let config = GroupCoordinatorConfig {
        offsets_retention_ms: 600_000,
        offsets_retention_check_interval_ms: 1_000,
        ..GroupCoordinatorConfig::default()
    };
    let mut h = Harness::with_config(config);
    let _ = h.shard.tick(h.now);
    let (generation, leader, _) = stable_group(&mut h, "g", &["c1"]);
    let mut request = commit_request("g", generation, &leader, &[("t", 0, 1), ("old", 0, 2)]);
    request.retention_time_ms = 10_000;
    h.commit(&request);
    let mut simple = commit_request("s", -1, "", &[("t", 0, 3)]);
    simple.retention_time_ms = 10_000;
    h.commit(&simple);
    for _ in 0..3 {
        h.advance(4_000);
        assert_eq!(h.heartbeat("g", generation, &leader), None);
    }
    assert!(
        h.shard.committed_offset("g", "old", 0).is_none(),
        "expire timestamp passed"
    );
    assert!(
        h.shard.committed_offset("s", "t", 0).is_none(),
        "simple group too"
    );
    assert!(
        h.shard.committed_offset("g", "t", 0).is_some(),
        "subscribed: kept"
    );

    // A second member starts a rebalance; while it runs nothing expires.
    let mut request = commit_request("g", generation, &leader, &[("old", 1, 4)]);
    request.retention_time_ms = 1_000;
    h.commit(&request);
    let newcomer = h.member_id_for("g", "c2");
    h.join(&join_request("g", &newcomer, "c2"));
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    h.advance(5_000);
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    assert!(h.shard.committed_offset("g", "old", 1).is_some());
}
