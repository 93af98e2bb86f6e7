//! [`GroupCoordinatorShard`]: the classic group coordinator for one `__consumer_offsets`
//! partition (Kafka `GroupCoordinatorShard` + `GroupMetadataManager` +
//! `OffsetMetadataManager`, classic protocol only).
//!
//! # Contract with the driver
//! - Every mutating call takes `now_ms` and a [`RequestHandle`] and returns a
//!   [`CoordinatorResult`]. The driver appends `records` to this shard's partition through a
//!   [`crate::PartitionWriter`], and only once they are written sends `responses` (each to the
//!   request its handle names; a result may answer *other*, earlier parked requests, e.g. the
//!   JoinGroup responses of every member when the last one joins).
//! - If an append fails, the shard's memory is ahead of the log: the driver answers the
//!   result's responses with an error (Kafka: NOT_COORDINATOR), drops the shard and rebuilds
//!   it by replaying the partition (Kafka reverts its timeline state instead).
//! - The driver calls [`GroupCoordinatorShard::tick`] at `next_deadline_ms` (earlier calls
//!   are harmless): it completes delayed joins, expires sessions and pending syncs, and runs
//!   offset expiry.
//! - Loading: [`GroupCoordinatorShard::replay`] every record of the partition in offset order,
//!   then `tick(now)` once to arm the loaded members' session timers.
//!
//! Persisted state changes only through `replay`, which the handlers call on the records
//! they emit (the same function the loader uses). Rebalance bookkeeping that Kafka keeps in
//! futures and timers stays in memory (see [`crate::group`]).
//!
//! # Layout
//! - `join`: JoinGroup (KIP-394 member id, KIP-345 static members), the join phase.
//! - `membership`: SyncGroup, Heartbeat, LeaveGroup, member removal, timers.
//! - `offsets`: OffsetCommit, OffsetFetch, OffsetDelete, offset expiry (KIP-211).
//! - `admin`: ListGroups, DescribeGroups, DeleteGroups.

mod admin;
mod consumer;
mod join;
mod membership;
mod offsets;

use std::collections::BTreeMap;

use crate::api::{CoordinatorResponse, RequestHandle};
use crate::config::GroupCoordinatorConfig;
use crate::error::GroupError;
use crate::group::{ClassicGroup, GroupState};
use crate::limits::STRING_BYTES_MAX;
use crate::records::{CoordinatorRecord, OffsetCommitValue};

/// What one call produced: records to write, responses to send after writing, and when to
/// call [`GroupCoordinatorShard::tick`] next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoordinatorResult {
    /// Records to append to this shard's `__consumer_offsets` partition, in order.
    pub records: Vec<CoordinatorRecord>,
    /// Responses to send once `records` are written.
    pub responses: Vec<(RequestHandle, CoordinatorResponse)>,
    /// The earliest time the shard needs a `tick`, if any.
    pub next_deadline_ms: Option<i64>,
}

/// Committed offsets of one group, by (topic, partition).
pub(crate) type GroupOffsets = BTreeMap<(String, i32), OffsetCommitValue>;

/// The group coordinator state machine of one `__consumer_offsets` partition.
#[derive(Debug)]
pub struct GroupCoordinatorShard {
    partition: i32,
    config: GroupCoordinatorConfig,
    groups: BTreeMap<String, ClassicGroup>,
    offsets: BTreeMap<String, GroupOffsets>,
    member_id_state: u64,
    next_offset_expiry_ms: Option<i64>,
    /// KIP-848 consumer groups.
    consumer_groups: BTreeMap<String, crate::consumer::ConsumerGroup>,
    /// The topic view of the last ConsumerGroupHeartbeat (used when a timer recomputes a
    /// target assignment); `None` until one arrives after loading.
    topics: Option<crate::consumer::api::TopicsSnapshot>,
}

