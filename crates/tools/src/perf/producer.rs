//! `kafka-producer-perf-test.sh` (Kafka `org.apache.kafka.tools.ProducerPerformance`) over
//! rdkafka: sends `--num-records` records of `--record-size` random uppercase letters (or lines
//! of `--payload-file`) at `--throughput` records/s (-1: unthrottled), printing a window line
//! every 5 s and Kafka's summary with latency percentiles at the end.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

use super::PerfClient;
use super::native_produce::{Acked, NativeProducer, NativeProducerConfig};
use super::stats::{Stats, throttle_wait_ms};
use crate::output::Output;
use crate::{props, rdkafka_props};

/// `kafka-producer-perf-test.sh` flags (ProducerPerformance.argParser).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-producer-perf-test.sh",
    about = "This tool is used to verify the producer performance."
)]
pub struct ProducerPerfArgs {
    /// Produce records to this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// Number of records to produce.
    #[arg(long = "num-records", value_name = "NUM-RECORDS")]
    pub num_records: u64,
    /// Record size in bytes. Either --record-size or --payload-file must be specified.
    #[arg(long = "record-size", value_name = "RECORD-SIZE")]
    pub record_size: Option<usize>,
    /// File to read record payloads from (split by --payload-delimiter).
    #[arg(long = "payload-file", value_name = "PAYLOAD-FILE")]
    pub payload_file: Option<PathBuf>,
    /// Delimiter used to split --payload-file.
    #[arg(
        long = "payload-delimiter",
        value_name = "PAYLOAD-DELIMITER",
        default_value = "\\n"
    )]
    pub payload_delimiter: String,
    /// Throttle maximum record throughput to approximately THROUGHPUT records/sec; -1 for no
    /// throttling.
    #[arg(long, value_name = "THROUGHPUT", allow_negative_numbers = true)]
    pub throughput: f64,
    /// Kafka producer related configuration properties like bootstrap.servers, client.id etc.
    #[arg(long = "producer-props", value_name = "PROP-NAME=PROP-VALUE", num_args = 1..)]
    pub producer_props: Vec<String>,
    /// Producer config properties file.
    #[arg(
        long = "producer.config",
        visible_alias = "command-config",
        value_name = "CONFIG-FILE"
    )]
    pub producer_config: Option<PathBuf>,
    /// Print out metrics at the end of the test.
    #[arg(long = "print-metrics")]
    pub print_metrics: bool,
    /// The transactional id to use (enables transactions).
    #[arg(long = "transactional-id", value_name = "TRANSACTIONAL-ID")]
    pub transactional_id: Option<String>,
    /// fjord: the producer library. `librdkafka` (the default) is what most non-Java clients
    /// are built on; `fjord` is fjord's own Rust writer (whole batches built in place, one
    /// Produce request per leader at a time with the next batch ready; acks 1 or all, no
    /// retries), for measuring a broker beyond librdkafka's per-record cost. Its latencies are
    /// per batch: from the batch's first record to its acknowledgement.
    #[arg(long, value_enum, default_value_t = PerfClient::Librdkafka)]
    pub client: PerfClient,
}

/// One delivery report: latency in ms, payload bytes, success.
type Report = (u64, u64, bool);

/// Collects delivery reports from librdkafka's callback for the driver loop.
#[derive(Debug, Clone)]
struct PerfContext {
    reports: Arc<Mutex<Vec<Report>>>,
    /// Send times travel as µs since the start in the delivery opaque (a `usize`, no
    /// allocation per record: a boxed `Instant` capped the tool well below librdkafka's own
    /// rate).
    sent: Arc<Stamp>,
    /// Delivery times: one clock read serves up to [`STAMP_EVERY`] reports of one `poll`.
    delivered: Arc<Stamp>,
}

impl Default for PerfContext {
    fn default() -> Self {
        let started = Instant::now();
        Self {
            reports: Arc::default(),
            sent: Arc::new(Stamp::new(started)),
            delivered: Arc::new(Stamp::new(started)),
        }
    }
}

/// How many records share one clock read. Reading the clock for every send and every delivery
/// report was a fifth of the tool's CPU on a VM (`perf`: `__vdso_clock_gettime` 20 %); latencies
/// are reported in whole ms and 64 sends or reports take a few µs.
const STAMP_EVERY: u32 = 64;

/// µs since the run started, read from the clock at most once every [`STAMP_EVERY`] calls
/// and again after every [`Stamp::refresh`] (the driver refreshes after each wait, so a stale
/// reading never spans a sleep, a throttle pause or a blocking `poll`).
#[derive(Debug)]
struct Stamp {
    started: Instant,
    left: AtomicU32,
    last_micros: AtomicUsize,
}

impl Stamp {
    fn new(started: Instant) -> Self {
        Self {
            started,
            left: AtomicU32::new(0),
            last_micros: AtomicUsize::new(0),
        }
    }

