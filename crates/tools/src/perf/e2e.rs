//! `kafka-e2e-latency.sh` (Kafka `org.apache.kafka.tools.EndToEndLatency`) over rdkafka:
//! `broker_list topic num_messages producer_acks message_size_bytes [properties_file]`.
//!
//! Kafka's mode is a closed loop: send one record synchronously (linger.ms 0), then poll the
//! consumer (fetch.wait.max.ms 0) until that record arrives; the time for both is the
//! latency. It prints `i\tms` every 1000 records, `Avg latency: %.4f ms` and
//! `Percentiles: 50th = %d, 99th = %d, 99.9th = %d` (whole ms, `latencies[(int)(n * p)]`).
//!
//! fjord adds `--throughput N`, an open loop: after one unmeasured warm-up record has gone
//! through both clients, records are sent at N/s with the send time
//! stamped in the payload, a consumer thread stamps the receive time, and both clients keep
//! their defaults (librdkafka linger.ms 5, fetch.wait.max.ms 500) apart from what the
//! properties file sets: the latency users see at a given load. Both modes end with one more
//! line, `Percentiles (us): 50th = …, 99th = …, 99.9th = …, max = …`, because whole
//! milliseconds cannot show a 2 ms target.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::output::Output;
use crate::{props, rdkafka_props};

/// Kafka's `POLL_TIMEOUT_MS`: how long the closed loop waits for its record.
const POLL_TIMEOUT: Duration = Duration::from_millis(60_000);
/// Payload bytes holding the send time (µs since the epoch, zero-padded decimal).
pub const STAMP_BYTES: usize = 20;
/// The stamp of the open loop's warm-up record (never a real send time).
const WARM_UP_STAMP: u64 = 0;

/// `kafka-e2e-latency.sh` positional arguments (EndToEndLatency.execute) plus `--throughput`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "kafka-e2e-latency.sh",
    about = "Records the end-to-end latency of records travelling producer → broker → consumer."
)]
pub struct E2eLatencyArgs {
    /// Bootstrap broker(s) for both the producer and the consumer.
    pub broker_list: String,
    /// Topic used by both (created with 1 partition, replication factor 1 if missing).
    pub topic: String,
    /// Number of records to send.
    pub num_messages: u64,
    /// Producer acks: 1 or all (latency needs synchronous acknowledgement).
    pub producer_acks: String,
    /// Size of each record in bytes.
    pub message_size_bytes: usize,
    /// Optional client properties file for producer, consumer and admin client.
    pub properties_file: Option<PathBuf>,
    /// fjord: open loop at this many records/s with client defaults, instead of Kafka's
    /// one-record-at-a-time closed loop.
    #[arg(long, value_name = "RECORDS-PER-SEC")]
    pub throughput: Option<f64>,
}

/// Latency samples in microseconds and the summary lines printed from them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Latencies {
    micros: Vec<u64>,
}

