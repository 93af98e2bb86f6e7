//! `GET /api/overview` (Metadata + DescribeCluster, KIP-700) and `GET /api/charts` (the
//! sampler's ring buffers).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::server::AppState;

/// `GET /api/overview`: cluster id, controller, brokers, topic and partition counts.
pub async fn overview(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let mut admin = state.cluster.admin().await;
    let cluster = admin.describe_cluster().await?;
    let metadata = admin.metadata(None).await?;
    drop(admin);
    let user_topics: Vec<_> = metadata.topics.iter().filter(|t| !t.is_internal).collect();
    let partitions: usize = user_topics.iter().map(|t| t.partitions.len()).sum();
    let under_replicated: usize = metadata
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .filter(|p| p.isr.len() < p.replicas.len())
        .count();
    let offline: usize = metadata
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .filter(|p| p.leader.is_none())
        .count();
    // Version and uptime are not in the Kafka protocol; embedded, the broker's own metrics
    // carry them (`fjord_broker_info`, `fjord_start_time_seconds`, Kafka's app-info MBean).
    let local = state
        .config
        .metrics
        .as_ref()
        .and_then(|render| local_broker_info(&render()));
    let now_s = crate::sampler::now_ms() as f64 / 1000.0;
    let samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
    let brokers: Vec<Value> = cluster
        .brokers
        .iter()
        .map(|b| {
            let info = local.as_ref().filter(|info| info.node_id == b.node_id);
            json!({
                "id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack,
                "controller": b.node_id == cluster.controller_id,
                "version": info.map(|i| i.version.clone()),
                "uptime_seconds": info.map(|i| (now_s - i.started_at).max(0.0)),
            })
        })
        .collect();
    let missing: Vec<i32> = samples
        .known_brokers
        .iter()
        .filter(|id| !cluster.brokers.iter().any(|b| b.node_id == **id))
        .copied()
        .collect();
    Ok(Json(json!({
        "cluster_id": cluster.cluster_id,
        "controller_id": cluster.controller_id,
        "bootstrap": state.cluster.bootstrap(),
        "brokers": brokers,
        "brokers_missing": missing,
        "topic_count": user_topics.len(),
        "internal_topic_count": metadata.topics.len() - user_topics.len(),
        "partition_count": partitions,
        "under_replicated_partitions": under_replicated,
        "offline_partitions": offline,
        "log_bytes": samples.log_dirs.total_bytes,
        "disk_used_percent": samples.log_dirs.disk_used_percent,
        "messages_in_per_sec": samples.cluster_messages_in.last(),
        "embedded": state.config.metrics.is_some(),
    })))
}

/// `GET /api/charts`: the last hour of cluster throughput, per-topic message rates and group
/// lag, as `[unix_ms, value]` pairs.
pub async fn charts(State(state): State<Arc<AppState>>) -> Json<Value> {
    let samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
    Json(json!({
        "interval_ms": u64::try_from(state.config.sample_interval.as_millis()).unwrap_or(u64::MAX),
        "messages_in": samples.cluster_messages_in.points(),
        "bytes_in": samples.bytes_in.points(),
        "bytes_out": samples.bytes_out.points(),
        "bytes_source": samples.bytes_source,
        "topics": samples.topic_messages_in.iter().map(|(k, v)| (k.clone(), v.points().clone())).collect::<std::collections::BTreeMap<_, _>>(),
        "groups": samples.group_lag.iter().map(|(k, v)| (k.clone(), v.points().clone())).collect::<std::collections::BTreeMap<_, _>>(),
        "last_tick_ms": samples.last_tick_ms,
        "last_error": samples.last_error,
    }))
}

/// The embedded broker's node id, version and start time, read from its metrics text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LocalBrokerInfo {
    pub node_id: i32,
    pub version: String,
    pub started_at: f64,
}

/// Parses `fjord_broker_info{node_id="1",version="0.1.0"} 1` and
/// `fjord_start_time_seconds 1.7e9` out of a Prometheus text exposition.
pub(crate) fn local_broker_info(exposition: &str) -> Option<LocalBrokerInfo> {
    let label = |line: &str, key: &str| -> Option<String> {
        let start = line.find(&format!("{key}=\""))? + key.len() + 2;
        let end = line[start..].find('"')? + start;
        Some(line[start..end].to_owned())
    };
    let info = exposition
        .lines()
        .find(|l| l.starts_with("fjord_broker_info{"))?;
    let started_at = crate::sampler::sum_family(exposition, &["fjord_start_time_seconds"])?;
    Some(LocalBrokerInfo {
        node_id: label(info, "node_id")?.parse().ok()?,
        version: label(info, "version")?,
        started_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_and_start_time_from_the_broker_metrics() {
        let text = "# HELP fjord_broker_info x\n# TYPE fjord_broker_info gauge\n\
                    fjord_broker_info{node_id=\"3\",version=\"0.1.0\"} 1\n\
                    # TYPE fjord_start_time_seconds gauge\nfjord_start_time_seconds 1700000000.5\n";
        assert_eq!(
            local_broker_info(text),
            Some(LocalBrokerInfo {
                node_id: 3,
                version: "0.1.0".to_owned(),
                started_at: 1_700_000_000.5
            })
        );
        assert_eq!(local_broker_info("fjord_start_time_seconds 1\n"), None);
    }
}