    fn micros(&self) -> usize {
        // One thread (the driver, which also runs the delivery callbacks inside `poll`) uses
        // each stamp; the atomics only make the context `Sync` as rdkafka requires.
        let left = self.left.load(Ordering::Relaxed);
        if left > 0 {
            self.left.store(left - 1, Ordering::Relaxed);
            return self.last_micros.load(Ordering::Relaxed);
        }
        let now = usize::try_from(self.started.elapsed().as_micros()).unwrap_or(usize::MAX);
        self.last_micros.store(now, Ordering::Relaxed);
        self.left.store(STAMP_EVERY - 1, Ordering::Relaxed);
        now
    }

    /// The next [`Stamp::micros`] reads the clock.
    fn refresh(&self) {
        self.left.store(0, Ordering::Relaxed);
    }
}

impl PerfContext {
    /// Polls the producer for delivery reports; they are timed from a fresh clock read.
    fn poll(&self, producer: &BaseProducer<PerfContext>, timeout: Duration) {
        self.delivered.refresh();
        producer.poll(timeout);
        self.sent.refresh();
    }
}

impl ClientContext for PerfContext {}

impl ProducerContext for PerfContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_micros: Self::DeliveryOpaque) {
        let latency = (self.delivered.micros().saturating_sub(sent_micros) / 1000) as u64;
        let (bytes, ok) = match result {
            Ok(message) => (message.payload_len() as u64, true),
            Err((_, message)) => (message.payload_len() as u64, false),
        };
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((latency, bytes, ok));
    }
}

/// Random uppercase letters (`ProducerPerformance.generateRandomPayload`), from a xorshift
/// seeded by the clock: perf payloads need no cryptographic quality.
fn random_payload(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'A' + (state % 26) as u8
        })
        .collect()
}

fn payloads(args: &ProducerPerfArgs) -> anyhow::Result<Vec<Vec<u8>>> {
    match (&args.payload_file, args.record_size) {
        (Some(_), Some(_)) | (None, None) => {
            anyhow::bail!("Either --record-size or --payload-file must be specified but not both.")
        }
        (None, Some(size)) => {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64);
            Ok(vec![random_payload(size, seed)])
        }
        (Some(path), None) => {
            let text = std::fs::read_to_string(path)?;
            let delimiter = crate::formatter::unescape(&args.payload_delimiter);
            let list: Vec<Vec<u8>> = text
                .split(delimiter.as_str())
                .filter(|p| !p.is_empty())
                .map(|p| p.as_bytes().to_vec())
                .collect();
            anyhow::ensure!(
                !list.is_empty(),
                "No payloads found in file {}",
                path.display()
            );
            Ok(list)
        }
    }
}

fn producer_properties(args: &ProducerPerfArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    if let Some(path) = &args.producer_config {
        map.extend(props::load_file(path)?);
    }
    map.extend(props::parse_key_values(&args.producer_props)?);
    map.entry("client.id".to_owned())
        .or_insert_with(|| "perf-producer-client".to_owned());
    if let Some(id) = &args.transactional_id {
        map.insert("transactional.id".to_owned(), id.clone());
    }
    anyhow::ensure!(
        map.contains_key("bootstrap.servers"),
        "bootstrap.servers must be specified with --producer-props or --producer.config"
    );
    Ok(map)
}

/// Runs the producer perf test.
pub async fn run(args: ProducerPerfArgs, output: &mut Output) -> u8 {
    match perf(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(output.err, "{error}");
            1
        }
    }
}

async fn perf(args: &ProducerPerfArgs, output: &mut Output) -> anyhow::Result<()> {
    if args.client == PerfClient::Fjord {
        return perf_native(args, output).await;
    }
    let payloads = payloads(args)?;
    let context = PerfContext::default();
    let producer: BaseProducer<PerfContext> =
        rdkafka_props::client_config(&producer_properties(args)?)
            .create_with_context(context.clone())?;
    let started = Instant::now();
    let elapsed_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut stats = Stats::new(args.num_records, 0);
    let mut failures = 0u64;
    let drain =
        |stats: &mut Stats, output: &mut Output, failures: &mut u64| -> anyhow::Result<()> {
            let reports = std::mem::take(
                &mut *context
                    .reports
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            let now_ms = elapsed_ms();
            for (latency, bytes, ok) in reports {
                if !ok {
                    *failures += 1;
                    continue;
                }
                if let Some(line) = stats.record(latency, bytes, now_ms) {
                    writeln!(output.out, "{line}")?;
                }
            }
            Ok(())
        };
    for sent in 0..args.num_records {
        // The clock is read only when throttling (`elapsed_ms` per record was the tool's
        // largest cost unthrottled).
        let wait = (args.throughput > 0.0)
            .then(|| throttle_wait_ms(args.throughput, sent, elapsed_ms()))
            .flatten();
        if let Some(wait) = wait {
            context.poll(&producer, Duration::ZERO);
            drain(&mut stats, output, &mut failures)?;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            context.sent.refresh();
        }
        let payload = &payloads[(sent as usize) % payloads.len()];
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&args.topic, context.sent.micros()).payload(payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    returned,
                )) => {
                    record = returned;
                    context.poll(&producer, Duration::from_millis(5));
                    drain(&mut stats, output, &mut failures)?;
                }
                Err((error, _)) => anyhow::bail!("{error}"),
            }
        }
        if sent % 1000 == 0 {
            context.poll(&producer, Duration::ZERO);
            drain(&mut stats, output, &mut failures)?;
        }
    }
    // `flush` would run the delivery callbacks without the driver refreshing their stamp
    // between bursts; polling until nothing is in flight keeps each burst's timing fresh.
    let deadline = Instant::now() + Duration::from_secs(120);
    while producer.in_flight_count() > 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} records were still in flight after 120 s",
            producer.in_flight_count()
        );
        context.poll(&producer, Duration::from_millis(10));
    }
    drain(&mut stats, output, &mut failures)?;
    writeln!(output.out, "{}", stats.total_line(elapsed_ms()))?;
    if failures > 0 {
        writeln!(output.err, "{failures} records failed to send")?;
    }
    if args.print_metrics {
        print_metrics(
            output,
            &[
                (
                    "producer-metrics:record-send-total:{client-id=perf-producer-client}",
                    stats.count() as f64,
                ),
                (
                    "producer-metrics:record-error-total:{client-id=perf-producer-client}",
                    failures as f64,
                ),
            ],
        )?;
    }
    anyhow::ensure!(
        failures == 0,
        "{failures} of {} records were not acknowledged",
        args.num_records
    );
    Ok(())
}

