//! [`AdminClient`]: admin operations over [`BrokerConnection`]s with metadata-driven routing.
//!
//! Every public operation is bounded by `default.api.timeout.ms`. Until a node answers, the
//! client keeps retrying the bootstrap servers every `retry.backoff.ms`; if the deadline passes
//! first the call fails with Java's wording, "Timed out waiting for a node assignment. Call:
//! createTopics" (`KafkaAdminClient`), so an unreachable broker never hangs a tool.
//!
//! Routing follows the Java admin client: topic-wide admin requests go to the controller the
//! Metadata response names (brokers forward to the real controller, KIP-590), partition
//! requests (ListOffsets, DeleteRecords) go to each partition's leader, and broker configs go to
//! that broker. Group calls go to the group's coordinator (see `groups`).

mod configs;
mod groups;
mod log_dirs;
mod offsets;
mod quotas;
mod scram;
mod topics;

pub use groups::OffsetDeleteOutcome;
pub use log_dirs::{LogDirDescription, LogDirReplica};
pub use offsets::PartitionResults;
pub use quotas::{QuotaEntity, QuotaFilterComponent, QuotaMatch, QuotaValues};
pub use scram::{
    SCRAM_SALT_BYTES, ScramAlteration, ScramCredentialInfo, ScramMechanism, UserScramDescription,
};

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;

use fjord_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use fjord_protocol::kafka_protocol::messages::{BrokerId, MetadataRequest, TopicName};
use fjord_protocol::kafka_protocol::protocol::{Request, StrBytes};
use tokio::net::lookup_host;

use crate::config::ClientConfig;
use crate::connection::BrokerConnection;
use crate::error::ClientError;
use crate::types::{BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo};

/// An async admin client for one cluster. Not `Sync`: one task drives it.
#[derive(Debug)]
pub struct AdminClient {
    config: ClientConfig,
    /// Open connections by node id; the bootstrap connection lives under [`BOOTSTRAP_NODE`].
    connections: HashMap<i32, BrokerConnection>,
    /// Node addresses learnt from the last Metadata response.
    nodes: HashMap<i32, (String, i32)>,
}

/// Key for the connection made to a bootstrap server before any node id is known.
const BOOTSTRAP_NODE: i32 = i32::MIN;

