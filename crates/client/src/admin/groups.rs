//! Consumer-group admin calls routed to the group's coordinator, as the Java admin client's
//! `FindCoordinator` strategy does (`CoordinatorStrategy`): FindCoordinator (key type 0,
//! batched `coordinator_keys` from v4, KIP-699), then DescribeGroups, OffsetFetch,
//! OffsetCommit, DeleteGroups and OffsetDelete on that node. ListGroups goes to every broker
//! (`KafkaAdminClient.listGroups`). A coordinator that is loading, unavailable or moved
//! (error codes 14, 15, 16) is looked up again after `retry.backoff.ms`, until the call's
//! `default.api.timeout.ms` deadline.

use std::collections::BTreeMap;

use fjord_protocol::kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use fjord_protocol::kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use fjord_protocol::kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use fjord_protocol::kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest,
    OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest,
};

use super::offsets::PartitionResults;
use super::{AdminClient, str_bytes, topic_name};
use crate::error::{ClientError, check_code};
use crate::groups::{
    CommittedOffset, GroupDescription, GroupListing, GroupMember, parse_assignment,
};
use crate::types::{BrokerInfo, TopicPartition};

/// Evaluates `$call` (which names the coordinator `$coordinator`) at `$group`'s coordinator,
/// looking the coordinator up again after `retry.backoff.ms` while `$retry(&outcome)` says the
/// outcome is a coordinator error a fresh FindCoordinator can cure (Java admin
/// `CoordinatorStrategy`: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
/// COORDINATOR_LOAD_IN_PROGRESS). A failed lookup returns from the enclosing async block
/// with `?`; the caller bounds the whole loop by the call's deadline. A macro rather than a
/// method taking an async closure: such a method's future is not provably `Send` for every
/// borrow of the client (rustc's higher-ranked `Send` limitation), and the console spawns
/// these calls.
macro_rules! at_coordinator {
    ($admin:expr, $group:expr, |$coordinator:ident| $call:expr, $retry:expr) => {
        loop {
            let $coordinator = $admin.find_coordinator_inner($group).await?;
            let outcome = $call;
            if !($retry)(&outcome) {
                break outcome;
            }
            tokio::time::sleep($admin.config.retry_backoff).await;
        }
    };
}

/// FindCoordinator key type of consumer groups (`FindCoordinatorRequest.CoordinatorType.GROUP`).
const KEY_TYPE_GROUP: i8 = 0;
/// First FindCoordinator version with batched keys (KIP-699).
const FIND_COORDINATOR_BATCHED_MIN: i16 = 4;
/// First ListGroups version with a states filter (KIP-518).
const LIST_GROUPS_STATES_MIN: i16 = 4;
/// First ListGroups version with `TypesFilter` and `GroupType` (KIP-848).
const LIST_GROUPS_TYPES_MIN: i16 = 5;
/// First OffsetFetch version with batched groups (KIP-709).
const OFFSET_FETCH_BATCHED_MIN: i16 = 8;
/// Highest OffsetFetch version addressing topics by name (v10 switched to topic ids, KIP-848).
const OFFSET_FETCH_BY_NAME_MAX: i16 = 9;
/// Highest OffsetCommit version addressing topics by name (v10 switched to topic ids).
const OFFSET_COMMIT_BY_NAME_MAX: i16 = 9;
/// GROUP_ID_NOT_FOUND (`Errors`, 69): newer DescribeGroups versions report an unknown group
/// with it instead of the `Dead` state.
const GROUP_ID_NOT_FOUND: i16 = 69;

/// The outcome of OffsetDelete: the top-level error code (0 = none) and per-partition results.
#[derive(Debug)]
pub struct OffsetDeleteOutcome {
    /// Top-level error code (`Errors`): 0, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP,
    /// GROUP_SUBSCRIBED_TO_TOPIC (when some partition failed with it)…
    pub error_code: i16,
    /// Per-partition outcome.
    pub partitions: PartitionResults<()>,
}

