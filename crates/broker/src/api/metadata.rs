//! Metadata (key 3): brokers, cluster id, controller, topics and partitions
//! (`MetadataRequest.json` / `MetadataResponse.json`). This node is the only broker, the
//! leader of every partition and the controller.
//!
//! Auto-creation (`auto.create.topics.enable`): a requested topic that does not exist is
//! created with `num.partitions` when the broker allows it and, from v4, the request's
//! `AllowAutoTopicCreation` is true (KIP-204 added the flag in v4; older versions imply true).

use std::sync::Arc;

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, BrokerId, MetadataRequest, MetadataResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};
use uuid::Uuid;

use super::{BrokerContext, str_bytes};
use crate::state::{CreateTopicError, TopicConfig, TopicState};

/// v0 (old kafka-python) ..= v12.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::Metadata, 0, 12);

/// Kafka's "authorized operations not requested" sentinel (`Integer.MIN_VALUE`).
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// Builds the metadata response.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: MetadataRequest,
) -> MetadataResponse {
    let version = header.api_version;
    let (host, port) = ctx.advertised_endpoint();
    let node = BrokerId(ctx.config.node_id);
    let broker = MetadataResponseBroker::default()
        .with_node_id(node)
        .with_host(str_bytes(&host))
        .with_port(port);
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    let all_topics = match &request.topics {
        None => true,
        Some(topics) => topics.is_empty() && version == 0,
    };
    let topics = if all_topics {
        ctx.topics
            .all()
            .iter()
            .map(|t| describe_topic(ctx, t))
            .collect()
    } else {
        let allow_auto_create = ctx.config.auto_create_topics_enable
            && (version < 4 || request.allow_auto_topic_creation);
        request
            .topics
            .unwrap_or_default()
            .into_iter()
            .map(|requested| match requested.name {
                Some(name) => topic_by_name(ctx, name.0.as_str(), allow_auto_create),
                None => topic_by_id(ctx, requested.topic_id),
            })
            .collect()
    };
    MetadataResponse::default()
        .with_brokers(vec![broker])
        .with_cluster_id(Some(str_bytes(&ctx.config.cluster_id)))
        .with_controller_id(node)
        .with_topics(topics)
        .with_cluster_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}

fn topic_by_name(
    ctx: &BrokerContext,
    name: &str,
    allow_auto_create: bool,
) -> MetadataResponseTopic {
    if let Some(topic) = ctx.topics.get(name) {
        return describe_topic(ctx, &topic);
    }
    let error = if !allow_auto_create {
        ErrorCode::UnknownTopicOrPartition
    } else {
        let partitions = ctx.config.num_partitions;
        let replication = i32::from(ctx.config.default_replication_factor);
        match ctx
            .topics
            .create(name, partitions, replication, TopicConfig::default())
        {
            Ok(topic) => {
                tracing::info!(topic = name, partitions, "auto-created topic");
                return describe_topic(ctx, &topic);
            }
            // Created concurrently by another request: describe the winner.
            Err(CreateTopicError::AlreadyExists(_)) => match ctx.topics.get(name) {
                Some(topic) => return describe_topic(ctx, &topic),
                None => ErrorCode::UnknownTopicOrPartition,
            },
            Err(CreateTopicError::InvalidName(_)) => ErrorCode::InvalidTopicException,
            // Judgement: a broker whose defaults cannot create the topic (e.g.
            // default.replication.factor > 1 on one node) reports it as not available.
            Err(_) => ErrorCode::LeaderNotAvailable,
        }
    };
    MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(Some(TopicName(str_bytes(name))))
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}

fn topic_by_id(ctx: &BrokerContext, id: Uuid) -> MetadataResponseTopic {
    match ctx.topics.get_by_id(id) {
        Some(topic) => describe_topic(ctx, &topic),
        None => MetadataResponseTopic::default()
            .with_error_code(ErrorCode::UnknownTopicId.code())
            .with_topic_id(id)
            .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED),
    }
}

fn describe_topic(ctx: &BrokerContext, topic: &Arc<TopicState>) -> MetadataResponseTopic {
    let node = BrokerId(ctx.config.node_id);
    let partitions = (0..topic.partitions.len())
        .map(|index| {
            MetadataResponsePartition::default()
                .with_partition_index(index as i32)
                .with_leader_id(node)
                .with_leader_epoch(0)
                .with_replica_nodes(vec![node])
                .with_isr_nodes(vec![node])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(&topic.name))))
        .with_topic_id(topic.id)
        .with_is_internal(topic.name.starts_with("__"))
        .with_partitions(partitions)
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}
