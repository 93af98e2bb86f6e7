//! Metadata (key 3): brokers, cluster id, controller, topics and partitions
//! (`MetadataRequest.json` / `MetadataResponse.json`). This node is the only broker, the
//! leader of every partition and the controller.
//!
//! Auto-creation (`auto.create.topics.enable`): a requested topic that does not exist is
//! created with `num.partitions` when the broker allows it and, from v4, the request's
//! `AllowAutoTopicCreation` is true (KIP-204 added the flag in v4; older versions imply true).

use fjord_metadata::controller::{CreatableTopic, codes};
use fjord_metadata::{MetadataImage, TopicImage};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, BrokerId, MetadataRequest, MetadataResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};
use uuid::Uuid;

use super::config_resources::apply_to_logs;
use super::{BrokerContext, now_ms, str_bytes};

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
    let image = ctx.replicas.image();
    let topics = if all_topics {
        image
            .topics()
            .values()
            .map(|t| describe_topic(&image, t))
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
                None => topic_by_id(&image, requested.topic_id),
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
    if let Some(topic) = ctx.replicas.image().topic(name) {
        return describe_topic(&ctx.replicas.image(), topic);
    }
    let error = if !allow_auto_create {
        ErrorCode::UnknownTopicOrPartition
    } else {
        // Kafka AutoTopicCreationManager: a CreateTopics with the broker defaults, through the
        // controller like any other.
        let request = CreatableTopic {
            name: name.to_owned(),
            num_partitions: -1,
            replication_factor: -1,
            assignments: Vec::new(),
            configs: Vec::new(),
        };
        let created = ctx
            .replicas
            .metadata()
            .create_topics(&[request], false, now_ms());
        let image = ctx.replicas.image();
        if let Some(topic) = image.topic(name) {
            // Created now, or concurrently by another request: describe it.
            apply_to_logs(ctx);
            tracing::info!(topic = name, "auto-created topic");
            return describe_topic(&image, topic);
        }
        match created.map(|mut results| results.pop()) {
            Ok(Some((_, Err(error)))) if error.code() == codes::INVALID_TOPIC_EXCEPTION => {
                ErrorCode::InvalidTopicException
            }
            // Judgement: a broker whose defaults cannot create the topic (e.g.
            // default.replication.factor > 1 on one node) reports it as not available.
            _ => ErrorCode::LeaderNotAvailable,
        }
    };
    MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(Some(TopicName(str_bytes(name))))
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}

fn topic_by_id(image: &MetadataImage, id: Uuid) -> MetadataResponseTopic {
    match image.topic_by_id(&id) {
        Some(topic) => describe_topic(image, topic),
        None => MetadataResponseTopic::default()
            .with_error_code(ErrorCode::UnknownTopicId.code())
            .with_topic_id(id)
            .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED),
    }
}

/// One topic as the image has it: leader, epoch, replicas and ISR per partition.
fn describe_topic(_image: &MetadataImage, topic: &TopicImage) -> MetadataResponseTopic {
    let partitions = topic
        .partitions
        .iter()
        .map(|(index, partition)| {
            let nodes = |ids: &[i32]| ids.iter().map(|id| BrokerId(*id)).collect::<Vec<_>>();
            MetadataResponsePartition::default()
                .with_partition_index(*index)
                .with_leader_id(BrokerId(partition.leader))
                .with_leader_epoch(partition.leader_epoch)
                .with_replica_nodes(nodes(&partition.replicas))
                .with_isr_nodes(nodes(&partition.isr))
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(&topic.name))))
        .with_topic_id(topic.id)
        .with_is_internal(topic.name.starts_with("__"))
        .with_partitions(partitions)
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}
