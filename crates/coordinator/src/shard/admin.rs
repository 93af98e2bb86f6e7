//! ListGroups, DescribeGroups and DeleteGroups (Kafka `GroupMetadataManager.listGroups`,
//! `describeGroups`, `GroupCoordinatorShard.deleteGroups`).

use bytes::Bytes;

use super::{CoordinatorResult, GroupCoordinatorShard, validate_group_id};
use crate::api::{
    CoordinatorResponse, DescribedGroup, DescribedMember, ListedGroup, RequestHandle,
};
use crate::error::GroupError;
use crate::group::GroupState;
use crate::records::{ConsumerGroupRecord, CoordinatorRecord, OffsetCommitKey};

/// The group type ListGroups v5+ reports for classic groups (KIP-848).
const CLASSIC_GROUP_TYPE: &str = "classic";
/// Kafka `GroupType.CONSUMER` (KIP-848).
const CONSUMER_GROUP_TYPE: &str = "consumer";

impl GroupCoordinatorShard {
    /// ListGroups with KIP-518 state filter and KIP-848 type filter (both case-insensitive;
    /// empty = all).
    pub fn list_groups(
        &self,
        states_filter: &[String],
        types_filter: &[String],
    ) -> Vec<ListedGroup> {
        let type_ok = |kind: &str| {
            types_filter.is_empty() || types_filter.iter().any(|t| t.eq_ignore_ascii_case(kind))
        };
        let state_ok = |state: &str| {
            states_filter.is_empty() || states_filter.iter().any(|s| s.eq_ignore_ascii_case(state))
        };
        let mut listed: Vec<ListedGroup> = Vec::new();
        if type_ok(CLASSIC_GROUP_TYPE) {
            listed.extend(
                self.groups
                    .values()
                    .filter(|g| g.state != GroupState::Dead && state_ok(g.state.name()))
                    .map(|g| ListedGroup {
                        group_id: g.group_id.clone(),
                        protocol_type: g.protocol_type.clone().unwrap_or_default(),
                        group_state: g.state.name(),
                        group_type: CLASSIC_GROUP_TYPE,
                    }),
            );
        }
        // KIP-848 consumer groups: type "consumer", protocol type "consumer" (Kafka
        // `ConsumerGroup.asListedGroup`).
        if type_ok(CONSUMER_GROUP_TYPE) {
            listed.extend(
                self.consumer_groups
                    .values()
                    .filter(|g| state_ok(g.state_name()))
                    .map(|g| ListedGroup {
                        group_id: g.group_id.clone(),
                        protocol_type: CONSUMER_GROUP_TYPE.to_string(),
                        group_state: g.state_name(),
                        group_type: CONSUMER_GROUP_TYPE,
                    }),
            );
        }
        listed
    }

    /// DescribeGroups for one group. Members carry metadata and assignment only when the
    /// group is Stable; an unknown group is described as Dead, as Kafka does.
    pub fn describe_group(&self, group_id: &str) -> DescribedGroup {
        let mut described = DescribedGroup {
            group_id: group_id.to_string(),
            error: None,
            group_state: GroupState::Dead.name(),
            protocol_type: String::new(),
            protocol_data: String::new(),
            members: Vec::new(),
        };
        if let Err(error) = validate_group_id(group_id) {
            described.error = Some(error);
            return described;
        }
        let Some(group) = self.groups.get(group_id) else {
            return described;
        };
        let stable = group.state == GroupState::Stable;
        let protocol = group.protocol_name.clone().unwrap_or_default();
        described.group_state = group.state.name();
        described.protocol_type = group.protocol_type.clone().unwrap_or_default();
        described.protocol_data = if stable {
            protocol.clone()
        } else {
            String::new()
        };
        described.members = group
            .members
            .values()
            .map(|m| DescribedMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                metadata: if stable {
                    m.metadata(&protocol)
                } else {
                    Bytes::new()
                },
                assignment: if stable {
                    m.assignment.clone()
                } else {
                    Bytes::new()
                },
            })
            .collect();
        described
    }

    /// DeleteGroups: each Empty group's offsets and metadata are tombstoned.
    pub fn delete_groups(
        &mut self,
        handle: RequestHandle,
        group_ids: &[String],
        _now_ms: i64,
    ) -> CoordinatorResult {
        let mut out = CoordinatorResult::default();
        let mut results = Vec::with_capacity(group_ids.len());
        for group_id in group_ids {
            let error = self.delete_group(group_id, &mut out).err();
            results.push((group_id.clone(), error));
        }
        out.responses
            .push((handle, CoordinatorResponse::DeleteGroups(results)));
        self.finish(out)
    }

    fn delete_group(
        &mut self,
        group_id: &str,
        out: &mut CoordinatorResult,
    ) -> Result<(), GroupError> {
        validate_group_id(group_id)?;
        let consumer = self
            .consumer_groups
            .get(group_id)
            .map(|g| g.members.is_empty());
        match consumer {
            // KIP-848 (Kafka `ConsumerGroup.validateDeleteGroup`): only an empty group.
            Some(false) => return Err(GroupError::NonEmptyGroup),
            Some(true) => {}
            None => {
                let group = self
                    .groups
                    .get(group_id)
                    .ok_or(GroupError::GroupIdNotFound)?;
                match group.state {
                    GroupState::Dead => return Err(GroupError::GroupIdNotFound),
                    GroupState::Empty => {}
                    _ => return Err(GroupError::NonEmptyGroup),
                }
            }
        }
        let keys: Vec<(String, i32)> = self
            .offsets
            .get(group_id)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for (topic, partition) in keys {
            let key = OffsetCommitKey {
                group: group_id.to_string(),
                topic,
                partition,
            };
            self.emit(out, CoordinatorRecord::OffsetCommit { key, value: None });
        }
        let record = if consumer.is_some() {
            // Kafka `createGroupTombstoneRecords` for a consumer group: the target-assignment
            // metadata and group metadata tombstones (its members are already gone).
            self.emit(
                out,
                CoordinatorRecord::ConsumerGroup(ConsumerGroupRecord::TargetMetadata {
                    group: group_id.to_string(),
                    epoch: None,
                }),
            );
            CoordinatorRecord::ConsumerGroup(ConsumerGroupRecord::Metadata {
                group: group_id.to_string(),
                epoch: None,
            })
        } else {
            CoordinatorRecord::GroupMetadata {
                group: group_id.to_string(),
                value: None,
            }
        };
        self.emit(out, record);
        Ok(())
    }
}
