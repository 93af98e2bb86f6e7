//! The group coordinator runtime: drives one [`GroupCoordinatorShard`] per
//! `__consumer_offsets` partition (Kafka `CoordinatorRuntime`), all led by this node.
//!
//! - A shard is loaded lazily, on the first request for one of its groups, by replaying the
//!   partition's log; `__consumer_offsets` itself is created on first use, as Kafka creates
//!   it on the first FindCoordinator (`offsets.topic.num.partitions`, `cleanup.policy=compact`).
//! - Each call runs the shard synchronously under the partition's mutex, appends the
//!   records it returns to the partition through [`LogPartitionWriter`], and only then
//!   releases the responses, which travel to the waiting requests over oneshot channels
//!   (a JoinGroup's answer usually arrives during a later request or timer tick).
//! - If an append fails, the shard is dropped and its waiting requests get NOT_COORDINATOR;
//!   the next request reloads it from the log (the `PartitionWriter` contract).
//! - [`GroupCoordinatorRuntime::tick_all`] runs on the scheduler every
//!   [`TICK_INTERVAL`] and ticks shards whose deadline passed (delayed joins, session
//!   expiry, offset expiry).
//!
//! Threading: one std mutex per partition, held for the shard call and the append (a
//! page-cache write), never across an await.

use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use fjord_common::TopicPartition;
use fjord_coordinator::{
    CoordinatorRecord, CoordinatorResponse, CoordinatorResult, GroupCoordinatorConfig,
    GroupCoordinatorShard, PartitionWriter, RequestHandle, encode_batch, partition_for_group,
    replay_batches,
};
use fjord_metadata::controller::CreatableTopic;
use tokio::sync::oneshot;

use crate::api::{BrokerContext, now_ms};

/// The internal topic's name (Kafka `Topic.GROUP_METADATA_TOPIC_NAME`).
pub const CONSUMER_OFFSETS_TOPIC: &str = "__consumer_offsets";
/// How often shards are checked for due timers; bounds how late a session expires or a
/// delayed join completes.
pub const TICK_INTERVAL: Duration = Duration::from_millis(100);
/// Bytes read from the log per step while loading a shard.
const LOAD_READ_BYTES: usize = 1 << 20;
/// Largest batch accepted while loading (Kafka's default `message.max.bytes` is ~1 MiB;
/// coordinator batches are far smaller).
const LOAD_BATCH_BYTES_MAX: usize = 16 << 20;
/// Decompressed-size cap while loading.
const LOAD_DECOMPRESSED_BYTES_MAX: usize = 64 << 20;

/// Why a coordinator call could not be served.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `__consumer_offsets` could not be created.
    #[error("cannot create {CONSUMER_OFFSETS_TOPIC}: {0}")]
    CreateTopic(String),
    /// The partition could not be read back.
    #[error("cannot load {CONSUMER_OFFSETS_TOPIC}-{partition}: {reason}")]
    Load {
        /// Partition.
        partition: i32,
        /// What failed.
        reason: String,
    },
    /// The records could not be appended; the shard was dropped for reloading.
    #[error("cannot append to {CONSUMER_OFFSETS_TOPIC}-{partition}: {reason}")]
    Append {
        /// Partition.
        partition: i32,
        /// What failed.
        reason: String,
    },
    /// The shard was dropped while the request waited (an append failed, or shutdown).
    #[error("the coordinator was reloaded while the request waited")]
    Dropped,
    /// The broker is shutting down.
    #[error("the group coordinator is shutting down")]
    ShuttingDown,
}

impl RuntimeError {
    /// Kafka's code for this failure: COORDINATOR_NOT_AVAILABLE (15) while the partition
    /// cannot be served, NOT_COORDINATOR (16) when a write's outcome is unknown (Kafka maps
    /// coordinator write failures to NOT_COORDINATOR so clients look the coordinator up again).
    pub fn code(&self) -> i16 {
        match self {
            Self::CreateTopic(_) | Self::Load { .. } => 15,
            Self::Append { .. } | Self::Dropped | Self::ShuttingDown => 16,
        }
    }
}

#[derive(Debug, Default)]
struct Slot {
    shard: Option<GroupCoordinatorShard>,
    next_handle: u64,
    waiting: HashMap<RequestHandle, oneshot::Sender<CoordinatorResponse>>,
}

