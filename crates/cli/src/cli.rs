//! The command line, with Kafka's tool names and flags (`kafka-server-start.sh`,
//! `kafka-server-stop.sh`, `kafka-storage.sh` — Kafka's `StorageTool.parseArguments`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// fjord: a Kafka-compatible streaming platform. With no command, runs a single-node
/// broker+controller on 127.0.0.1:9092 with data in ./fjord-data.
#[derive(Debug, Parser)]
#[command(
    name = "fjord",
    version,
    after_help = "Kafka tools (run `fjord <tool> --help`): topics, configs, get-offsets, delete-records,\nconsole-producer, console-consumer, consumer-groups, perf producer, perf consumer."
)]
pub struct Cli {
    /// What to do; none runs the embedded quickstart.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start or stop a server (kafka-server-start.sh / kafka-server-stop.sh).
    #[command(subcommand)]
    Server(ServerCommand),
    /// Format or inspect log directories (kafka-storage.sh).
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Run the web console against any Kafka-compatible cluster (EFAK's `ke.sh start`).
    Console(ConsoleArgs),
}

/// `fjord console --bootstrap-server HOST:PORT [--listen URL] [--data-dir DIR]`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The cluster to show (`bootstrap.servers`); only the Kafka protocol is used.
    #[arg(long = "bootstrap-server", value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    /// Where to listen (`console.listeners` syntax); the next free port when taken.
    #[arg(long = "listen", default_value = "http://127.0.0.1:8048")]
    pub listen: String,
    /// Directory for the console's state (users, alert rules, alert history).
    #[arg(long = "data-dir", default_value = "fjord-console-data")]
    pub data_dir: PathBuf,
    /// Seconds between cluster samples (charts and alerts).
    #[arg(long = "sample-interval", default_value_t = 5)]
    pub sample_interval_s: u64,
}

/// `fjord server ...`.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Start a server from a server.properties file (kafka-server-start.sh).
    Start(StartArgs),
    /// Stop running fjord servers on this machine (kafka-server-stop.sh).
    Stop(StopArgs),
}

/// `fjord server start CONFIG [--override k=v]...`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// The server.properties file; without it, the embedded single-node configuration.
    pub config: Option<PathBuf>,
    /// Override a property of the file: `--override property=value` (repeatable).
    #[arg(long = "override", value_name = "PROPERTY=VALUE")]
    pub overrides: Vec<String>,
}

/// `fjord storage ...` (Kafka's `kafka-storage.sh`).
#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Get information about the Kafka log directories on this node.
    Info {
        /// The Kafka configuration file to use.
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Format the Kafka log directories on this node.
    Format(FormatArgs),
    /// Print a random UUID.
    RandomUuid,
}

/// `fjord storage format ...`.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// The Kafka configuration file to use.
    #[arg(short = 'c', long = "config")]
    pub config: PathBuf,
    /// The cluster ID to use.
    #[arg(short = 't', long = "cluster-id")]
    pub cluster_id: String,
    /// Skip directories that are already formatted instead of failing.
    #[arg(short = 'g', long = "ignore-formatted")]
    pub ignore_formatted: bool,
    /// Used to initialize a single-node quorum controller quorum.
    #[arg(short = 's', long = "standalone")]
    pub standalone: bool,
    /// The release version to use for the initial feature settings.
    #[arg(short = 'r', long = "release-version")]
    pub release_version: Option<String>,
}

/// `fjord server stop [--process-role=ROLE] [--node-id=ID]` (Kafka 3.7+ kafka-server-stop.sh
/// filters, KIP-1003-era): without filters every fjord server is stopped.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Only servers whose process.roles contains this role (broker or controller).
    #[arg(long = "process-role")]
    pub process_role: Option<String>,
    /// Only the server with this node.id.
    #[arg(long = "node-id")]
    pub node_id: Option<i32>,
}
