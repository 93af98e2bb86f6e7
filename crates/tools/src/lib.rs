//! fjord-tools: Kafka's command-line tools as library functions, wired into the `fjord` binary
//! by `crates/cli` and wrapped by `bin/kafka-*.sh`.
//!
//! # Layout
//! - [`topics`]: `kafka-topics.sh` (TopicCommand).
//! - [`configs`]: `kafka-configs.sh` (ConfigCommand) for topics, brokers, users and clients.
//! - [`consumer_groups`]: `kafka-consumer-groups.sh` (ConsumerGroupCommand).
//! - [`get_offsets`]: `kafka-get-offsets.sh` (GetOffsetShell).
//! - [`delete_records`]: `kafka-delete-records.sh` (DeleteRecordsCommand).
//! - [`console_producer`] / [`console_consumer`]: the console clients over rdkafka, with
//!   [`line_reader`] (LineMessageReader) and [`formatter`] (DefaultMessageFormatter) as pure
//!   parsing/formatting cores.
//! - [`perf`]: `kafka-producer-perf-test.sh` / `kafka-consumer-perf-test.sh`.
//! - [`topic_filter`], [`props`], [`output`]: shared pieces.
//!
//! Each tool is a clap `Parser` struct plus `async fn run(args, &mut Output) -> u8` (the exit
//! code). [`run_tool`] parses argv for a tool by its subcommand name, the way the binary does.

pub mod configs;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod delete_records;
pub mod formatter;
pub mod get_offsets;
pub mod line_reader;
pub mod output;
pub mod perf;
pub mod props;
mod rdkafka_props;
pub mod topic_filter;
pub mod topics;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, Parser};
use fjord_client::ClientError;

pub use output::Output;

/// How a tool failed, which decides where the message goes (Kafka's tools print argument
/// errors to stderr and operation failures to stdout).
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// A missing or conflicting option (`CommandLineUtils.printUsageAndThrow`): message and
    /// usage on stderr.
    #[error("{0}")]
    Usage(String),
    /// An invalid argument value (`IllegalArgumentException`): message on stderr.
    #[error("{0}")]
    Illegal(anyhow::Error),
    /// An admin operation refused client-side (`AdminCommandFailedException`).
    #[error("{0}")]
    Command(String),
    /// The cluster refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Io(#[source] std::io::Error),
}

impl ToolError {
    /// Wraps an output error.
    pub fn io(error: std::io::Error) -> Self {
        Self::Io(error)
    }

    /// Prints the error where Kafka's `<kind>` command would
    /// (`Error while executing <kind> command : <message>` for operation failures).
    pub fn report(&self, kind: &str, output: &mut Output) {
        let _ = match self {
            Self::Usage(message) => writeln!(output.err, "{message}\nRun with --help for usage."),
            Self::Illegal(error) => writeln!(output.err, "{error}"),
            Self::Command(_) | Self::Client(_) => {
                writeln!(output.out, "Error while executing {kind} command : {self}")
            }
            Self::Io(error) => writeln!(output.err, "{error}"),
        };
    }
}

/// The tools [`run_tool`] knows, by `fjord` subcommand name.
pub const TOOL_NAMES: &[&str] = &[
    "topics",
    "configs",
    "consumer-groups",
    "get-offsets",
    "delete-records",
    "console-producer",
    "console-consumer",
    "producer-perf-test",
    "consumer-perf-test",
];

/// Parses `argv` (without the tool name) for `tool` and runs it. A bad flag prints clap's
/// error with usage and exits 1 (Kafka's tools exit 1 on option errors); `--help` exits 0.
pub async fn run_tool(tool: &str, argv: Vec<OsString>, output: &mut Output) -> u8 {
    match tool {
        "topics" => match parse::<topics::TopicsArgs>("kafka-topics.sh", argv, output) {
            Ok(args) => topics::run(args, output).await,
            Err(code) => code,
        },
        "configs" => {
            let ordered = configs::ordered_entity_names(&argv);
            let raw: Vec<String> = argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            match parse::<configs::ConfigsArgs>("kafka-configs.sh", argv, output) {
                Ok(mut args) => {
                    args.ordered_entity_names = Some(ordered);
                    args.raw_args = Some(raw);
                    configs::run(args, output).await
                }
                Err(code) => code,
            }
        }
        "consumer-groups" => match parse::<consumer_groups::ConsumerGroupsArgs>(
            "kafka-consumer-groups.sh",
            argv,
            output,
        ) {
            Ok(args) => consumer_groups::run(args, output).await,
            Err(code) => code,
        },
        "get-offsets" => {
            match parse::<get_offsets::GetOffsetsArgs>("kafka-get-offsets.sh", argv, output) {
                Ok(args) => get_offsets::run(args, output).await,
                Err(code) => code,
            }
        }
        "delete-records" => match parse::<delete_records::DeleteRecordsArgs>(
            "kafka-delete-records.sh",
            argv,
            output,
        ) {
            Ok(args) => delete_records::run(args, output).await,
            Err(code) => code,
        },
        "console-producer" => match parse::<console_producer::ConsoleProducerArgs>(
            "kafka-console-producer.sh",
            argv,
            output,
        ) {
            Ok(args) => console_producer::run(args, output).await,
            Err(code) => code,
        },
        "console-consumer" => match parse::<console_consumer::ConsoleConsumerArgs>(
            "kafka-console-consumer.sh",
            argv,
            output,
        ) {
            Ok(args) => console_consumer::run(args, output).await,
            Err(code) => code,
        },
        "producer-perf-test" => match parse::<perf::producer::ProducerPerfArgs>(
            "kafka-producer-perf-test.sh",
            argv,
            output,
        ) {
            Ok(args) => perf::producer::run(args, output).await,
            Err(code) => code,
        },
        "consumer-perf-test" => match parse::<perf::consumer::ConsumerPerfArgs>(
            "kafka-consumer-perf-test.sh",
            argv,
            output,
        ) {
            Ok(args) => perf::consumer::run(args, output).await,
            Err(code) => code,
        },
        other => {
            let _ = writeln!(
                output.err,
                "unknown tool {other}; known: {}",
                TOOL_NAMES.join(", ")
            );
            1
        }
    }
}

fn parse<A: Parser + CommandFactory>(
    name: &'static str,
    argv: Vec<OsString>,
    output: &mut Output,
) -> Result<A, u8> {
    let full = std::iter::once(OsString::from(name)).chain(argv);
    match A::try_parse_from(full) {
        Ok(args) => Ok(args),
        Err(error) => {
            let text = error.render().to_string();
            let (stream, code) = if error.use_stderr() {
                (&mut output.err, 1)
            } else {
                (&mut output.out, 0)
            };
            let _ = write!(stream, "{text}");
            Err(code)
        }
    }
}
