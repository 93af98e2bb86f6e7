//! [`ServerConfig`]: the broker/controller configuration, built from `.properties` text with
//! Kafka's keys, types, defaults and derived values (`KafkaConfig`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::broker_keys::{BROKER_KEYS, ConfigKey, broker_key};
use crate::error::ConfigError;
use crate::listener::{
    Listener, QuorumVoter, SecurityProtocol, parse_listeners, parse_security_protocol_map,
    parse_voters,
};
use crate::properties::Properties;
use crate::value::{ConfigValue, parse_typed};

/// A role in `process.roles` (KIP-500 / KIP-631).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProcessRole {
    /// Serves clients.
    Broker,
    /// Runs the KRaft metadata quorum.
    Controller,
}

/// How the process keeps its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataMode {
    /// `process.roles` set: KRaft (KIP-500).
    Kraft,
    /// `zookeeper.connect` set and no `process.roles`: legacy ZooKeeper mode.
    ZooKeeper,
}

/// `log.message.timestamp.type` (Kafka's `TimestampType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// The producer's timestamp.
    CreateTime,
    /// The broker's append time.
    LogAppendTime,
}

/// The broker/controller configuration: Kafka's keys resolved to typed values.
///
/// Build it with [`ServerConfig::from_properties`] (or [`crate::load_server_config`] for a file
/// plus environment and `--override` layers), or [`ServerConfig::embedded`] for the zero-config
/// quickstart. Field names follow Kafka's keys with `.` → `_`; fields are the *effective*
/// values after Kafka's derivations (e.g. `log_retention_ms` from ms > minutes > hours).
/// Every key's typed value, default or set, stays reachable through [`ServerConfig::get`], and
/// the input pairs through [`ServerConfig::raw`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `node.id` (alias `broker.id` when `node.id` is unset); `-1` when neither is set.
    pub node_id: i32,
    /// `process.roles`; empty in ZooKeeper mode.
    pub process_roles: Vec<ProcessRole>,
    /// `listeners` (default `PLAINTEXT://:9092`).
    pub listeners: Vec<Listener>,
    /// `advertised.listeners`; defaults to the non-controller `listeners` (Kafka).
    pub advertised_listeners: Vec<Listener>,
    /// `listener.security.protocol.map`, controller listeners mapped to PLAINTEXT when the map is
    /// not set explicitly (Kafka 3.3+ `effectiveListenerSecurityProtocolMap`).
    pub listener_security_protocol_map: BTreeMap<String, SecurityProtocol>,
    /// `controller.listener.names`.
    pub controller_listener_names: Vec<String>,
    /// `controller.quorum.voters` (static quorum, KIP-595).
    pub controller_quorum_voters: Vec<QuorumVoter>,
    /// `controller.quorum.bootstrap.servers` (dynamic quorum, KIP-853), `host:port` entries.
    pub controller_quorum_bootstrap_servers: Vec<String>,
    /// `inter.broker.listener.name`, else the listener of `security.inter.broker.protocol`.
    pub inter_broker_listener_name: String,
    /// `log.dirs`, else `log.dir` (default `/tmp/kafka-logs`), split on commas.
    pub log_dirs: Vec<PathBuf>,
    /// `metadata.log.dir`, else the first of `log_dirs`.
    pub metadata_log_dir: PathBuf,
    /// `num.partitions` (1).
    pub num_partitions: i32,
    /// `default.replication.factor` (1).
    pub default_replication_factor: i32,
    /// `min.insync.replicas` (1).
    pub min_insync_replicas: i32,
    /// `auto.create.topics.enable` (true).
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable` (true).
    pub delete_topic_enable: bool,
    /// `message.max.bytes` (1048588).
    pub message_max_bytes: i32,
    /// `log.segment.bytes` (1 GiB).
    pub log_segment_bytes: i32,
    /// `log.roll.ms`, else `log.roll.hours` (168) in ms.
    pub log_roll_ms: i64,
    /// `log.retention.ms` > `log.retention.minutes` > `log.retention.hours` (168), in ms;
    /// `-1` means no time limit (any negative value, as Kafka).
    pub log_retention_ms: i64,
    /// `log.retention.bytes` (-1 = unlimited).
    pub log_retention_bytes: i64,
    /// `log.retention.check.interval.ms` (300000).
    pub log_retention_check_interval_ms: i64,
    /// `log.cleanup.policy` (`delete`).
    pub log_cleanup_policy: Vec<String>,
    /// `log.index.size.max.bytes` (10 MiB).
    pub log_index_size_max_bytes: i32,
    /// `log.index.interval.bytes` (4096).
    pub log_index_interval_bytes: i32,
    /// `log.flush.interval.messages` (`Long.MAX_VALUE`).
    pub log_flush_interval_messages: i64,
    /// `log.flush.interval.ms`, else `log.flush.scheduler.interval.ms` (Kafka's derivation).
    pub log_flush_interval_ms: i64,
    /// `log.flush.scheduler.interval.ms` (`Long.MAX_VALUE`).
    pub log_flush_scheduler_interval_ms: i64,
    /// `log.message.timestamp.type` (CreateTime).
    pub log_message_timestamp_type: TimestampType,
    /// `compression.type` (`producer`), lower-cased.
    pub compression_type: String,
    /// `socket.request.max.bytes` (100 MiB).
    pub socket_request_max_bytes: i32,
    /// `socket.send.buffer.bytes` (102400; -1 = OS default).
    pub socket_send_buffer_bytes: i32,
    /// `socket.receive.buffer.bytes` (102400; -1 = OS default).
    pub socket_receive_buffer_bytes: i32,
    /// `num.network.threads` (3).
    pub num_network_threads: i32,
    /// `num.io.threads` (8).
    pub num_io_threads: i32,
    /// `max.connections` (`Integer.MAX_VALUE`).
    pub max_connections: i32,
    /// `max.connections.per.ip` (`Integer.MAX_VALUE`).
    pub max_connections_per_ip: i32,
    /// `connections.max.idle.ms` (600000).
    pub connections_max_idle_ms: i64,
    /// `offsets.topic.num.partitions` (50).
    pub offsets_topic_num_partitions: i32,
    /// `offsets.topic.replication.factor` (3).
    pub offsets_topic_replication_factor: i16,
    /// `transaction.state.log.num.partitions` (50).
    pub transaction_state_log_num_partitions: i32,
    /// `transaction.state.log.replication.factor` (3).
    pub transaction_state_log_replication_factor: i16,
    /// `transaction.state.log.min.isr` (2).
    pub transaction_state_log_min_isr: i32,
    /// `group.initial.rebalance.delay.ms` (3000).
    pub group_initial_rebalance_delay_ms: i32,
    /// `zookeeper.connect`.
    pub zookeeper_connect: Option<String>,
    /// `zookeeper.connection.timeout.ms`, else `zookeeper.session.timeout.ms` (Kafka).
    pub zookeeper_connection_timeout_ms: i32,
    /// `console.listeners` (fjord's web console, default `http://127.0.0.1:8048`).
    pub console_listeners: Vec<String>,
    raw: Properties,
    values: BTreeMap<&'static str, Option<ConfigValue>>,
}

