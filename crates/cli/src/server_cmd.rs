//! `fjord server start | stop` (Kafka's `kafka-server-start.sh` / `kafka-server-stop.sh`) and
//! the embedded quickstart.
//!
//! Lifecycle: load the configuration (file < `FJORD_*` env < `--override`); in ZooKeeper mode
//! register with the ZooKeeper stand-in and write `meta.properties` on first start
//! ([`crate::zk_broker`]), otherwise check the directories are formatted for this node (Kafka's
//! start-up check); start the broker, then wait for SIGTERM/SIGINT and shut down in a
//! controlled way (exit 0).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use fjord_config::{
    FormatOptions, KafkaUuid, MetadataMode, Properties, ServerConfig, format_storage,
    verify_formatted,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::cli::{StartArgs, StopArgs};

/// Where the quickstart keeps its data, relative to the working directory.
pub const QUICKSTART_DATA_DIR: &str = "fjord-data";

/// `fjord server start`.
pub fn start(args: &StartArgs) -> ExitCode {
    crate::logging::init();
    let config = match &args.config {
        Some(path) => crate::load_config(path, &args.overrides),
        None => quickstart_config(&args.overrides),
    };
    let config = match config {
        Ok(config) => config,
        Err(message) => return fatal(&message),
    };
    if args.config.is_none()
        && let Err(message) = format_if_needed(&config)
    {
        return fatal(&message);
    }
    run(&config, args.config.is_none())
}

/// `fjord` with no arguments: the embedded single-node quickstart.
pub fn quickstart() -> ExitCode {
    start(&StartArgs {
        config: None,
        overrides: Vec::new(),
    })
}

fn quickstart_config(overrides: &[String]) -> Result<ServerConfig, String> {
    let data_dir = std::env::current_dir()
        .map(|cwd| cwd.join(QUICKSTART_DATA_DIR))
        .unwrap_or_else(|_| PathBuf::from(QUICKSTART_DATA_DIR));
    let dir_text = data_dir
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", data_dir.display()))?;
    let mut props: Properties = fjord_config::server::embedded_properties(dir_text, 9092, 9093);
    props.extend_from(&fjord_config::env_layer(std::env::vars()));
    props.extend_from(&fjord_config::override_layer(overrides).map_err(|e| e.to_string())?);
    ServerConfig::from_properties(&props).map_err(|e| e.to_string())
}

/// The quickstart formats its directory with a random cluster id on first run.
fn format_if_needed(config: &ServerConfig) -> Result<(), String> {
    let unformatted = config
        .all_log_dirs()
        .iter()
        .any(|dir| !dir.join("meta.properties").exists());
    if !unformatted {
        return Ok(());
    }
    let options = FormatOptions {
        cluster_id: KafkaUuid::random().to_string(),
        ignore_formatted: true,
        ..FormatOptions::default()
    };
    let mut out = Vec::new();
    format_storage(
        config,
        &options,
        SystemTime::now(),
        &mut KafkaUuid::random,
        &mut out,
    )
    .map_err(|e| e.to_string())?;
    println!(
        "Formatted new data directory (cluster id {}).",
        options.cluster_id
    );
    Ok(())
}

