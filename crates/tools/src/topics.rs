//! `kafka-topics.sh` (Kafka `org.apache.kafka.tools.TopicCommand`): create, delete, alter,
//! list and describe topics.
//!
//! Output follows Kafka 3.9's TopicCommand: `--describe` prints a
//! `Topic: t\tTopicId: …\tPartitionCount: n\tReplicationFactor: r\tConfigs: k=v,…` line and one
//! `\tTopic: t\tPartition: p\tLeader: l\tReplicas: …\tIsr: …\tElr: N/A\tLastKnownElr: N/A` line per
//! partition. The Elr columns (KIP-966) read N/A because fjord's client describes topics
//! through Metadata, not DescribeTopicPartitions — exactly what Kafka 3.9's tool prints in that
//! case. Exit codes: 0 on success, 1 on any error; argument errors go to stderr, broker errors to
//! stdout as "Error while executing topic command : <message>" (`TopicCommand.printException`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use fjord_client::uuid::kafka_uuid_string;
use fjord_client::{
    AdminClient, ClientError, ConfigEntry, ConfigResource, ConfigResourceType, NewTopic,
    PartitionInfo, TopicInfo,
};

use crate::output::Output;
use crate::topic_filter::select_topics;
use crate::{ToolError, props};

/// `kafka-topics.sh` flags (Kafka's `TopicCommandOptions`).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-topics.sh",
    about = "This tool helps to create, delete, describe, or change a topic."
)]
pub struct TopicsArgs {
    /// REQUIRED: The Kafka server to connect to.
    #[arg(long = "bootstrap-server", value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long = "command-config", value_name = "command config property file")]
    pub command_config: Option<PathBuf>,
    /// List all available topics.
    #[arg(long)]
    pub list: bool,
    /// Create a new topic.
    #[arg(long)]
    pub create: bool,
    /// Delete a topic.
    #[arg(long)]
    pub delete: bool,
    /// Alter the number of partitions and replica assignment.
    #[arg(long)]
    pub alter: bool,
    /// List details for the given topics.
    #[arg(long)]
    pub describe: bool,
    /// The topic to create, alter, describe or delete. It also accepts a regular expression,
    /// except for --create option.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// A topic configuration override for the topic being created (name=value, repeatable).
    #[arg(long = "config", value_name = "name=value")]
    pub config: Vec<String>,
    /// The number of partitions for the topic being created or altered.
    #[arg(long, value_name = "# of partitions", allow_negative_numbers = true)]
    pub partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created.
    #[arg(
        long = "replication-factor",
        value_name = "replication factor",
        allow_negative_numbers = true
    )]
    pub replication_factor: Option<i32>,
    /// A list of manual partition-to-broker assignments (b1:b2,b3:b4,…).
    #[arg(
        long = "replica-assignment",
        value_name = "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , ..."
    )]
    pub replica_assignment: Option<String>,
    /// If set when describing topics, only show under-replicated partitions.
    #[arg(long = "under-replicated-partitions")]
    pub under_replicated_partitions: bool,
    /// If set when describing topics, only show partitions whose leader is not available.
    #[arg(long = "unavailable-partitions")]
    pub unavailable_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is less than the
    /// configured minimum.
    #[arg(long = "under-min-isr-partitions")]
    pub under_min_isr_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is equal to the
    /// configured minimum.
    #[arg(long = "at-min-isr-partitions")]
    pub at_min_isr_partitions: bool,
    /// If set when describing topics, only show topics that have overridden configs.
    #[arg(long = "topics-with-overrides")]
    pub topics_with_overrides: bool,
    /// If set when altering or deleting or describing topics, the action will only execute if
    /// the topic exists.
    #[arg(long = "if-exists")]
    pub if_exists: bool,
    /// If set when creating topics, the create request will not fail if the topic already
    /// exists.
    #[arg(long = "if-not-exists")]
    pub if_not_exists: bool,
    /// Exclude internal topics when listing or describing topics.
    #[arg(long = "exclude-internal")]
    pub exclude_internal: bool,
}

/// Runs `kafka-topics.sh` and returns the process exit code.
pub async fn run(args: TopicsArgs, output: &mut Output) -> u8 {
    match execute(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            error.report("topic", output);
            1
        }
    }
}

