//! `kafka-console-producer.sh` (Kafka `org.apache.kafka.tools.ConsoleProducer`): reads
//! stdin line by line and produces one record per line through rdkafka.
//!
//! Settings map as ConsoleProducer's `producerProps` does: `--request-required-acks` →
//! `acks` (default -1), `--timeout` → `linger.ms` (1000), `--batch-size` → `batch.size`
//! (16384), `--compression-codec` → `compression.type`, `--request-timeout-ms` (1500), then
//! `--producer.config` and `--producer-property` override them. `--sync` waits for each
//! record's acknowledgement before reading the next line.
//!
//! `--progress` (a fjord addition, see [`progress`]) draws a progress bar on stderr while
//! stdin is a file or a pipe.

pub mod progress;

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use self::progress::Progress;
use crate::line_reader::{LineReaderConfig, parse_line};
use crate::output::Output;
use crate::{props, rdkafka_props};

/// Deliveries awaited at once before reading more lines: bounds memory on large inputs.
const IN_FLIGHT_RECORDS_MAX: usize = 10_000;

/// How long the end-of-input flush may take in total.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// `kafka-console-producer.sh` flags (ConsoleProducerOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-console-producer.sh",
    about = "This tool helps to read data from standard input and publish it to Kafka."
)]
pub struct ConsoleProducerArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(
        long = "bootstrap-server",
        visible_alias = "broker-list",
        value_name = "server to connect to"
    )]
    pub bootstrap_server: Option<String>,
    /// REQUIRED: The topic id to produce messages to.
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// Producer config properties file.
    #[arg(
        long = "producer.config",
        visible_alias = "command-config",
        value_name = "config file"
    )]
    pub producer_config: Option<PathBuf>,
    /// A mechanism to pass user-defined properties in the form key=value to the producer.
    #[arg(long = "producer-property", value_name = "producer_prop")]
    pub producer_property: Vec<String>,
    /// Properties for the line reader: parse.key, key.separator, parse.headers, …
    #[arg(
        long = "property",
        visible_alias = "reader-property",
        value_name = "prop"
    )]
    pub property: Vec<String>,
    /// The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.
    #[arg(long = "compression-codec", value_name = "compression-codec", num_args = 0..=1, default_missing_value = "gzip")]
    pub compression_codec: Option<String>,
    /// The required acks of the producer requests.
    #[arg(
        long = "request-required-acks",
        value_name = "request required acks",
        default_value = "-1",
        allow_negative_numbers = true
    )]
    pub request_required_acks: String,
    /// Number of messages to send in a single batch if they are not being sent synchronously.
    #[arg(long = "batch-size", value_name = "size", default_value_t = 16384)]
    pub batch_size: u64,
    /// If set and the producer is running in asynchronous mode, this gives the maximum amount
    /// of time a message will queue awaiting sufficient batch size (ms).
    #[arg(long = "timeout", value_name = "timeout_ms", default_value_t = 1000)]
    pub timeout: u64,
    /// The ack timeout of the producer requests (ms).
    #[arg(
        long = "request-timeout-ms",
        value_name = "request timeout ms",
        default_value_t = 1500
    )]
    pub request_timeout_ms: u64,
    /// If set message send requests to the brokers are synchronously, one at a time as they
    /// arrive.
    #[arg(long)]
    pub sync: bool,
    /// Total number of retries when sending fails.
    #[arg(long = "message-send-max-retries", value_name = "retries")]
    pub message_send_max_retries: Option<u64>,
    /// Backoff before retrying (ms).
    #[arg(long = "retry-backoff-ms", value_name = "retry backoff ms")]
    pub retry_backoff_ms: Option<u64>,
    /// fjord addition (Kafka has none): while stdin is a file or a pipe, draw a progress bar on
    /// stderr (records sent and acknowledged, bytes, rate, and a percentage when stdin is a
    /// regular file). Shown by default when stderr is a terminal; this flag also turns it on
    /// when stderr is not one (one line per second, then the final state).
    #[arg(long)]
    pub progress: bool,
}

/// Builds the producer's properties in ConsoleProducer's precedence order.
pub fn producer_properties(args: &ConsoleProducerArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    map.insert("acks".to_owned(), args.request_required_acks.clone());
    map.insert("linger.ms".to_owned(), args.timeout.to_string());
    map.insert("batch.size".to_owned(), args.batch_size.to_string());
    map.insert(
        "request.timeout.ms".to_owned(),
        args.request_timeout_ms.to_string(),
    );
    map.insert("client.id".to_owned(), "console-producer".to_owned());
    // Java's delivery.timeout.ms default (120 s) rather than librdkafka's 300 s: a record for
    // an unreachable cluster fails in the time a Kafka user expects.
    map.insert("delivery.timeout.ms".to_owned(), "120000".to_owned());
    if let Some(codec) = &args.compression_codec {
        map.insert("compression.type".to_owned(), codec.clone());
    }
    if let Some(retries) = args.message_send_max_retries {
        map.insert("retries".to_owned(), retries.to_string());
    }
    if let Some(backoff) = args.retry_backoff_ms {
        map.insert("retry.backoff.ms".to_owned(), backoff.to_string());
    }
    if let Some(path) = &args.producer_config {
        map.extend(props::load_file(path)?);
    }
    map.extend(props::parse_key_values(&args.producer_property)?);
    if let Some(bootstrap) = &args.bootstrap_server {
        map.insert("bootstrap.servers".to_owned(), bootstrap.clone());
    }
    Ok(map)
}

