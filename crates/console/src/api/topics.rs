//! Topics: list (Metadata + DescribeLogDirs sizes + DescribeConfigs retention), describe
//! (partitions with leader, replicas, ISR, start/end offsets from ListOffsets), create
//! (CreateTopics), delete (DeleteTopics), add partitions (CreatePartitions, KIP-195) and alter
//! configs (IncrementalAlterConfigs, KIP-339).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use fjord_client::{
    AlterConfigOp, AlterConfigOpType, ConfigResource, ConfigResourceType, NewTopic, OffsetSpec,
    TopicPartition,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, ConsoleError};
use crate::kafka;
use crate::server::AppState;

/// Topics whose retention is looked up for the list (one DescribeConfigs each).
pub const LISTED_CONFIG_TOPICS_MAX: usize = 200;

fn topic_resource(name: &str) -> ConfigResource {
    ConfigResource {
        resource_type: ConfigResourceType::Topic,
        name: name.to_owned(),
    }
}

/// `GET /api/topics`.
pub async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let sizes = state
        .samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .log_dirs
        .partition_bytes
        .clone();
    let mut admin = state.cluster.admin().await;
    let metadata = admin.metadata(None).await?;
    let mut topics = Vec::new();
    for (index, topic) in metadata.topics.iter().enumerate() {
        let size: i64 = sizes
            .iter()
            .filter(|(tp, _)| tp.topic == topic.name)
            .map(|(_, bytes)| *bytes)
            .sum();
        let retention = if index < LISTED_CONFIG_TOPICS_MAX {
            admin
                .describe_configs(&topic_resource(&topic.name))
                .await
                .ok()
                .and_then(|entries| entries.into_iter().find(|e| e.name == "retention.ms"))
                .and_then(|e| e.value)
        } else {
            None
        };
        let replication = topic.partitions.first().map_or(0, |p| p.replicas.len());
        let under_replicated = topic
            .partitions
            .iter()
            .filter(|p| p.isr.len() < p.replicas.len())
            .count();
        topics.push(json!({
            "name": topic.name,
            "internal": topic.is_internal,
            "partitions": topic.partitions.len(),
            "replication_factor": replication,
            "under_replicated": under_replicated,
            "size_bytes": size,
            "retention_ms": retention,
        }));
    }
    Ok(Json(json!({ "topics": topics })))
}

/// `GET /api/topics/{name}`.
pub async fn describe(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let sizes = state
        .samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .log_dirs
        .partition_bytes
        .clone();
    let mut admin = state.cluster.admin().await;
    let metadata = admin.metadata(Some(std::slice::from_ref(&name))).await?;
    let topic = metadata
        .topic(&name)
        .ok_or_else(|| ConsoleError::NotFound(format!("Topic '{name}' does not exist.")))?
        .clone();
    let partitions: Vec<TopicPartition> = topic
        .partitions
        .iter()
        .map(|p| TopicPartition {
            topic: name.clone(),
            partition: p.partition,
        })
        .collect();
    let starts = kafka::offsets(&mut admin, &partitions, OffsetSpec::Earliest).await?;
    let ends = kafka::offsets(&mut admin, &partitions, OffsetSpec::Latest).await?;
    let configs = admin.describe_configs(&topic_resource(&name)).await?;
    drop(admin);
    let rows: Vec<Value> = topic
        .partitions
        .iter()
        .zip(&partitions)
        .map(|(p, tp)| {
            json!({
                "partition": p.partition,
                "leader": p.leader,
                "replicas": p.replicas,
                "isr": p.isr,
                "offline_replicas": p.offline_replicas,
                "start_offset": starts.get(tp),
                "end_offset": ends.get(tp),
                "size_bytes": sizes.get(tp),
            })
        })
        .collect();
    let configs: Vec<Value> = configs
        .iter()
        .map(|c| {
            json!({
                "name": c.name, "value": c.value, "default": c.is_default(),
                "read_only": c.read_only, "sensitive": c.is_sensitive,
            })
        })
        .collect();
    Ok(Json(json!({
        "name": topic.name,
        "topic_id": fjord_client::uuid::kafka_uuid_string(&topic.topic_id),
        "internal": topic.is_internal,
        "partitions": rows,
        "configs": configs,
    })))
}

/// `POST /api/topics` body.
#[derive(Debug, Deserialize)]
pub struct CreateTopic {
    name: String,
    partitions: Option<i32>,
    replication_factor: Option<i16>,
    #[serde(default)]
    configs: BTreeMap<String, String>,
}

/// `POST /api/topics`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    Json(body): Json<CreateTopic>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let topic = NewTopic {
        name: body.name.trim().to_owned(),
        partitions: body.partitions,
        replication_factor: body.replication_factor,
        replica_assignment: Vec::new(),
        configs: body.configs.into_iter().collect(),
    };
    if topic.name.is_empty() {
        return Err(ConsoleError::BadRequest("a topic needs a name".to_owned()));
    }
    state.cluster.admin().await.create_topic(&topic).await?;
    Ok((StatusCode::CREATED, Json(json!({ "name": topic.name }))))
}

/// `DELETE /api/topics/{name}`.
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .cluster
        .admin()
        .await
        .delete_topics(std::slice::from_ref(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/topics/{name}/partitions` body: the new total count.
#[derive(Debug, Deserialize)]
pub struct AddPartitions {
    count: i32,
}

/// `POST /api/topics/{name}/partitions`.
pub async fn add_partitions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Json(body): Json<AddPartitions>,
) -> ApiResult<StatusCode> {
    state
        .cluster
        .admin()
        .await
        .create_partitions(&name, body.count, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/topics/{name}/configs` body: keys to set and keys to reset to default.
#[derive(Debug, Deserialize)]
pub struct AlterConfigs {
    #[serde(default)]
    set: BTreeMap<String, String>,
    #[serde(default)]
    delete: Vec<String>,
}

/// `POST /api/topics/{name}/configs`.
pub async fn alter_configs(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Json(body): Json<AlterConfigs>,
) -> ApiResult<StatusCode> {
    let mut ops: Vec<AlterConfigOp> = body
        .set
        .into_iter()
        .map(|(key, value)| AlterConfigOp {
            name: key,
            op: AlterConfigOpType::Set,
            value: Some(value),
        })
        .collect();
    ops.extend(body.delete.into_iter().map(|key| AlterConfigOp {
        name: key,
        op: AlterConfigOpType::Delete,
        value: None,
    }));
    if ops.is_empty() {
        return Err(ConsoleError::BadRequest(
            "no config changes given".to_owned(),
        ));
    }
    state
        .cluster
        .admin()
        .await
        .incremental_alter_configs(&topic_resource(&name), &ops)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