/// One shard per `__consumer_offsets` partition, with its waiting requests.
#[derive(Debug)]
pub struct GroupCoordinatorRuntime {
    num_partitions: i32,
    replication_factor: i16,
    config: GroupCoordinatorConfig,
    slots: Vec<Mutex<Slot>>,
    /// Set by [`GroupCoordinatorRuntime::unload_all`]: no shard loads any more.
    closed: AtomicBool,
}

impl GroupCoordinatorRuntime {
    /// A runtime for `offsets.topic.num.partitions` partitions.
    pub fn new(server: &fjord_config::ServerConfig) -> Self {
        let num_partitions = server.offsets_topic_num_partitions.max(1);
        let config = coordinator_config(server);
        Self {
            num_partitions,
            // A single-node cluster cannot place more replicas than it has brokers; Kafka
            // refuses to create the topic then. fjord has no replication yet: one replica.
            replication_factor: server.offsets_topic_replication_factor.clamp(1, 1),
            config,
            slots: (0..num_partitions)
                .map(|_| Mutex::new(Slot::default()))
                .collect(),
            closed: AtomicBool::new(false),
        }
    }

    /// The partition coordinating `group_id` (Kafka `GroupCoordinatorService.partitionFor`).
    pub fn partition_for(&self, group_id: &str) -> i32 {
        partition_for_group(group_id, self.num_partitions)
    }

