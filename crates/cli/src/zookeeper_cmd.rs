//! `fjord zookeeper-server-start <zookeeper.properties>` (what `bin/zookeeper-server-start.sh`
//! runs): fjord's small stand-in for ZooKeeper, and the registration a ZooKeeper-mode broker
//! makes with it. Design: `docs/design/zookeeper-mode.md`.
//!
//! The stand-in holds no Kafka state (fjord keeps metadata in its own KRaft-format metadata
//! log). It reads Kafka's `zookeeper.properties` (`clientPort`, `dataDir`, `clientPortAddress`,
//! `maxClientCnxns`, `4lw.commands.whitelist`), binds the client port (127.0.0.1 unless
//! `clientPortAddress` says otherwise) and answers:
//! - ZooKeeper's four-letter words (ZooKeeper Administrator's Guide, "ZooKeeper Commands: The
//!   Four Letter Words"): `ruok` → `imok`, `srvr`, `stat`, `mntr`, `isro`, each saying it is
//!   fjord's stand-in;
//! - fjord's private word `fjrd` followed by one line `register <chroot> <broker.id>
//!   <proposed cluster.id>`: the reply is `ok <cluster.id>` or `err <reason>`; the connection
//!   then stays open as the broker's session, like the ephemeral `/brokers/ids/<id>` znode.
//!
//! Threads: one accept thread (the main thread) and one thread per connection, bounded by
//! [`CONNECTIONS_MAX`]. State is one mutex-guarded [`StandinState`].

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use fjord_config::Properties;

/// fjord's private word: a broker registering (see the module docs).
pub const REGISTER_WORD: &[u8; 4] = b"fjrd";

/// Connections served at once when `maxClientCnxns` is 0 (unlimited in ZooKeeper): each takes
/// a thread, so it is bounded.
pub const CONNECTIONS_MAX: usize = 1024;

/// The longest registration line accepted, in bytes.
const REGISTER_LINE_BYTES_MAX: u64 = 1024;

/// How long a client may take to send its word before the connection is closed.
const WORD_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a four-letter-word client gets to close its side after the reply.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// The most trailing input read (and dropped) after a four-letter word's reply.
const DRAIN_BYTES_MAX: usize = 4096;

/// Where the stand-in keeps its files inside `dataDir`.
const STATE_DIR: &str = "fjord-zookeeper-standin";

/// The stand-in's settings, from Kafka's `config/zookeeper.properties`.
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// `clientPortAddress` (default 127.0.0.1 here: loopback unless told otherwise) and
    /// `clientPort` (default 2181).
    pub bind: SocketAddr,
    /// `dataDir` (ZooKeeper's default is none; Kafka ships `/tmp/zookeeper`).
    pub data_dir: PathBuf,
    /// The four-letter words answered (`4lw.commands.whitelist`; default: all we implement).
    pub words_allowed: Vec<String>,
}

impl StandinConfig {
    /// Reads a `zookeeper.properties` file.
    ///
    /// # Errors
    /// A read error, a missing `dataDir`, or an unparsable `clientPort`/`clientPortAddress`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let props = Properties::load(path).map_err(|e| e.to_string())?;
        Self::from_properties(&props)
    }

    fn from_properties(props: &Properties) -> Result<Self, String> {
        let port: u16 = match props.get("clientPort") {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("Invalid value {text} for clientPort"))?,
            None => 2181,
        };
        let address = props
            .get("clientPortAddress")
            .map_or("127.0.0.1", str::trim);
        let ip: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("Invalid value {address} for clientPortAddress"))?;
        let data_dir = props
            .get("dataDir")
            .map(|d| PathBuf::from(d.trim()))
            .ok_or_else(|| "dataDir is not set".to_owned())?;
        let words_allowed = match props.get("4lw.commands.whitelist") {
            Some(list) if list.trim() != "*" => fjord_config::value::split_list(list),
            _ => ["ruok", "srvr", "stat", "mntr", "isro"]
                .map(str::to_owned)
                .to_vec(),
        };
        Ok(Self {
            bind: SocketAddr::new(ip, port),
            data_dir,
            words_allowed,
        })
    }
}

/// Shared state: counters for `srvr`/`mntr`, live connections and live broker sessions.
#[derive(Debug, Default)]
pub struct StandinState {
    received: AtomicU64,
    sent: AtomicU64,
    live: Mutex<LiveState>,
}

#[derive(Debug, Default)]
struct LiveState {
    connections: BTreeMap<u64, SocketAddr>,
    next_connection: u64,
    /// chroot → broker id with a live session.
    sessions: BTreeMap<String, i32>,
}

