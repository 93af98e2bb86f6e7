//! Goal: the classic rebalance protocol behaves as Kafka's group coordinator does, observed
//! through the responses a client would get. Method: drive one shard on a virtual clock
//! through the phases of each scenario; every test names its source (Kafka
//! `GroupMetadataManager` behaviour, KIP-394, KIP-429, KIP-345).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::*;
use fjord_coordinator::*;

#[test]
fn three_members_join_one_leader_gets_all_metadata_same_generation() {
    let mut h = Harness::new();
    // Phase 1 (KIP-394): every new member first gets MEMBER_ID_REQUIRED and an id.
    let ids: Vec<String> = ["c1", "c2", "c3"]
        .iter()
        .map(|c| h.member_id_for("g", c))
        .collect();
    assert!(
        ids.iter().all(|id| id.starts_with('c') && id.len() > 30),
        "ids are clientId-uuid: {ids:?}"
    );
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Empty));

    // Phase 2: they rejoin with the ids; responses are parked during the initial delay.
    let handles: Vec<_> = ids
        .iter()
        .zip(["c1", "c2", "c3"])
        .map(|(id, c)| h.join(&join_request("g", id, c)))
        .collect();
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    assert!(
        handles.iter().all(|hd| !h.responses.contains_key(hd)),
        "joins wait for the initial delay"
    );

    // Phase 3 (group.initial.rebalance.delay.ms): at 3 s the delay is extended because
    // members arrived after it was armed; at 6 s the join completes.
    h.advance(3_000);
    assert!(
        handles.iter().all(|hd| !h.responses.contains_key(hd)),
        "delay extended while members arrive"
    );
    h.advance(3_000);
    let responses: Vec<JoinGroupResponse> = handles
        .iter()
        .map(|hd| h.join_response(*hd).unwrap())
        .collect();
    assert!(responses.iter().all(|r| r.error.is_none()));
    assert!(
        responses.iter().all(|r| r.generation_id == 1),
        "one generation for all"
    );
    let leader = &responses[0].leader;
    assert!(
        responses.iter().all(|r| &r.leader == leader),
        "one leader for all"
    );
    assert!(
        responses
            .iter()
            .all(|r| r.protocol_name.as_deref() == Some("range")),
        "first common preference wins"
    );
    let with_members: Vec<_> = responses.iter().filter(|r| !r.members.is_empty()).collect();
    assert_eq!(
        with_members.len(),
        1,
        "only the leader gets the member list"
    );
    assert_eq!(&with_members[0].member_id, leader);
    let mut listed: Vec<_> = with_members[0]
        .members
        .iter()
        .map(|m| m.member_id.clone())
        .collect();
    listed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(
        with_members[0]
            .members
            .iter()
            .all(|m| m.metadata == subscription(&["t"]))
    );
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::CompletingRebalance)
    );

    // Phase 4: followers sync first (parked), then the leader's assignment completes all.
    let followers: Vec<&String> = ids.iter().filter(|id| *id != leader).collect();
    let follower_handles: Vec<_> = followers
        .iter()
        .map(|id| h.sync(&sync_request("g", 1, id, vec![])))
        .collect();
    assert!(
        follower_handles
            .iter()
            .all(|hd| !h.responses.contains_key(hd)),
        "followers wait for the leader"
    );
    let assignments: Vec<(String, Bytes)> = ids
        .iter()
        .map(|id| (id.clone(), Bytes::from(id.clone())))
        .collect();
    let leader_handle = h.sync(&sync_request("g", 1, leader, assignments));
    assert_eq!(
        h.sync_response(leader_handle).unwrap().assignment,
        Bytes::from(leader.clone())
    );
    for (id, handle) in followers.iter().zip(follower_handles) {
        let response = h.sync_response(handle).unwrap();
        assert_eq!(response.error, None);
        assert_eq!(response.assignment, Bytes::from((*id).clone()));
        assert_eq!(response.protocol_name.as_deref(), Some("range"));
    }
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
}

