//! The web console: `fjord console --bootstrap-server …` runs it alone against any
//! Kafka-compatible cluster; `fjord server start` embeds it on `console.listeners` (default
//! `http://127.0.0.1:8048`, the next free port when taken; an empty value turns it off) with
//! its state in `<first log dir>/fjord-console.json`.
//!
//! The admin password comes from `console.admin.password` (or the
//! `FJORD_CONSOLE_ADMIN_PASSWORD` environment variable); without one the console only binds
//! loopback, and its first start creates user `admin` with a random password printed once.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use fjord_config::ServerConfig;
use fjord_console::{ConsoleConfig, ConsoleServer, MetricsRender};

use crate::cli::ConsoleArgs;

/// The environment variable holding the console's admin password.
pub const ADMIN_PASSWORD_ENV: &str = "FJORD_CONSOLE_ADMIN_PASSWORD";
/// The server property holding the console's admin password.
pub const ADMIN_PASSWORD_KEY: &str = "console.admin.password";
/// The embedded console's state file in the first log directory.
pub const EMBEDDED_STATE_FILE: &str = "fjord-console.json";
/// The server property setting the console sampler's period (default 5000 ms).
pub const SAMPLE_INTERVAL_KEY: &str = "console.sample.interval.ms";

fn admin_password(config: Option<&ServerConfig>) -> Option<String> {
    std::env::var(ADMIN_PASSWORD_ENV)
        .ok()
        .or_else(|| config.and_then(|c| c.raw().get(ADMIN_PASSWORD_KEY).map(str::to_owned)))
        .filter(|p| !p.is_empty())
}

/// Prints where the console is, and the generated admin password on a first start.
fn announce(server: &ConsoleServer) {
    println!("Web console: {}", server.url());
    if let Some(password) = server.generated_admin_password() {
        println!(
            "Console user 'admin' was created with password: {password}  (shown once; set {ADMIN_PASSWORD_KEY} or {ADMIN_PASSWORD_ENV} to choose one)"
        );
    }
}

/// Starts the console embedded in a server, if `console.listeners` names one. Errors are
/// returned for the caller to treat as fatal (a refused insecure bind must not be ignored).
pub async fn start_embedded(
    config: &ServerConfig,
    bootstrap: &str,
    metrics: Option<MetricsRender>,
) -> Result<Option<ConsoleServer>, String> {
    let Some(listener) = config
        .console_listeners
        .iter()
        .find(|l| !l.trim().is_empty())
    else {
        return Ok(None);
    };
    let listen = fjord_console::parse_listener(listener).map_err(|e| e.to_string())?;
    let log_dir = config
        .log_dirs
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut console = ConsoleConfig::new(bootstrap, log_dir.clone());
    // A plain file, not a directory: Kafka's LogManager (and ours) treat every directory in
    // a log dir as `<topic>-<partition>`, but skip files.
    console.state_file = log_dir.join(EMBEDDED_STATE_FILE);
    console.listen = listen;
    console.admin_password = admin_password(Some(config));
    console.metrics = metrics;
    if let Some(text) = config.raw().get(SAMPLE_INTERVAL_KEY) {
        let ms: u64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{SAMPLE_INTERVAL_KEY}={text} is not a number of milliseconds"))?;
        console.sample_interval = Duration::from_millis(ms.max(100));
    }
    let server = ConsoleServer::start(console)
        .await
        .map_err(|e| format!("console: {e}"))?;
    announce(&server);
    Ok(Some(server))
}

/// `fjord console`.
pub fn run(args: &ConsoleArgs) -> ExitCode {
    crate::logging::init();
    let listen = match fjord_console::parse_listener(&args.listen) {
        Ok(listen) => listen,
        Err(e) => return fail(&e.to_string()),
    };
    let mut config = ConsoleConfig::new(&args.bootstrap_server, args.data_dir.clone());
    config.listen = listen;
    config.admin_password = admin_password(None);
    config.sample_interval = Duration::from_secs(args.sample_interval_s.max(1));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let mut signals = crate::server_cmd::ShutdownSignals::install();
        let server = match ConsoleServer::start(config).await {
            Ok(server) => server,
            Err(e) => return fail(&e.to_string()),
        };
        announce(&server);
        let signal = signals.wait().await;
        tracing::info!("received {signal}, stopping the console");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}