impl GroupCoordinatorShard {
    /// An empty shard for `__consumer_offsets` partition `partition`.
    pub fn new(partition: i32, config: GroupCoordinatorConfig) -> Self {
        let member_id_state = config.member_id_seed ^ (u64::from(partition.unsigned_abs()) << 32);
        Self {
            partition,
            config,
            groups: BTreeMap::new(),
            offsets: BTreeMap::new(),
            member_id_state,
            next_offset_expiry_ms: None,
            consumer_groups: BTreeMap::new(),
            topics: None,
        }
    }

    /// The `__consumer_offsets` partition this shard owns.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// The state of `group_id`, `None` if the shard does not know it.
    pub fn group_state(&self, group_id: &str) -> Option<GroupState> {
        self.groups.get(group_id).map(|g| g.state)
    }

    /// The KIP-848 consumer group `group_id` (epochs, members, assignments).
    pub fn consumer_group(&self, group_id: &str) -> Option<&crate::consumer::ConsumerGroup> {
        self.consumer_groups.get(group_id)
    }

    /// The generation of `group_id`.
    pub fn group_generation(&self, group_id: &str) -> Option<i32> {
        self.groups.get(group_id).map(|g| g.generation)
    }

    /// The committed offset of (group, topic, partition).
    pub fn committed_offset(
        &self,
        group_id: &str,
        topic: &str,
        partition: i32,
    ) -> Option<&OffsetCommitValue> {
        self.offsets
            .get(group_id)?
            .get(&(topic.to_string(), partition))
    }

    /// Applies one record of this partition: the only way persisted state changes, used both
    /// for records the handlers emit and when loading the partition.
    pub fn replay(&mut self, record: &CoordinatorRecord) {
        match record {
            CoordinatorRecord::OffsetCommit {
                key,
                value: Some(value),
            } => {
                // Kafka creates a simple group for offsets of an unknown group.
                self.groups
                    .entry(key.group.clone())
                    .or_insert_with(|| ClassicGroup::new(key.group.clone(), -1));
                self.offsets
                    .entry(key.group.clone())
                    .or_default()
                    .insert((key.topic.clone(), key.partition), value.clone());
            }
            CoordinatorRecord::OffsetCommit { key, value: None } => {
                if let Some(offsets) = self.offsets.get_mut(&key.group) {
                    offsets.remove(&(key.topic.clone(), key.partition));
                    if offsets.is_empty() {
                        self.offsets.remove(&key.group);
                    }
                }
            }
            CoordinatorRecord::GroupMetadata {
                group,
                value: Some(value),
            } => self.replay_group(group, value),
            CoordinatorRecord::GroupMetadata { group, value: None } => {
                self.groups.remove(group);
            }
            CoordinatorRecord::ConsumerGroup(record) => {
                crate::consumer::replay(&mut self.consumer_groups, record);
            }
        }
    }

    fn replay_group(&mut self, group_id: &str, value: &crate::records::GroupMetadataValue) {
        let rebalancing = self.groups.get(group_id).is_some_and(|g| {
            matches!(
                g.state,
                GroupState::PreparingRebalance | GroupState::CompletingRebalance
            )
        });
        if rebalancing && !value.members.is_empty() {
            // A live SyncGroup from the leader: store the assignment in place and, if it is
            // for the generation being completed, the group becomes Stable.
            let Some(group) = self.groups.get_mut(group_id) else {
                return;
            };
            let completes = group.state == GroupState::CompletingRebalance
                && group.generation == value.generation;
            group.generation = value.generation;
            group.protocol_name = value.protocol.clone();
            group.leader = value.leader.clone();
            for record in &value.members {
                if let Some(member) = group.members.get_mut(&record.member_id) {
                    member.assignment = record.assignment.clone();
                }
            }
            if completes {
                group.transition(GroupState::Stable, value.current_state_timestamp);
            }
            return;
        }
        // Loading, or a live record for an Empty/Stable group: the record is the whole
        // persisted state. Members still known keep their timers and parked requests.
        let mut rebuilt = ClassicGroup::from_record(group_id.to_string(), value);
        if let Some(old) = self.groups.remove(group_id) {
            if rebuilt.protocol_type.is_none() {
                // Kafka writes "" as the protocol type of an emptied group; keep the live one.
                rebuilt.protocol_type = old.protocol_type.clone();
            }
            for (member_id, member) in &mut rebuilt.members {
                if let Some(previous) = old.members.get(member_id) {
                    member.heartbeat_deadline_ms = previous.heartbeat_deadline_ms;
                    member.awaiting_sync = previous.awaiting_sync;
                    member.protocols = previous.protocols.clone();
                }
            }
            rebuilt.pending_members = old.pending_members;
            rebuilt.pending_sync = old
                .pending_sync
                .into_iter()
                .filter(|id| rebuilt.members.contains_key(id))
                .collect();
            rebuilt.sync_deadline_ms = old.sync_deadline_ms;
        }
        self.groups.insert(group_id.to_string(), rebuilt);
    }