/// True for coordinator errors that a fresh FindCoordinator can cure (`Errors`
/// COORDINATOR_LOAD_IN_PROGRESS 14, COORDINATOR_NOT_AVAILABLE 15, NOT_COORDINATOR 16).
fn coordinator_retriable(error: &ClientError) -> bool {
    error.code().is_some_and(coordinator_retriable_code)
}

/// A [`coordinator_retriable`] error (the retry test of calls whose result has no
/// per-partition coordinator errors).
fn error_is_retriable<T>(outcome: &Result<T, ClientError>) -> bool {
    outcome.as_ref().is_err_and(coordinator_retriable)
}

/// [`coordinator_retriable`] for a raw error code from a response body.
fn coordinator_retriable_code(code: i16) -> bool {
    matches!(code, 14..=16)
}

impl AdminClient {
    /// Looks up the coordinator of `group`, again after `retry.backoff.ms` while the answer is
    /// a retriable coordinator error.
    async fn find_coordinator_inner(&mut self, group: &str) -> Result<BrokerInfo, ClientError> {
        loop {
            let connection = self.any_node().await?;
            let version = connection.version_for::<FindCoordinatorRequest>().ok_or(
                ClientError::UnsupportedApi {
                    api: "FindCoordinator",
                },
            )?;
            let mut request = FindCoordinatorRequest::default();
            request.key_type = KEY_TYPE_GROUP;
            if version >= FIND_COORDINATOR_BATCHED_MIN {
                request.coordinator_keys = vec![str_bytes(group)];
            } else {
                request.key = str_bytes(group);
            }
            let result = connection.send_at(&request, version).await;
            if result.is_err() {
                let addr = connection.addr();
                self.connections.retain(|_, c| c.addr() != addr);
            }
            let response = result?;
            let found = if version >= FIND_COORDINATOR_BATCHED_MIN {
                let entry = response
                    .coordinators
                    .first()
                    .ok_or_else(|| ClientError::Protocol {
                        api: "FindCoordinator",
                        detail: "response names no coordinator".to_owned(),
                    })?;
                check_code(entry.error_code, entry.error_message.as_deref())
                    .map(|()| (entry.node_id.0, entry.host.to_string(), entry.port))
            } else {
                check_code(response.error_code, response.error_message.as_deref())
                    .map(|()| (response.node_id.0, response.host.to_string(), response.port))
            };
            match found {
                Ok((node_id, host, port)) => {
                    self.nodes.insert(node_id, (host.clone(), port));
                    return Ok(BrokerInfo {
                        node_id,
                        host,
                        port,
                        rack: None,
                    });
                }
                Err(error) if coordinator_retriable(&error) => {
                    tokio::time::sleep(self.config.retry_backoff).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The coordinator of consumer group `group` (`FindCoordinator`, key type 0).
    pub async fn find_group_coordinator(&mut self, group: &str) -> Result<BrokerInfo, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded(
            "findCoordinator",
            timeout,
            self.find_coordinator_inner(group),
        )
        .await
    }

    /// Lists groups on every broker (`Admin.listGroups`), optionally only those in `states`
    /// (sent as ListGroups v4+'s filter, KIP-518, and applied here too for older brokers).
    /// Sorted by group id.
    pub async fn list_groups(
        &mut self,
        states: &[String],
    ) -> Result<Vec<GroupListing>, ClientError> {
        self.list_groups_filtered(states, &[]).await
    }

    /// [`Self::list_groups`] also filtered by group type (`ListGroupsOptions.withTypes`, sent as
    /// ListGroups v5+'s `TypesFilter`, KIP-848; compared case-insensitively here too).
    pub async fn list_groups_filtered(
        &mut self,
        states: &[String],
        types: &[String],
    ) -> Result<Vec<GroupListing>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("listGroups", timeout, async {
            let metadata = self.metadata_inner(Some(&[])).await?;
            let mut all: BTreeMap<String, GroupListing> = BTreeMap::new();
            for broker in &metadata.brokers {
                let connection = self.node(broker.node_id).await?;
                let version = connection
                    .version_for::<ListGroupsRequest>()
                    .ok_or(ClientError::UnsupportedApi { api: "ListGroups" })?;
                let mut request = ListGroupsRequest::default();
                if version >= LIST_GROUPS_STATES_MIN {
                    request.states_filter = states.iter().map(|s| str_bytes(s)).collect();
                }
                if version >= LIST_GROUPS_TYPES_MIN {
                    request.types_filter = types.iter().map(|t| str_bytes(t)).collect();
                }
                let response = connection.send_at(&request, version).await?;
                check_code(response.error_code, None)?;
                for group in response.groups {
                    let listing = GroupListing {
                        group_id: group.group_id.0.to_string(),
                        protocol_type: group.protocol_type.to_string(),
                        state: (version >= LIST_GROUPS_STATES_MIN)
                            .then(|| group.group_state.to_string()),
                        group_type: (version >= LIST_GROUPS_TYPES_MIN)
                            .then(|| group.group_type.to_string()),
                    };
                    let state_wanted = states.is_empty()
                        || listing.state.as_ref().is_none_or(|state| {
                            states.iter().any(|s| s.eq_ignore_ascii_case(state))
                        });
                    let type_wanted = types.is_empty()
                        || listing
                            .group_type
                            .as_ref()
                            .is_none_or(|ty| types.iter().any(|t| t.eq_ignore_ascii_case(ty)));
                    if state_wanted && type_wanted {
                        all.insert(listing.group_id.clone(), listing);
                    }
                }
            }
            Ok(all.into_values().collect())
        })
        .await
    }

    /// Describes consumer group `group` (`Admin.describeConsumerGroups`). An unknown group
    /// comes back in state `Dead` with no members.
    pub async fn describe_group(&mut self, group: &str) -> Result<GroupDescription, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("describeConsumerGroups", timeout, async {
            at_coordinator!(
                self,
                group,
                |coordinator| self.describe_group_at(&coordinator, group).await,
                error_is_retriable
            )
        })
        .await
    }

    async fn describe_group_at(
        &mut self,
        coordinator: &BrokerInfo,
        group: &str,
    ) -> Result<GroupDescription, ClientError> {
        let mut request = DescribeGroupsRequest::default();
        request.groups = vec![GroupId(str_bytes(group))];
        let response = self.send_to(Some(coordinator.node_id), &request).await?;
        let described = response
            .groups
            .into_iter()
            .find(|g| g.group_id.0.as_str() == group)
            .ok_or_else(|| ClientError::Protocol {
                api: "DescribeGroups",
                detail: format!("response does not describe group {group}"),
            })?;
        if described.error_code == GROUP_ID_NOT_FOUND {
            return Ok(GroupDescription {
                group_id: group.to_owned(),
                state: "Dead".to_owned(),
                protocol_type: String::new(),
                assignor: String::new(),
                members: Vec::new(),
                coordinator: coordinator.clone(),
            });
        }
        check_code(described.error_code, described.error_message.as_deref())?;
        let is_consumer = described.protocol_type.as_str() == crate::groups::CONSUMER_PROTOCOL_TYPE;
        let mut members = Vec::with_capacity(described.members.len());
        for member in &described.members {
            let assignment = if is_consumer {
                parse_assignment(&member.member_assignment)?
            } else {
                Vec::new()
            };
            members.push(GroupMember {
                member_id: member.member_id.to_string(),
                group_instance_id: member.group_instance_id.as_ref().map(ToString::to_string),
                client_id: member.client_id.to_string(),
                host: member.client_host.to_string(),
                assignment,
            });
        }
        Ok(GroupDescription {
            group_id: group.to_owned(),
            state: described.group_state.to_string(),
            protocol_type: described.protocol_type.to_string(),
            assignor: described.protocol_data.to_string(),
            members,
            coordinator: coordinator.clone(),
        })
    }

    /// The committed offsets of `group` for all partitions
    /// (`Admin.listConsumerGroupOffsets`); partitions without a committed offset are left out.
    pub async fn list_group_offsets(
        &mut self,
        group: &str,
    ) -> Result<BTreeMap<TopicPartition, CommittedOffset>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("listConsumerGroupOffsets", timeout, async {
            at_coordinator!(
                self,
                group,
                |coordinator| self.fetch_offsets_at(coordinator.node_id, group).await,
                error_is_retriable
            )
        })
        .await
    }