#[test]
fn member_id_required_round_trip_kip_394() {
    let mut h = Harness::new();
    // Phase 1: v4+ join without id → MEMBER_ID_REQUIRED, and no member is added yet.
    let first = h.join(&join_request("g", "", "c1"));
    let response = h.join_response(first).unwrap();
    assert_eq!(response.error, Some(GroupError::MemberIdRequired));
    assert_eq!(response.error.map(GroupError::code), Some(79));
    assert_eq!(h.shard.describe_group("g").members.len(), 0);
    // Phase 2: rejoining with the id is accepted.
    let second = h.join(&join_request("g", &response.member_id, "c1"));
    h.advance(3_000);
    let joined = h.join_response(second).unwrap();
    assert_eq!(joined.error, None);
    assert_eq!(joined.member_id, response.member_id);
    assert_eq!(joined.leader, response.member_id);
    // Phase 3: v3 clients (pre KIP-394) get an id and join in one step.
    let mut old = join_request("g2", "", "c2");
    old.api_version = 3;
    let handle = h.join(&old);
    h.advance(3_000);
    let joined = h.join_response(handle).unwrap();
    assert_eq!(joined.error, None);
    assert!(joined.member_id.starts_with("c2-"));
    // Phase 4: an unused pending id expires after the session timeout.
    let pending = h.member_id_for("g3", "c3");
    h.advance(i64::from(SESSION_MS) + 1);
    let late = h.join(&join_request("g3", &pending, "c3"));
    assert_eq!(
        h.join_response(late).unwrap().error,
        Some(GroupError::UnknownMemberId)
    );
}

#[test]
fn member_leaving_triggers_rebalance() {
    let mut h = Harness::new();
    let (generation, leader, ids) = stable_group(&mut h, "g", &["c1", "c2", "c3"]);
    let leaver = ids.iter().find(|id| **id != leader).unwrap().clone();
    // Phase 1: LeaveGroup v3+ (batched identity) removes the member and starts a rebalance.
    let response = h.leave(
        "g",
        vec![LeavingMember {
            member_id: leaver.clone(),
            group_instance_id: None,
        }],
    );
    assert_eq!(response.error, None);
    assert_eq!(response.members[0].error, None);
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    // Phase 2: the others learn it from their heartbeat and rejoin; the join completes as
    // soon as all remaining members are in (no delay: the group was not empty).
    let remaining: Vec<&String> = ids.iter().filter(|id| **id != leaver).collect();
    for id in &remaining {
        assert_eq!(
            h.heartbeat("g", generation, id),
            Some(GroupError::RebalanceInProgress)
        );
    }
    let handles: Vec<_> = remaining
        .iter()
        .map(|id| h.join(&join_request("g", id, "c")))
        .collect();
    let responses: Vec<_> = handles
        .iter()
        .map(|hd| h.join_response(*hd).expect("completes on last join"))
        .collect();
    assert!(responses.iter().all(|r| r.generation_id == generation + 1));
    let leader_response = responses.iter().find(|r| !r.members.is_empty()).unwrap();
    assert_eq!(leader_response.members.len(), 2);
    // Phase 3: leaving again with an unknown id is reported per member.
    let response = h.leave(
        "g",
        vec![LeavingMember {
            member_id: leaver,
            group_instance_id: None,
        }],
    );
    assert_eq!(response.members[0].error, Some(GroupError::UnknownMemberId));
}

#[test]
fn session_timeout_expires_member_and_rebalances() {
    let mut h = Harness::new();
    let (generation, leader, ids) = stable_group(&mut h, "g", &["c1", "c2"]);
    let silent = ids.iter().find(|id| **id != leader).unwrap().clone();
    // Phase 1: the leader heartbeats, the other member goes silent past its session timeout.
    for _ in 0..2 {
        h.advance(4_000);
        assert_eq!(h.heartbeat("g", generation, &leader), None);
        assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
    }
    h.advance(4_000);
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance),
        "expired member triggers a rebalance"
    );
    assert_eq!(
        h.heartbeat("g", generation, &leader),
        Some(GroupError::RebalanceInProgress)
    );
    assert_eq!(
        h.heartbeat("g", generation, &silent),
        Some(GroupError::UnknownMemberId)
    );
    // Phase 2: the leader rejoins alone; the new generation has one member.
    let handle = h.join(&join_request("g", &leader, "c1"));
    let response = h.join_response(handle).unwrap();
    assert_eq!(response.generation_id, generation + 1);
    assert_eq!(response.members.len(), 1);
    // Phase 3: if nobody heartbeats, the group ends up Empty with a record saying so.
    h.advance(i64::from(REBALANCE_MS) + i64::from(SESSION_MS) * 2);
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Empty));
    let reloaded = h.reloaded();
    assert_eq!(reloaded.group_state("g"), Some(GroupState::Empty));
    assert_eq!(
        reloaded.group_generation("g"),
        h.shard.group_generation("g")
    );
}

