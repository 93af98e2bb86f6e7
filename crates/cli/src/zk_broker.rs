//! Starting a ZooKeeper-mode configuration (`zookeeper.connect` set, no `process.roles`) as
//! fjord's single-node combined broker+controller. Design: `docs/design/zookeeper-mode.md`.
//!
//! Order follows Kafka 3.x `KafkaServer.startup`: connect to ZooKeeper (`initZkClient`, failing
//! with `ZooKeeperClientTimeoutException` after `zookeeper.connection.timeout.ms`), get the
//! cluster id from it, resolve `broker.id` (`getOrGenerateBrokerId`), then write or check
//! `meta.properties` in every log dir (`checkpointBrokerMetadata`). No format step.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use fjord_config::zookeeper_mode::{
    ensure_meta_properties, kraft_properties, read_stored_identity, resolve_broker_id,
};
use fjord_config::{KafkaUuid, ServerConfig, StorageIdentity, ZkConnect};

use crate::zookeeper_cmd::REGISTER_WORD;

/// Pause between connection attempts while ZooKeeper is not reachable.
const CONNECT_RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A ZooKeeper-mode broker ready to start: its KRaft configuration, identity and session.
#[derive(Debug)]
pub struct ZkBroker {
    /// The combined KRaft configuration fjord runs.
    pub config: ServerConfig,
    /// Cluster and node id from the (version-0) `meta.properties`.
    pub identity: StorageIdentity,
    /// The registration connection; the stand-in drops the registration when it closes.
    pub session: TcpStream,
}

/// Connects, registers and prepares the log dirs.
///
/// # Errors
/// Kafka's messages for a ZooKeeper that does not answer in time and for id mismatches; the
/// stand-in's refusal (e.g. a second broker); configuration and I/O errors.
pub fn prepare(config: &ServerConfig) -> Result<ZkBroker, String> {
    let connect_text = config.zookeeper_connect.clone().unwrap_or_default();
    let connect = ZkConnect::parse(&connect_text).map_err(|e| e.to_string())?;
    let timeout_ms = u64::try_from(config.zookeeper_connection_timeout_ms.max(0)).unwrap_or(0);
    tracing::info!("Connecting to zookeeper on {connect_text}");
    tracing::info!("[ZooKeeperClient Kafka server] Initializing a new session to {connect_text}.");
    tracing::info!("[ZooKeeperClient Kafka server] Waiting until connected.");
    let mut session = connect_with_timeout(&connect, Duration::from_millis(timeout_ms))?;
    tracing::info!("[ZooKeeperClient Kafka server] Connected.");

    let dirs = fjord_config::storage_format::config_log_directories(config);
    let stored = read_stored_identity(&dirs).map_err(|e| e.to_string())?;
    let broker_id = resolve_broker_id(config, stored.broker_id).map_err(|e| e.to_string())?;
    let proposed = stored
        .cluster_id
        .clone()
        .unwrap_or_else(|| KafkaUuid::random().to_string());
    let cluster_id = register(&mut session, &connect.chroot, broker_id, &proposed)?;
    tracing::info!("Cluster ID = {cluster_id}");
    ensure_meta_properties(&dirs, broker_id, &cluster_id, SystemTime::now())
        .map_err(|e| e.to_string())?;

    let controller_port = free_loopback_port()?;
    let props = kraft_properties(config.raw(), broker_id, controller_port);
    let kraft = ServerConfig::from_properties(&props).map_err(|e| e.to_string())?;
    tracing::warn!(
        "fjord runs this ZooKeeper-mode broker (broker.id={broker_id}) as a single-node KRaft-style cluster (broker+controller, metadata in its own __cluster_metadata log); multi-broker ZooKeeper clusters are not supported yet"
    );
    let identity = StorageIdentity {
        cluster_id,
        node_id: broker_id,
        directories: dirs.into_iter().map(|dir| (dir, None)).collect(),
    };
    Ok(ZkBroker {
        config: kraft,
        identity,
        session,
    })
}

/// Tries each ensemble member in turn until one accepts or `timeout` passes (Kafka's
/// `ZooKeeperClient.waitUntilConnected`).
fn connect_with_timeout(connect: &ZkConnect, timeout: Duration) -> Result<TcpStream, String> {
    let deadline = Instant::now() + timeout;
    loop {
        for (host, port) in &connect.servers {
            let Ok(addrs) = (host.as_str(), *port).to_socket_addrs() else {
                continue;
            };
            for addr in addrs {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                if let Ok(stream) =
                    TcpStream::connect_timeout(&addr, left.min(Duration::from_secs(2)))
                {
                    return Ok(stream);
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(
                "Fatal error during KafkaServer startup. Prepare to shutdown: kafka.zookeeper.ZooKeeperClientTimeoutException: Timed out waiting for connection while in state: CONNECTING"
                    .to_owned(),
            );
        }
        std::thread::sleep(CONNECT_RETRY_PAUSE);
    }
}

/// Sends the private registration word and reads the stand-in's answer.
fn register(
    session: &mut TcpStream,
    chroot: &str,
    broker_id: i32,
    proposed: &str,
) -> Result<String, String> {
    let not_standin = || {
        "zookeeper.connect does not point at fjord's ZooKeeper stand-in (it did not answer fjord's registration): a ZooKeeper-mode configuration needs fjord's bin/zookeeper-server-start.sh, not Apache ZooKeeper".to_owned()
    };
    let mut request = REGISTER_WORD.to_vec();
    request.extend_from_slice(format!("register {chroot} {broker_id} {proposed}\n").as_bytes());
    session.write_all(&request).map_err(|_| not_standin())?;
    let _ = session.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(session.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(n) if n > 0 => {}
        _ => return Err(not_standin()),
    }
    let _ = session.set_read_timeout(None);
    let line = line.trim_end();
    if let Some(cluster_id) = line.strip_prefix("ok ") {
        Ok(cluster_id.trim().to_owned())
    } else if let Some(reason) = line.strip_prefix("err ") {
        Err(reason.to_owned())
    } else {
        Err(not_standin())
    }
}

/// A free port on loopback for the internal controller listener.
fn free_loopback_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port for the controller listener: {e}"))
}