/// `fjord zookeeper-server-start <zookeeper.properties>`.
pub fn start(args: &[String]) -> ExitCode {
    crate::logging::init();
    let Some(path) = args.first() else {
        eprintln!("USAGE: zookeeper-server-start.sh [-daemon] zookeeper.properties");
        return ExitCode::FAILURE;
    };
    let config = match StandinConfig::load(Path::new(path)) {
        Ok(config) => config,
        Err(message) => {
            tracing::error!("Invalid config, exiting abnormally: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(config.data_dir.join(STATE_DIR)) {
        tracing::error!("cannot create dataDir {}: {e}", config.data_dir.display());
        return ExitCode::FAILURE;
    }
    let listener = match TcpListener::bind(config.bind) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("Unable to bind to {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        "fjord's ZooKeeper stand-in (not Apache ZooKeeper) binding to port {}; it answers four-letter words and registers fjord brokers; dataDir {}",
        config.bind,
        config.data_dir.display()
    );
    let config = Arc::new(config);
    let state = Arc::new(StandinState::default());
    let permits = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if permits.load(Ordering::Acquire) >= CONNECTIONS_MAX as u64 {
            drop(stream);
            continue;
        }
        permits.fetch_add(1, Ordering::AcqRel);
        let (config, state, permits) = (config.clone(), state.clone(), permits.clone());
        std::thread::spawn(move || {
            serve(stream, &config, &state);
            permits.fetch_sub(1, Ordering::AcqRel);
        });
    }
    ExitCode::SUCCESS
}

fn serve(mut stream: TcpStream, config: &StandinConfig, state: &StandinState) {
    let Ok(peer) = stream.peer_addr() else { return };
    let id = {
        let mut live = state.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.next_connection += 1;
        let id = live.next_connection;
        live.connections.insert(id, peer);
        id
    };
    let _ = stream.set_read_timeout(Some(WORD_READ_TIMEOUT));
    let mut word = [0u8; 4];
    if stream.read_exact(&mut word).is_ok() {
        state.received.fetch_add(1, Ordering::Relaxed);
        if &word == REGISTER_WORD {
            serve_registration(stream, config, state);
        } else {
            let reply = four_letter_reply(&word, config, state);
            if stream.write_all(reply.as_bytes()).is_ok() {
                state.sent.fetch_add(1, Ordering::Relaxed);
            }
            drain_then_close(stream);
        }
    }
    let mut live = state.live.lock().unwrap_or_else(PoisonError::into_inner);
    live.connections.remove(&id);
}

/// Half-closes, then reads what the client still sends (`echo ruok | nc` sends a newline after
/// the word) so that closing does not reset the connection and drop the reply unread.
fn drain_then_close(mut stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(DRAIN_TIMEOUT));
    let mut sink = [0u8; 256];
    let mut left = DRAIN_BYTES_MAX;
    while left > 0 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => left = left.saturating_sub(n),
            _ => break,
        }
    }
}

/// The reply to a four-letter word (ZooKeeper Administrator's Guide, "The Four Letter Words").
pub fn four_letter_reply(word: &[u8; 4], config: &StandinConfig, state: &StandinState) -> String {
    let text = String::from_utf8_lossy(word).into_owned();
    if !text.bytes().all(|b| b.is_ascii_lowercase()) {
        // Not a word: a real ZooKeeper client's ConnectRequest starts with a length prefix.
        tracing::warn!(
            "a client spoke the ZooKeeper protocol; fjord's stand-in answers four-letter words only (use Apache ZooKeeper for ZooKeeper clients)"
        );
        return String::new();
    }
    let implemented = ["ruok", "srvr", "stat", "mntr", "isro"].contains(&text.as_str());
    if !implemented {
        return format!(
            "{text} is not executed because fjord's ZooKeeper stand-in does not implement it.\n"
        );
    }
    if !config.words_allowed.iter().any(|w| w == &text) {
        // ZooKeeper's own wording for a word outside 4lw.commands.whitelist.
        return format!("{text} is not executed because it is not in the whitelist.\n");
    }
    let live = state.live.lock().unwrap_or_else(PoisonError::into_inner);
    let version = format!(
        "fjord-{} ZooKeeper stand-in (not Apache ZooKeeper: four-letter words and fjord broker registration only)",
        env!("CARGO_PKG_VERSION")
    );
    let received = state.received.load(Ordering::Relaxed);
    let sent = state.sent.load(Ordering::Relaxed);
    let counters = format!(
        "Received: {received}\nSent: {sent}\nConnections: {}\nOutstanding: 0\nMode: standalone\n",
        live.connections.len()
    );
    match text.as_str() {
        "ruok" => "imok".to_owned(),
        "isro" => "rw".to_owned(),
        "srvr" => format!("Zookeeper version: {version}\n{counters}"),
        "stat" => {
            let clients: String = live
                .connections
                .values()
                .map(|peer| format!(" /{peer}\n"))
                .collect();
            format!("Zookeeper version: {version}\nClients:\n{clients}\n{counters}")
        }
        _ => format!(
            "zk_version\t{version}\nzk_server_state\tstandalone\nzk_num_alive_connections\t{}\nzk_packets_received\t{received}\nzk_packets_sent\t{sent}\nzk_outstanding_requests\t0\nzk_fjord_broker_sessions\t{}\n",
            live.connections.len(),
            live.sessions.len()
        ),
    }
}