    fn slot(&self, partition: i32) -> MutexGuard<'_, Slot> {
        let index = usize::try_from(partition).unwrap_or(0) % self.slots.len();
        self.slots[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a mutating operation on the shard of `group_id` and waits for its response
    /// (which may come from a later call or tick).
    pub async fn call(
        &self,
        ctx: &BrokerContext,
        group_id: &str,
        op: impl FnOnce(&mut GroupCoordinatorShard, RequestHandle, i64) -> CoordinatorResult,
    ) -> Result<CoordinatorResponse, RuntimeError> {
        let partition = self.partition_for(group_id);
        let receiver = {
            let mut slot = self.slot(partition);
            self.ensure_loaded(ctx, partition, &mut slot)?;
            slot.next_handle += 1;
            let handle = RequestHandle(slot.next_handle);
            let (sender, receiver) = oneshot::channel();
            slot.waiting.insert(handle, sender);
            let Some(shard) = slot.shard.as_mut() else {
                return Err(RuntimeError::Dropped);
            };
            let result = op(shard, handle, now_ms());
            complete(ctx, partition, &mut slot, result)?;
            receiver
        };
        receiver.await.map_err(|_| RuntimeError::Dropped)
    }

    /// Runs a read-only operation on the shard of `group_id`.
    pub fn read<T>(
        &self,
        ctx: &BrokerContext,
        group_id: &str,
        op: impl FnOnce(&GroupCoordinatorShard) -> T,
    ) -> Result<T, RuntimeError> {
        let partition = self.partition_for(group_id);
        let mut slot = self.slot(partition);
        self.ensure_loaded(ctx, partition, &mut slot)?;
        slot.shard.as_ref().map(op).ok_or(RuntimeError::Dropped)
    }

    /// Runs `op` on every shard (ListGroups); nothing when `__consumer_offsets` does not
    /// exist yet (no group was ever used).
    pub fn read_all<T>(
        &self,
        ctx: &BrokerContext,
        mut op: impl FnMut(&GroupCoordinatorShard) -> Vec<T>,
    ) -> Result<Vec<T>, RuntimeError> {
        if ctx.replicas.image().topic(CONSUMER_OFFSETS_TOPIC).is_none() {
            return Ok(Vec::new());
        }
        let mut all = Vec::new();
        for partition in 0..self.num_partitions {
            let mut slot = self.slot(partition);
            self.ensure_loaded(ctx, partition, &mut slot)?;
            if let Some(shard) = slot.shard.as_ref() {
                all.extend(op(shard));
            }
        }
        Ok(all)
    }

    /// Requests waiting for a shard's response (parked JoinGroup/SyncGroup, plus any being
    /// handled this instant): the "Rebalance" purgatory gauge (Kafka `DelayedJoin`).
    pub fn waiting_requests(&self) -> usize {
        self.slots
            .iter()
            .map(|slot| {
                slot.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .waiting
                    .len()
            })
            .sum()
    }

    /// Ticks every loaded shard whose next deadline has passed.
    pub fn tick_all(&self, ctx: &BrokerContext) {
        let now = now_ms();
        for partition in 0..self.num_partitions {
            let mut slot = self.slot(partition);
            let due = slot
                .shard
                .as_ref()
                .and_then(GroupCoordinatorShard::next_deadline_ms)
                .is_some_and(|deadline| deadline <= now);
            if !due {
                continue;
            }
            let Some(shard) = slot.shard.as_mut() else {
                continue;
            };
            let result = shard.tick(now);
            if let Err(error) = complete(ctx, partition, &mut slot, result) {
                tracing::error!(%error, "group coordinator tick failed");
            }
        }
    }

    /// Shutdown (Kafka `CoordinatorRuntime.close`): drops every shard, so parked JoinGroup
    /// and SyncGroup requests are answered NOT_COORDINATOR instead of holding their
    /// connections open, and refuses to load shards afterwards.
    pub fn unload_all(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for slot in &self.slots {
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            slot.shard = None;
            slot.waiting.clear();
        }
    }

    fn ensure_loaded(
        &self,
        ctx: &BrokerContext,
        partition: i32,
        slot: &mut Slot,
    ) -> Result<(), RuntimeError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(RuntimeError::ShuttingDown);
        }
        if slot.shard.is_some() {
            return Ok(());
        }
        self.ensure_topic(ctx)?;
        let mut shard = GroupCoordinatorShard::new(partition, self.config.clone());
        let log_bytes = read_partition(ctx, partition)?;
        let summary = replay_batches(
            &mut shard,
            &log_bytes,
            LOAD_BATCH_BYTES_MAX,
            LOAD_DECOMPRESSED_BYTES_MAX,
        )
        .map_err(|e| RuntimeError::Load {
            partition,
            reason: e.to_string(),
        })?;
        tracing::info!(
            partition,
            replayed = summary.replayed,
            skipped = summary.skipped_unknown_type,
            "loaded group coordinator shard"
        );
        // Arms the loaded members' sessions and the offset-expiry timer.
        let result = shard.tick(now_ms());
        slot.shard = Some(shard);
        complete(ctx, partition, slot, result)
    }

    fn ensure_topic(&self, ctx: &BrokerContext) -> Result<(), RuntimeError> {
        if ctx.replicas.image().topic(CONSUMER_OFFSETS_TOPIC).is_some() {
            return Ok(());
        }
        let topic = CreatableTopic {
            name: CONSUMER_OFFSETS_TOPIC.to_owned(),
            num_partitions: self.num_partitions,
            replication_factor: self.replication_factor,
            assignments: Vec::new(),
            // Kafka `GroupCoordinator.groupMetadataTopicConfigs`.
            configs: vec![
                ("cleanup.policy".to_owned(), Some("compact".to_owned())),
                ("compression.type".to_owned(), Some("producer".to_owned())),
                ("segment.bytes".to_owned(), Some("104857600".to_owned())),
            ],
        };
        let results = ctx
            .replicas
            .metadata()
            .create_topics(&[topic], false, now_ms())
            .map_err(|e| RuntimeError::CreateTopic(e.to_string()))?;
        for (name, result) in results {
            // Another request may have created it first: that is fine.
            if let Err(error) = result
                && ctx.replicas.image().topic(&name).is_none()
            {
                return Err(RuntimeError::CreateTopic(format!("{error:?}")));
            }
        }
        ctx.replicas
            .sync_logs(now_ms())
            .map_err(|e| RuntimeError::CreateTopic(e.to_string()))
    }
}