async fn execute(args: &TopicsArgs, output: &mut Output) -> Result<(), ToolError> {
    check_args(args)?;
    let mut admin = props::admin_client(
        args.bootstrap_server.as_deref(),
        args.command_config.as_deref(),
    )
    .map_err(ToolError::Illegal)?;
    if args.create {
        create(&mut admin, args, output).await
    } else if args.alter {
        alter(&mut admin, args).await
    } else if args.list {
        let topics = get_topics(&mut admin, args).await?;
        writeln!(output.out, "{}", topics.join("\n")).map_err(ToolError::io)
    } else if args.describe {
        describe(&mut admin, args, output).await
    } else {
        delete(&mut admin, args).await
    }
}

/// `TopicCommandOptions.checkArgs`: one action, required and incompatible options.
pub fn check_args(args: &TopicsArgs) -> Result<(), ToolError> {
    let actions = [
        args.create,
        args.list,
        args.alter,
        args.describe,
        args.delete,
    ]
    .iter()
    .filter(|a| **a)
    .count();
    if actions != 1 {
        return Err(ToolError::Usage(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete".to_owned(),
        ));
    }
    if args.bootstrap_server.is_none() {
        return Err(ToolError::Illegal(anyhow::anyhow!(
            "--bootstrap-server must be specified"
        )));
    }
    if !args.list && !args.describe && args.topic.is_none() {
        return Err(ToolError::Usage(
            "Missing required argument \"[topic]\"".to_owned(),
        ));
    }
    if args.alter && args.partitions.is_none() {
        return Err(ToolError::Usage(
            "Missing required argument \"[partitions]\"".to_owned(),
        ));
    }
    let invalid = |flag: &str, allowed: &[&str]| {
        ToolError::Usage(format!(
            "Option \"[{flag}]\" can't be used with option \"[{}]\"",
            allowed.join(", ")
        ))
    };
    if !args.config.is_empty() && !args.create {
        return Err(invalid("config", &["alter", "delete", "describe", "list"]));
    }
    if args.partitions.is_some() && !(args.create || args.alter) {
        return Err(invalid("partitions", &["delete", "describe", "list"]));
    }
    if args.replication_factor.is_some() && !args.create {
        return Err(invalid(
            "replication-factor",
            &["alter", "delete", "describe", "list"],
        ));
    }
    if args.replica_assignment.is_some()
        && args.create
        && (args.partitions.is_some() || args.replication_factor.is_some())
    {
        return Err(ToolError::Usage(
            "Option \"[replica-assignment]\" can't be used with option \"[partitions, replication-factor]\"".to_owned(),
        ));
    }
    let report = args.under_replicated_partitions
        || args.unavailable_partitions
        || args.under_min_isr_partitions
        || args.at_min_isr_partitions;
    if (report || args.topics_with_overrides) && !args.describe {
        return Err(ToolError::Usage(
            "Reporting options can only be used with --describe".to_owned(),
        ));
    }
    if args.if_exists && !(args.alter || args.delete || args.describe) {
        return Err(invalid("if-exists", &["create", "list"]));
    }
    if args.if_not_exists && !args.create {
        return Err(invalid(
            "if-not-exists",
            &["alter", "delete", "describe", "list"],
        ));
    }
    if args.exclude_internal && !(args.list || args.describe) {
        return Err(invalid("exclude-internal", &["alter", "create", "delete"]));
    }
    Ok(())
}

/// `TopicCommand.parseReplicaAssignment`: `1:2,2:3` → `[[1,2],[2,3]]`.
pub fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, ToolError> {
    let mut out: Vec<Vec<i32>> = Vec::new();
    for (index, partition) in text.split(',').enumerate() {
        let brokers = partition
            .split(':')
            .map(|b| b.trim().parse::<i32>())
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| {
                ToolError::Illegal(anyhow::anyhow!("For input string: \"{partition}\""))
            })?;
        let mut seen = BTreeSet::new();
        let duplicates: Vec<String> = brokers
            .iter()
            .filter(|b| !seen.insert(**b))
            .map(ToString::to_string)
            .collect();
        if !duplicates.is_empty() {
            return Err(ToolError::Command(format!(
                "Partition replica lists may not contain duplicate entries: {}",
                duplicates.join(",")
            )));
        }
        if out
            .first()
            .is_some_and(|first| first.len() != brokers.len())
        {
            let list = brokers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ToolError::Command(format!(
                "Partition {index} has different replication factor: [{list}]"
            )));
        }
        out.push(brokers);
    }
    Ok(out)
}

