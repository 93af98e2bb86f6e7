//! `fjord perf producer --client fjord`: produces with fjord's own Rust client instead of
//! librdkafka, to measure what a broker ingests when the producer is not the bottleneck.
//!
//! librdkafka allocates, queues and reports every record separately; on a 2-core machine its
//! producer needs ~1.3 cores for 2 M records/s of 100 B and is what limits any broker there
//! (`docs/benchmarks.md`). This writer encodes records straight into a batch's records
//! section (`fjord_record::encode_value_record`), wraps it with `BatchBuilder::assemble`
//! (header, CRC-32C, the codec of `compression.type`) and hands the batch to one sender task
//! per leader broker, which sends a Produce request (v3–v12, topic names) as soon as the
//! previous one is answered, with the next batch already built. Batches fill to `batch.size`
//! or close after `linger.ms`; partitions are used in turn, one batch each (Kafka's sticky
//! partitioning for records without keys, KIP-480). No retries, no idempotence; `acks` 1 or
//! all (-1) — acks 0 needs a connection that does not wait for responses.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fjord_client::{AdminClient, BrokerConnection};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{ProduceRequest, TopicName};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use fjord_record::{BatchBuilder, CompressionType};
use tokio::sync::mpsc;

use super::native_fetch::leader_addr;

/// The highest Produce version sent: v13 names topics by id only.
const PRODUCE_VERSION_MAX: i16 = 12;
/// Built batches waiting for their leader's sender (bounds memory like `buffer.memory`).
const QUEUED_BATCHES: usize = 4;
/// Records between two linger checks while sending flat out.
const LINGER_CHECK: u64 = 256;

/// The producer properties the fjord client honours, with librdkafka's defaults (the
/// `--client librdkafka` path's), so both clients send the same batches unless told otherwise.
#[derive(Debug, Clone)]
pub(crate) struct NativeProducerConfig {
    pub acks: i16,
    pub batch_size: usize,
    pub linger: Duration,
    pub compression: CompressionType,
    pub request_timeout: Duration,
}

impl NativeProducerConfig {
    pub(crate) fn from_properties(props: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let acks = match props.get("acks").map(String::as_str) {
            None | Some("all" | "-1") => -1,
            Some("1") => 1,
            Some("0") => anyhow::bail!(
                "--client fjord sends acks=1 or acks=all (acks=0 needs librdkafka: --client librdkafka)"
            ),
            Some(other) => anyhow::bail!("Invalid value {other} for configuration acks"),
        };
        let number = |key: &str, default: u64| -> anyhow::Result<u64> {
            props.get(key).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| anyhow::anyhow!("Invalid value {v} for configuration {key}"))
            })
        };
        let compression = match props.get("compression.type").map(String::as_str) {
            None | Some("none") => CompressionType::None,
            Some("gzip") => CompressionType::Gzip,
            Some("snappy") => CompressionType::Snappy,
            Some("lz4") => CompressionType::Lz4,
            Some("zstd") => CompressionType::Zstd,
            Some(other) => {
                anyhow::bail!("Invalid value {other} for configuration compression.type")
            }
        };
        Ok(Self {
            acks,
            batch_size: usize::try_from(number("batch.size", 1_000_000)?)?.max(1),
            linger: Duration::from_millis(number("linger.ms", 5)?),
            compression,
            request_timeout: Duration::from_millis(number("request.timeout.ms", 30_000)?),
        })
    }
}

/// One acknowledged (or failed) batch, as the sender reports it to the driver.
#[derive(Debug)]
pub(crate) struct Acked {
    pub records: u64,
    /// Payload bytes of the batch's records.
    pub bytes: u64,
    /// From the batch's first record being added to its acknowledgement.
    pub latency: Duration,
    /// The broker's error, if the batch was refused.
    pub error: Option<String>,
}

#[derive(Debug)]
struct Built {
    partition: i32,
    batch: Bytes,
    records: u64,
    bytes: u64,
    opened: Instant,
}

/// Builds batches and passes them to one sender task per leader.
#[derive(Debug)]
pub(crate) struct NativeProducer {
    config: NativeProducerConfig,
    /// Per partition: the sender queue of its leader.
    partitions: Vec<(i32, mpsc::Sender<Built>)>,
    next_partition: usize,
    open: Option<OpenBatch>,
    acks: mpsc::UnboundedReceiver<Acked>,
    senders: Vec<tokio::task::JoinHandle<()>>,
}