impl Latencies {
    /// Adds one sample.
    pub fn push(&mut self, micros: u64) {
        self.micros.push(micros);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// True when no sample was taken.
    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    fn sorted(&self) -> Vec<u64> {
        let mut s = self.micros.clone();
        s.sort_unstable();
        s
    }

    /// `latencies[(int)(n * p)]` of the sorted samples (EndToEndLatency.printResults).
    fn pick(sorted: &[u64], p: f64) -> u64 {
        let index = (sorted.len() as f64 * p) as usize;
        sorted
            .get(index.min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    }

    /// Kafka's two summary lines: average in ms with 4 decimals, percentiles in whole ms.
    pub fn kafka_lines(&self) -> [String; 2] {
        let n = self.micros.len().max(1) as f64;
        let avg_ms = self.micros.iter().sum::<u64>() as f64 / n / 1000.0;
        let sorted = self.sorted();
        let ms = |p| Self::pick(&sorted, p) / 1000;
        [
            format!("Avg latency: {avg_ms:.4} ms"),
            format!(
                "Percentiles: 50th = {}, 99th = {}, 99.9th = {}",
                ms(0.5),
                ms(0.99),
                ms(0.999)
            ),
        ]
    }

    /// fjord's extra line: the same percentiles and the maximum in microseconds.
    pub fn micros_line(&self) -> String {
        let sorted = self.sorted();
        format!(
            "Percentiles (us): 50th = {}, 99th = {}, 99.9th = {}, max = {}",
            Self::pick(&sorted, 0.5),
            Self::pick(&sorted, 0.99),
            Self::pick(&sorted, 0.999),
            sorted.last().copied().unwrap_or(0)
        )
    }
}

/// The open loop's payload: the send time as zero-padded decimal µs, then uppercase filler.
pub fn stamped_payload(size: usize, sent_micros: u64) -> Vec<u8> {
    let mut payload = format!("{sent_micros:0width$}", width = STAMP_BYTES).into_bytes();
    payload.resize(size.max(STAMP_BYTES), b'A');
    payload
}

/// The send time of a [`stamped_payload`], if it is one.
pub fn read_stamp(payload: &[u8]) -> Option<u64> {
    std::str::from_utf8(payload.get(..STAMP_BYTES)?)
        .ok()?
        .parse()
        .ok()
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Runs the end-to-end latency tool; 0 on success, 1 with the error on stderr otherwise.
pub async fn run(args: E2eLatencyArgs, output: &mut Output) -> u8 {
    match e2e(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(output.err, "{error}");
            1
        }
    }
}

fn base_properties(args: &E2eLatencyArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = match &args.properties_file {
        Some(path) => props::load_file(path)?,
        None => BTreeMap::new(),
    };
    map.insert("bootstrap.servers".to_owned(), args.broker_list.clone());
    Ok(map)
}

async fn e2e(args: &E2eLatencyArgs, output: &mut Output) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.producer_acks == "1" || args.producer_acks == "all",
        "Latency testing requires synchronous acknowledgement. Please use 1 or all"
    );
    let base = base_properties(args)?;
    let closed_loop = args.throughput.is_none();
    let mut producer_props = base.clone();
    producer_props.insert("acks".to_owned(), args.producer_acks.clone());
    let mut consumer_props = base.clone();
    consumer_props.insert(
        "group.id".to_owned(),
        format!("test-group-{}", now_micros() / 1000),
    );
    consumer_props.insert("enable.auto.commit".to_owned(), "false".to_owned());
    if closed_loop {
        // EndToEndLatency: LINGER_MS 0 ("writes are synchronous"), FETCH_MAX_WAIT_MS 0
        // ("no temporal batching").
        producer_props.insert("linger.ms".to_owned(), "0".to_owned());
        consumer_props.insert("fetch.wait.max.ms".to_owned(), "0".to_owned());
    }
    let producer: BaseProducer = rdkafka_props::client_config(&producer_props).create()?;
    let consumer: BaseConsumer = rdkafka_props::client_config(&consumer_props).create()?;
    let partitions = ensure_topic(&base, &consumer, &args.topic, output).await?;
    // Kafka seeks to the end before the first send; resolving the end offsets now (rather than
    // Offset::End at the first fetch) keeps an early record from being skipped.
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        let (_, high) =
            consumer.fetch_watermarks(&args.topic, partition, Duration::from_secs(30))?;
        assignment.add_partition_offset(&args.topic, partition, Offset::Offset(high))?;
    }
    consumer.assign(&assignment)?;
    let latencies = match args.throughput {
        None => closed(args, &producer, &consumer, output)?,
        Some(rate) => open(args, rate, &producer, consumer)?,
    };
    for line in latencies.kafka_lines() {
        writeln!(output.out, "{line}")?;
    }
    writeln!(output.out, "{}", latencies.micros_line())?;
    Ok(())
}