#[test]
fn cooperative_protocol_two_consecutive_rebalances_kip_429() {
    // KIP-429: the broker side of incremental cooperative rebalancing is the ordinary
    // JoinGroup/SyncGroup flow; the client runs a second rebalance after revoking.
    let mut h = Harness::new();
    let cooperative = |req: &mut JoinGroupRequest| {
        req.protocols = vec![("cooperative-sticky".into(), subscription(&["t"]))];
    };
    let mut first = join_request("g", "", "c1");
    first.api_version = 3;
    cooperative(&mut first);
    let handle = h.join(&first);
    h.advance(3_000);
    let joined = h.join_response(handle).unwrap();
    let (m1, generation1) = (joined.member_id.clone(), joined.generation_id);
    assert_eq!(joined.protocol_name.as_deref(), Some("cooperative-sticky"));
    let done = h.sync(&sync_request(
        "g",
        generation1,
        &m1,
        vec![(m1.clone(), Bytes::from_static(b"all"))],
    ));
    assert_eq!(
        h.sync_response(done).unwrap().assignment,
        Bytes::from_static(b"all")
    );

    // Rebalance 1: a second member joins; m1 keeps consuming until its heartbeat says rejoin.
    let mut second = join_request("g", "", "c2");
    second.api_version = 3;
    cooperative(&mut second);
    let m2_handle = h.join(&second);
    assert_eq!(
        h.heartbeat("g", generation1, &m1),
        Some(GroupError::RebalanceInProgress)
    );
    let mut rejoin = first.clone();
    rejoin.member_id = m1.clone();
    let m1_handle = h.join(&rejoin);
    let r1 = h.join_response(m1_handle).unwrap();
    let r2 = h.join_response(m2_handle).unwrap();
    assert_eq!(r1.generation_id, generation1 + 1);
    assert_eq!(r2.generation_id, generation1 + 1);
    let generation2 = r1.generation_id;
    let m2 = r2.member_id.clone();
    // The leader revokes the partitions that move: m2 gets nothing yet.
    let s2 = h.sync(&sync_request("g", generation2, &m2, vec![]));
    let s1 = h.sync(&sync_request(
        "g",
        generation2,
        &m1,
        vec![
            (m1.clone(), Bytes::from_static(b"half")),
            (m2.clone(), Bytes::new()),
        ],
    ));
    assert_eq!(
        h.sync_response(s1).unwrap().assignment,
        Bytes::from_static(b"half")
    );
    assert_eq!(h.sync_response(s2).unwrap().assignment, Bytes::new());

    // Rebalance 2: the leader rejoins right away after revoking (a leader rejoin always
    // rebalances); the follower follows on its heartbeat.
    let m1_handle = h.join(&rejoin);
    assert_eq!(
        h.heartbeat("g", generation2, &m2),
        Some(GroupError::RebalanceInProgress)
    );
    let mut rejoin2 = second.clone();
    rejoin2.member_id = m2.clone();
    let m2_handle = h.join(&rejoin2);
    let generation3 = h.join_response(m1_handle).unwrap().generation_id;
    assert_eq!(
        h.join_response(m2_handle).unwrap().generation_id,
        generation3
    );
    assert_eq!(generation3, generation2 + 1);
    let s2 = h.sync(&sync_request("g", generation3, &m2, vec![]));
    let s1 = h.sync(&sync_request(
        "g",
        generation3,
        &m1,
        vec![
            (m1.clone(), Bytes::from_static(b"half")),
            (m2.clone(), Bytes::from_static(b"other-half")),
        ],
    ));
    assert_eq!(
        h.sync_response(s1).unwrap().assignment,
        Bytes::from_static(b"half")
    );
    assert_eq!(
        h.sync_response(s2).unwrap().assignment,
        Bytes::from_static(b"other-half")
    );
    assert_eq!(h.shard.group_state("g"), Some(GroupState::Stable));
}

