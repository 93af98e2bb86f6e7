//! `kafka-consumer-perf-test.sh` (Kafka `org.apache.kafka.tools.ConsumerPerformance`) over
//! rdkafka: consumes `--messages` records and prints Kafka's summary columns.
//!
//! fjord assigns every partition of `--topic` directly (from the beginning, or the end with
//! `--from-latest`) instead of joining `--group`, so `rebalance.time.ms` reads 0; the
//! columns and their formats are Kafka's.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::PerfClient;
use super::batch_queue::{BatchQueue, RecordSizes};
use super::native_fetch::NativeFetcher;
use super::stats::{CONSUMER_HEADER, ConsumerSummary, format_date_ms};
use crate::output::Output;
use crate::{props, rdkafka_props};

/// `kafka-consumer-perf-test.sh` flags (ConsumerPerformance.ConsumerPerfOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-consumer-perf-test.sh",
    about = "This tool helps in performance test for the full zookeeper consumer"
)]
pub struct ConsumerPerfArgs {
    /// REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.
    #[arg(
        long = "bootstrap-server",
        visible_alias = "broker-list",
        value_name = "server to connect to"
    )]
    pub bootstrap_server: Option<String>,
    /// REQUIRED: The topic to consume from.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// REQUIRED: The number of messages to consume.
    #[arg(long, visible_alias = "num-records", value_name = "count")]
    pub messages: Option<u64>,
    /// The group id to consume on (informational in fjord: partitions are assigned).
    #[arg(long, value_name = "gid")]
    pub group: Option<String>,
    /// The amount of data to fetch in a single request.
    #[arg(long = "fetch-size", value_name = "size", default_value_t = 1_048_576)]
    pub fetch_size: u64,
    /// If the consumer does not already have an established offset to consume from, start
    /// with the latest message present in the log rather than the earliest message.
    #[arg(long = "from-latest")]
    pub from_latest: bool,
    /// The size of the tcp RECV size.
    #[arg(
        long = "socket-buffer-size",
        value_name = "size",
        default_value_t = 2_097_152
    )]
    pub socket_buffer_size: u64,
    /// Consumer config properties file.
    #[arg(
        long = "consumer.config",
        visible_alias = "command-config",
        value_name = "config file"
    )]
    pub consumer_config: Option<PathBuf>,
    /// Print out the metrics.
    #[arg(long = "print-metrics")]
    pub print_metrics: bool,
    /// If set, stats are reported for each reporting interval as configured by
    /// reporting-interval.
    #[arg(long = "show-detailed-stats")]
    pub show_detailed_stats: bool,
    /// Interval in milliseconds at which to print progress info.
    #[arg(
        long = "reporting-interval",
        value_name = "interval_ms",
        default_value_t = 5000
    )]
    pub reporting_interval: u64,
    /// The maximum allowed time in milliseconds between returned records.
    #[arg(long, value_name = "milliseconds", default_value_t = 10_000)]
    pub timeout: u64,
    /// If set, skips printing the header for the stats.
    #[arg(long = "hide-header")]
    pub hide_header: bool,
    /// fjord: the consumer library. `librdkafka` (the default) is what most non-Java clients
    /// are built on; `fjord` is fjord's own Rust reader (Fetch pipelined per leader, every
    /// batch's CRC checked and every record decoded, no per-record allocation), for measuring a
    /// broker beyond librdkafka's per-record cost.
    #[arg(long, value_enum, default_value_t = PerfClient::Librdkafka)]
    pub client: PerfClient,
}

/// Where the records come from.
enum Source<'c> {
    Librdkafka(BatchQueue<'c>),
    Fjord(NativeFetcher),
}

impl Source<'_> {
    async fn next_batch(
        &mut self,
        timeout: Duration,
        limit: usize,
        each: impl FnMut(RecordSizes),
    ) -> anyhow::Result<usize> {
        match self {
            Source::Librdkafka(queue) => queue.next_batch(timeout, limit, each),
            Source::Fjord(fetcher) => fetcher.next_batch(timeout, limit, each).await,
        }
    }
}

