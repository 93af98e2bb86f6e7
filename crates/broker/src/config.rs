//! The broker's own view of its configuration.
//!
//! `BrokerConfig` holds what the network layer and API handlers read, plus the resolved
//! [`ServerConfig`] it came from (topic config defaults, DescribeConfigs of the broker).
//! [`BrokerConfig::from_server_config`] is the CLI's path; tests start from
//! [`BrokerConfig::for_tests`] and adjust fields.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fjord_config::ServerConfig;
use uuid::Uuid;

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
    /// Addresses of the controller listeners (`controller.listener.names`); they answer the
    /// controller's API subset, as Kafka's combined-mode port 9093 does.
    pub controller_listeners: Vec<SocketAddr>,
    /// `log.dirs`: where partition logs live.
    pub log_dirs: Vec<PathBuf>,
    /// `metadata.log.dir` (default: the first of `log.dirs`): holds `__cluster_metadata-0`.
    pub metadata_log_dir: PathBuf,
    /// `directory.id` of each formatted log dir (`meta.properties` v1), registered with the
    /// controller.
    pub log_dir_ids: Vec<Uuid>,
    /// `num.partitions` (default 1): used for auto-created topics and `num_partitions = -1`.
    pub num_partitions: i32,
    /// `default.replication.factor` (default 1).
    pub default_replication_factor: i16,
    /// `auto.create.topics.enable` (default true).
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable` (default true).
    pub delete_topic_enable: bool,
    /// `log.retention.check.interval.ms` (default 300000): how often retention runs.
    pub log_retention_check_interval: Duration,
    /// `log.flush.scheduler.interval.ms` (default `Long.MAX_VALUE`, i.e. never): how often
    /// `flush.messages`/`flush.ms` are checked.
    pub log_flush_scheduler_interval: Duration,
    /// `log.flush.offset.checkpoint.interval.ms` (default 60000): how often the recovery point
    /// (and log start offset, high watermark) checkpoints are written.
    pub log_flush_offset_checkpoint_interval: Duration,
    /// The resolved server configuration: topic config defaults (`TopicConfigs::effective`)
    /// and the broker's own DescribeConfigs answer.
    pub server: Arc<ServerConfig>,
    /// `socket.request.max.bytes` (default 104857600): the largest request frame.
    pub socket_request_max_bytes: usize,
    /// `max.connections` (default unbounded in Kafka; we cap it, see `max_connections_default`;
    /// an explicit value is kept as configured).
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
    /// Intervals at or above this are treated as "never" (Kafka's `Long.MAX_VALUE` defaults);
    /// also keeps `Instant + interval` from overflowing.
    pub const SCHEDULER_INTERVAL_MAX: Duration = Duration::from_secs(365 * 24 * 3600);
    /// The smallest cap when `max.connections` is unset (Kafka leaves it at Int.MaxValue).
    pub const MAX_CONNECTIONS_DEFAULT: usize = 10_000;

    /// The cap used when `max.connections` is unset: three quarters of the soft open-file limit
    /// (`RLIMIT_NOFILE`, read from `/proc/self/limits`), the rest left for segment files; never
    /// below [`Self::MAX_CONNECTIONS_DEFAULT`].
    pub fn max_connections_default() -> usize {
        let soft = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|line| line.starts_with("Max open files"))
                    .and_then(|line| line.split_whitespace().nth(3))
                    .and_then(|soft| soft.parse::<usize>().ok())
            });
        soft.map_or(Self::MAX_CONNECTIONS_DEFAULT, |soft| soft / 4 * 3)
            .max(Self::MAX_CONNECTIONS_DEFAULT)
    }
    /// Kafka's `connections.max.idle.ms` default.
    pub const CONNECTIONS_MAX_IDLE_DEFAULT: Duration = Duration::from_millis(600_000);
    /// Default pipelining depth per connection (librdkafka's
    /// `max.in.flight.requests.per.connection` default is 1000000; Java's is 5). Bounded so a
    /// single client cannot queue unbounded responses in memory.
    pub const IN_FLIGHT_REQUESTS_PER_CONNECTION_MAX_DEFAULT: usize = 64;

    /// Defaults for a single-node broker on `127.0.0.1:0` (a random port) with its data in
    /// `log_dir`, no controller listener, and Kafka's defaults otherwise (the embedded
    /// quickstart's server configuration).
    ///
    /// # Errors
    /// [`BrokerConfigError::Server`] if `log_dir` is not valid UTF-8.
    pub fn for_tests(log_dir: PathBuf) -> Result<Self, BrokerConfigError> {
        let server = ServerConfig::embedded(&log_dir).map_err(BrokerConfigError::Server)?;
        let mut config = Self::from_server_and_cluster(&server, "fjord-test-cluster".to_owned())?;
        config.listeners = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        config.controller_listeners = Vec::new();
        config.advertised_host = None;
        Ok(config)
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
    /// The server configuration itself could not be built.
    #[error("invalid server configuration: {0}")]
    Server(fjord_config::ConfigError),
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
        let mut config = Self::from_server_and_cluster(server, cluster_id)?;
        for dir in &server.log_dirs {
            if let Some(id) =
                fjord_config::MetaProperties::read(dir)?.and_then(|meta| meta.directory_id)
            {
                config.log_dir_ids.push(Uuid::from_bytes(id.0));
            }
        }
        Ok(config)
    }

    fn from_server_and_cluster(
        server: &ServerConfig,
        cluster_id: String,
    ) -> Result<Self, BrokerConfigError> {
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
        let controller_listeners = server
            .controller_listeners()
            .into_iter()
            .filter(|_| server.has_role(fjord_config::ProcessRole::Controller))
            .map(|l| {
                l.bind_addr().map_err(|source| BrokerConfigError::Listener {
                    listener: l.url(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let interval = |key: &str, default_ms: i64| {
            let ms = match server.get(key) {
                Some(fjord_config::ConfigValue::Long(ms)) => *ms,
                Some(fjord_config::ConfigValue::Int(ms)) => i64::from(*ms),
                _ => default_ms,
            };
            Duration::from_millis(u64::try_from(ms.max(1)).unwrap_or(u64::MAX))
                .min(Self::SCHEDULER_INTERVAL_MAX)
        };
        let advertised_host = server
            .advertised_listeners
            .iter()
            .map(|l| l.host.clone())
            .find(|host| !host.is_empty())
            .or_else(default_advertised_host);
        let positive = |v: i32, default: usize| {
            usize::try_from(v)
                .ok()
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        // Kafka's Int.MaxValue default means "no limit": we cap it below the process's open-file
        // limit so connections cannot starve the log of descriptors (an EMFILE on a segment
        // open takes a log dir offline). An explicit value is the operator's choice and kept.
        let capped = |v: i32| {
            if v == i32::MAX {
                Self::max_connections_default()
            } else {
                positive(v, Self::max_connections_default())
            }
        };
        Ok(Self {
            node_id: server.node_id,
            cluster_id,
            listeners,
            advertised_host,
            controller_listeners,
            log_dirs: server.log_dirs.clone(),
            metadata_log_dir: server.metadata_log_dir.clone(),
            log_dir_ids: Vec::new(),
            num_partitions: server.num_partitions,
            default_replication_factor: i16::try_from(server.default_replication_factor)
                .unwrap_or(1),
            auto_create_topics_enable: server.auto_create_topics_enable,
            delete_topic_enable: server.delete_topic_enable,
            log_retention_check_interval: Duration::from_millis(
                u64::try_from(server.log_retention_check_interval_ms.max(1)).unwrap_or(300_000),
            )
            .min(Self::SCHEDULER_INTERVAL_MAX),
            log_flush_scheduler_interval: interval("log.flush.scheduler.interval.ms", i64::MAX),
            log_flush_offset_checkpoint_interval: interval(
                "log.flush.offset.checkpoint.interval.ms",
                60_000,
            ),
            server: Arc::new(server.clone()),
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

/// The host advertised when `advertised.listeners` (or `listeners`, its default) leaves the host
/// empty, as `PLAINTEXT://:9092` in Kafka's ZooKeeper-mode `config/server.properties` does.
/// Kafka advertises `InetAddress.getLocalHost.getCanonicalHostName` then (`EndPoint` /
/// `KafkaConfig.effectiveAdvertisedBrokerListeners`); advertising the bound wildcard address
/// (`0.0.0.0`) would send clients to a non-routable address. We advertise the machine's host
/// name when it resolves, else `None` (the bound IP).
fn default_advertised_host() -> Option<String> {
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    let name = name.trim().to_owned();
    if name.is_empty() {
        return None;
    }
    let resolves = (name.as_str(), 9092u16)
        .to_socket_addrs()
        .map(|mut addrs| addrs.next().is_some())
        .unwrap_or(false);
    resolves.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjord_config::properties::Properties;
    use fjord_config::server::ServerConfig;

    /// Kafka's ZooKeeper-mode `config/server.properties` leaves `listeners` commented out
    /// (`PLAINTEXT://:9092`): the advertised host is the machine's resolvable host name, never an
    /// empty string or the wildcard address (Kafka `KafkaConfig.effectiveAdvertisedBrokerListeners`).
    #[test]
    fn empty_listener_host_advertises_the_host_name_not_the_wildcard() {
        let props = Properties::parse(
            "broker.id=0\nzookeeper.connect=localhost:2181\nlisteners=PLAINTEXT://:9092\nlog.dirs=/tmp/x\n",
        )
        .unwrap();
        let server = ServerConfig::from_properties(&props).unwrap();
        let config = BrokerConfig::from_server_and_cluster(&server, "c".to_owned()).unwrap();
        let expected = default_advertised_host();
        assert_eq!(config.advertised_host, expected);
        if let Some(host) = &config.advertised_host {
            assert!(!host.is_empty() && host != "0.0.0.0");
            use std::net::ToSocketAddrs;
            assert!(
                (host.as_str(), 9092)
                    .to_socket_addrs()
                    .unwrap()
                    .next()
                    .is_some()
            );
        }
    }

    /// `max.connections` as configured is honoured (scenario 6 of bench/run sets 12000); the
    /// Kafka default (Int.MaxValue) becomes our fd-derived cap.
    #[test]
    fn explicit_max_connections_is_kept_and_the_default_follows_the_fd_limit() {
        let base = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
             controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n\
             log.dirs=/tmp/x\n";
        let props = Properties::parse(&format!("{base}max.connections=12000\n")).unwrap();
        let server = ServerConfig::from_properties(&props).unwrap();
        let config = BrokerConfig::from_server_and_cluster(&server, "c".to_owned()).unwrap();
        assert_eq!(config.max_connections, 12_000);
        let server = ServerConfig::from_properties(&Properties::parse(base).unwrap()).unwrap();
        let config = BrokerConfig::from_server_and_cluster(&server, "c".to_owned()).unwrap();
        assert_eq!(
            config.max_connections,
            BrokerConfig::max_connections_default()
        );
        assert!(config.max_connections >= BrokerConfig::MAX_CONNECTIONS_DEFAULT);
    }

    /// An explicit advertised host wins over the host name.
    #[test]
    fn explicit_advertised_host_is_kept() {
        let props = Properties::parse(
            "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
             controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n\
             advertised.listeners=PLAINTEXT://kafka.example:9092\nlog.dirs=/tmp/x\n",
        )
        .unwrap();
        let server = ServerConfig::from_properties(&props).unwrap();
        let config = BrokerConfig::from_server_and_cluster(&server, "c".to_owned()).unwrap();
        assert_eq!(config.advertised_host.as_deref(), Some("kafka.example"));
    }
}