#[derive(Debug)]
struct OpenBatch {
    /// The records section, uncompressed.
    section: Vec<u8>,
    records: u64,
    bytes: u64,
    opened: Instant,
    timestamp_ms: i64,
}

impl NativeProducer {
    /// Looks up `topic`'s partitions and leaders and connects a sender to each leader.
    pub(crate) async fn start(
        admin: &mut AdminClient,
        topic: &str,
        config: NativeProducerConfig,
    ) -> anyhow::Result<Self> {
        let metadata = admin.metadata(Some(&[topic.to_owned()])).await?;
        let info = metadata.topic(topic).ok_or_else(|| {
            anyhow::anyhow!("Topic {topic} not present in metadata (create it first)")
        })?;
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let mut by_leader: BTreeMap<i32, mpsc::Sender<Built>> = BTreeMap::new();
        let mut partitions = Vec::new();
        let mut senders = Vec::new();
        for p in &info.partitions {
            let leader = p
                .leader
                .ok_or_else(|| anyhow::anyhow!("{topic}-{} has no leader", p.partition))?;
            let tx = match by_leader.entry(leader) {
                std::collections::btree_map::Entry::Occupied(entry) => entry.get().clone(),
                std::collections::btree_map::Entry::Vacant(entry) => {
                    let addr = leader_addr(&metadata, leader)?;
                    let connection = BrokerConnection::connect(
                        addr,
                        "perf-producer-client",
                        config.request_timeout,
                    )
                    .await?;
                    let (tx, rx) = mpsc::channel(QUEUED_BATCHES);
                    let sender = Sender {
                        connection,
                        topic: TopicName(StrBytes::from_string(topic.to_owned())),
                        acks: config.acks,
                        timeout_ms: i32::try_from(config.request_timeout.as_millis())
                            .unwrap_or(i32::MAX),
                    };
                    senders.push(tokio::spawn(sender.run(rx, ack_tx.clone())));
                    entry.insert(tx).clone()
                }
            };
            partitions.push((p.partition, tx));
        }
        anyhow::ensure!(!partitions.is_empty(), "Topic {topic} has no partitions");
        Ok(Self {
            config,
            partitions,
            next_partition: 0,
            open: None,
            acks,
            senders,
        })
    }

    /// Adds one record (no key, CreateTime now) to the open batch; sends the batch when it is
    /// full or has lingered long enough.
    pub(crate) async fn send(&mut self, value: &[u8]) -> anyhow::Result<()> {
        let batch_size = self.config.batch_size;
        let open = self.open.get_or_insert_with(|| OpenBatch {
            section: Vec::with_capacity(batch_size.min(1 << 20) + 64),
            records: 0,
            bytes: 0,
            opened: Instant::now(),
            timestamp_ms: now_ms(),
        });
        // One clock read per batch: records of a batch share its opening time as CreateTime
        // (they are at most linger.ms apart; timestampDelta 0), and linger is checked every
        // LINGER_CHECK records here and by `poll_linger` while the driver waits. Records are
        // encoded straight into the batch's records section.
        let offset_delta = i32::try_from(open.records).unwrap_or(i32::MAX);
        fjord_record::encode_value_record(offset_delta, 0, value, &mut open.section);
        open.records += 1;
        open.bytes += value.len() as u64;
        if fjord_record::header::HEADER_BYTES + open.section.len() >= batch_size
            || (open.records.is_multiple_of(LINGER_CHECK)
                && open.opened.elapsed() >= self.config.linger)
        {
            self.close_batch().await?;
        }
        Ok(())
    }

    /// Sends the open batch if it has been open for `linger.ms` (call while idle).
    pub(crate) async fn poll_linger(&mut self) -> anyhow::Result<()> {
        if self
            .open
            .as_ref()
            .is_some_and(|b| b.opened.elapsed() >= self.config.linger)
        {
            self.close_batch().await?;
        }
        Ok(())
    }

    /// Acknowledgements received so far.
    pub(crate) fn drain_acks(&mut self) -> Vec<Acked> {
        let mut out = Vec::new();
        while let Ok(acked) = self.acks.try_recv() {
            out.push(acked);
        }
        out
    }