/// Runs the consumer perf test.
pub async fn run(args: ConsumerPerfArgs, output: &mut Output) -> u8 {
    match perf(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(output.err, "{error}");
            1
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A librdkafka consumer assigned every partition of `topic` (from the beginning, or the end
/// with `--from-latest`).
fn librdkafka_consumer(
    args: &ConsumerPerfArgs,
    bootstrap: &str,
    topic: &str,
) -> anyhow::Result<BaseConsumer> {
    let mut map = match &args.consumer_config {
        Some(path) => props::load_file(path)?,
        None => Default::default(),
    };
    map.insert("bootstrap.servers".to_owned(), bootstrap.to_owned());
    map.insert(
        "group.id".to_owned(),
        args.group
            .clone()
            .unwrap_or_else(|| format!("perf-consumer-{}", std::process::id() % 100_000)),
    );
    map.insert("enable.auto.commit".to_owned(), "false".to_owned());
    map.insert(
        "max.partition.fetch.bytes".to_owned(),
        args.fetch_size.to_string(),
    );
    map.insert(
        "socket.receive.buffer.bytes".to_owned(),
        args.socket_buffer_size.to_string(),
    );
    map.entry("client.id".to_owned())
        .or_insert_with(|| "perf-consumer-client".to_owned());
    // BaseConsumer read in batches (see batch_queue): a per-message async timer
    // (StreamConsumer + timeout), then per-message `poll`, capped the tool near 0.3 M records/s.
    let consumer: BaseConsumer = rdkafka_props::client_config(&map).create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_millis(args.timeout))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    anyhow::ensure!(
        !partitions.is_empty(),
        "Topic {topic} has no partitions (does it exist?)"
    );
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        assignment.add_partition_offset(
            topic,
            partition,
            if args.from_latest {
                Offset::End
            } else {
                Offset::Beginning
            },
        )?;
    }
    consumer.assign(&assignment)?;
    Ok(consumer)
}

async fn perf(args: &ConsumerPerfArgs, output: &mut Output) -> anyhow::Result<()> {
    let (Some(bootstrap), Some(topic), Some(messages)) =
        (&args.bootstrap_server, &args.topic, args.messages)
    else {
        let missing = if args.bootstrap_server.is_none() {
            "bootstrap-server"
        } else if args.topic.is_none() {
            "topic"
        } else {
            "messages"
        };
        anyhow::bail!("Missing required argument \"[{missing}]\"");
    };
    let consumer;
    let mut source = match args.client {
        PerfClient::Librdkafka => {
            consumer = librdkafka_consumer(args, bootstrap, topic)?;
            Source::Librdkafka(BatchQueue::new(&consumer)?)
        }
        PerfClient::Fjord => {
            let mut admin = props::admin_client(Some(bootstrap), args.consumer_config.as_deref())?;
            Source::Fjord(
                NativeFetcher::start(
                    &mut admin,
                    topic,
                    args.from_latest,
                    i32::try_from(args.fetch_size).unwrap_or(i32::MAX),
                    Duration::from_millis(args.timeout),
                )
                .await?,
            )
        }
    };

    if !args.hide_header {
        if args.show_detailed_stats {
            writeln!(
                output.out,
                "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
            )?;
        } else {
            writeln!(output.out, "{CONSUMER_HEADER}")?;
        }
    }
    let start_ms = now_ms();
    let mut bytes = 0u64;
    let mut read = 0u64;
    let mut last_report = Instant::now();
    let (mut last_bytes, mut last_read) = (0u64, 0u64);
    while read < messages {
        let left = usize::try_from(messages - read).unwrap_or(usize::MAX);
        let got = source
            .next_batch(Duration::from_millis(args.timeout), left, |record| {
                bytes += (record.key + record.value) as u64;
            })
            .await?;
        if got == 0 {
            writeln!(
                output.err,
                "WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) exceeded. You can use the --timeout option to increase the timeout.",
                args.timeout
            )?;
            break;
        }
        read += got as u64;
        if args.show_detailed_stats
            && last_report.elapsed() >= Duration::from_millis(args.reporting_interval)
        {
            let interval_secs = last_report.elapsed().as_secs_f64();
            let mb = bytes as f64 / (1024.0 * 1024.0);
            let interval_mb = (bytes - last_bytes) as f64 / (1024.0 * 1024.0);
            let interval_msgs = (read - last_read) as f64;
            let fetch_ms = u64::try_from(last_report.elapsed().as_millis()).unwrap_or(0);
            writeln!(
                output.out,
                "{}, 0, {mb:.4}, {:.4}, {read}, {:.4}, 0, {fetch_ms}, {:.4}, {:.4}",
                format_date_ms(now_ms()),
                interval_mb / interval_secs,
                interval_msgs / interval_secs,
                interval_mb / interval_secs,
                interval_msgs / interval_secs
            )?;
            last_report = Instant::now();
            last_bytes = bytes;
            last_read = read;
        }
    }
    let end_ms = now_ms().max(start_ms + 1);
    if !args.show_detailed_stats {
        let summary = ConsumerSummary {
            start_ms,
            end_ms,
            bytes,
            messages: read,
            rebalance_ms: 0,
        };
        writeln!(output.out, "{}", summary.line())?;
    }
    if args.print_metrics {
        super::producer::print_metrics(
            output,
            &[
                (
                    "consumer-fetch-manager-metrics:records-consumed-total:{client-id=perf-consumer-client}",
                    read as f64,
                ),
                (
                    "consumer-fetch-manager-metrics:bytes-consumed-total:{client-id=perf-consumer-client}",
                    bytes as f64,
                ),
            ],
        )?;
    }
    Ok(())
}