    async fn fetch_offsets_at(
        &mut self,
        node_id: i32,
        group: &str,
    ) -> Result<BTreeMap<TopicPartition, CommittedOffset>, ClientError> {
        let connection = self.node(node_id).await?;
        let version = connection
            .version_for::<OffsetFetchRequest>()
            .map(|v| v.min(OFFSET_FETCH_BY_NAME_MAX))
            .filter(|v| *v >= 2)
            .ok_or(ClientError::UnsupportedApi { api: "OffsetFetch" })?;
        let mut request = OffsetFetchRequest::default();
        if version >= OFFSET_FETCH_BATCHED_MIN {
            let mut entry = OffsetFetchRequestGroup::default();
            entry.group_id = GroupId(str_bytes(group));
            entry.topics = None;
            request.groups = vec![entry];
        } else {
            request.group_id = GroupId(str_bytes(group));
            request.topics = None;
        }
        let response = connection.send_at(&request, version).await?;
        let mut out = BTreeMap::new();
        let mut add =
            |topic: &str, partition: i32, offset: i64, epoch: i32, metadata: Option<&str>| {
                if offset >= 0 {
                    out.insert(
                        TopicPartition {
                            topic: topic.to_owned(),
                            partition,
                        },
                        CommittedOffset {
                            offset,
                            leader_epoch: (epoch >= 0).then_some(epoch),
                            metadata: metadata.unwrap_or_default().to_owned(),
                        },
                    );
                }
            };
        if version >= OFFSET_FETCH_BATCHED_MIN {
            let entry = response
                .groups
                .iter()
                .find(|g| g.group_id.0.as_str() == group)
                .ok_or_else(|| ClientError::Protocol {
                    api: "OffsetFetch",
                    detail: format!("response has no entry for group {group}"),
                })?;
            check_code(entry.error_code, None)?;
            for topic in &entry.topics {
                for p in &topic.partitions {
                    check_code(p.error_code, None)?;
                    add(
                        topic.name.0.as_str(),
                        p.partition_index,
                        p.committed_offset,
                        p.committed_leader_epoch,
                        p.metadata.as_deref(),
                    );
                }
            }
        } else {
            check_code(response.error_code, None)?;
            for topic in &response.topics {
                for p in &topic.partitions {
                    check_code(p.error_code, None)?;
                    add(
                        topic.name.0.as_str(),
                        p.partition_index,
                        p.committed_offset,
                        p.committed_leader_epoch,
                        p.metadata.as_deref(),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Commits `offsets` for `group` as a simple (non-member) consumer
    /// (`Admin.alterConsumerGroupOffsets`: generation -1, empty member id), which the
    /// coordinator accepts only while the group has no active members.
    pub async fn alter_group_offsets(
        &mut self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<PartitionResults<()>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("alterConsumerGroupOffsets", timeout, async {
            at_coordinator!(
                self,
                group,
                |coordinator| self.commit_at(coordinator.node_id, group, offsets).await,
                |outcome: &Result<PartitionResults<()>, ClientError>| match outcome {
                    Ok(results) => results
                        .values()
                        .any(|r| r.as_ref().is_err_and(coordinator_retriable)),
                    Err(error) => coordinator_retriable(error),
                }
            )
        })
        .await
    }

    async fn commit_at(
        &mut self,
        node_id: i32,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<PartitionResults<()>, ClientError> {
        let mut by_topic: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
        for (tp, offset) in offsets {
            let mut partition = OffsetCommitRequestPartition::default();
            partition.partition_index = tp.partition;
            partition.committed_offset = *offset;
            partition.committed_leader_epoch = -1;
            partition.committed_metadata = Some(str_bytes(""));
            by_topic
                .entry(tp.topic.as_str())
                .or_default()
                .push(partition);
        }
        let mut request = OffsetCommitRequest::default();
        request.group_id = GroupId(str_bytes(group));
        request.generation_id_or_member_epoch = -1;
        request.member_id = str_bytes("");
        request.retention_time_ms = -1;
        request.topics = by_topic
            .into_iter()
            .map(|(name, partitions)| {
                let mut topic = OffsetCommitRequestTopic::default();
                topic.name = topic_name(name);
                topic.partitions = partitions;
                topic
            })
            .collect();
        let connection = self.node(node_id).await?;
        let version = connection
            .version_for::<OffsetCommitRequest>()
            .map(|v| v.min(OFFSET_COMMIT_BY_NAME_MAX))
            .ok_or(ClientError::UnsupportedApi {
                api: "OffsetCommit",
            })?;
        let response = connection.send_at(&request, version).await?;
        let mut results = PartitionResults::new();
        for topic in &response.topics {
            for p in &topic.partitions {
                results.insert(
                    TopicPartition {
                        topic: topic.name.0.to_string(),
                        partition: p.partition_index,
                    },
                    check_code(p.error_code, None),
                );
            }
        }
        Ok(results)
    }

    /// Deletes `groups` (`Admin.deleteConsumerGroups`), each at its coordinator. Per group:
    /// `Ok` or the broker's error (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND…).
    pub async fn delete_groups(
        &mut self,
        groups: &[String],
    ) -> Result<BTreeMap<String, Result<(), ClientError>>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("deleteConsumerGroups", timeout, async {
            let mut out = BTreeMap::new();
            for group in groups {
                let outcome = at_coordinator!(
                    self,
                    group,
                    |coordinator| {
                        let mut request = DeleteGroupsRequest::default();
                        request.groups_names = vec![GroupId(str_bytes(group))];
                        let response = self.send_to(Some(coordinator.node_id), &request).await?;
                        let code = response
                            .results
                            .iter()
                            .find(|r| r.group_id.0.as_str() == group.as_str())
                            .map_or(0, |r| r.error_code);
                        check_code(code, None)
                    },
                    error_is_retriable
                );
                out.insert(group.clone(), outcome);
            }
            Ok(out)
        })
        .await
    }

    /// Deletes `group`'s committed offsets for `partitions` (`Admin.deleteConsumerGroupOffsets`,
    /// OffsetDelete, KIP-496).
    pub async fn delete_group_offsets(
        &mut self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<OffsetDeleteOutcome, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("deleteConsumerGroupOffsets", timeout, async {
            at_coordinator!(
                self,
                group,
                |coordinator| {
                    self.delete_offsets_at(coordinator.node_id, group, partitions)
                        .await
                },
                |outcome: &Result<OffsetDeleteOutcome, ClientError>| outcome
                    .as_ref()
                    .is_ok_and(|o| coordinator_retriable_code(o.error_code))
            )
        })
        .await
    }

    async fn delete_offsets_at(
        &mut self,
        node_id: i32,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<OffsetDeleteOutcome, ClientError> {
        let mut by_topic: BTreeMap<&str, Vec<OffsetDeleteRequestPartition>> = BTreeMap::new();
        for tp in partitions {
            let mut partition = OffsetDeleteRequestPartition::default();
            partition.partition_index = tp.partition;
            by_topic
                .entry(tp.topic.as_str())
                .or_default()
                .push(partition);
        }
        let mut request = OffsetDeleteRequest::default();
        request.group_id = GroupId(str_bytes(group));
        request.topics = by_topic
            .into_iter()
            .map(|(name, partitions)| {
                let mut topic = OffsetDeleteRequestTopic::default();
                topic.name = topic_name(name);
                topic.partitions = partitions;
                topic
            })
            .collect();
        let response = self.send_to(Some(node_id), &request).await?;
        let mut results = PartitionResults::new();
        for topic in &response.topics {
            for p in &topic.partitions {
                results.insert(
                    TopicPartition {
                        topic: topic.name.0.to_string(),
                        partition: p.partition_index,
                    },
                    check_code(p.error_code, None),
                );
            }
        }
        // A top-level error answers no partitions: every requested one shares it.
        if response.error_code != 0 {
            for tp in partitions {
                results
                    .entry(tp.clone())
                    .or_insert_with(|| Err(ClientError::from_code(response.error_code, None)));
            }
        }
        Ok(OffsetDeleteOutcome {
            error_code: response.error_code,
            partitions: results,
        })
    }
}