fn run(config: &ServerConfig, quickstart: bool) -> ExitCode {
    // ZooKeeper mode (docs/design/zookeeper-mode.md): register with the ZooKeeper stand-in,
    // write meta.properties on first start, run as a single-node combined KRaft node. The
    // session lives as long as this function.
    let (config, identity, _zookeeper_session) =
        if config.metadata_mode() == MetadataMode::ZooKeeper {
            match crate::zk_broker::prepare(config) {
                Ok(zk) => (zk.config, zk.identity, Some(zk.session)),
                Err(message) => return fatal(&message),
            }
        } else {
            match verify_formatted(config) {
                Ok(identity) => (config.clone(), identity, None),
                Err(e) => return fatal(&e.to_string()),
            }
        };
    let config = &config;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        // Handlers first: a SIGTERM that arrives while the broker or the console is still
        // starting must mean a clean shutdown once they are up, not the default kill.
        let mut signals = ShutdownSignals::install();
        let handle = match crate::broker_bridge::start(config, &identity).await {
            Ok(handle) => handle,
            Err(e) => return fatal(&format!("{e:#}")),
        };
        let addrs: Vec<String> = handle.bound_addrs().iter().map(ToString::to_string).collect();
        tracing::info!(node_id = config.node_id, cluster_id = %identity.cluster_id, "[KafkaRaftServer nodeId={}] Kafka Server started", config.node_id);
        // The console speaks Kafka to this broker's first client listener.
        let console = match addrs.first() {
            Some(bootstrap) => {
                // `/metrics` on the console renders this broker's registry at scrape time.
                let renderer = handle.metrics_renderer();
                let metrics: fjord_console::MetricsRender =
                    std::sync::Arc::new(move || renderer.render());
                match crate::console_cmd::start_embedded(config, bootstrap, Some(metrics)).await {
                    Ok(console) => console,
                    Err(message) => {
                        let _ = handle.shutdown().await;
                        return fatal(&message);
                    }
                }
            }
            None => None,
        };
        if quickstart {
            print_quickstart_banner(&addrs, &identity.cluster_id, &config.log_dirs);
        }
        let signal = signals.wait().await;
        if let Some(console) = console {
            console.shutdown().await;
        }
        tracing::info!("received {signal}, shutting down");
        match handle.shutdown().await {
            Ok(()) => {
                tracing::info!("shut down completed");
                ExitCode::SUCCESS
            }
            Err(e) => fatal(&format!("shutdown failed: {e:#}")),
        }
    })
}

fn print_quickstart_banner(addrs: &[String], cluster_id: &str, dirs: &[PathBuf]) {
    let bootstrap = addrs.join(",");
    let data: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    println!(
        "fjord {} is running: single node (broker + controller), cluster id {cluster_id}",
        env!("CARGO_PKG_VERSION")
    );
    println!("Data directory: {}", data.join(","));
    println!("Bootstrap server: {bootstrap}");
    println!("Connect any Kafka client with bootstrap.servers={bootstrap}, for example:");
    println!("  kcat -b {bootstrap} -L");
    println!("  kafka-console-producer.sh --bootstrap-server {bootstrap} --topic quickstart");
    println!("Press Ctrl-C to stop.");
}

/// SIGTERM/SIGINT handlers, installed when created (inside the runtime) so signals that
/// arrive before [`ShutdownSignals::wait`] is reached are kept, not fatal.
pub struct ShutdownSignals {
    handlers: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignals {
    /// Installs the handlers now.
    pub fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Some((term, int)),
            _ => None,
        };
        Self { handlers }
    }

    /// Waits for SIGTERM or SIGINT and names it.
    pub async fn wait(&mut self) -> &'static str {
        let Some((term, int)) = self.handlers.as_mut() else {
            // Without signal handlers the process can only be killed; wait forever.
            std::future::pending::<()>().await;
            return "nothing";
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
}

/// Logs the reason (to stderr, where the daemon wrapper's server.log also gets it) and fails.
fn fatal(message: &str) -> ExitCode {
    tracing::error!("Exiting fjord due to fatal error: {message}");
    ExitCode::FAILURE
}

