//! Consumer groups: list with state and total lag (ListGroups v4+ states, KIP-518; OffsetFetch
//! and ListOffsets for lag, as `kafka-consumer-groups.sh --describe`), detail (DescribeGroups
//! members and ConsumerProtocol assignments), and offset reset (OffsetCommit as a non-member,
//! `Admin.alterConsumerGroupOffsets`), allowed only while the group is Empty — Kafka's
//! `ConsumerGroupCommand` refuses `--reset-offsets` on a group with active members.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use fjord_client::{OffsetSpec, TopicPartition};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, ConsoleError};
use crate::kafka;
use crate::server::AppState;

/// `GET /api/groups`.
pub async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let mut admin = state.cluster.admin().await;
    let groups = admin.list_groups(&[]).await?;
    let mut out = Vec::new();
    for group in groups {
        let rows = kafka::group_lag(&mut admin, &group.group_id, &[])
            .await
            .unwrap_or_default();
        let topics: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.topic.as_str()).collect();
        out.push(json!({
            "group_id": group.group_id,
            "protocol_type": group.protocol_type,
            "state": group.state,
            "total_lag": kafka::total_lag(&rows),
            "topics": topics,
            "partitions": rows.len(),
        }));
    }
    Ok(Json(json!({ "groups": out })))
}

/// `GET /api/groups/{id}`.
pub async fn describe(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut admin = state.cluster.admin().await;
    let group = admin.describe_group(&id).await?;
    let assigned: Vec<TopicPartition> = group
        .members
        .iter()
        .flat_map(|m| m.assignment.iter().cloned())
        .collect();
    let rows = kafka::group_lag(&mut admin, &id, &assigned).await?;
    drop(admin);
    let owner = |tp: &TopicPartition| {
        group
            .members
            .iter()
            .find(|m| m.assignment.contains(tp))
            .map(|m| m.member_id.clone())
    };
    let partitions: Vec<Value> = rows
        .iter()
        .map(|r| {
            let tp = TopicPartition {
                topic: r.topic.clone(),
                partition: r.partition,
            };
            json!({
                "topic": r.topic, "partition": r.partition, "committed": r.committed,
                "end_offset": r.end_offset, "lag": r.lag, "member": owner(&tp),
            })
        })
        .collect();
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|m| {
            json!({
                "member_id": m.member_id, "client_id": m.client_id, "host": m.host,
                "group_instance_id": m.group_instance_id,
                "assignment": m.assignment.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    let history = state
        .samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .group_lag
        .get(&id)
        .map(|s| s.points().clone());
    Ok(Json(json!({
        "group_id": group.group_id,
        "state": group.state,
        "protocol_type": group.protocol_type,
        "assignor": group.assignor,
        "coordinator": { "id": group.coordinator.node_id, "host": group.coordinator.host, "port": group.coordinator.port },
        "members": members,
        "partitions": partitions,
        "total_lag": kafka::total_lag(&rows),
        "lag_history": history,
    })))
}

/// `POST /api/groups/{id}/reset` body.
#[derive(Debug, Deserialize)]
pub struct ResetBody {
    /// `earliest`, `latest` or `timestamp`.
    to: String,
    /// For `timestamp`: ms since the epoch.
    timestamp: Option<i64>,
    /// Only this topic (default: every topic the group committed for).
    topic: Option<String>,
}

/// `POST /api/groups/{id}/reset`.
pub async fn reset_offsets(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(body): Json<ResetBody>,
) -> ApiResult<Json<Value>> {
    let spec = match body.to.as_str() {
        "earliest" => OffsetSpec::Earliest,
        "latest" => OffsetSpec::Latest,
        "timestamp" => OffsetSpec::Timestamp(body.timestamp.ok_or_else(|| {
            ConsoleError::BadRequest("to=timestamp needs timestamp (ms)".to_owned())
        })?),
        other => {
            return Err(ConsoleError::BadRequest(format!(
                "reset to {other:?}: use earliest, latest or timestamp"
            )));
        }
    };
    let mut admin = state.cluster.admin().await;
    let group = admin.describe_group(&id).await?;
    // ConsumerGroupCommand: "Assignments can only be reset if the group '…' is inactive".
    if !(group.state == "Empty" || group.state == "Dead") {
        return Err(ConsoleError::Conflict(format!(
            "Assignments can only be reset if the group '{id}' is inactive, but the current state is {}.",
            group.state
        )));
    }
    let committed = admin.list_group_offsets(&id).await?;
    let mut partitions: Vec<TopicPartition> = committed
        .keys()
        .filter(|tp| body.topic.as_ref().is_none_or(|t| &tp.topic == t))
        .cloned()
        .collect();
    if partitions.is_empty()
        && let Some(topic) = &body.topic
    {
        let metadata = admin.metadata(Some(std::slice::from_ref(topic))).await?;
        if let Some(info) = metadata.topic(topic) {
            partitions = info
                .partitions
                .iter()
                .map(|p| TopicPartition {
                    topic: topic.clone(),
                    partition: p.partition,
                })
                .collect();
        }
    }
    if partitions.is_empty() {
        return Err(ConsoleError::BadRequest(format!(
            "group {id} has no committed offsets; name a topic to reset"
        )));
    }
    let mut targets = kafka::offsets(&mut admin, &partitions, spec).await?;
    if matches!(spec, OffsetSpec::Timestamp(_)) {
        // No record at or after the timestamp: Kafka resets to the log end.
        let ends = kafka::offsets(&mut admin, &partitions, OffsetSpec::Latest).await?;
        for (tp, offset) in &mut targets {
            if *offset < 0
                && let Some(end) = ends.get(tp)
            {
                *offset = *end;
            }
        }
    }
    let new_offsets: Vec<(TopicPartition, i64)> = targets.into_iter().collect();
    let results = admin.alter_group_offsets(&id, &new_offsets).await?;
    if let Some((tp, Err(error))) = results.iter().find(|(_, r)| r.is_err()) {
        return Err(ConsoleError::BadRequest(format!("resetting {tp}: {error}")));
    }
    let rows: Vec<Value> = new_offsets
        .iter()
        .map(|(tp, offset)| json!({ "topic": tp.topic, "partition": tp.partition, "offset": offset }))
        .collect();
    Ok(Json(json!({ "reset": rows })))
}