fn serve_registration(stream: TcpStream, config: &StandinConfig, state: &StandinState) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream.take(REGISTER_LINE_BYTES_MAX));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let outcome = register(line.trim(), config, state);
    let reply = match &outcome {
        Ok((_, _, cluster_id)) => format!("ok {cluster_id}\n"),
        Err(reason) => format!("err {reason}\n"),
    };
    if writer.write_all(reply.as_bytes()).is_err() {
        return;
    }
    state.sent.fetch_add(1, Ordering::Relaxed);
    let Ok((chroot, broker_id, cluster_id)) = outcome else {
        return;
    };
    tracing::info!("broker {broker_id} registered under {chroot} (cluster id {cluster_id})");
    // The session lasts as long as the connection: wait for the broker to close it.
    let mut stream = reader.into_inner().into_inner();
    let _ = stream.set_read_timeout(None);
    let mut sink = [0u8; 64];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    let mut live = state.live.lock().unwrap_or_else(PoisonError::into_inner);
    live.sessions.remove(&chroot);
    tracing::info!("broker {broker_id} session under {chroot} closed");
}

/// Handles `register <chroot> <broker.id> <proposed cluster.id>`: returns the chroot, the
/// broker id and the cluster's id, or why the broker may not join.
fn register(
    line: &str,
    config: &StandinConfig,
    state: &StandinState,
) -> Result<(String, i32, String), String> {
    let mut parts = line.split_whitespace();
    let (Some("register"), Some(chroot), Some(broker_id), Some(proposed), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(format!("malformed registration {line:?}"));
    };
    let broker_id: i32 = broker_id
        .parse()
        .map_err(|_| format!("malformed broker id {broker_id:?}"))?;
    let connect =
        fjord_config::ZkConnect::parse(&format!("h{chroot}")).map_err(|e| e.to_string())?;
    let dir = chroot_dir(&config.data_dir, &connect.chroot);
    let mut live = state.live.lock().unwrap_or_else(PoisonError::into_inner);
    let registered = read_trimmed(&dir.join("broker.id")).and_then(|t| t.parse::<i32>().ok());
    if let Some(existing) = registered
        && existing != broker_id
    {
        return Err(format!(
            "this ZooKeeper (fjord's stand-in, dataDir {}, chroot {}) belongs to a cluster whose broker is {existing}; broker {broker_id} cannot join: fjord does not support multi-broker ZooKeeper-mode clusters yet (no replication between brokers). Use broker.id={existing}, or another chroot in zookeeper.connect or another dataDir for a separate cluster.",
            config.data_dir.display(),
            connect.chroot
        ));
    }
    if let Some(live_id) = live.sessions.get(&connect.chroot) {
        // Kafka: NodeExistsException creating the ephemeral /brokers/ids/<id>.
        return Err(format!(
            "Error while creating ephemeral at /brokers/ids/{live_id}, node already exists: broker {live_id} is running against this ZooKeeper"
        ));
    }
    let cluster_id = match read_trimmed(&dir.join("cluster.id")) {
        Some(id) => id,
        None => {
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            write_atomically(&dir.join("cluster.id"), proposed)?;
            proposed.to_owned()
        }
    };
    if registered.is_none() {
        write_atomically(&dir.join("broker.id"), &broker_id.to_string())?;
    }
    live.sessions.insert(connect.chroot.clone(), broker_id);
    Ok((connect.chroot, broker_id, cluster_id))
}

/// `<dataDir>/fjord-zookeeper-standin/root` plus the chroot's segments (validated by
/// `ZkConnect::parse`: no `.`/`..`, so it stays inside).
fn chroot_dir(data_dir: &Path, chroot: &str) -> PathBuf {
    let mut dir = data_dir.join(STATE_DIR).join("root");
    for segment in chroot.split('/').filter(|s| !s.is_empty()) {
        dir.push(segment);
    }
    dir
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{text}\n"))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
#[path = "zookeeper_cmd_tests.rs"]
mod tests;