/// How long `server stop` waits for the servers it signalled.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// `fjord server stop`: SIGTERM every running fjord server (matching the filters) and wait for
/// them to exit. Exit 1 with Kafka's "No kafka server to stop" when there is none.
pub fn stop(args: &StopArgs) -> ExitCode {
    let proc_root = Path::new("/proc");
    let pids: Vec<u32> = find_servers(proc_root, std::process::id())
        .into_iter()
        .filter(|pid| matches_filters(proc_root, *pid, args))
        .collect();
    if pids.is_empty() {
        println!("No kafka server to stop");
        return ExitCode::FAILURE;
    }
    for pid in &pids {
        if let Ok(raw) = i32::try_from(*pid) {
            let _ = kill(Pid::from_raw(raw), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + STOP_WAIT;
    while Instant::now() < deadline {
        if pids.iter().all(|pid| !is_running(Path::new("/proc"), *pid)) {
            return ExitCode::SUCCESS;
        }
        // Polling /proc: there is no portable way to wait on a non-child process.
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<String> = pids
        .iter()
        .filter(|p| is_running(Path::new("/proc"), **p))
        .map(u32::to_string)
        .collect();
    eprintln!(
        "fjord server(s) {} did not stop within {}s",
        left.join(","),
        STOP_WAIT.as_secs()
    );
    ExitCode::FAILURE
}

/// Whether an argv is a fjord server: the program's file name is `fjord` and it runs
/// `server start` (or no command: the quickstart).
pub fn is_server_cmdline(argv: &[String]) -> bool {
    let Some(program) = argv.first() else {
        return false;
    };
    let is_fjord = Path::new(program)
        .file_name()
        .is_some_and(|name| name == "fjord");
    is_fjord
        && (argv.len() == 1
            || (argv.get(1).map(String::as_str) == Some("server")
                && argv.get(2).map(String::as_str) == Some("start")))
}

/// Scans `proc_root` for fjord server processes other than `own_pid`.
pub fn find_servers(proc_root: &Path, own_pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != own_pid && is_running(proc_root, *pid))
        .filter(|pid| {
            std::fs::read(proc_root.join(pid.to_string()).join("cmdline")).is_ok_and(|raw| {
                let argv: Vec<String> = raw
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                is_server_cmdline(&argv)
            })
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether a server process matches `--process-role` / `--node-id`, judged from its own
/// command line: its configuration file (relative to its working directory) plus its
/// `--override`s, or the quickstart's configuration when it has no file.
fn matches_filters(proc_root: &Path, pid: u32, args: &StopArgs) -> bool {
    if args.process_role.is_none() && args.node_id.is_none() {
        return true;
    }
    let dir = proc_root.join(pid.to_string());
    let Ok(raw) = std::fs::read(dir.join("cmdline")) else {
        return false;
    };
    let argv: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let mut rest = argv.iter().skip(3).peekable();
    let mut props = match rest.peek() {
        Some(first) if !first.starts_with("--") => {
            match Properties::load(&dir.join("cwd").join(first)) {
                Ok(loaded) => loaded,
                Err(_) => return false,
            }
        }
        _ => fjord_config::server::embedded_properties("", 9092, 9093),
    };
    if rest.peek().is_some_and(|first| !first.starts_with("--")) {
        rest.next();
    }
    let mut rest = rest.cloned().collect::<Vec<_>>().into_iter();
    while let Some(arg) = rest.next() {
        let pair = if arg == "--override" {
            rest.next()
        } else {
            arg.strip_prefix("--override=").map(str::to_owned)
        };
        if let Some((key, value)) = pair.as_deref().and_then(|p| p.split_once('=')) {
            props.set(key.trim(), value);
        }
    }
    let node_id = props
        .get("node.id")
        .or(props.get("broker.id"))
        .and_then(|v| v.trim().parse::<i32>().ok());
    let roles = fjord_config::value::split_list(props.get("process.roles").unwrap_or(""));
    args.node_id.is_none_or(|wanted| node_id == Some(wanted))
        && args
            .process_role
            .as_ref()
            .is_none_or(|wanted| roles.iter().any(|r| r == wanted))
}

/// Whether `pid` exists and is not a zombie (state `Z` in `/proc/<pid>/stat`).
fn is_running(proc_root: &Path, pid: u32) -> bool {
    match std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_cmdlines_are_recognised() {
        let argv = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(is_server_cmdline(&argv(&[
            "/x/target/debug/fjord",
            "server",
            "start",
            "c.properties"
        ])));
        assert!(is_server_cmdline(&argv(&["fjord"])));
        assert!(!is_server_cmdline(&argv(&["fjord", "server", "stop"])));
        assert!(!is_server_cmdline(&argv(&["fjord", "storage", "info"])));
        assert!(!is_server_cmdline(&argv(&[
            "/usr/bin/vim",
            "server",
            "start"
        ])));
        assert!(!is_server_cmdline(&argv(&[
            "fjord-other",
            "server",
            "start"
        ])));
    }
}