/// Typed access to resolved values; a missing or mistyped value is a bug in [`BROKER_KEYS`]
/// (every key read here has a non-null default of the right type), so it falls back to the
/// type's zero rather than panicking.
struct Resolved<'a>(&'a BTreeMap<&'static str, Option<ConfigValue>>);

impl Resolved<'_> {
    fn value(&self, name: &str) -> Option<&ConfigValue> {
        self.0.get(name).and_then(Option::as_ref)
    }
    fn int(&self, name: &str) -> Option<i32> {
        match self.value(name) {
            Some(ConfigValue::Int(v)) => Some(*v),
            _ => None,
        }
    }
    fn long(&self, name: &str) -> Option<i64> {
        match self.value(name) {
            Some(ConfigValue::Long(v)) => Some(*v),
            _ => None,
        }
    }
    fn short(&self, name: &str) -> i16 {
        match self.value(name) {
            Some(ConfigValue::Short(v)) => *v,
            _ => 0,
        }
    }
    fn boolean(&self, name: &str) -> bool {
        matches!(self.value(name), Some(ConfigValue::Boolean(true)))
    }
    fn string(&self, name: &str) -> Option<&str> {
        match self.value(name) {
            Some(ConfigValue::String(v)) => Some(v.as_str()),
            _ => None,
        }
    }
    fn list(&self, name: &str) -> Vec<String> {
        match self.value(name) {
            Some(ConfigValue::List(v)) => v.clone(),
            Some(ConfigValue::String(v)) => crate::value::split_list(v),
            _ => Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Resolves `props` against Kafka's keys and defaults and runs Kafka's start-up cross-checks
    /// (see [`crate::kraft_checks`]). Unknown keys are logged with `tracing::warn!` and kept in
    /// [`Self::raw`].
    ///
    /// # Errors
    /// [`ConfigError::InvalidValue`] naming the key and value, or [`ConfigError::Requirement`]
    /// for a failed cross-check, with Kafka's wording.
    pub fn from_properties(props: &Properties) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for key in BROKER_KEYS {
            values.insert(key.name, resolve(key, props.get(key.name))?);
        }
        for (name, _) in props.iter() {
            if broker_key(name).is_none() && !is_passthrough_key(name) {
                tracing::warn!("The configuration '{name}' was supplied but isn't a known config.");
            }
        }
        let config = Self::build(props, values)?;
        crate::kraft_checks::validate(&config)?;
        Ok(config)
    }

    /// Parses pairs as if they were a properties file (handy for tests and embedding).
    ///
    /// # Errors
    /// As [`Self::from_properties`].
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        Self::from_properties(&pairs.into_iter().collect())
    }

    /// The embedded quickstart configuration: one combined broker+controller, node 1, client
    /// listener on `127.0.0.1:9092`, controller on `127.0.0.1:9093`, data in `data_dir`,
    /// single-replica internal topics.
    ///
    /// # Errors
    /// Only if `data_dir` is not valid UTF-8 ([`ConfigError::InvalidValue`] on `log.dirs`).
    pub fn embedded(data_dir: &Path) -> Result<Self, ConfigError> {
        let dir = data_dir.to_str().ok_or_else(|| {
            ConfigError::invalid(
                "log.dirs",
                &data_dir.to_string_lossy(),
                "path is not valid UTF-8",
            )
        })?;
        Self::from_properties(&embedded_properties(dir, 9092, 9093))
    }

    fn build(
        props: &Properties,
        values: BTreeMap<&'static str, Option<ConfigValue>>,
    ) -> Result<Self, ConfigError> {
        let r = Resolved(&values);
        let node_id = resolve_node_id(props, &r)?;
        let process_roles = r
            .list("process.roles")
            .iter()
            .map(|role| {
                if role == "controller" {
                    ProcessRole::Controller
                } else {
                    ProcessRole::Broker
                }
            })
            .collect::<Vec<_>>();
        let controller_listener_names: Vec<String> = r
            .string("controller.listener.names")
            .map(crate::value::split_list)
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.to_ascii_uppercase())
            .collect();
        let map_text = r
            .string("listener.security.protocol.map")
            .unwrap_or_default();
        let mut protocol_map =
            parse_security_protocol_map("listener.security.protocol.map", map_text)?;
        if !props.contains_key("listener.security.protocol.map") {
            for name in &controller_listener_names {
                protocol_map
                    .entry(name.clone())
                    .or_insert(SecurityProtocol::Plaintext);
            }
        }
        let listeners = parse_listeners(
            "listeners",
            r.string("listeners").unwrap_or_default(),
            &protocol_map,
        )?;
        let advertised_listeners = match r.string("advertised.listeners") {
            Some(text) => parse_listeners("advertised.listeners", text, &protocol_map)?,
            None => listeners
                .iter()
                .filter(|l| !controller_listener_names.contains(&l.name))
                .cloned()
                .collect(),
        };
        let inter_broker_listener_name = match r.string("inter.broker.listener.name") {
            Some(name) => name.to_ascii_uppercase(),
            None => r
                .string("security.inter.broker.protocol")
                .unwrap_or("PLAINTEXT")
                .to_ascii_uppercase(),
        };
        let voters = parse_voters(
            "controller.quorum.voters",
            &r.list("controller.quorum.voters"),
        )?;
        let log_dirs_text = r
            .string("log.dirs")
            .or(r.string("log.dir"))
            .unwrap_or("/tmp/kafka-logs");
        let log_dirs: Vec<PathBuf> = crate::value::split_list(log_dirs_text)
            .into_iter()
            .map(PathBuf::from)
            .collect();
        if log_dirs.is_empty() {
            return Err(ConfigError::invalid(
                "log.dirs",
                log_dirs_text,
                "At least one log directory must be defined via log.dirs or log.dir.",
            ));
        }
        let metadata_log_dir = r
            .string("metadata.log.dir")
            .map_or_else(|| log_dirs[0].clone(), PathBuf::from);
        let flush_scheduler = r
            .long("log.flush.scheduler.interval.ms")
            .unwrap_or(i64::MAX);
        let session_timeout = r.int("zookeeper.session.timeout.ms").unwrap_or(18000);
        Ok(Self {
            node_id,
            process_roles,
            listeners,
            advertised_listeners,
            listener_security_protocol_map: protocol_map,
            controller_listener_names,
            controller_quorum_voters: voters,
            controller_quorum_bootstrap_servers: r.list("controller.quorum.bootstrap.servers"),
            inter_broker_listener_name,
            log_dirs,
            metadata_log_dir,
            num_partitions: r.int("num.partitions").unwrap_or(1),
            default_replication_factor: r.int("default.replication.factor").unwrap_or(1),
            min_insync_replicas: r.int("min.insync.replicas").unwrap_or(1),
            auto_create_topics_enable: r.boolean("auto.create.topics.enable"),
            delete_topic_enable: r.boolean("delete.topic.enable"),
            message_max_bytes: r.int("message.max.bytes").unwrap_or(1_048_588),
            log_segment_bytes: r.int("log.segment.bytes").unwrap_or(1_073_741_824),
            log_roll_ms: r
                .long("log.roll.ms")
                .unwrap_or_else(|| i64::from(r.int("log.roll.hours").unwrap_or(168)) * 3_600_000),
            log_retention_ms: retention_ms(&r),
            log_retention_bytes: r.long("log.retention.bytes").unwrap_or(-1),
            log_retention_check_interval_ms: r
                .long("log.retention.check.interval.ms")
                .unwrap_or(300_000),
            log_cleanup_policy: r.list("log.cleanup.policy"),
            log_index_size_max_bytes: r.int("log.index.size.max.bytes").unwrap_or(10_485_760),
            log_index_interval_bytes: r.int("log.index.interval.bytes").unwrap_or(4096),
            log_flush_interval_messages: r.long("log.flush.interval.messages").unwrap_or(i64::MAX),
            log_flush_interval_ms: r.long("log.flush.interval.ms").unwrap_or(flush_scheduler),
            log_flush_scheduler_interval_ms: flush_scheduler,
            log_message_timestamp_type: if r.string("log.message.timestamp.type")
                == Some("LogAppendTime")
            {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            compression_type: r
                .string("compression.type")
                .unwrap_or("producer")
                .to_ascii_lowercase(),
            socket_request_max_bytes: r.int("socket.request.max.bytes").unwrap_or(104_857_600),
            socket_send_buffer_bytes: r.int("socket.send.buffer.bytes").unwrap_or(102_400),
            socket_receive_buffer_bytes: r.int("socket.receive.buffer.bytes").unwrap_or(102_400),
            num_network_threads: r.int("num.network.threads").unwrap_or(3),
            num_io_threads: r.int("num.io.threads").unwrap_or(8),
            max_connections: r.int("max.connections").unwrap_or(i32::MAX),
            max_connections_per_ip: r.int("max.connections.per.ip").unwrap_or(i32::MAX),
            connections_max_idle_ms: r.long("connections.max.idle.ms").unwrap_or(600_000),
            offsets_topic_num_partitions: r.int("offsets.topic.num.partitions").unwrap_or(50),
            offsets_topic_replication_factor: r.short("offsets.topic.replication.factor"),
            transaction_state_log_num_partitions: r
                .int("transaction.state.log.num.partitions")
                .unwrap_or(50),
            transaction_state_log_replication_factor: r
                .short("transaction.state.log.replication.factor"),
            transaction_state_log_min_isr: r.int("transaction.state.log.min.isr").unwrap_or(2),
            group_initial_rebalance_delay_ms: r
                .int("group.initial.rebalance.delay.ms")
                .unwrap_or(3000),
            zookeeper_connect: r.string("zookeeper.connect").map(str::to_owned),
            zookeeper_connection_timeout_ms: r
                .int("zookeeper.connection.timeout.ms")
                .unwrap_or(session_timeout),
            console_listeners: r.list("console.listeners"),
            raw: props.clone(),
            values,
        })
    }

    /// The input pairs exactly as given (file, environment and overrides merged), unknown keys
    /// included.
    pub fn raw(&self) -> &Properties {
        &self.raw
    }

    /// The typed value of a known key (set or default); `None` for unknown keys and for keys
    /// whose Kafka default is `null` and that were not set.
    pub fn get(&self, name: &str) -> Option<&ConfigValue> {
        self.values.get(name).and_then(Option::as_ref)
    }

    /// KRaft or ZooKeeper mode (Kafka: `process.roles` non-empty means KRaft).
    pub fn metadata_mode(&self) -> MetadataMode {
        if self.process_roles.is_empty() && self.zookeeper_connect.is_some() {
            MetadataMode::ZooKeeper
        } else {
            MetadataMode::Kraft
        }
    }

    /// Whether `process.roles` contains `role`.
    pub fn has_role(&self, role: ProcessRole) -> bool {
        self.process_roles.contains(&role)
    }

    /// The listeners named in `controller.listener.names`.
    pub fn controller_listeners(&self) -> Vec<&Listener> {
        self.listeners
            .iter()
            .filter(|l| self.controller_listener_names.contains(&l.name))
            .collect()
    }

    /// The listeners that serve clients (all but the controller listeners).
    pub fn broker_listeners(&self) -> Vec<&Listener> {
        self.listeners
            .iter()
            .filter(|l| !self.controller_listener_names.contains(&l.name))
            .collect()
    }

    /// Every log directory plus the metadata log directory, without duplicates, in order
    /// (the directories `kafka-storage.sh format` writes `meta.properties` into).
    pub fn all_log_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.log_dirs.clone();
        if !dirs.contains(&self.metadata_log_dir) {
            dirs.push(self.metadata_log_dir.clone());
        }
        dirs
    }
}