/// The run with `--client fjord`: the same records, progress and summary lines.
async fn perf_native(args: &ProducerPerfArgs, output: &mut Output) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.transactional_id.is_none(),
        "--transactional-id needs --client librdkafka"
    );
    let payloads = payloads(args)?;
    let properties = producer_properties(args)?;
    let config = NativeProducerConfig::from_properties(&properties)?;
    let mut admin = props::admin_client(
        properties.get("bootstrap.servers").map(String::as_str),
        args.producer_config.as_deref(),
    )?;
    let mut producer = NativeProducer::start(&mut admin, &args.topic, config).await?;
    let started = Instant::now();
    let elapsed_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut stats = Stats::new(args.num_records, 0);
    let mut failures = 0u64;
    let mut first_error: Option<String> = None;
    let mut account = |acked: Vec<Acked>, stats: &mut Stats, output: &mut Output| {
        let now = elapsed_ms();
        for batch in acked {
            if let Some(error) = batch.error {
                failures += batch.records;
                first_error.get_or_insert(error);
                continue;
            }
            let latency = u64::try_from(batch.latency.as_millis()).unwrap_or(u64::MAX);
            let per_record = batch.bytes / batch.records.max(1);
            let mut extra = batch.bytes % batch.records.max(1);
            for _ in 0..batch.records {
                if let Some(line) = stats.record(latency, per_record + extra, now) {
                    writeln!(output.out, "{line}")?;
                }
                extra = 0;
            }
        }
        anyhow::Ok(())
    };
    for sent in 0..args.num_records {
        if args.throughput > 0.0
            && let Some(wait) = throttle_wait_ms(args.throughput, sent, elapsed_ms())
        {
            producer.poll_linger().await?;
            account(producer.drain_acks(), &mut stats, output)?;
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        producer
            .send(&payloads[(sent as usize) % payloads.len()])
            .await?;
        if sent % 4096 == 0 {
            account(producer.drain_acks(), &mut stats, output)?;
        }
    }
    let rest = producer.flush().await?;
    account(rest, &mut stats, output)?;
    writeln!(output.out, "{}", stats.total_line(elapsed_ms()))?;
    if let Some(error) = first_error {
        writeln!(output.err, "{failures} records failed to send: {error}")?;
    }
    anyhow::ensure!(
        failures == 0,
        "{failures} of {} records were not acknowledged",
        args.num_records
    );
    Ok(())
}

/// `ToolsUtils.printMetrics`: a "Metric Name  Value" table padded to the longest name.
pub fn print_metrics(output: &mut Output, metrics: &[(&str, f64)]) -> std::io::Result<()> {
    let width = metrics
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(11)
        .max(11);
    writeln!(output.out, "\n{:<width$} : Value", "Metric Name")?;
    for (name, value) in metrics {
        writeln!(output.out, "{name:<width$} : {value:.3}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_the_clock_once_per_stamp_every_calls_and_after_refresh() {
        let stamp = Stamp::new(Instant::now());
        let first = stamp.micros();
        std::thread::sleep(Duration::from_millis(3));
        // Cached for the rest of the STAMP_EVERY calls...
        for _ in 1..STAMP_EVERY {
            assert_eq!(stamp.micros(), first);
        }
        // ...then read again.
        assert!(stamp.micros() >= first + 3_000);
        let second = stamp.micros();
        std::thread::sleep(Duration::from_millis(3));
        stamp.refresh();
        assert!(
            stamp.micros() >= second + 3_000,
            "refresh forces a clock read"
        );
    }

    #[test]
    fn payload_is_uppercase_letters_of_the_requested_size() {
        let payload = random_payload(100, 42);
        assert_eq!(payload.len(), 100);
        assert!(payload.iter().all(u8::is_ascii_uppercase));
    }
}
