//! The broker's own view of its configuration.
//!
//! `BrokerConfig` holds only what the network layer and API handlers read. It is built from
//! `fjord_config::ServerConfig` once that crate is wired in; tests build it directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the broker stamps record batches (`log.message.timestamp.type` / topic
/// `message.timestamp.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// Keep the producer's timestamps (Kafka's default).
    CreateTime,
    /// Overwrite with the broker's append time.
    LogAppendTime,
}

impl TimestampType {
    /// Kafka's config value.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateTime => "CreateTime",
            Self::LogAppendTime => "LogAppendTime",
        }
    }

    /// Parses Kafka's config value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "CreateTime" => Some(Self::CreateTime),
            "LogAppendTime" => Some(Self::LogAppendTime),
            _ => None,
        }
    }
}

/// Configuration read by the broker's network layer and handlers. Field names follow the
/// Kafka keys they come from.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// `node.id`: this broker's id, also the controller id in single-node mode.
    pub node_id: i32,
    /// `cluster.id` from `meta.properties`.
    pub cluster_id: String,
    /// Addresses to bind (`listeners`); port 0 picks a free port.
    pub listeners: Vec<SocketAddr>,
    /// Host advertised in Metadata (`advertised.listeners`); `None` advertises the bound IP.
    pub advertised_host: Option<String>,
    /// `log.dirs` (reported by DescribeLogDirs; data lives in memory until storage lands).
    pub log_dirs: Vec<PathBuf>,
    /// `num.partitions` (default 1): used for auto-created topics and `num_partitions = -1`.
    pub num_partitions: i32,
    /// `default.replication.factor` (default 1).
    pub default_replication_factor: i16,
    /// `auto.create.topics.enable` (default true).
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable` (default true).
    pub delete_topic_enable: bool,
    /// `message.max.bytes` (default 1048588): the largest record batch accepted.
    pub message_max_bytes: usize,
    /// `log.message.timestamp.type` (default CreateTime).
    pub log_message_timestamp_type: TimestampType,
    /// `socket.request.max.bytes` (default 104857600): the largest request frame.
    pub socket_request_max_bytes: usize,
    /// `max.connections` (default unbounded in Kafka; we cap it, see `max_connections_default`).
    pub max_connections: usize,
    /// `max.connections.per.ip` (default unbounded in Kafka; capped like `max_connections`).
    pub max_connections_per_ip: usize,
    /// `connections.max.idle.ms` (default 600000).
    pub connections_max_idle: Duration,
    /// Requests a connection may have in flight before we stop reading from it. Kafka mutes
    /// a channel after one request; we allow pipelining up to this bound, answering in order.
    pub in_flight_requests_per_connection_max: usize,
}

impl BrokerConfig {
    /// Kafka's `message.max.bytes` default (1 MiB + 12 bytes of log overhead).
    pub const MESSAGE_MAX_BYTES_DEFAULT: usize = 1_048_588;
    /// Our cap when `max.connections` is unset: Kafka leaves it at Int.MaxValue, which would
    /// let a client exhaust file descriptors.
    pub const MAX_CONNECTIONS_DEFAULT: usize = 10_000;
    /// Kafka's `connections.max.idle.ms` default.
    pub const CONNECTIONS_MAX_IDLE_DEFAULT: Duration = Duration::from_millis(600_000);
    /// Default pipelining depth per connection (librdkafka's
    /// `max.in.flight.requests.per.connection` default is 1000000; Java's is 5). Bounded so a
    /// single client cannot queue unbounded responses in memory.
    pub const IN_FLIGHT_REQUESTS_PER_CONNECTION_MAX_DEFAULT: usize = 64;

    /// Defaults for a single-node broker on `127.0.0.1:0` (a random port).
    pub fn for_tests(log_dir: PathBuf) -> Self {
        Self {
            node_id: 1,
            cluster_id: "fjord-test-cluster".to_owned(),
            listeners: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            advertised_host: None,
            log_dirs: vec![log_dir],
            num_partitions: 1,
            default_replication_factor: 1,
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            message_max_bytes: Self::MESSAGE_MAX_BYTES_DEFAULT,
            log_message_timestamp_type: TimestampType::CreateTime,
            socket_request_max_bytes: fjord_protocol::REQUEST_FRAME_BYTES_MAX_DEFAULT,
            max_connections: Self::MAX_CONNECTIONS_DEFAULT,
            max_connections_per_ip: Self::MAX_CONNECTIONS_DEFAULT,
            connections_max_idle: Self::CONNECTIONS_MAX_IDLE_DEFAULT,
            in_flight_requests_per_connection_max:
                Self::IN_FLIGHT_REQUESTS_PER_CONNECTION_MAX_DEFAULT,
        }
    }
}

/// Why a `ServerConfig` cannot run this broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerConfigError {
    /// No log directory holds a `meta.properties` with a `cluster.id`.
    #[error(
        "no formatted log directory among {dirs:?}: run `fjord storage format` first (meta.properties with cluster.id is missing)"
    )]
    NotFormatted {
        /// The directories searched.
        dirs: Vec<PathBuf>,
    },
    /// `meta.properties` could not be read.
    #[error("cannot read meta.properties: {0}")]
    MetaProperties(#[from] fjord_config::ConfigError),
    /// A listener host does not resolve.
    #[error("listener {listener} does not resolve: {source}")]
    Listener {
        /// The listener URL.
        listener: String,
        /// The resolver error.
        source: std::io::Error,
    },
    /// No broker listener is configured (only controller listeners).
    #[error("no broker listener configured in `listeners`")]
    NoListeners,
}

impl BrokerConfig {
    /// Derives the broker's settings from the server configuration; the cluster id comes
    /// from the first log directory's `meta.properties` (Kafka refuses to start on an
    /// unformatted directory in KRaft mode, `MetaPropertiesEnsemble.verify`).
    pub fn from_server_config(
        server: &fjord_config::ServerConfig,
    ) -> Result<Self, BrokerConfigError> {
        let dirs = server.all_log_dirs();
        let mut cluster_id = None;
        for dir in &dirs {
            if let Some(meta) = fjord_config::MetaProperties::read(dir)? {
                cluster_id = meta.cluster_id;
                if cluster_id.is_some() {
                    break;
                }
            }
        }
        let cluster_id =
            cluster_id.ok_or_else(|| BrokerConfigError::NotFormatted { dirs: dirs.clone() })?;
        let listeners = server
            .broker_listeners()
            .into_iter()
            .map(|l| {
                l.bind_addr().map_err(|source| BrokerConfigError::Listener {
                    listener: l.url(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if listeners.is_empty() {
            return Err(BrokerConfigError::NoListeners);
        }
        let advertised_host = server
            .advertised_listeners
            .iter()
            .map(|l| l.host.clone())
            .find(|host| !host.is_empty());
        let positive = |v: i32, default: usize| {
            usize::try_from(v)
                .ok()
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        // Kafka's Int.MaxValue means "no limit"; we keep our named cap instead.
        let capped =
            |v: i32| positive(v, Self::MAX_CONNECTIONS_DEFAULT).min(Self::MAX_CONNECTIONS_DEFAULT);
        Ok(Self {
            node_id: server.node_id,
            cluster_id,
            listeners,
            advertised_host,
            log_dirs: server.log_dirs.clone(),
            num_partitions: server.num_partitions,
            default_replication_factor: i16::try_from(server.default_replication_factor)
                .unwrap_or(1),
            auto_create_topics_enable: server.auto_create_topics_enable,
            delete_topic_enable: server.delete_topic_enable,
            message_max_bytes: positive(server.message_max_bytes, Self::MESSAGE_MAX_BYTES_DEFAULT),
            log_message_timestamp_type: match server.log_message_timestamp_type {
                fjord_config::TimestampType::LogAppendTime => TimestampType::LogAppendTime,
                _ => TimestampType::CreateTime,
            },
            socket_request_max_bytes: positive(
                server.socket_request_max_bytes,
                fjord_protocol::REQUEST_FRAME_BYTES_MAX_DEFAULT,
            ),
            max_connections: capped(server.max_connections),
            max_connections_per_ip: capped(server.max_connections_per_ip),
            connections_max_idle: Duration::from_millis(
                u64::try_from(server.connections_max_idle_ms).unwrap_or(600_000),
            ),
            in_flight_requests_per_connection_max:
                Self::IN_FLIGHT_REQUESTS_PER_CONNECTION_MAX_DEFAULT,
        })
    }
}