#[test]
fn group_max_size_rejects_extra_members() {
    let config = GroupCoordinatorConfig {
        group_size_max: 2,
        ..GroupCoordinatorConfig::default()
    };
    let mut h = Harness::with_config(config);
    let ids: Vec<String> = ["c1", "c2", "c3"]
        .iter()
        .map(|c| h.member_id_for("g", c))
        .collect();
    let handles: Vec<_> = ids
        .iter()
        .map(|id| h.join(&join_request("g", id, "c")))
        .collect();
    // The third join arrives while two are awaiting: GROUP_MAX_SIZE_REACHED (81) right away.
    let rejected = h.join_response(handles[2]).unwrap();
    assert_eq!(rejected.error, Some(GroupError::GroupMaxSizeReached));
    assert_eq!(rejected.error.map(GroupError::code), Some(81));
    h.advance(6_000);
    let leader = h.join_response(handles[0]).unwrap();
    assert_eq!(leader.error, None);
    assert_eq!(leader.members.len(), 2);
    assert!(h.join_response(handles[1]).unwrap().error.is_none());
}

#[test]
fn join_validation_errors_match_kafka() {
    let mut h = Harness::new();
    // INVALID_GROUP_ID (24) for an empty or oversized group id.
    let handle = h.join(&join_request("", "", "c"));
    assert_eq!(
        h.join_response(handle).unwrap().error.map(GroupError::code),
        Some(24)
    );
    let long = "x".repeat(limits::STRING_BYTES_MAX + 1);
    let handle = h.join(&join_request(&long, "", "c"));
    assert_eq!(
        h.join_response(handle).unwrap().error,
        Some(GroupError::InvalidGroupId)
    );
    // INVALID_SESSION_TIMEOUT (26) outside group.min/max.session.timeout.ms.
    let mut request = join_request("g", "", "c");
    request.session_timeout_ms = 5_999;
    let handle = h.join(&request);
    assert_eq!(
        h.join_response(handle).unwrap().error.map(GroupError::code),
        Some(26)
    );
    request.session_timeout_ms = 1_800_001;
    let handle = h.join(&request);
    assert_eq!(
        h.join_response(handle).unwrap().error,
        Some(GroupError::InvalidSessionTimeout)
    );
    // UNKNOWN_MEMBER_ID (25) for a member id on an unknown group.
    let handle = h.join(&join_request("nope", "ghost", "c"));
    assert_eq!(
        h.join_response(handle).unwrap().error.map(GroupError::code),
        Some(25)
    );
    // INCONSISTENT_GROUP_PROTOCOL (23): empty protocol type, a different protocol type, or
    // no protocol in common with the members.
    let mut request = join_request("g", "", "c");
    request.protocol_type = String::new();
    let handle = h.join(&request);
    assert_eq!(
        h.join_response(handle).unwrap().error.map(GroupError::code),
        Some(23)
    );
    stable_group(&mut h, "g", &["c1"]);
    let mut request = join_request("g", "", "c");
    request.api_version = 3;
    request.protocol_type = "connect".into();
    let handle = h.join(&request);
    assert_eq!(
        h.join_response(handle).unwrap().error,
        Some(GroupError::InconsistentGroupProtocol)
    );
    let mut request = join_request("g", "", "c");
    request.api_version = 3;
    request.protocols = vec![("sticky".into(), subscription(&["t"]))];
    let handle = h.join(&request);
    assert_eq!(
        h.join_response(handle).unwrap().error,
        Some(GroupError::InconsistentGroupProtocol)
    );
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::Stable),
        "bad joins do not disturb the group"
    );
}

