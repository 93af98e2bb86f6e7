//! `kafka-get-offsets.sh` (Kafka `org.apache.kafka.tools.GetOffsetShell`): prints
//! `topic:partition:offset` for every selected partition, sorted by topic then partition.

use std::io::Write;
use std::path::PathBuf;

use fjord_client::{OffsetSpec, TopicPartition};

use crate::output::Output;
use crate::topic_filter::{IncludeList, is_internal};
use crate::{ToolError, props};

/// `kafka-get-offsets.sh` flags (GetOffsetShellOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-get-offsets.sh",
    about = "An interactive shell for getting topic-partition offsets."
)]
pub struct GetOffsetsArgs {
    /// REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(
        long = "bootstrap-server",
        visible_alias = "broker-list",
        value_name = "HOST1:PORT1,...,HOST3:PORT3"
    )]
    pub bootstrap_server: Option<String>,
    /// Comma separated list of topic-partition patterns to get the offsets for, with the
    /// format of `topic:partitions` (e.g. `t.*:0,1-3`).
    #[arg(
        long = "topic-partitions",
        value_name = "topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3"
    )]
    pub topic_partitions: Option<String>,
    /// The topic to get the offsets for. It also accepts a regular expression.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// Comma separated list of partition ids (single ids or N-M ranges).
    #[arg(long, value_name = "partition ids")]
    pub partitions: Option<String>,
    /// Timestamp of the offsets before that: -1 or latest, -2 or earliest, -3 or max-timestamp,
    /// -4 or earliest-local, -5 or latest-tiered, or a timestamp in ms.
    #[arg(
        long,
        value_name = "<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp",
        default_value = "latest",
        allow_negative_numbers = true
    )]
    pub time: String,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long = "command-config", value_name = "config file")]
    pub command_config: Option<PathBuf>,
    /// By default, internal topics are included. If specified, internal topics are excluded.
    #[arg(long = "exclude-internal-topics")]
    pub exclude_internal_topics: bool,
}

/// Parses `--time` (GetOffsetShell.parseOffsetSpec).
pub fn parse_time(text: &str) -> Result<OffsetSpec, ToolError> {
    match text.trim() {
        "latest" | "-1" => Ok(OffsetSpec::Latest),
        "earliest" | "-2" => Ok(OffsetSpec::Earliest),
        "max-timestamp" | "-3" => Ok(OffsetSpec::MaxTimestamp),
        "earliest-local" | "-4" => Ok(OffsetSpec::EarliestLocal),
        "latest-tiered" | "-5" => Ok(OffsetSpec::LatestTiered),
        other => other.parse::<i64>().ok().filter(|ts| *ts >= 0).map(OffsetSpec::Timestamp).ok_or_else(|| {
            ToolError::Illegal(anyhow::anyhow!(
                "Malformed time argument {other}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp"
            ))
        }),
    }
}

/// A partition selector: `N`, `N-M` (M exclusive, as GetOffsetShell's PartitionRange), `N-`, `-M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRange {
    /// Lowest partition included.
    pub from: i32,
    /// Upper bound, exclusive.
    pub to_exclusive: i32,
}

impl PartitionRange {
    fn contains(self, partition: i32) -> bool {
        partition >= self.from && partition < self.to_exclusive
    }
}

/// Parses `0,2-4,7-` into ranges.
pub fn parse_partitions(text: &str) -> Result<Vec<PartitionRange>, ToolError> {
    let bad = |part: &str| ToolError::Illegal(anyhow::anyhow!("Invalid partition range: {part}"));
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let number = |s: &str| s.trim().parse::<i32>().map_err(|_| bad(part));
            match part.split_once('-') {
                None => number(part).map(|n| PartitionRange {
                    from: n,
                    to_exclusive: n.saturating_add(1),
                }),
                Some(("", to)) => Ok(PartitionRange {
                    from: 0,
                    to_exclusive: number(to)?,
                }),
                Some((from, "")) => Ok(PartitionRange {
                    from: number(from)?,
                    to_exclusive: i32::MAX,
                }),
                Some((from, to)) => Ok(PartitionRange {
                    from: number(from)?,
                    to_exclusive: number(to)?,
                }),
            }
        })
        .collect()
}