/// Creates the topic with 1 partition and replication factor 1 if it is missing (Kafka's
/// DEFAULT_NUM_PARTITIONS / DEFAULT_REPLICATION_FACTOR); returns its partition ids.
async fn ensure_topic(
    base: &BTreeMap<String, String>,
    consumer: &BaseConsumer,
    topic: &str,
    output: &mut Output,
) -> anyhow::Result<Vec<i32>> {
    let partitions = |consumer: &BaseConsumer| -> anyhow::Result<Vec<i32>> {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(30))?;
        Ok(metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect())
    };
    let existing = partitions(consumer)?;
    if !existing.is_empty() {
        return Ok(existing);
    }
    writeln!(
        output.out,
        "Topic \"{topic}\" does not exist. Will create topic with 1 partition(s) and replication factor = 1"
    )?;
    let admin: AdminClient<DefaultClientContext> = rdkafka_props::client_config(base).create()?;
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await?;
    for result in results {
        if let Err((name, code)) = result {
            anyhow::bail!("Creation of topic {name} failed: {code}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = partitions(consumer)?;
        if !found.is_empty() {
            return Ok(found);
        }
        anyhow::ensure!(Instant::now() < deadline, "topic {topic} did not appear");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Kafka's closed loop: one record at a time, sent synchronously, then polled back.
fn closed(
    args: &E2eLatencyArgs,
    producer: &BaseProducer,
    consumer: &BaseConsumer,
    output: &mut Output,
) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::default();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..args.num_messages {
        // EndToEndLatency.randomBytesOfLen: one random uppercase letter repeated.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let message = vec![b'A' + (seed % 26) as u8; args.message_size_bytes];
        let begin = Instant::now();
        producer
            .send(BaseRecord::<(), [u8]>::to(&args.topic).payload(&message))
            .map_err(|(e, _)| e)?;
        await_delivery(producer)?;
        let received = match consumer.poll(POLL_TIMEOUT) {
            Some(Ok(m)) => m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
            Some(Err(e)) => anyhow::bail!("{e}"),
            None => anyhow::bail!(
                "poll() timed out before finding a result (timeout:[{}])",
                POLL_TIMEOUT.as_millis()
            ),
        };
        let elapsed = begin.elapsed();
        anyhow::ensure!(
            received == message,
            "The message read [{}] did not match the message sent [{}]",
            String::from_utf8_lossy(&received),
            String::from_utf8_lossy(&message)
        );
        if i % 1000 == 0 {
            writeln!(output.out, "{i}\t{}", elapsed.as_secs_f64() * 1000.0)?;
        }
        latencies.push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
    }
    Ok(latencies)
}

/// Waits for the delivery report of everything sent (Java's `send(..).get()`). rdkafka's
/// `flush` polls in 100 ms slices, which would be the whole measurement, so this serves the
/// delivery queue without blocking and yields the core between tries.
fn await_delivery(producer: &BaseProducer) -> anyhow::Result<()> {
    let deadline = Instant::now() + POLL_TIMEOUT;
    while producer.in_flight_count() > 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "no delivery report within {} ms",
            POLL_TIMEOUT.as_millis()
        );
        producer.poll(Duration::ZERO);
        std::thread::yield_now();
    }
    Ok(())
}

/// fjord's open loop: a paced producer on this thread, the consumer on another.
fn open(
    args: &E2eLatencyArgs,
    rate: f64,
    producer: &BaseProducer,
    consumer: BaseConsumer,
) -> anyhow::Result<Latencies> {
    anyhow::ensure!(rate > 0.0, "--throughput must be positive");
    let expected = args.num_messages;
    let done = Arc::new(AtomicBool::new(false));
    let reader_done = Arc::clone(&done);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || -> anyhow::Result<Latencies> {
        let mut latencies = Latencies::default();
        let mut idle_since = Instant::now();
        while (latencies.len() as u64) < expected {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let now = now_micros();
                    match m.payload().and_then(read_stamp) {
                        Some(WARM_UP_STAMP) => {
                            let _ = ready_tx.send(());
                        }
                        Some(sent) => latencies.push(now.saturating_sub(sent)),
                        None => {}
                    }
                    idle_since = Instant::now();
                }
                Some(Err(e)) => anyhow::bail!("{e}"),
                None if reader_done.load(Ordering::Relaxed)
                    && idle_since.elapsed() > POLL_TIMEOUT / 6 =>
                {
                    break;
                }
                None => {}
            }
        }
        Ok(latencies)
    });
    // Warm-up (not measured): one record through both clients, so the producer's connection
    // and metadata and the consumer's first fetch are in place before the clock starts;
    // otherwise the first records wait for them (tens of ms) and fill the tail.
    producer
        .send(
            BaseRecord::<(), [u8]>::to(&args.topic)
                .payload(&stamped_payload(args.message_size_bytes, WARM_UP_STAMP)),
        )
        .map_err(|(e, _)| e)?;
    producer.flush(POLL_TIMEOUT)?;
    if ready_rx.recv_timeout(POLL_TIMEOUT).is_err() {
        done.store(true, Ordering::Relaxed);
        anyhow::bail!("the warm-up record did not reach the consumer");
    }
    let start = Instant::now();
    for i in 0..expected {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let payload = stamped_payload(args.message_size_bytes, now_micros());
        let mut record = BaseRecord::<(), [u8]>::to(&args.topic).payload(&payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    back,
                )) => {
                    record = back;
                    producer.poll(Duration::from_millis(1));
                }
                Err((e, _)) => {
                    done.store(true, Ordering::Relaxed);
                    return Err(e.into());
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    let flushed = producer.flush(POLL_TIMEOUT);
    done.store(true, Ordering::Relaxed);
    flushed?;
    let latencies = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the consumer thread panicked"))??;
    anyhow::ensure!(
        latencies.len() as u64 == expected,
        "received {} of {expected} records",
        latencies.len()
    );
    Ok(latencies)
}

#[cfg(test)]
#[path = "e2e_tests.rs"]
mod tests;
