//! ZooKeeper-mode configurations (`zookeeper.connect` set, `process.roles` not set, as in Kafka
//! 3.x's `config/server.properties`) and how fjord runs them: as its single-node combined
//! broker+controller, with the metadata in its own KRaft-format metadata log.
//!
//! What is Kafka's here (Kafka 3.x `KafkaServer.scala`, `KafkaConfig.scala`,
//! `BrokerMetadataCheckpoint`, ZooKeeper's `ConnectStringParser`):
//! - `zookeeper.connect` is `host[:port][,host[:port]...][/chroot]`, port 2181 by default;
//! - `broker.id` -1 means "generate": ZooKeeper's broker sequence (starting at 1) plus
//!   `reserved.broker.max.id` (1000), so a fresh broker is 1001; an id stored in
//!   `meta.properties` wins over generation, and a configured id must match the stored one;
//! - `meta.properties` in every log dir is written on first start (version 0: `broker.id`,
//!   `cluster.id`), no `kafka-storage.sh format` step;
//! - the cluster id comes from ZooKeeper (`/cluster/id`) and must match the stored one.
//!
//! What is fjord's: [`kraft_properties`] turns the file into a combined KRaft configuration with
//! `node.id = broker.id` and an internal controller listener on loopback that is never
//! advertised (see `docs/design/zookeeper-mode.md`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::ConfigError;
use crate::meta_properties::{MetaProperties, MetaPropertiesVersion};
use crate::properties::Properties;
use crate::server::ServerConfig;
use crate::value::ConfigValue;

/// ZooKeeper's default client port (`ConnectStringParser.DEFAULT_PORT`).
pub const ZOOKEEPER_PORT_DEFAULT: u16 = 2181;

/// Kafka's `reserved.broker.max.id` default: generated broker ids start above it.
pub const RESERVED_BROKER_MAX_ID_DEFAULT: i32 = 1000;

/// The name of the internal controller listener a ZooKeeper-mode broker gets. Unusual on
/// purpose, so it cannot collide with a listener an operator named.
pub const ZK_MODE_CONTROLLER_LISTENER: &str = "FJORD_ZK_MODE_CONTROLLER";

/// Why a ZooKeeper-mode broker cannot start. Texts are Kafka's where Kafka has one.
#[derive(Debug, thiserror::Error)]
pub enum ZkModeError {
    /// `zookeeper.connect` does not parse (ZooKeeper `ConnectStringParser` / `PathUtils`).
    #[error("Invalid value {value} for configuration zookeeper.connect: {reason}")]
    InvalidConnect {
        /// The configured text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `KafkaConfig.validateValues` in ZooKeeper mode.
    #[error(
        "broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id (broker.id={broker_id}, reserved.broker.max.id={reserved_max})"
    )]
    BrokerIdOutOfRange {
        /// The configured `broker.id`.
        broker_id: i32,
        /// The configured `reserved.broker.max.id`.
        reserved_max: i32,
    },
    /// `broker.id=-1` with `broker.id.generation.enable=false` and no stored id.
    #[error(
        "broker.id is -1 and broker.id.generation.enable is false: set broker.id to this broker's id"
    )]
    NoBrokerId,
    /// Kafka's `InconsistentBrokerIdException`.
    #[error(
        "Configured broker.id {configured} doesn't match stored broker.id Some({stored}) in meta.properties. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs)."
    )]
    InconsistentBrokerId {
        /// `broker.id` from the configuration.
        configured: i32,
        /// `broker.id` from `meta.properties`.
        stored: i32,
    },
    /// Kafka's `InconsistentClusterIdException`.
    #[error(
        "The Cluster ID {cluster_id} doesn't match stored clusterId Some({stored}) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong."
    )]
    InconsistentClusterId {
        /// The id ZooKeeper (the stand-in) holds.
        cluster_id: String,
        /// The id in `meta.properties`.
        stored: String,
    },
    /// Log dirs disagree (Kafka `BrokerMetadataCheckpoint` / `MetaPropertiesEnsemble`).
    #[error(
        "BrokerMetadata is not consistent across log.dirs. This could happen if multiple brokers shared a log directory (log.dirs) or partial data was manually copied from another broker. Found: {found}"
    )]
    InconsistentDirectories {
        /// Each directory's `broker.id`/`cluster.id`.
        found: String,
    },
    /// A log dir formatted by `kafka-storage.sh format` (KRaft, `version=1`).
    #[error(
        "{dir} is formatted for KRaft mode (meta.properties version=1) but this configuration is for ZooKeeper mode (zookeeper.connect set, process.roles not set). Use a KRaft configuration (config/kraft/server.properties) with this directory, or another log.dirs."
    )]
    KraftFormatted {
        /// The directory.
        dir: String,
    },
    /// Reading or writing a directory or file failed, or a value is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A parsed `zookeeper.connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkConnect {
    /// The ensemble's `(host, port)` pairs, in order.
    pub servers: Vec<(String, u16)>,
    /// The chroot path; `/` when there is none.
    pub chroot: String,
}