    /// Appends a record to `out` after replaying it.
    fn emit(&mut self, out: &mut CoordinatorResult, record: CoordinatorRecord) {
        self.replay(&record);
        out.records.push(record);
    }

    /// Fills in `next_deadline_ms` and returns the result.
    fn finish(&self, mut out: CoordinatorResult) -> CoordinatorResult {
        out.next_deadline_ms = self.next_deadline_ms();
        out
    }

    /// The earliest time a timer is due.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        let mut deadlines = Vec::new();
        deadlines.extend(self.next_offset_expiry_ms);
        deadlines.extend(self.consumer_deadlines());
        for group in self.groups.values() {
            deadlines.extend(group.join_deadline_ms);
            deadlines.extend(group.sync_deadline_ms);
            deadlines.extend(group.pending_members.values().copied());
            for member in group.members.values() {
                if member.awaiting_join.is_none() {
                    // A member without a deadline (just loaded) needs a tick now.
                    deadlines.push(member.heartbeat_deadline_ms.unwrap_or(i64::MIN));
                }
            }
        }
        deadlines.into_iter().min()
    }

    /// Runs every timer due at `now_ms`: delayed joins, pending-sync and session expiry,
    /// KIP-394 pending members, offset expiry.
    pub fn tick(&mut self, now_ms: i64) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        let group_ids: Vec<String> = self.groups.keys().cloned().collect();
        for group_id in group_ids {
            self.tick_group(&group_id, now_ms, &mut out);
        }
        self.tick_consumer_groups(now_ms, &mut out);
        match self.next_offset_expiry_ms {
            None => {
                self.next_offset_expiry_ms =
                    Some(now_ms + self.config.offsets_retention_check_interval_ms);
            }
            Some(due) if due <= now_ms => {
                self.expire_offsets(now_ms, &mut out);
                self.next_offset_expiry_ms =
                    Some(now_ms + self.config.offsets_retention_check_interval_ms);
            }
            Some(_) => {}
        }
        self.finish(out)
    }

    /// Kafka's member-id format: `clientId + "-" + UUID`, the UUID drawn from the seeded
    /// generator (splitmix64) so runs are reproducible.
    fn new_member_id(&mut self, client_id: &str) -> String {
        let high = self.next_random();
        let low = self.next_random();
        // UUID v4 layout: version nibble 4, variant bits 10.
        let high = (high & !0xf000) | 0x4000;
        let low = (low & !(0b11 << 62)) | (0b10 << 62);
        format!(
            "{client_id}-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xffff,
            low >> 48,
            low & 0xffff_ffff_ffff
        )
    }

    fn next_random(&mut self) -> u64 {
        self.member_id_state = self.member_id_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.member_id_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Kafka's group id checks: not empty (INVALID_GROUP_ID, `GroupCoordinatorService
/// .isGroupIdNotEmpty`), and short enough for the i16-length `string` of the record keys.
pub(crate) fn validate_group_id(group_id: &str) -> Result<(), GroupError> {
    if group_id.is_empty() || group_id.len() > STRING_BYTES_MAX {
        return Err(GroupError::InvalidGroupId);
    }
    Ok(())
}
