//! Test driver for a `GroupCoordinatorShard`: plays the broker's part (writes each result's
//! records through a `MemoryPartitionWriter`, then collects its responses by handle) on a
//! virtual clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use bytes::Bytes;
use fjord_coordinator::*;

/// Session timeout used by the tests' members.
pub const SESSION_MS: i32 = 10_000;
/// Rebalance timeout used by the tests' members.
pub const REBALANCE_MS: i32 = 20_000;
/// The shard's partition.
pub const PARTITION: i32 = 7;

pub struct Harness {
    pub shard: GroupCoordinatorShard,
    pub writer: MemoryPartitionWriter,
    pub config: GroupCoordinatorConfig,
    pub now: i64,
    next_handle: u64,
    pub responses: BTreeMap<RequestHandle, CoordinatorResponse>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(GroupCoordinatorConfig::default())
    }

    pub fn with_config(config: GroupCoordinatorConfig) -> Self {
        Self {
            shard: GroupCoordinatorShard::new(PARTITION, config.clone()),
            writer: MemoryPartitionWriter::default(),
            config,
            now: 1_000_000,
            next_handle: 1,
            responses: BTreeMap::new(),
        }
    }

    pub fn handle(&mut self) -> RequestHandle {
        self.next_handle += 1;
        RequestHandle(self.next_handle)
    }

    /// Writes the records, then records the responses (each handle answered once).
    pub fn apply(&mut self, result: CoordinatorResult) {
        if !result.records.is_empty() {
            self.writer
                .append(PARTITION, &result.records, self.now)
                .unwrap();
        }
        for (handle, response) in result.responses {
            let previous = self.responses.insert(handle, response);
            assert!(previous.is_none(), "request {handle:?} answered twice");
        }
    }

    /// Advances the virtual clock by `ms`, ticking at every deadline on the way.
    pub fn advance(&mut self, ms: i64) {
        let target = self.now + ms;
        loop {
            let next = self
                .shard
                .next_deadline_ms()
                .map_or(target, |d| d.clamp(self.now, target));
            self.now = next;
            let result = self.shard.tick(self.now);
            self.apply(result);
            if self.now >= target {
                break;
            }
        }
    }

    pub fn join(&mut self, request: &JoinGroupRequest) -> RequestHandle {
        let handle = self.handle();
        let result = self.shard.join_group(handle, request, self.now);
        self.apply(result);
        handle
    }

    pub fn sync(&mut self, request: &SyncGroupRequest) -> RequestHandle {
        let handle = self.handle();
        let result = self.shard.sync_group(handle, request, self.now);
        self.apply(result);
        handle
    }

    pub fn heartbeat(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
    ) -> Option<GroupError> {
        let handle = self.handle();
        let request = HeartbeatRequest {
            group_id: group.into(),
            generation_id: generation,
            member_id: member_id.into(),
            group_instance_id: None,
        };
        let result = self.shard.heartbeat(handle, &request, self.now);
        self.apply(result);
        match self.responses.remove(&handle) {
            Some(CoordinatorResponse::Heartbeat(error)) => error,
            other => panic!("expected a heartbeat response, got {other:?}"),
        }
    }

    pub fn leave(&mut self, group: &str, members: Vec<LeavingMember>) -> LeaveGroupResponse {
        let handle = self.handle();
        let request = LeaveGroupRequest {
            group_id: group.into(),
            members,
        };
        let result = self.shard.leave_group(handle, &request, self.now);
        self.apply(result);
        match self.responses.remove(&handle) {
            Some(CoordinatorResponse::Leave(response)) => response,
            other => panic!("expected a leave response, got {other:?}"),
        }
    }

    pub fn commit(&mut self, request: &OffsetCommitRequest) -> PartitionErrors {
        let handle = self.handle();
        let result = self.shard.offset_commit(handle, request, self.now);
        self.apply(result);
        match self.responses.remove(&handle) {
            Some(CoordinatorResponse::OffsetCommit(response)) => response,
            other => panic!("expected a commit response, got {other:?}"),
        }
    }

    /// The JoinGroup response for `handle`, if it has been sent.
    pub fn join_response(&mut self, handle: RequestHandle) -> Option<JoinGroupResponse> {
        match self.responses.remove(&handle)? {
            CoordinatorResponse::Join(response) => Some(response),
            other => panic!("expected a join response, got {other:?}"),
        }
    }

    pub fn sync_response(&mut self, handle: RequestHandle) -> Option<SyncGroupResponse> {
        match self.responses.remove(&handle)? {
            CoordinatorResponse::Sync(response) => Some(response),
            other => panic!("expected a sync response, got {other:?}"),
        }
    }

    /// A fresh shard rebuilt from everything written so far (a coordinator failover).
    pub fn reloaded(&self) -> GroupCoordinatorShard {
        let mut shard = GroupCoordinatorShard::new(PARTITION, self.config.clone());
        replay_batches(&mut shard, self.writer.log(PARTITION), 1 << 20, 1 << 24).unwrap();
        shard
    }

    /// KIP-394 round trip: join without id (v9 → MEMBER_ID_REQUIRED), returns the id.
    pub fn member_id_for(&mut self, group: &str, client: &str) -> String {
        let handle = self.join(&join_request(group, "", client));
        let response = self
            .join_response(handle)
            .expect("MEMBER_ID_REQUIRED is immediate");
        assert_eq!(response.error, Some(GroupError::MemberIdRequired));
        response.member_id
    }
}

