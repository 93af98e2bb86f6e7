//! `kafka-console-consumer.sh` (Kafka `org.apache.kafka.tools.consumer.ConsoleConsumer`):
//! prints records with [`crate::formatter`] until `--max-messages`, `--timeout-ms` without a
//! record, or Ctrl-C, then "Processed a total of N messages" on stderr (exit 0).
//!
//! With `--partition` the consumer assigns that partition (no group needed) starting at
//! `--offset` (earliest/latest/N; `--from-beginning` means earliest). Without it, it subscribes
//! with `--group` (default `console-consumer-<random>`, as Kafka) to `--topic` or the
//! `--include` regex.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, Timestamp, TopicPartitionList};

use crate::formatter::{ConsumedRecord, FormatterConfig, format_record};
use crate::output::Output;
use crate::{props, rdkafka_props};

/// `kafka-console-consumer.sh` flags (ConsoleConsumerOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-console-consumer.sh",
    about = "This tool helps to read data from Kafka topics and outputs it to standard output."
)]
pub struct ConsoleConsumerArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long = "bootstrap-server", value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,
    /// The topic to consume on.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// Regular expression specifying list of topics to include for consumption.
    #[arg(long, visible_alias = "whitelist", value_name = "Java regex (String)")]
    pub include: Option<String>,
    /// The partition to consume from. Consumption starts from the end of the partition unless
    /// '--offset' is specified.
    #[arg(long, value_name = "partition")]
    pub partition: Option<i32>,
    /// The offset to consume from (a non-negative number), or 'earliest' / 'latest'.
    #[arg(long, value_name = "consume offset", default_value = "latest")]
    pub offset: String,
    /// If the consumer does not already have an established offset to consume from, start
    /// with the earliest message present in the log rather than the latest message.
    #[arg(long = "from-beginning")]
    pub from_beginning: bool,
    /// The consumer group id of the consumer.
    #[arg(long, value_name = "consumer group id")]
    pub group: Option<String>,
    /// The maximum number of messages to consume before exiting.
    #[arg(long = "max-messages", value_name = "num_messages")]
    pub max_messages: Option<u64>,
    /// If specified, exit if no message is available for consumption for the specified
    /// interval (ms).
    #[arg(long = "timeout-ms", value_name = "timeout_ms")]
    pub timeout_ms: Option<u64>,
    /// Set to read_committed in order to filter out transactional messages which are not
    /// committed.
    #[arg(
        long = "isolation-level",
        value_name = "isolation-level",
        default_value = "read_uncommitted"
    )]
    pub isolation_level: String,
    /// A mechanism to pass user-defined properties in the form key=value to the consumer.
    #[arg(long = "consumer-property", value_name = "consumer_prop")]
    pub consumer_property: Vec<String>,
    /// Consumer config properties file.
    #[arg(
        long = "consumer.config",
        visible_alias = "command-config",
        value_name = "config file"
    )]
    pub consumer_config: Option<PathBuf>,
    /// The properties to initialize the message formatter (print.key, print.timestamp, …).
    #[arg(
        long = "property",
        visible_alias = "formatter-property",
        value_name = "prop"
    )]
    pub property: Vec<String>,
    /// The name of a class to use for formatting Kafka messages for display.
    #[arg(
        long,
        value_name = "class",
        default_value = "org.apache.kafka.tools.consumer.DefaultMessageFormatter"
    )]
    pub formatter: String,
    /// If there is an error when processing a message, skip it instead of halt.
    #[arg(long = "skip-message-on-error")]
    pub skip_message_on_error: bool,
}

/// Formatter class names that mean the default formatter (Kafka 3.x and 4.x spellings).
const DEFAULT_FORMATTERS: &[&str] = &[
    "default",
    "kafka.tools.DefaultMessageFormatter",
    "org.apache.kafka.tools.consumer.DefaultMessageFormatter",
];

/// Runs the console consumer.
pub async fn run(args: ConsoleConsumerArgs, output: &mut Output) -> u8 {
    let mut count = 0u64;
    let result = consume(&args, output, &mut count).await;
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(
                output.err,
                "ERROR Unknown error when running consumer: {error}"
            );
            1
        }
    };
    let _ = writeln!(output.err, "Processed a total of {count} messages");
    let _ = output.out.flush();
    code
}

/// Checks the option combinations ConsoleConsumerOptions.checkRequiredArgs does.
fn check_args(args: &ConsoleConsumerArgs) -> anyhow::Result<()> {
    if args.bootstrap_server.is_none() {
        anyhow::bail!("Missing required argument \"[bootstrap-server]\"");
    }
    let topic_args = usize::from(args.topic.is_some()) + usize::from(args.include.is_some());
    if topic_args != 1 {
        anyhow::bail!("Exactly one of --include/--topic is required. ");
    }
    if args.partition.is_some() && args.topic.is_none() {
        anyhow::bail!("The topic is required when partition is specified.");
    }
    if args.from_beginning && args.offset != "latest" {
        anyhow::bail!("Options from-beginning and offset cannot be specified together.");
    }
    if args.offset != "latest" && args.partition.is_none() {
        anyhow::bail!("The partition is required when offset is specified.");
    }
    if !DEFAULT_FORMATTERS.contains(&args.formatter.as_str()) {
        anyhow::bail!(
            "--formatter {} is not supported; fjord ships the default formatter only",
            args.formatter
        );
    }
    Ok(())
}