/// `parseTopicConfigsToBeAdded`: each `--config` must split on `=` into exactly two parts.
pub fn parse_topic_configs(configs: &[String]) -> Result<Vec<(String, String)>, ToolError> {
    configs
        .iter()
        .map(|config| {
            let parts: Vec<&str> = config.split('=').map(str::trim).collect();
            match parts.as_slice() {
                [key, value] => Ok(((*key).to_owned(), (*value).to_owned())),
                _ => Err(ToolError::Illegal(anyhow::anyhow!(
                    "requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\"."
                ))),
            }
        })
        .collect()
}

async fn create(
    admin: &mut AdminClient,
    args: &TopicsArgs,
    output: &mut Output,
) -> Result<(), ToolError> {
    let name = args.topic.clone().unwrap_or_default();
    let configs = parse_topic_configs(&args.config)?;
    let assignment = match args.replica_assignment.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => parse_replica_assignment(text)?,
        None => Vec::new(),
    };
    if name.contains('.') || name.contains('_') {
        writeln!(
            output.out,
            "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."
        )
        .map_err(ToolError::io)?;
    }
    if args
        .replication_factor
        .is_some_and(|rf| !(1..=i32::from(i16::MAX)).contains(&rf))
    {
        return Err(ToolError::Illegal(anyhow::anyhow!(
            "The replication factor must be between 1 and {} inclusive",
            i16::MAX
        )));
    }
    if args.partitions.is_some_and(|p| p < 1) {
        return Err(ToolError::Illegal(anyhow::anyhow!(
            "The partitions must be greater than 0"
        )));
    }
    let topic = NewTopic {
        name: name.clone(),
        partitions: args.partitions,
        replication_factor: args
            .replication_factor
            .and_then(|rf| i16::try_from(rf).ok()),
        replica_assignment: assignment,
        configs,
    };
    match admin.create_topic(&topic).await {
        Ok(()) => writeln!(output.out, "Created topic {name}.").map_err(ToolError::io),
        Err(error) if args.if_not_exists && error.code() == Some(36) => Ok(()),
        Err(error) => Err(ToolError::Client(error)),
    }
}

async fn get_topics(admin: &mut AdminClient, args: &TopicsArgs) -> Result<Vec<String>, ToolError> {
    let all = admin.list_topics(!args.exclude_internal).await?;
    select_topics(&all, args.topic.as_deref(), args.exclude_internal).map_err(ToolError::Illegal)
}

/// `ensureTopicExists`. Its IllegalArgumentException is thrown inside TopicCommand's `try`,
/// whose `catch (Throwable)` → `printException` prints it on stdout behind
/// "Error while executing topic command : " (Kafka `TopicCommand.execute`).
fn ensure_topic_exists(found: &[String], args: &TopicsArgs) -> Result<(), ToolError> {
    match &args.topic {
        Some(topic) if !topic.is_empty() && !args.if_exists && found.is_empty() => Err(
            ToolError::Command(format!("Topic '{topic}' does not exist as expected")),
        ),
        _ => Ok(()),
    }
}

async fn alter(admin: &mut AdminClient, args: &TopicsArgs) -> Result<(), ToolError> {
    let topics = get_topics(admin, args).await?;
    ensure_topic_exists(&topics, args)?;
    let requested = args.partitions.unwrap_or_default();
    let assignment = match args.replica_assignment.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(parse_replica_assignment(text)?),
        None => None,
    };
    for topic in &topics {
        let metadata = admin.metadata(Some(std::slice::from_ref(topic))).await?;
        let current = metadata.topic(topic).map_or(0, |t| t.partitions.len());
        let current = i32::try_from(current).unwrap_or(i32::MAX);
        // The controller's checks (ReplicationControlManager.createPartitions), done here too so
        // the wording is Kafka's whichever broker answers.
        if requested < current {
            return Err(ToolError::Client(ClientError::from_code(
                37,
                Some(&format!(
                    "Topic currently has {current} partitions, which is higher than the requested {requested}."
                )),
            )));
        }
        if requested == current {
            return Err(ToolError::Client(ClientError::from_code(
                37,
                Some(&format!("Topic already has {current} partitions.")),
            )));
        }
        let new_assignments = assignment.as_ref().map(|all| {
            all.iter()
                .skip(usize::try_from(current).unwrap_or(0))
                .cloned()
                .collect::<Vec<_>>()
        });
        admin
            .create_partitions(topic, requested, new_assignments)
            .await?;
    }
    Ok(())
}

async fn delete(admin: &mut AdminClient, args: &TopicsArgs) -> Result<(), ToolError> {
    let topics = get_topics(admin, args).await?;
    ensure_topic_exists(&topics, args)?;
    if !topics.is_empty() {
        admin.delete_topics(&topics).await?;
    }
    Ok(())
}