/// The coordinator settings from `server.properties` (Kafka `GroupCoordinatorConfig`,
/// `OffsetConfig`), read typed through fjord-config, which declares every key with Kafka's
/// default and validator; a value outside what the shard can use keeps the shard's default.
pub fn coordinator_config(server: &fjord_config::ServerConfig) -> GroupCoordinatorConfig {
    let defaults = GroupCoordinatorConfig::default();
    let long = |key: &str| -> Option<i64> {
        match server.get(key) {
            Some(fjord_config::ConfigValue::Int(v)) => Some(i64::from(*v)),
            Some(fjord_config::ConfigValue::Long(v)) => Some(*v),
            Some(fjord_config::ConfigValue::Short(v)) => Some(i64::from(*v)),
            _ => None,
        }
    };
    let int = |key: &str| long(key).and_then(|v| i32::try_from(v).ok());
    let size = |key: &str| {
        long(key)
            .and_then(|v| usize::try_from(v).ok())
            .filter(|v| *v >= 1)
    };
    GroupCoordinatorConfig {
        initial_rebalance_delay_ms: i64::from(server.group_initial_rebalance_delay_ms),
        session_timeout_ms_min: int("group.min.session.timeout.ms")
            .unwrap_or(defaults.session_timeout_ms_min),
        session_timeout_ms_max: int("group.max.session.timeout.ms")
            .unwrap_or(defaults.session_timeout_ms_max),
        group_size_max: size("group.max.size").unwrap_or(defaults.group_size_max),
        offsets_retention_ms: long("offsets.retention.minutes")
            .filter(|v| *v >= 1)
            .map_or(defaults.offsets_retention_ms, |m| m.saturating_mul(60_000)),
        offsets_retention_check_interval_ms: long("offsets.retention.check.interval.ms")
            .filter(|v| *v >= 1)
            .unwrap_or(defaults.offsets_retention_check_interval_ms),
        offset_metadata_bytes_max: long("offset.metadata.max.bytes")
            .and_then(|v| usize::try_from(v).ok())
            .unwrap_or(defaults.offset_metadata_bytes_max),
        consumer_session_timeout_ms: int("group.consumer.session.timeout.ms")
            .filter(|v| *v >= 1)
            .unwrap_or(defaults.consumer_session_timeout_ms),
        consumer_heartbeat_interval_ms: int("group.consumer.heartbeat.interval.ms")
            .filter(|v| *v >= 1)
            .unwrap_or(defaults.consumer_heartbeat_interval_ms),
        consumer_assignors: match server.get("group.consumer.assignors") {
            Some(fjord_config::ConfigValue::List(list)) if !list.is_empty() => list.clone(),
            _ => defaults.consumer_assignors,
        },
        consumer_group_size_max: size("group.consumer.max.size")
            .unwrap_or(defaults.consumer_group_size_max),
        member_id_seed: u64::try_from(now_ms()).unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32),
    }
}

/// Appends the result's records, then releases its responses to the waiting requests.
fn complete(
    ctx: &BrokerContext,
    partition: i32,
    slot: &mut Slot,
    result: CoordinatorResult,
) -> Result<(), RuntimeError> {
    if !result.records.is_empty() {
        let mut writer = LogPartitionWriter { ctx };
        if let Err(error) = writer.append(partition, &result.records, now_ms()) {
            // The shard's memory is ahead of the log: drop it (and with it every waiting
            // request, which gets NOT_COORDINATOR) and reload on the next request.
            slot.shard = None;
            slot.waiting.clear();
            return Err(RuntimeError::Append {
                partition,
                reason: error.to_string(),
            });
        }
    }
    for (handle, response) in result.responses {
        if let Some(sender) = slot.waiting.remove(&handle) {
            // The request may have been abandoned (connection closed): nothing to do.
            let _ = sender.send(response);
        }
    }
    Ok(())
}

fn read_partition(ctx: &BrokerContext, partition: i32) -> Result<Vec<u8>, RuntimeError> {
    let load_error = |reason: String| RuntimeError::Load { partition, reason };
    let tp = TopicPartition::new(CONSUMER_OFFSETS_TOPIC, partition);
    let log = ctx
        .replicas
        .log(&tp)
        .ok_or_else(|| load_error("no local log".to_owned()))?;
    let log = log.lock().unwrap_or_else(PoisonError::into_inner);
    let mut bytes = Vec::new();
    let mut offset = log.log_start_offset();
    while offset < log.log_end_offset() {
        let data = log
            .read(offset, LOAD_READ_BYTES, None, true)
            .map_err(|e| load_error(e.to_string()))?;
        if data.ranges.is_empty() || data.next_offset <= offset {
            break;
        }
        for range in &data.ranges {
            let len = usize::try_from(range.len).map_err(|e| load_error(e.to_string()))?;
            let start = bytes.len();
            bytes.resize(start + len, 0);
            range
                .file
                .read_exact_at(&mut bytes[start..], range.position)
                .map_err(|e| load_error(e.to_string()))?;
        }
        offset = data.next_offset;
    }
    Ok(bytes)
}

/// [`PartitionWriter`] over this node's `__consumer_offsets` logs.
#[derive(Debug)]
pub struct LogPartitionWriter<'a> {
    ctx: &'a BrokerContext,
}