impl ZkConnect {
    /// Parses `host[:port][,host[:port]...][/chroot]` as ZooKeeper's `ConnectStringParser`:
    /// the chroot starts at the first `/` and a chroot of just `/` means none.
    ///
    /// # Errors
    /// [`ZkModeError::InvalidConnect`] for an empty host list, a bad port or an invalid chroot
    /// path (empty segment, `.` or `..`, trailing `/`: ZooKeeper `PathUtils.validatePath`).
    pub fn parse(text: &str) -> Result<Self, ZkModeError> {
        let invalid = |reason: &str| ZkModeError::InvalidConnect {
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let text_trimmed = text.trim();
        let (hosts, chroot) = match text_trimmed.find('/') {
            Some(at) => (&text_trimmed[..at], &text_trimmed[at..]),
            None => (text_trimmed, "/"),
        };
        if chroot != "/" {
            if chroot.ends_with('/') {
                return Err(invalid("Path must not end with / character"));
            }
            for segment in chroot[1..].split('/') {
                if segment.is_empty() {
                    return Err(invalid("empty node name specified"));
                }
                if segment == "." || segment == ".." {
                    return Err(invalid("relative paths not allowed"));
                }
            }
        }
        let mut servers = Vec::new();
        for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let (name, port) = split_host_port(host).ok_or_else(|| invalid("bad port"))?;
            servers.push((name, port));
        }
        if servers.is_empty() {
            return Err(invalid("no host:port in the connect string"));
        }
        Ok(Self {
            servers,
            chroot: chroot.to_owned(),
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 2181.
fn split_host_port(text: &str) -> Option<(String, u16)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None if after.is_empty() => ZOOKEEPER_PORT_DEFAULT,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((text.to_owned(), ZOOKEEPER_PORT_DEFAULT)),
    }
}

/// What the log dirs already say about this broker (`meta.properties` of each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredIdentity {
    /// `broker.id` all formatted directories agree on.
    pub broker_id: Option<i32>,
    /// `cluster.id` all formatted directories agree on.
    pub cluster_id: Option<String>,
}

/// Reads `meta.properties` in each of `dirs` (missing files are fine: first start).
///
/// # Errors
/// [`ZkModeError::KraftFormatted`] for a `version=1` file,
/// [`ZkModeError::InconsistentDirectories`] when the directories disagree, or a read error.
pub fn read_stored_identity(dirs: &[PathBuf]) -> Result<StoredIdentity, ZkModeError> {
    let mut found = Vec::new();
    for dir in dirs {
        if let Some(meta) = MetaProperties::read(dir)? {
            if meta.version == MetaPropertiesVersion::V1 {
                return Err(ZkModeError::KraftFormatted {
                    dir: dir.display().to_string(),
                });
            }
            found.push((dir.clone(), meta));
        }
    }
    let Some((_, first)) = found.first() else {
        return Ok(StoredIdentity::default());
    };
    let consistent = found
        .iter()
        .all(|(_, m)| m.node_id == first.node_id && m.cluster_id == first.cluster_id);
    if !consistent {
        let described: Vec<String> = found
            .iter()
            .map(|(dir, m)| {
                format!(
                    "{} -> broker.id={:?}, cluster.id={:?}",
                    dir.display(),
                    m.node_id,
                    m.cluster_id
                )
            })
            .collect();
        return Err(ZkModeError::InconsistentDirectories {
            found: described.join("; "),
        });
    }
    Ok(StoredIdentity {
        broker_id: first.node_id,
        cluster_id: first.cluster_id.clone(),
    })
}

fn int_value(config: &ServerConfig, name: &str, default: i32) -> i32 {
    match config.get(name) {
        Some(ConfigValue::Int(v)) => *v,
        _ => default,
    }
}

/// `KafkaServer.getOrGenerateBrokerId` (Kafka 3.x): the configured id (which must match a
/// stored one), else the stored id, else a generated one: `reserved.broker.max.id` + the
/// broker sequence. fjord runs one broker per cluster, so the sequence is always 1 (Kafka's
/// first value), giving 1001 by default.
///
/// # Errors
/// [`ZkModeError::BrokerIdOutOfRange`], [`ZkModeError::InconsistentBrokerId`] or
/// [`ZkModeError::NoBrokerId`].
pub fn resolve_broker_id(config: &ServerConfig, stored: Option<i32>) -> Result<i32, ZkModeError> {
    let configured = config.node_id;
    let reserved_max = int_value(
        config,
        "reserved.broker.max.id",
        RESERVED_BROKER_MAX_ID_DEFAULT,
    );
    if configured < -1 || configured > reserved_max {
        return Err(ZkModeError::BrokerIdOutOfRange {
            broker_id: configured,
            reserved_max,
        });
    }
    let generation = !matches!(
        config.get("broker.id.generation.enable"),
        Some(ConfigValue::Boolean(false))
    );
    match stored {
        Some(stored) if configured >= 0 && stored != configured => {
            Err(ZkModeError::InconsistentBrokerId { configured, stored })
        }
        Some(stored) => Ok(stored),
        None if configured >= 0 => Ok(configured),
        None if generation => Ok(reserved_max.saturating_add(1)),
        None => Err(ZkModeError::NoBrokerId),
    }
}

/// The combined KRaft configuration fjord runs for a ZooKeeper-mode file: `raw` plus
/// `process.roles=broker,controller`, `node.id` = `broker.id` = `broker_id`, and an internal
/// controller listener `FJORD_ZK_MODE_CONTROLLER://127.0.0.1:<controller_port>` that is the
/// single voter and is never advertised. `listeners` keeps Kafka's default `PLAINTEXT://:9092`
/// when unset; `advertised.listeners` (if unset) stays derived from the client listeners.
pub fn kraft_properties(raw: &Properties, broker_id: i32, controller_port: u16) -> Properties {
    let mut props = raw.clone();
    let controller = ZK_MODE_CONTROLLER_LISTENER;
    let listeners = raw.get("listeners").map_or("PLAINTEXT://:9092", str::trim);
    let listeners = if listeners.is_empty() {
        format!("{controller}://127.0.0.1:{controller_port}")
    } else {
        format!("{listeners},{controller}://127.0.0.1:{controller_port}")
    };
    props.set("listeners", listeners);
    if let Some(map) = raw.get("listener.security.protocol.map") {
        props.set(
            "listener.security.protocol.map",
            format!("{},{controller}:PLAINTEXT", map.trim()),
        );
    }
    props.set("process.roles", "broker,controller");
    props.set("node.id", broker_id.to_string());
    props.set("broker.id", broker_id.to_string());
    props.set("controller.listener.names", controller);
    props.set(
        "controller.quorum.voters",
        format!("{broker_id}@127.0.0.1:{controller_port}"),
    );
    props.remove("controller.quorum.bootstrap.servers");
    props
}

/// Writes a `version=0` `meta.properties` (`broker.id`, `cluster.id`) into each of `dirs`
/// that has none, creating the directory; checks the ones that exist against `cluster_id`
/// and `broker_id` (Kafka's ZooKeeper-mode first start: `KafkaServer.startup` →
/// `checkpointBrokerMetadata`).
///
/// # Errors
/// [`ZkModeError::InconsistentClusterId`], [`ZkModeError::InconsistentBrokerId`],
/// [`ZkModeError::KraftFormatted`], or an I/O error.
pub fn ensure_meta_properties(
    dirs: &[PathBuf],
    broker_id: i32,
    cluster_id: &str,
    now: SystemTime,
) -> Result<(), ZkModeError> {
    for dir in dirs {
        match MetaProperties::read(dir)? {
            Some(meta) => check_existing(dir, &meta, broker_id, cluster_id)?,
            None => {
                std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io {
                    path: dir.clone(),
                    source,
                })?;
                let meta = MetaProperties {
                    version: MetaPropertiesVersion::V0,
                    cluster_id: Some(cluster_id.to_owned()),
                    node_id: Some(broker_id),
                    directory_id: None,
                };
                meta.write(dir, now)?;
            }
        }
    }
    Ok(())
}

fn check_existing(
    dir: &Path,
    meta: &MetaProperties,
    broker_id: i32,
    cluster_id: &str,
) -> Result<(), ZkModeError> {
    if meta.version == MetaPropertiesVersion::V1 {
        return Err(ZkModeError::KraftFormatted {
            dir: dir.display().to_string(),
        });
    }
    if let Some(stored) = &meta.cluster_id
        && stored != cluster_id
    {
        return Err(ZkModeError::InconsistentClusterId {
            cluster_id: cluster_id.to_owned(),
            stored: stored.clone(),
        });
    }
    if let Some(stored) = meta.node_id
        && stored != broker_id
    {
        return Err(ZkModeError::InconsistentBrokerId {
            configured: broker_id,
            stored,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "zookeeper_mode_tests.rs"]
mod tests;
