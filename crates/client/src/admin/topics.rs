//! Topic administration: list, create, delete, create partitions, describe cluster.

use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use fjord_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use fjord_protocol::kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use fjord_protocol::kafka_protocol::messages::{
    BrokerId, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeClusterRequest,
};

use super::{AdminClient, str_bytes, topic_name};
use crate::error::{ClientError, check_code};
use crate::types::{BrokerInfo, ClusterDescription, NewTopic};

/// The `timeout_ms` we send with topic requests: how long the controller may wait for the
/// change to be visible before answering (Java sends its request timeout).
fn server_timeout_ms(client: &AdminClient) -> i32 {
    i32::try_from(client.config.request_timeout.as_millis()).unwrap_or(i32::MAX)
}

impl AdminClient {
    /// Names of all topics, sorted; internal topics only when `include_internal`
    /// (`Admin.listTopics(new ListTopicsOptions().listInternal(..))`).
    pub async fn list_topics(
        &mut self,
        include_internal: bool,
    ) -> Result<Vec<String>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("listTopics", timeout, async {
            let metadata = self.metadata_inner(None).await?;
            Ok(metadata
                .topics
                .into_iter()
                .filter(|t| include_internal || !t.is_internal)
                .map(|t| t.name)
                .collect())
        })
        .await
    }

    /// Creates one topic; the error is the broker's (`TopicExistsException`: "Topic 't'
    /// already exists.").
    pub async fn create_topic(&mut self, topic: &NewTopic) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("createTopics", timeout, async {
            let mut creatable = CreatableTopic::default();
            creatable.name = topic_name(&topic.name);
            if topic.replica_assignment.is_empty() {
                // KIP-464: -1 asks the broker for its defaults.
                creatable.num_partitions = topic.partitions.unwrap_or(-1);
                creatable.replication_factor = topic.replication_factor.unwrap_or(-1);
            } else {
                creatable.num_partitions = -1;
                creatable.replication_factor = -1;
                creatable.assignments = topic
                    .replica_assignment
                    .iter()
                    .enumerate()
                    .map(|(index, replicas)| {
                        let mut assignment = CreatableReplicaAssignment::default();
                        assignment.partition_index = i32::try_from(index).unwrap_or(i32::MAX);
                        assignment.broker_ids = replicas.iter().map(|id| BrokerId(*id)).collect();
                        assignment
                    })
                    .collect();
            }
            creatable.configs = topic
                .configs
                .iter()
                .map(|(name, value)| {
                    let mut config = CreatableTopicConfig::default();
                    config.name = str_bytes(name);
                    config.value = Some(str_bytes(value));
                    config
                })
                .collect();
            let mut request = CreateTopicsRequest::default();
            request.topics = vec![creatable];
            request.timeout_ms = server_timeout_ms(self);
            let controller = self.controller().await?;
            let response = self.send_to(controller, &request).await?;
            for result in &response.topics {
                check_code(result.error_code, result.error_message.as_deref())
                    .map_err(|e| name_topic_error(e, &topic.name))?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes topics by name; the first per-topic error is returned.
    pub async fn delete_topics(&mut self, names: &[String]) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("deleteTopics", timeout, async {
            let mut request = DeleteTopicsRequest::default();
            request.topic_names = names.iter().map(|n| topic_name(n)).collect();
            request.topics = names
                .iter()
                .map(|n| {
                    let mut state = DeleteTopicState::default();
                    state.name = Some(topic_name(n));
                    state
                })
                .collect();
            request.timeout_ms = server_timeout_ms(self);
            let controller = self.controller().await?;
            let response = self.send_to(controller, &request).await?;
            for result in &response.responses {
                check_code(result.error_code, result.error_message.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    /// Raises `topic` to `total_count` partitions (`Admin.createPartitions` with
    /// `NewPartitions.increaseTo`); `assignments` lists replicas for the new partitions only.
    pub async fn create_partitions(
        &mut self,
        topic: &str,
        total_count: i32,
        assignments: Option<Vec<Vec<i32>>>,
    ) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("createPartitions", timeout, async {
            let mut entry = CreatePartitionsTopic::default();
            entry.name = topic_name(topic);
            entry.count = total_count;
            entry.assignments = assignments.map(|lists| {
                lists
                    .into_iter()
                    .map(|replicas| {
                        let mut assignment = CreatePartitionsAssignment::default();
                        assignment.broker_ids = replicas.into_iter().map(BrokerId).collect();
                        assignment
                    })
                    .collect()
            });
            let mut request = CreatePartitionsRequest::default();
            request.topics = vec![entry];
            request.timeout_ms = server_timeout_ms(self);
            let controller = self.controller().await?;
            let response = self.send_to(controller, &request).await?;
            for result in &response.results {
                check_code(result.error_code, result.error_message.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    /// Describes the cluster with DescribeCluster (KIP-700), falling back to Metadata on
    /// brokers that do not serve it, as the Java admin client does.
    pub async fn describe_cluster(&mut self) -> Result<ClusterDescription, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("listNodes", timeout, async {
            let request = DescribeClusterRequest::default();
            match self.send_to(None, &request).await {
                Ok(response) => {
                    check_code(response.error_code, response.error_message.as_deref())?;
                    Ok(ClusterDescription {
                        cluster_id: Some(response.cluster_id.to_string()),
                        controller_id: response.controller_id.0,
                        brokers: response
                            .brokers
                            .iter()
                            .map(|b| BrokerInfo {
                                node_id: b.broker_id.0,
                                host: b.host.to_string(),
                                port: b.port,
                                rack: b.rack.as_ref().map(ToString::to_string),
                            })
                            .collect(),
                    })
                }
                Err(ClientError::UnsupportedApi { .. }) => {
                    let metadata = self.metadata_inner(Some(&[])).await?;
                    Ok(ClusterDescription {
                        cluster_id: metadata.cluster_id,
                        controller_id: metadata.controller_id,
                        brokers: metadata.brokers,
                    })
                }
                Err(other) => Err(other),
            }
        })
        .await
    }
}

/// Brokers that send no message for TOPIC_ALREADY_EXISTS get the Java broker's wording
/// (`ZkAdminManager`/`ControllerApis`: "Topic 't' already exists.").
fn name_topic_error(error: ClientError, topic: &str) -> ClientError {
    match error {
        ClientError::Kafka { code, message }
            if code == ErrorCode::TopicAlreadyExists.code()
                && message == crate::error::default_message(code) =>
        {
            ClientError::Kafka {
                code,
                message: format!("Topic '{topic}' already exists."),
            }
        }
        other => other,
    }
}