fn start_offset(args: &ConsoleConsumerArgs) -> anyhow::Result<Offset> {
    if args.from_beginning {
        return Ok(Offset::Beginning);
    }
    match args.offset.to_ascii_lowercase().as_str() {
        "earliest" => Ok(Offset::Beginning),
        "latest" => Ok(Offset::End),
        number => match number.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Offset::Offset(n)),
            _ => anyhow::bail!(
                "The provided offset value '{}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
                args.offset
            ),
        },
    }
}

fn consumer_properties(args: &ConsoleConsumerArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    if let Some(path) = &args.consumer_config {
        map.extend(props::load_file(path)?);
    }
    map.extend(props::parse_key_values(&args.consumer_property)?);
    if let Some(bootstrap) = &args.bootstrap_server {
        map.insert("bootstrap.servers".to_owned(), bootstrap.clone());
    }
    map.insert("isolation.level".to_owned(), args.isolation_level.clone());
    map.entry("client.id".to_owned())
        .or_insert_with(|| "console-consumer".to_owned());
    map.insert(
        "auto.offset.reset".to_owned(),
        if args.from_beginning {
            "earliest"
        } else {
            "latest"
        }
        .to_owned(),
    );
    match (&args.group, args.partition) {
        (Some(group), _) => {
            map.insert("group.id".to_owned(), group.clone());
        }
        (None, None) => {
            // ConsoleConsumer: "console-consumer-" + a random 5-digit number, offsets not committed.
            let suffix = std::process::id() % 100_000;
            map.insert("group.id".to_owned(), format!("console-consumer-{suffix}"));
            map.insert("enable.auto.commit".to_owned(), "false".to_owned());
        }
        (None, Some(_)) => {
            // Assigned partition, no group: nothing to commit.
            map.insert("group.id".to_owned(), "console-consumer-assign".to_owned());
            map.insert("enable.auto.commit".to_owned(), "false".to_owned());
        }
    }
    Ok(map)
}

async fn consume(
    args: &ConsoleConsumerArgs,
    output: &mut Output,
    count: &mut u64,
) -> anyhow::Result<()> {
    check_args(args)?;
    let formatter = FormatterConfig::from_properties(&props::parse_key_values(&args.property)?);
    let consumer: StreamConsumer =
        rdkafka_props::client_config(&consumer_properties(args)?).create()?;
    match (&args.topic, args.partition, &args.include) {
        (Some(topic), Some(partition), _) => {
            let mut assignment = TopicPartitionList::new();
            assignment.add_partition_offset(topic, partition, start_offset(args)?)?;
            consumer.assign(&assignment)?;
        }
        (Some(topic), None, _) => consumer.subscribe(&[topic.as_str()])?,
        (None, _, Some(pattern)) => consumer.subscribe(&[format!("^{pattern}").as_str()])?,
        (None, _, None) => anyhow::bail!("Exactly one of --include/--topic is required. "),
    }
    let idle = args.timeout_ms.map(Duration::from_millis);
    loop {
        if args.max_messages.is_some_and(|max| *count >= max) {
            return Ok(());
        }
        let next = async {
            match idle {
                Some(limit) => tokio::time::timeout(limit, consumer.recv()).await.ok(),
                None => Some(consumer.recv().await),
            }
        };
        let received = tokio::select! {
            received = next => received,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(received) = received else {
            // ConsoleConsumer.process: the TimeoutException ends consumption, exit code 0.
            writeln!(
                output.err,
                "ERROR Error processing message, terminating consumer process:  (org.apache.kafka.tools.consumer.ConsoleConsumer)\norg.apache.kafka.common.errors.TimeoutException"
            )?;
            return Ok(());
        };
        let message = match received {
            Ok(message) => message,
            Err(error) if args.skip_message_on_error => {
                writeln!(
                    output.err,
                    "ERROR Error processing message, skipping this message: {error}"
                )?;
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let record = ConsumedRecord {
            timestamp: match message.timestamp() {
                Timestamp::NotAvailable => None,
                Timestamp::CreateTime(ts) => Some(("CreateTime", ts)),
                Timestamp::LogAppendTime(ts) => Some(("LogAppendTime", ts)),
            },
            partition: message.partition(),
            offset: message.offset(),
            headers: message
                .headers()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
        };
        *count += 1;
        output.out.write_all(&format_record(&formatter, &record))?;
        output.out.flush()?;
    }
}