#[test]
fn protocol_selection_by_votes_among_common_protocols() {
    // Kafka `ClassicGroup.selectProtocol`: candidates are supported by all; each member
    // votes for its first candidate.
    let mut h = Harness::new();
    let mut a = join_request("g", "", "a");
    a.api_version = 3;
    a.protocols = vec![
        ("sticky".into(), Bytes::from_static(b"a-s")),
        ("range".into(), Bytes::from_static(b"a-r")),
    ];
    let mut b = a.clone();
    b.client_id = "b".into();
    b.protocols = vec![
        ("roundrobin".into(), Bytes::new()),
        ("range".into(), Bytes::from_static(b"b-r")),
        ("sticky".into(), Bytes::from_static(b"b-s")),
    ];
    let mut c = b.clone();
    c.client_id = "c".into();
    c.protocols = vec![
        ("range".into(), Bytes::from_static(b"c-r")),
        ("sticky".into(), Bytes::from_static(b"c-s")),
    ];
    let handles = [h.join(&a), h.join(&b), h.join(&c)];
    h.advance(6_000);
    let responses: Vec<_> = handles
        .iter()
        .map(|hd| h.join_response(*hd).unwrap())
        .collect();
    // a votes sticky, b votes range (roundrobin is not common), c votes range.
    assert!(
        responses
            .iter()
            .all(|r| r.protocol_name.as_deref() == Some("range"))
    );
    let leader = responses.iter().find(|r| !r.members.is_empty()).unwrap();
    let mut metadata: Vec<_> = leader.members.iter().map(|m| m.metadata.clone()).collect();
    metadata.sort();
    assert_eq!(
        metadata,
        vec![
            Bytes::from_static(b"a-r"),
            Bytes::from_static(b"b-r"),
            Bytes::from_static(b"c-r")
        ]
    );
}

#[test]
fn sync_errors_match_kafka() {
    let mut h = Harness::new();
    let (generation, leader, _) = stable_group(&mut h, "g", &["c1"]);
    let handle = h.sync(&sync_request("g", generation + 1, &leader, vec![]));
    assert_eq!(
        h.sync_response(handle).unwrap().error.map(GroupError::code),
        Some(22)
    );
    let handle = h.sync(&sync_request("g", generation, "ghost", vec![]));
    assert_eq!(
        h.sync_response(handle).unwrap().error,
        Some(GroupError::UnknownMemberId)
    );
    let mut request = sync_request("g", generation, &leader, vec![]);
    request.protocol_name = Some("roundrobin".into());
    let handle = h.sync(&request);
    assert_eq!(
        h.sync_response(handle).unwrap().error,
        Some(GroupError::InconsistentGroupProtocol)
    );
    // A member that never sends SyncGroup is removed after the rebalance timeout (Kafka
    // `expirePendingSync`), even though its session (30 s here) has not expired.
    let id = h.member_id_for("g", "c2");
    let long_session = |member: &str, client: &str| {
        let mut request = join_request("g", member, client);
        request.session_timeout_ms = 30_000;
        request
    };
    let j2 = h.join(&long_session(&id, "c2"));
    let j1 = h.join(&long_session(&leader, "c1"));
    let generation2 = h.join_response(j1).unwrap().generation_id;
    assert_eq!(h.join_response(j2).unwrap().generation_id, generation2);
    let s1 = h.sync(&sync_request("g", generation2, &leader, vec![]));
    assert!(h.sync_response(s1).is_some());
    for _ in 0..3 {
        h.advance(5_000);
        assert_eq!(h.heartbeat("g", generation2, &leader), None);
    }
    h.advance(i64::from(REBALANCE_MS) - 15_000);
    assert_eq!(
        h.shard.group_state("g"),
        Some(GroupState::PreparingRebalance)
    );
    assert_eq!(
        h.heartbeat("g", generation2, &id),
        Some(GroupError::UnknownMemberId)
    );
    assert_eq!(
        h.heartbeat("g", generation2, &leader),
        Some(GroupError::RebalanceInProgress)
    );
}