/// Runs the console producer on the process's stdin, with a progress bar when
/// [`progress::wanted`].
pub async fn run(args: ConsoleProducerArgs, output: &mut Output) -> u8 {
    let stdin = std::io::BufReader::new(std::io::stdin());
    let progress =
        progress::wanted(args.progress).then(|| Progress::on_stderr(progress::stdin_file_size()));
    exit_code(produce(&args, stdin, progress, output).await, output)
}

/// Runs the console producer over `input` (tests feed a buffer); no progress bar.
pub async fn run_with_input(
    args: ConsoleProducerArgs,
    input: impl BufRead + Send + 'static,
    output: &mut Output,
) -> u8 {
    exit_code(produce(&args, input, None, output).await, output)
}

fn exit_code(result: anyhow::Result<u64>, output: &mut Output) -> u8 {
    match result {
        Ok(0) => 0,
        Ok(_) => 1,
        Err(error) => {
            let _ = writeln!(output.err, "{error}");
            1
        }
    }
}

/// Produces every line; returns how many records failed delivery.
async fn produce(
    args: &ConsoleProducerArgs,
    input: impl BufRead + Send + 'static,
    mut progress: Option<Progress>,
    output: &mut Output,
) -> anyhow::Result<u64> {
    let (Some(topic), Some(_)) = (&args.topic, &args.bootstrap_server) else {
        let missing = if args.topic.is_none() {
            "topic"
        } else {
            "bootstrap-server"
        };
        anyhow::bail!("Missing required argument \"[{missing}]\"");
    };
    let reader_config =
        LineReaderConfig::from_properties(&props::parse_key_values(&args.property)?);
    let producer: FutureProducer =
        rdkafka_props::client_config(&producer_properties(args)?).create()?;
    // Lines are read on a plain thread so a blocking stdin never stalls the runtime.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<(String, u64)>>(1024);
    std::thread::spawn(move || read_lines(input, &tx));
    let mut pending: VecDeque<DeliveryFuture> = VecDeque::new();
    let mut failures = 0u64;
    let mut line_number = 0u64;
    while let Some(line) = rx.recv().await {
        let (line, line_bytes) = line?;
        line_number += 1;
        let record = parse_line(&reader_config, &line, line_number)?;
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        let mut future_record: FutureRecord<'_, str, str> =
            FutureRecord::to(topic).headers(headers);
        if let Some(key) = record.key.as_deref() {
            future_record = future_record.key(key);
        }
        if let Some(value) = record.value.as_deref() {
            future_record = future_record.payload(value);
        }
        let delivery = loop {
            match producer.send_result(future_record) {
                Ok(delivery) => break delivery,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    returned,
                )) => {
                    future_record = returned;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((error, _)) => anyhow::bail!("{error}"),
            }
        };
        pending.push_back(delivery);
        if let Some(progress) = progress.as_mut() {
            progress.record_sent(line_bytes);
            // Count deliveries that already completed, without waiting for any.
            while let Some(front) = pending.front_mut() {
                let Some(result) = poll_now(front).await else {
                    break;
                };
                pending.pop_front();
                failures += report_result(topic, result, output);
                progress.record_acknowledged();
            }
        }
        if args.sync || pending.len() >= IN_FLIGHT_RECORDS_MAX {
            while let Some(delivery) = pending.pop_front() {
                failures += report_delivery(topic, delivery, output).await;
                if let Some(progress) = progress.as_mut() {
                    progress.record_acknowledged();
                }
                if !args.sync && pending.len() < IN_FLIGHT_RECORDS_MAX / 2 {
                    break;
                }
            }
        }
    }
    // End of input: flush before awaiting the deliveries, so the last batch goes out now
    // rather than after linger.ms (Kafka's ConsoleProducer closes its producer, which flushes).
    producer.flush(FLUSH_TIMEOUT)?;
    while let Some(delivery) = pending.pop_front() {
        failures += report_delivery(topic, delivery, output).await;
        if let Some(progress) = progress.as_mut() {
            progress.record_acknowledged();
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    Ok(failures)
}

/// Sends each line of `input` without its line ending (as `BufRead::lines`), with the number
/// of input bytes it took, until the input ends or the receiver is gone.
fn read_lines(
    mut input: impl BufRead,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<(String, u64)>>,
) {
    loop {
        let mut line = String::new();
        let item = match input.read_line(&mut line) {
            Ok(0) => return,
            Ok(read) => {
                if line.ends_with('\n') {
                    line.pop();
                    if line.ends_with('\r') {
                        line.pop();
                    }
                }
                Ok((line, read as u64))
            }
            Err(error) => Err(error),
        };
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    }
}

/// The delivery's result if it has already completed, without waiting.
async fn poll_now(delivery: &mut DeliveryFuture) -> Option<DeliveryResult> {
    let polled = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *delivery).poll(cx))).await;
    match polled {
        Poll::Ready(result) => Some(result),
        Poll::Pending => None,
    }
}

/// What a [`DeliveryFuture`] resolves to.
type DeliveryResult = <DeliveryFuture as Future>::Output;

/// Awaits one delivery; a failure is logged like Kafka's `ErrorLoggingCallback`.
async fn report_delivery(topic: &str, delivery: DeliveryFuture, output: &mut Output) -> u64 {
    report_result(topic, delivery.await, output)
}

/// Logs a failed delivery; returns 1 if it failed.
fn report_result(topic: &str, result: DeliveryResult, output: &mut Output) -> u64 {
    match result {
        Ok(Ok(_)) => 0,
        Ok(Err((error, _))) => {
            let _ = writeln!(
                output.err,
                "ERROR Error when sending message to topic {topic} with error: {error}"
            );
            1
        }
        Err(_) => {
            let _ = writeln!(
                output.err,
                "ERROR Error when sending message to topic {topic}: the producer was dropped"
            );
            1
        }
    }
}