/// Why an append to `__consumer_offsets` failed.
#[derive(Debug, thiserror::Error)]
pub enum LogWriteError {
    /// The batch could not be built.
    #[error("cannot build the batch: {0}")]
    Build(#[from] fjord_record::BuildError),
    /// The log refused the append.
    #[error("append failed: {0}")]
    Append(String),
}

impl PartitionWriter for LogPartitionWriter<'_> {
    type Error = LogWriteError;

    fn append(
        &mut self,
        partition: i32,
        records: &[CoordinatorRecord],
        now_ms: i64,
    ) -> Result<i64, Self::Error> {
        let batch = encode_batch(records, now_ms)?;
        let tp = TopicPartition::new(CONSUMER_OFFSETS_TOPIC, partition);
        let info = self
            .ctx
            .replicas
            .append(&tp, &batch, now_ms)
            .map_err(|e| LogWriteError::Append(e.to_string()))?;
        Ok(info.last_offset)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::coordinator_config;

    /// The smallest valid combined-mode config plus `extra`.
    fn server(extra: &[(&str, &str)]) -> fjord_config::ServerConfig {
        let mut pairs = vec![
            ("process.roles", "broker,controller"),
            ("node.id", "1"),
            ("controller.quorum.voters", "1@127.0.0.1:9093"),
            (
                "listeners",
                "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
            ),
            ("controller.listener.names", "CONTROLLER"),
            ("log.dirs", "/tmp/unused"),
        ];
        pairs.extend_from_slice(extra);
        fjord_config::ServerConfig::from_pairs(pairs).unwrap()
    }

    /// Kafka `GroupCoordinatorConfig` / `OffsetConfig` keys reach the shard config.
    #[test]
    fn coordinator_config_reads_kafka_group_keys() {
        let server = server(&[
            ("group.min.session.timeout.ms", "1000"),
            ("group.max.session.timeout.ms", "60000"),
            ("group.initial.rebalance.delay.ms", "0"),
            ("group.max.size", "3"),
            ("offsets.retention.minutes", "2"),
            ("offsets.retention.check.interval.ms", "5000"),
        ]);
        let config = coordinator_config(&server);
        assert_eq!(config.session_timeout_ms_min, 1000);
        assert_eq!(config.session_timeout_ms_max, 60_000);
        assert_eq!(config.initial_rebalance_delay_ms, 0);
        assert_eq!(config.group_size_max, 3);
        assert_eq!(config.offsets_retention_ms, 120_000);
        assert_eq!(config.offsets_retention_check_interval_ms, 5000);
    }

    /// KIP-848 keys (`group.consumer.*`, Kafka `GroupCoordinatorConfig`) are declared in
    /// fjord-config and reach the shard typed.
    #[test]
    fn coordinator_config_reads_group_consumer_keys() {
        let server = server(&[
            ("group.consumer.session.timeout.ms", "10000"),
            ("group.consumer.heartbeat.interval.ms", "500"),
            ("group.consumer.assignors", "range,uniform"),
            ("group.consumer.max.size", "4"),
            ("offset.metadata.max.bytes", "100"),
        ]);
        assert!(server.get("group.consumer.session.timeout.ms").is_some());
        let config = coordinator_config(&server);
        assert_eq!(config.consumer_session_timeout_ms, 10_000);
        assert_eq!(config.consumer_heartbeat_interval_ms, 500);
        assert_eq!(config.consumer_assignors, vec!["range", "uniform"]);
        assert_eq!(config.consumer_group_size_max, 4);
        assert_eq!(config.offset_metadata_bytes_max, 100);
        let defaults = coordinator_config(&super::tests::server(&[]));
        assert_eq!(defaults.consumer_session_timeout_ms, 45_000);
        assert_eq!(defaults.consumer_heartbeat_interval_ms, 5000);
        assert_eq!(defaults.consumer_assignors, vec!["uniform", "range"]);
    }

    /// Unset keys keep Kafka's defaults (6000, 1800000, 3000, Integer.MAX_VALUE, 7 days).
    #[test]
    fn coordinator_config_defaults_are_kafkas() {
        let server = server(&[]);
        let config = coordinator_config(&server);
        assert_eq!(config.session_timeout_ms_min, 6000);
        assert_eq!(config.session_timeout_ms_max, 1_800_000);
        assert_eq!(config.initial_rebalance_delay_ms, 3000);
        assert_eq!(config.group_size_max, i32::MAX as usize);
        assert_eq!(config.offsets_retention_ms, 10_080 * 60_000);
    }
}
