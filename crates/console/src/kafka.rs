//! [`Cluster`]: the console's only way to the cluster, over the Kafka protocol. Admin and
//! metadata calls go through `fjord_client::AdminClient`; reading and producing records goes
//! through librdkafka (`rdkafka`), which handles every compression codec, so the console works
//! against any Kafka-compatible cluster.

use std::collections::BTreeMap;
use std::time::Duration;

use fjord_client::{AdminClient, ClientConfig, OffsetSpec, TopicPartition};
use rdkafka::config::ClientConfig as RdConfig;
use rdkafka::producer::FutureProducer;
use tokio::sync::{Mutex, MutexGuard, OnceCell};

use crate::error::{ApiResult, ConsoleError};

/// Bound on one admin call made for the UI (Kafka's default of 60 s is too long for a page).
pub const ADMIN_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Lag of one partition of a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionLag {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Committed offset (`None` when the group has not committed for this partition).
    pub committed: Option<i64>,
    /// Log end offset.
    pub end_offset: Option<i64>,
    /// `end_offset - committed` (Kafka's `ConsumerGroupCommand` lag), when both are known.
    pub lag: Option<i64>,
}

/// Connections to one cluster.
pub struct Cluster {
    bootstrap: String,
    admin: Mutex<AdminClient>,
    producer: OnceCell<FutureProducer>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("bootstrap", &self.bootstrap)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A cluster reached through `bootstrap` (nothing is connected yet).
    pub fn new(bootstrap: &str, client_id: &str) -> ApiResult<Self> {
        let mut config = ClientConfig::new(bootstrap);
        config.client_id = client_id.to_owned();
        config.default_api_timeout = ADMIN_CALL_TIMEOUT;
        config.request_timeout = ADMIN_CALL_TIMEOUT;
        Ok(Self {
            bootstrap: bootstrap.to_owned(),
            admin: Mutex::new(AdminClient::new(config)?),
            producer: OnceCell::new(),
        })
    }

    /// `bootstrap.servers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The admin client (one call at a time).
    pub async fn admin(&self) -> MutexGuard<'_, AdminClient> {
        self.admin.lock().await
    }

    /// The shared test-message producer, created on first use.
    pub async fn producer(&self) -> ApiResult<&FutureProducer> {
        self.producer
            .get_or_try_init(|| async {
                RdConfig::new()
                    .set("bootstrap.servers", &self.bootstrap)
                    .set("client.id", "fjord-console")
                    .set("message.timeout.ms", "10000")
                    .create::<FutureProducer>()
                    .map_err(|e| ConsoleError::Rdkafka(e.to_string()))
            })
            .await
    }
}

/// End (or start) offsets of `partitions`; failed lookups are left out.
pub async fn offsets(
    admin: &mut AdminClient,
    partitions: &[TopicPartition],
    spec: OffsetSpec,
) -> ApiResult<BTreeMap<TopicPartition, i64>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let request: Vec<(TopicPartition, OffsetSpec)> =
        partitions.iter().map(|tp| (tp.clone(), spec)).collect();
    let results = admin.list_offsets(&request, 0).await?;
    Ok(results
        .into_iter()
        .filter_map(|(tp, r)| r.ok().map(|listed| (tp, listed.offset)))
        .collect())
}

/// Lag per partition of `group`: every partition it committed for, plus partitions assigned
/// to members without commits (Kafka's `kafka-consumer-groups.sh --describe` rows).
pub async fn group_lag(
    admin: &mut AdminClient,
    group: &str,
    assigned: &[TopicPartition],
) -> ApiResult<Vec<PartitionLag>> {
    let committed = admin.list_group_offsets(group).await?;
    let mut partitions: Vec<TopicPartition> = committed.keys().cloned().collect();
    for tp in assigned {
        if !committed.contains_key(tp) {
            partitions.push(tp.clone());
        }
    }
    partitions.sort();
    partitions.dedup();
    let ends = offsets(admin, &partitions, OffsetSpec::Latest).await?;
    Ok(partitions
        .into_iter()
        .map(|tp| {
            let committed = committed.get(&tp).map(|c| c.offset).filter(|o| *o >= 0);
            let end_offset = ends.get(&tp).copied();
            let lag = match (committed, end_offset) {
                (Some(c), Some(e)) => Some((e - c).max(0)),
                _ => None,
            };
            PartitionLag {
                topic: tp.topic,
                partition: tp.partition,
                committed,
                end_offset,
                lag,
            }
        })
        .collect())
}

/// Total lag of a group (partitions without a known lag count as 0).
pub fn total_lag(rows: &[PartitionLag]) -> i64 {
    rows.iter().filter_map(|r| r.lag).sum()
}

/// Log directory totals and replica sizes across `brokers` (DescribeLogDirs).
#[derive(Debug, Clone, Default)]
pub struct LogDirSummary {
    /// Bytes on disk per partition (largest replica).
    pub partition_bytes: BTreeMap<TopicPartition, i64>,
    /// Sum of all replica sizes.
    pub total_bytes: i64,
    /// The fullest directory's used percentage, when brokers report totals (KIP-827).
    pub disk_used_percent: Option<f64>,
}

/// Queries DescribeLogDirs on every broker; brokers that fail are skipped.
pub async fn log_dirs(admin: &mut AdminClient, brokers: &[i32]) -> LogDirSummary {
    let mut summary = LogDirSummary::default();
    for broker in brokers {
        let Ok(dirs) = admin.describe_log_dirs(*broker).await else {
            continue;
        };
        for dir in dirs {
            if let (Some(total), Some(usable)) = (dir.total_bytes, dir.usable_bytes)
                && total > 0
            {
                #[allow(clippy::cast_precision_loss)] // a percentage; f64 is exact enough
                let used = (total - usable) as f64 * 100.0 / total as f64;
                summary.disk_used_percent =
                    Some(summary.disk_used_percent.unwrap_or(0.0).max(used));
            }
            for replica in dir.replicas {
                summary.total_bytes += replica.size_bytes;
                let entry = summary
                    .partition_bytes
                    .entry(replica.partition)
                    .or_insert(0);
                *entry = (*entry).max(replica.size_bytes);
            }
        }
    }
    summary
}