async fn describe(
    admin: &mut AdminClient,
    args: &TopicsArgs,
    output: &mut Output,
) -> Result<(), ToolError> {
    let topics = get_topics(admin, args).await?;
    ensure_topic_exists(&topics, args)?;
    if topics.is_empty() {
        return Ok(());
    }
    let metadata = admin.metadata(Some(&topics)).await?;
    let live: BTreeSet<i32> = admin
        .describe_cluster()
        .await?
        .brokers
        .iter()
        .map(|b| b.node_id)
        .collect();
    let options = DescribeOptions::from_args(args);
    for topic in &metadata.topics {
        let resource = ConfigResource {
            resource_type: ConfigResourceType::Topic,
            name: topic.name.clone(),
        };
        let configs = match admin.describe_configs(&resource).await {
            Ok(configs) => configs,
            // A broker without DescribeConfigs: describe with no overrides rather than fail.
            Err(ClientError::UnsupportedApi { .. }) => Vec::new(),
            Err(other) => return Err(other.into()),
        };
        let text = describe_topic(topic, &configs, &live, &options);
        write!(output.out, "{text}").map_err(ToolError::io)?;
    }
    Ok(())
}

/// Which parts of `--describe` to print (`TopicCommand.DescribeOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DescribeOptions {
    /// `--under-replicated-partitions`.
    pub under_replicated: bool,
    /// `--unavailable-partitions`.
    pub unavailable: bool,
    /// `--under-min-isr-partitions`.
    pub under_min_isr: bool,
    /// `--at-min-isr-partitions`.
    pub at_min_isr: bool,
    /// `--topics-with-overrides`.
    pub overrides_only: bool,
}

impl DescribeOptions {
    fn from_args(args: &TopicsArgs) -> Self {
        Self {
            under_replicated: args.under_replicated_partitions,
            unavailable: args.unavailable_partitions,
            under_min_isr: args.under_min_isr_partitions,
            at_min_isr: args.at_min_isr_partitions,
            overrides_only: args.topics_with_overrides,
        }
    }

    fn describe_configs(self) -> bool {
        !(self.under_replicated || self.unavailable || self.under_min_isr || self.at_min_isr)
    }
}

/// Renders one topic's `--describe` block (header line, then partition lines).
pub fn describe_topic(
    topic: &TopicInfo,
    configs: &[ConfigEntry],
    live: &BTreeSet<i32>,
    options: &DescribeOptions,
) -> String {
    let mut text = String::new();
    let overrides: Vec<String> = configs
        .iter()
        .filter(|c| !c.is_default())
        .map(|c| format!("{}={}", c.name, c.value.as_deref().unwrap_or("null")))
        .collect();
    if options.describe_configs() && (!options.overrides_only || !overrides.is_empty()) {
        text.push_str(&format!("Topic: {}", topic.name));
        if !topic.topic_id.is_nil() {
            text.push_str(&format!(
                "\tTopicId: {}",
                kafka_uuid_string(&topic.topic_id)
            ));
        }
        let replication = topic.partitions.first().map_or(0, |p| p.replicas.len());
        text.push_str(&format!(
            "\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}\n",
            topic.partitions.len(),
            replication,
            overrides.join(",")
        ));
    }
    if options.overrides_only {
        return text;
    }
    let min_isr = configs
        .iter()
        .find(|c| c.name == "min.insync.replicas")
        .and_then(|c| c.value.as_deref()?.parse::<usize>().ok())
        .unwrap_or(1);
    for partition in &topic.partitions {
        let under_replicated = partition.replicas.len() > partition.isr.len();
        let unavailable = partition.leader.is_none_or(|l| !live.contains(&l));
        let under_min_isr = partition.leader.is_none() || partition.isr.len() < min_isr;
        let at_min_isr = partition.isr.len() == min_isr;
        let show = options.describe_configs()
            || (options.under_replicated && under_replicated)
            || (options.unavailable && unavailable)
            || (options.under_min_isr && under_min_isr)
            || (options.at_min_isr && at_min_isr);
        if show {
            text.push_str(&partition_line(&topic.name, partition));
        }
    }
    text
}

/// One `PartitionDescription.printDescription` line.
pub fn partition_line(topic: &str, partition: &PartitionInfo) -> String {
    let join = |ids: &[i32]| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "\tTopic: {topic}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: N/A\tLastKnownElr: N/A\n",
        partition.partition,
        partition
            .leader
            .map_or_else(|| "none".to_owned(), |l| l.to_string()),
        join(&partition.replicas),
        join(&partition.isr),
    )
}