/// Keys that are not broker configs but are legitimately passed through a server file
/// (listener-prefixed security settings, metric reporters' own keys).
fn is_passthrough_key(name: &str) -> bool {
    name.starts_with("listener.name.")
        || name.starts_with("metric.reporters.")
        || name.starts_with("confluent.")
}

/// Parses and validates one key's raw value, or its default.
fn resolve(key: &ConfigKey, raw: Option<&str>) -> Result<Option<ConfigValue>, ConfigError> {
    let Some(text) = raw.or(key.default) else {
        return Ok(None);
    };
    let value = parse_typed(key.name, text, key.ty)?;
    key.validator.check(key.name, text, &value)?;
    Ok(Some(value))
}

/// `node.id`, falling back to `broker.id`; both set and different is an error (Kafka
/// `KafkaConfig`: "You must set `node.id` to the same value as `broker.id`.").
fn resolve_node_id(props: &Properties, r: &Resolved<'_>) -> Result<i32, ConfigError> {
    let node_id = r.int("node.id").unwrap_or(-1);
    let broker_id = r.int("broker.id").unwrap_or(-1);
    match (
        props.contains_key("node.id"),
        props.contains_key("broker.id"),
    ) {
        (true, true) if node_id != broker_id => Err(ConfigError::Requirement(
            "You must set `node.id` to the same value as `broker.id`.".to_owned(),
        )),
        (false, true) => Ok(broker_id),
        _ => Ok(node_id),
    }
}