/// A Kafka consumer-protocol subscription (ConsumerProtocolSubscription v0) to `topics`.
pub fn subscription(topics: &[&str]) -> Bytes {
    let mut out = Vec::new();
    out.extend_from_slice(&0i16.to_be_bytes());
    out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for topic in topics {
        out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
        out.extend_from_slice(topic.as_bytes());
    }
    out.extend_from_slice(&(-1i32).to_be_bytes());
    Bytes::from(out)
}

/// A JoinGroup v9 from a consumer supporting "range" then "roundrobin" on topic "t".
pub fn join_request(group: &str, member_id: &str, client: &str) -> JoinGroupRequest {
    JoinGroupRequest {
        api_version: 9,
        group_id: group.into(),
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: REBALANCE_MS,
        member_id: member_id.into(),
        group_instance_id: None,
        protocol_type: "consumer".into(),
        protocols: vec![
            ("range".into(), subscription(&["t"])),
            ("roundrobin".into(), subscription(&["t"])),
        ],
        client_id: client.into(),
        client_host: "/127.0.0.1".into(),
    }
}

pub fn sync_request(
    group: &str,
    generation: i32,
    member_id: &str,
    assignments: Vec<(String, Bytes)>,
) -> SyncGroupRequest {
    SyncGroupRequest {
        group_id: group.into(),
        generation_id: generation,
        member_id: member_id.into(),
        group_instance_id: None,
        protocol_type: Some("consumer".into()),
        protocol_name: None,
        assignments,
    }
}

pub fn commit_request(
    group: &str,
    generation: i32,
    member_id: &str,
    offsets: &[(&str, i32, i64)],
) -> OffsetCommitRequest {
    let mut topics: Vec<(String, Vec<OffsetCommitPartition>)> = Vec::new();
    for (topic, partition, offset) in offsets {
        let entry = OffsetCommitPartition {
            partition: *partition,
            offset: *offset,
            leader_epoch: 3,
            metadata: Some(format!("m{offset}")),
        };
        match topics.iter_mut().find(|(t, _)| t == topic) {
            Some((_, partitions)) => partitions.push(entry),
            None => topics.push(((*topic).to_string(), vec![entry])),
        }
    }
    OffsetCommitRequest {
        api_version: 9,
        group_id: group.into(),
        generation_id: generation,
        member_id: member_id.into(),
        group_instance_id: None,
        retention_time_ms: -1,
        topics,
    }
}

/// Forms a Stable group of `clients` (KIP-394 ids, joins, initial delay, syncs); returns
/// (generation, leader, member ids in client order).
pub fn stable_group(h: &mut Harness, group: &str, clients: &[&str]) -> (i32, String, Vec<String>) {
    let ids: Vec<String> = clients.iter().map(|c| h.member_id_for(group, c)).collect();
    let handles: Vec<RequestHandle> = ids
        .iter()
        .zip(clients)
        .map(|(id, client)| h.join(&join_request(group, id, client)))
        .collect();
    // The initial delayed join: 3 s, extended once because members kept arriving.
    h.advance(2 * h.config.initial_rebalance_delay_ms);
    let responses: Vec<JoinGroupResponse> = handles
        .iter()
        .map(|hd| h.join_response(*hd).expect("join completed"))
        .collect();
    let generation = responses[0].generation_id;
    let leader = responses[0].leader.clone();
    let assignments: Vec<(String, Bytes)> = ids
        .iter()
        .map(|id| (id.clone(), Bytes::from(format!("assignment-of-{id}"))))
        .collect();
    let mut sync_handles = Vec::new();
    for id in &ids {
        let mine = if *id == leader {
            assignments.clone()
        } else {
            Vec::new()
        };
        sync_handles.push(h.sync(&sync_request(group, generation, id, mine)));
    }
    for (id, handle) in ids.iter().zip(sync_handles) {
        let response = h.sync_response(handle).expect("sync completed");
        assert_eq!(response.error, None);
        assert_eq!(
            response.assignment,
            Bytes::from(format!("assignment-of-{id}"))
        );
    }
    assert_eq!(h.shard.group_state(group), Some(GroupState::Stable));
    (generation, leader, ids)
}
