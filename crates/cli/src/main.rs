//! The `fjord` binary: server lifecycle, storage formatting, and (later) Kafka's tools.
//!
//! # Layout
//! - [`cli`]: the clap command tree (Kafka's tool names and flags).
//! - [`server_cmd`]: `server start | stop` and the no-argument quickstart.
//! - [`storage_cmd`]: `storage random-uuid | format | info`.
//! - [`broker_bridge`]: the single place that starts `fjord_broker`.
//! - [`console_cmd`]: `fjord console` and the console embedded in `server start`.
//! - [`logging`]: tracing to stderr.
//! - [`zookeeper_cmd`]: `zookeeper-server-start` (fjord's ZooKeeper stand-in) and
//!   [`zk_broker`]: a ZooKeeper-mode `server.properties` run as a single-node cluster.
//! - [`tools_cmd`]: Kafka's client tools (`topics`, `configs`, `console-producer`, …) from
//!   `fjord_tools`.

mod broker_bridge;
mod cli;
mod console_cmd;
mod logging;
mod server_cmd;
mod storage_cmd;
mod tools_cmd;
mod zk_broker;
mod zookeeper_cmd;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use fjord_config::ServerConfig;

use crate::cli::{Cli, Command, ServerCommand};

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = tools_cmd::maybe_run(&argv) {
        return code;
    }
    if argv.get(1).is_some_and(|a| a == "zookeeper-server-start") {
        let rest: Vec<String> = argv[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return zookeeper_cmd::start(&rest);
    }
    let cli = Cli::parse();
    match cli.command {
        None => server_cmd::quickstart(),
        Some(Command::Server(ServerCommand::Start(args))) => server_cmd::start(&args),
        Some(Command::Server(ServerCommand::Stop(args))) => server_cmd::stop(&args),
        Some(Command::Storage(command)) => storage_cmd::run(command),
        Some(Command::Console(args)) => console_cmd::run(&args),
    }
}

/// Loads a server configuration file with the `FJORD_*` environment and `--override` layers.
fn load_config(path: &Path, overrides: &[String]) -> Result<ServerConfig, String> {
    fjord_config::load_server_config(path, std::env::vars(), overrides).map_err(|e| e.to_string())
}