/// Kafka `KafkaConfig.logRetentionTimeMillis`: ms, else minutes, else hours; negative = -1.
fn retention_ms(r: &Resolved<'_>) -> i64 {
    let millis = r
        .long("log.retention.ms")
        .or_else(|| {
            r.int("log.retention.minutes")
                .map(|m| i64::from(m) * 60_000)
        })
        .unwrap_or_else(|| i64::from(r.int("log.retention.hours").unwrap_or(168)) * 3_600_000);
    if millis < 0 { -1 } else { millis }
}

/// The properties behind [`ServerConfig::embedded`], exposed so the CLI can print or persist
/// them.
pub fn embedded_properties(data_dir: &str, client_port: u16, controller_port: u16) -> Properties {
    [
        ("process.roles", "broker,controller".to_owned()),
        ("node.id", "1".to_owned()),
        (
            "controller.quorum.voters",
            format!("1@127.0.0.1:{controller_port}"),
        ),
        (
            "listeners",
            format!("PLAINTEXT://127.0.0.1:{client_port},CONTROLLER://127.0.0.1:{controller_port}"),
        ),
        (
            "advertised.listeners",
            format!("PLAINTEXT://127.0.0.1:{client_port}"),
        ),
        ("controller.listener.names", "CONTROLLER".to_owned()),
        ("inter.broker.listener.name", "PLAINTEXT".to_owned()),
        (
            "listener.security.protocol.map",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT".to_owned(),
        ),
        ("log.dirs", data_dir.to_owned()),
        ("offsets.topic.replication.factor", "1".to_owned()),
        ("transaction.state.log.replication.factor", "1".to_owned()),
        ("transaction.state.log.min.isr", "1".to_owned()),
        ("group.initial.rebalance.delay.ms", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