    /// Sends the open batch and waits until every batch is acknowledged; returns the
    /// acknowledgements not yet drained.
    pub(crate) async fn flush(mut self) -> anyhow::Result<Vec<Acked>> {
        self.close_batch().await?;
        self.partitions.clear(); // the senders end once their queues are drained
        for sender in std::mem::take(&mut self.senders) {
            sender.await?;
        }
        Ok(self.drain_acks())
    }

    async fn close_batch(&mut self) -> anyhow::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let count = i32::try_from(open.records)?;
        let batch = Bytes::from(BatchBuilder::new(self.config.compression).assemble(
            &open.section,
            count,
            count - 1,
            open.timestamp_ms,
            open.timestamp_ms,
        )?);
        let (partition, tx) = &self.partitions[self.next_partition % self.partitions.len()];
        self.next_partition = self.next_partition.wrapping_add(1);
        let built = Built {
            partition: *partition,
            batch,
            records: open.records,
            bytes: open.bytes,
            opened: open.opened,
        };
        tx.send(built)
            .await
            .map_err(|_| anyhow::anyhow!("the connection to the partition leader closed"))
    }
}

/// Sends one leader's batches, one Produce request at a time.
#[derive(Debug)]
struct Sender {
    connection: BrokerConnection,
    topic: TopicName,
    acks: i16,
    timeout_ms: i32,
}

impl Sender {
    async fn run(mut self, mut rx: mpsc::Receiver<Built>, acks: mpsc::UnboundedSender<Acked>) {
        let version = self
            .connection
            .version_for::<ProduceRequest>()
            .map(|v| v.min(PRODUCE_VERSION_MAX));
        let mut pending: Option<Built> = None;
        loop {
            let first = match pending.take() {
                Some(b) => b,
                None => match rx.recv().await {
                    Some(b) => b,
                    None => return,
                },
            };
            // Whatever is already queued rides along, one batch per partition (Produce v3+
            // carries exactly one batch per partition); a second one waits for the next request.
            let mut group = vec![first];
            while let Ok(next) = rx.try_recv() {
                if group.iter().any(|b| b.partition == next.partition) {
                    pending = Some(next);
                    break;
                }
                group.push(next);
            }
            let outcome = match version {
                Some(version) => self.produce(&group, version).await,
                None => Err("the broker does not serve Produce".to_owned()),
            };
            for (b, error) in group.iter().zip(outcome_per_batch(&group, outcome)) {
                let _ = acks.send(Acked {
                    records: b.records,
                    bytes: b.bytes,
                    latency: b.opened.elapsed(),
                    error,
                });
            }
        }
    }

    async fn produce(
        &mut self,
        group: &[Built],
        version: i16,
    ) -> Result<BTreeMap<i32, Option<String>>, String> {
        let mut request = ProduceRequest::default();
        request.acks = self.acks;
        request.timeout_ms = self.timeout_ms;
        let mut topic = TopicProduceData::default();
        topic.name = self.topic.clone();
        for b in group {
            let mut data = PartitionProduceData::default();
            data.index = b.partition;
            data.records = Some(b.batch.clone());
            topic.partition_data.push(data);
        }
        request.topic_data.push(topic);
        let response = self
            .connection
            .send_at(&request, version)
            .await
            .map_err(|e| e.to_string())?;
        let mut errors = BTreeMap::new();
        for topic in response.responses {
            for p in topic.partition_responses {
                let error = (p.error_code != 0)
                    .then(|| fjord_client::ClientError::from_code(p.error_code, None).to_string());
                errors.insert(p.index, error);
            }
        }
        Ok(errors)
    }
}

/// Each batch's error: the request's failure, the partition's error code, or a missing answer.
fn outcome_per_batch(
    group: &[Built],
    outcome: Result<BTreeMap<i32, Option<String>>, String>,
) -> Vec<Option<String>> {
    group
        .iter()
        .map(|b| match &outcome {
            Err(error) => Some(error.clone()),
            Ok(errors) => match errors.get(&b.partition) {
                Some(error) => error.clone(),
                None => Some(format!("no response for partition {}", b.partition)),
            },
        })
        .collect()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