/// One `topic-regex:partitions` selector.
#[derive(Debug, Clone)]
struct Selector {
    topic: Option<IncludeList>,
    partitions: Vec<PartitionRange>,
}

impl Selector {
    fn matches(&self, topic: &str, partition: i32, exclude_internal: bool) -> bool {
        let topic_ok = match &self.topic {
            Some(filter) => filter.is_topic_allowed(topic, exclude_internal),
            None => !(exclude_internal && is_internal(topic)),
        };
        topic_ok
            && (self.partitions.is_empty() || self.partitions.iter().any(|r| r.contains(partition)))
    }
}

fn selectors(args: &GetOffsetsArgs) -> Result<Vec<Selector>, ToolError> {
    if let Some(spec) = &args.topic_partitions {
        if args.topic.is_some() || args.partitions.is_some() {
            return Err(ToolError::Usage(
                "--topic-partitions cannot be used with --topic or --partitions".to_owned(),
            ));
        }
        // Split "t1:0,1,t2:3" at commas that start a new topic (an element containing ':' or
        // not looking like a partition range).
        let mut out: Vec<Selector> = Vec::new();
        for element in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let looks_like_range = element.chars().all(|c| c.is_ascii_digit() || c == '-');
            match (element.split_once(':'), looks_like_range, out.last_mut()) {
                (None, true, Some(last)) => last.partitions.extend(parse_partitions(element)?),
                (Some((topic, parts)), _, _) => out.push(Selector {
                    topic: (!topic.is_empty())
                        .then(|| IncludeList::new(topic))
                        .transpose()
                        .map_err(ToolError::Illegal)?,
                    partitions: parse_partitions(parts)?,
                }),
                (None, _, _) => out.push(Selector {
                    topic: Some(IncludeList::new(element).map_err(ToolError::Illegal)?),
                    partitions: Vec::new(),
                }),
            }
        }
        return Ok(out);
    }
    Ok(vec![Selector {
        topic: args
            .topic
            .as_deref()
            .map(IncludeList::new)
            .transpose()
            .map_err(ToolError::Illegal)?,
        partitions: match &args.partitions {
            Some(text) => parse_partitions(text)?,
            None => Vec::new(),
        },
    }])
}

/// Runs `kafka-get-offsets.sh`.
pub async fn run(args: GetOffsetsArgs, output: &mut Output) -> u8 {
    match execute(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            match &error {
                ToolError::Client(e) => {
                    let _ = writeln!(output.err, "Error occurred: {e}");
                }
                other => other.report("get-offsets", output),
            }
            1
        }
    }
}

async fn execute(args: &GetOffsetsArgs, output: &mut Output) -> Result<(), ToolError> {
    if args.bootstrap_server.is_none() {
        return Err(ToolError::Usage(
            "Missing required argument \"[bootstrap-server]\"".to_owned(),
        ));
    }
    let spec = parse_time(&args.time)?;
    let selectors = selectors(args)?;
    let mut admin = props::admin_client(
        args.bootstrap_server.as_deref(),
        args.command_config.as_deref(),
    )
    .map_err(ToolError::Illegal)?;
    let metadata = admin.metadata(None).await?;
    let mut wanted: Vec<(TopicPartition, OffsetSpec)> = Vec::new();
    for topic in &metadata.topics {
        for partition in &topic.partitions {
            if selectors.iter().any(|s| {
                s.matches(
                    &topic.name,
                    partition.partition,
                    args.exclude_internal_topics,
                )
            }) {
                wanted.push((
                    TopicPartition {
                        topic: topic.name.clone(),
                        partition: partition.partition,
                    },
                    spec,
                ));
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let results = admin.list_offsets(&wanted, 0).await?;
    for (tp, result) in &results {
        match result {
            Ok(listed) => writeln!(
                output.out,
                "{}:{}:{}",
                tp.topic, tp.partition, listed.offset
            )
            .map_err(ToolError::io)?,
            Err(error) => writeln!(
                output.err,
                "Skip getting offsets for topic-partition {tp} due to error: {error}"
            )
            .map_err(ToolError::io)?,
        }
    }
    Ok(())
}