impl AdminClient {
    /// A client for `config`. Nothing is connected until the first call.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if config.bootstrap_servers.is_empty() {
            return Err(ClientError::InvalidRequest(
                "No resolvable bootstrap urls given in bootstrap.servers".to_owned(),
            ));
        }
        for server in &config.bootstrap_servers {
            split_host_port(server)?;
        }
        Ok(Self {
            config,
            connections: HashMap::new(),
            nodes: HashMap::new(),
        })
    }

    /// The client's settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs `op` under `default.api.timeout.ms`, mapping expiry to Java's node-assignment
    /// timeout for `call`.
    async fn bounded<T>(
        call: &'static str,
        timeout: std::time::Duration,
        op: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        tokio::time::timeout(timeout, op)
            .await
            .unwrap_or(Err(ClientError::NodeAssignmentTimeout { call }))
    }

    /// A connection to any node: an open one, else a bootstrap server, retried with backoff
    /// until one answers (the caller's deadline bounds the loop).
    async fn any_node(&mut self) -> Result<&mut BrokerConnection, ClientError> {
        if let Some(key) = self.connections.keys().next().copied() {
            return self
                .connections
                .get_mut(&key)
                .ok_or(ClientError::NodeAssignmentTimeout { call: "connect" });
        }
        loop {
            for server in self.config.bootstrap_servers.clone() {
                match self.connect_server(&server).await {
                    Ok(connection) => {
                        return Ok(self.connections.entry(BOOTSTRAP_NODE).or_insert(connection));
                    }
                    Err(error) => tracing::debug!(%server, %error, "bootstrap server unreachable"),
                }
            }
            tokio::time::sleep(self.config.retry_backoff).await;
        }
    }

    /// A connection to node `node_id`, opened from the last Metadata's address if needed.
    async fn node(&mut self, node_id: i32) -> Result<&mut BrokerConnection, ClientError> {
        if !self.connections.contains_key(&node_id) {
            if !self.nodes.contains_key(&node_id) {
                self.metadata_inner(Some(&[])).await?;
            }
            let (host, port) = self.nodes.get(&node_id).cloned().ok_or_else(|| {
                ClientError::InvalidRequest(format!(
                    "Node {node_id} is not in the cluster metadata"
                ))
            })?;
            let server = format!("{host}:{port}");
            let connection = loop {
                match self.connect_server(&server).await {
                    Ok(connection) => break connection,
                    Err(error) => {
                        tracing::debug!(node_id, %error, "node unreachable; retrying");
                        tokio::time::sleep(self.config.retry_backoff).await;
                    }
                }
            };
            self.connections.insert(node_id, connection);
        }
        self.connections
            .get_mut(&node_id)
            .ok_or(ClientError::NodeAssignmentTimeout { call: "connect" })
    }

    async fn connect_server(&self, server: &str) -> Result<BrokerConnection, ClientError> {
        let (host, port) = split_host_port(server)?;
        let addrs: Vec<SocketAddr> = lookup_host((host, port))
            .await
            .map_err(|_| ClientError::Resolve {
                server: server.to_owned(),
            })?
            .collect();
        let mut last = ClientError::Resolve {
            server: server.to_owned(),
        };
        for addr in addrs {
            match BrokerConnection::connect(
                addr,
                &self.config.client_id,
                self.config.request_timeout,
            )
            .await
            {
                Ok(connection) => return Ok(connection),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// Sends `request` to `node_id` (or any node when `None`); a broken connection is dropped
    /// so the next call reconnects.
    async fn send_to<R: Request>(
        &mut self,
        node_id: Option<i32>,
        request: &R,
    ) -> Result<R::Response, ClientError> {
        let connection = match node_id {
            Some(id) => self.node(id).await?,
            None => self.any_node().await?,
        };
        let result = connection.send(request).await;
        if matches!(
            result,
            Err(ClientError::Io { .. } | ClientError::RequestTimeout { .. })
        ) {
            let addr = connection.addr();
            self.connections.retain(|_, c| c.addr() != addr);
        }
        result
    }

    /// Fetches cluster metadata for `topics` (`None`: all topics; `Some(&[])`: none, brokers
    /// only). Never auto-creates topics.
    pub async fn metadata(
        &mut self,
        topics: Option<&[String]>,
    ) -> Result<ClusterMetadata, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("fetchMetadata", timeout, self.metadata_inner(topics)).await
    }

    async fn metadata_inner(
        &mut self,
        topics: Option<&[String]>,
    ) -> Result<ClusterMetadata, ClientError> {
        let mut request = MetadataRequest::default();
        request.allow_auto_topic_creation = false;
        request.topics = topics.map(|names| {
            names
                .iter()
                .map(|name| {
                    let mut topic = MetadataRequestTopic::default();
                    topic.name = Some(topic_name(name));
                    topic
                })
                .collect()
        });
        // Not `send_to`: `node()` calls this, and `send_to(Some(..))` calls `node()`.
        let connection = self.any_node().await?;
        let response = connection.send(&request).await;
        if response.is_err() {
            let addr = connection.addr();
            self.connections.retain(|_, c| c.addr() != addr);
        }
        let response = response?;
        let brokers: Vec<BrokerInfo> = response
            .brokers
            .iter()
            .map(|b| BrokerInfo {
                node_id: b.node_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(ToString::to_string),
            })
            .collect();
        self.nodes = brokers
            .iter()
            .map(|b| (b.node_id, (b.host.clone(), b.port)))
            .collect();
        let mut out_topics = Vec::new();
        for topic in &response.topics {
            let name = topic
                .name
                .as_ref()
                .map(|n| n.0.to_string())
                .unwrap_or_default();
            if topic.error_code != 0 {
                // A named topic that does not exist: report it when asked for explicitly.
                if topics.is_some_and(|t| !t.is_empty()) {
                    return Err(ClientError::from_code(topic.error_code, None));
                }
                continue;
            }
            let mut partitions: Vec<PartitionInfo> = topic
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.partition_index,
                    leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                    leader_epoch: p.leader_epoch,
                    replicas: ids(&p.replica_nodes),
                    isr: ids(&p.isr_nodes),
                    offline_replicas: ids(&p.offline_replicas),
                    error_code: p.error_code,
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            out_topics.push(TopicInfo {
                name,
                topic_id: topic.topic_id,
                is_internal: topic.is_internal,
                partitions,
            });
        }
        out_topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ClusterMetadata {
            cluster_id: response.cluster_id.as_ref().map(ToString::to_string),
            controller_id: response.controller_id.0,
            brokers,
            topics: out_topics,
        })
    }

    /// The controller's node id from fresh metadata, or `None` (any node) when unknown.
    async fn controller(&mut self) -> Result<Option<i32>, ClientError> {
        let metadata = self.metadata_inner(Some(&[])).await?;
        Ok(
            (metadata.controller_id >= 0 && metadata.broker(metadata.controller_id).is_some())
                .then_some(metadata.controller_id),
        )
    }
}

fn ids(nodes: &[BrokerId]) -> Vec<i32> {
    nodes.iter().map(|id| id.0).collect()
}

pub(crate) fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

pub(crate) fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_owned())
}

/// Splits `host:port` (IPv6 as `[::1]:9092`), as Kafka's `ClientUtils.parseAndValidateAddresses`.
fn split_host_port(server: &str) -> Result<(&str, u16), ClientError> {
    let invalid = || ClientError::InvalidBootstrap {
        server: server.to_owned(),
    };
    let (host, port) = server.rsplit_once(':').ok_or_else(invalid)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = port.parse::<u16>().map_err(|_| invalid())?;
    if host.is_empty() {
        return Err(invalid());
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_entries_must_be_host_and_port() {
        assert_eq!(
            split_host_port("localhost:9092").ok(),
            Some(("localhost", 9092))
        );
        assert_eq!(split_host_port("[::1]:9092").ok(), Some(("::1", 9092)));
        assert!(matches!(
            split_host_port("localhost"),
            Err(ClientError::InvalidBootstrap { .. })
        ));
        assert!(AdminClient::new(ClientConfig::new("")).is_err());
    }

    #[tokio::test]
    async fn unreachable_bootstrap_times_out_with_javas_wording() {
        // Nothing listens on a port we bound and released; the call must end at the deadline
        // with KafkaAdminClient's message, not hang.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut config = ClientConfig::new(&format!("127.0.0.1:{port}"));
        config.default_api_timeout = std::time::Duration::from_millis(300);
        let mut admin = AdminClient::new(config).unwrap();
        let started = std::time::Instant::now();
        let error = admin.list_topics(true).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "Timed out waiting for a node assignment. Call: listTopics"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
