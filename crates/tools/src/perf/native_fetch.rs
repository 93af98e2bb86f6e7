//! `fjord perf consumer --client fjord`: reads a topic with fjord's own Rust client instead of
//! librdkafka, to measure what a broker serves when the consumer is not the bottleneck.
//!
//! librdkafka allocates and queues an op per record and hands records between two threads;
//! on a 2-core machine that caps any broker near 2 M records/s of 100 B while the broker
//! itself idles (`docs/benchmarks.md`). This reader does what Kafka's Java consumer does per
//! batch and per record without those costs: one task per leader broker sends full Fetch
//! requests (v4–v12, topic names; no fetch session, KIP-227 epoch -1) back to back, walking
//! only the batch headers to find the next offset, while the caller parses the previous
//! response: every batch's CRC-32C is checked (Java's `check.crcs=true` default),
//! compressed batches are decompressed, every record is decoded (key and value are slices of
//! the response, no copy), control batches and records before the fetch offset are skipped.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use fjord_client::{AdminClient, BrokerConnection, ClusterMetadata, OffsetSpec, TopicPartition};
use fjord_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use fjord_protocol::kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use fjord_record::BatchHeader;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::batch_queue::RecordSizes;

/// Fetch v13+ names topics by id only (KIP-516); below, by name.
const FETCH_TOPIC_IDS_SINCE: i16 = 13;
/// Java consumer defaults: `fetch.max.wait.ms`, `fetch.min.bytes`, `fetch.max.bytes`.
const MAX_WAIT_MS: i32 = 500;
const MAX_BYTES: i32 = 52_428_800;
/// Responses parsed ahead of the caller, per leader (bounds memory like the Java consumer's
/// one completed fetch per node).
const PIPELINE: usize = 2;
/// Decompressed batches larger than this are refused (Kafka's default `message.max.bytes`
/// is 1 MiB; compressed batches expand, so allow generous headroom).
const DECOMPRESSED_CAP: usize = 256 << 20;

/// One partition's records from one Fetch response.
#[derive(Debug)]
struct Chunk {
    records: Bytes,
    /// The offset fetched from: records below it (earlier in the first batch) are skipped.
    from_offset: i64,
}

/// Fetches every partition of a topic from its leaders and hands out records in batches.
#[derive(Debug)]
pub(crate) struct NativeFetcher {
    rx: mpsc::Receiver<anyhow::Result<Chunk>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for NativeFetcher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl NativeFetcher {
    /// Looks up the topic's partitions, leaders and first offsets (earliest, or latest with
    /// `from_latest`) and starts one fetch task per leader.
    pub(crate) async fn start(
        admin: &mut AdminClient,
        topic: &str,
        from_latest: bool,
        partition_max_bytes: i32,
        request_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let metadata = admin.metadata(Some(&[topic.to_owned()])).await?;
        let info = metadata
            .topic(topic)
            .ok_or_else(|| anyhow::anyhow!("Topic {topic} has no partitions (does it exist?)"))?;
        anyhow::ensure!(
            !info.partitions.is_empty(),
            "Topic {topic} has no partitions (does it exist?)"
        );
        let spec = if from_latest {
            OffsetSpec::Latest
        } else {
            OffsetSpec::Earliest
        };
        let wanted: Vec<(TopicPartition, OffsetSpec)> = info
            .partitions
            .iter()
            .map(|p| {
                let tp = TopicPartition {
                    topic: topic.to_owned(),
                    partition: p.partition,
                };
                (tp, spec)
            })
            .collect();
        let offsets = admin.list_offsets(&wanted, 0).await?;
        let mut by_leader: BTreeMap<i32, Vec<(i32, i64)>> = BTreeMap::new();
        for p in &info.partitions {
            let leader = p
                .leader
                .ok_or_else(|| anyhow::anyhow!("{topic}-{} has no leader", p.partition))?;
            let tp = TopicPartition {
                topic: topic.to_owned(),
                partition: p.partition,
            };
            let offset = match offsets.get(&tp) {
                Some(Ok(listed)) => listed.offset,
                Some(Err(error)) => anyhow::bail!("{tp}: {error}"),
                None => anyhow::bail!("{tp}: no offset returned"),
            };
            by_leader
                .entry(leader)
                .or_default()
                .push((p.partition, offset));
        }
        let (tx, rx) = mpsc::channel(PIPELINE * by_leader.len());
        let mut tasks = Vec::new();
        for (leader, partitions) in by_leader {
            let addr = leader_addr(&metadata, leader)?;
            let fetch = FetchLoop {
                addr,
                topic: topic.to_owned(),
                topic_id: info.topic_id,
                partitions,
                partition_max_bytes,
                request_timeout,
            };
            let tx = tx.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(error) = fetch.run(&tx).await {
                    let _ = tx.send(Err(error)).await;
                }
            }));
        }
        Ok(Self { rx, tasks })
    }

    /// Waits up to `timeout` for the next response and calls `each` for up to `limit` of its
    /// records. Returns how many were passed to `each` (0: nothing arrived in time).
    pub(crate) async fn next_batch(
        &mut self,
        timeout: Duration,
        limit: usize,
        mut each: impl FnMut(RecordSizes),
    ) -> anyhow::Result<usize> {
        let chunk = match tokio::time::timeout(timeout, self.rx.recv()).await {
            Ok(Some(chunk)) => chunk?,
            Ok(None) => anyhow::bail!("every fetch task stopped"),
            Err(_) => return Ok(0),
        };
        let mut delivered = 0;
        let mut pos = 0;
        let records = &chunk.records;
        while delivered < limit {
            let Some((size, header)) = next_batch_header(records, pos)? else {
                break;
            };
            let control = header.attributes().is_control();
            let next = header.next_offset();
            let batch = records.slice(pos..pos + size);
            pos += size;
            if control || next <= chunk.from_offset {
                continue;
            }
            let iter = fjord_record::records_shared(batch, DECOMPRESSED_CAP)?;
            for record in iter {
                let record = record?;
                if record.offset < chunk.from_offset {
                    continue;
                }
                each(RecordSizes {
                    key: record.record.key.as_ref().map_or(0, Bytes::len),
                    value: record.record.value.as_ref().map_or(0, Bytes::len),
                });
                delivered += 1;
                if delivered == limit {
                    break;
                }
            }
        }
        Ok(delivered)
    }
}

/// The batch starting at `pos`: its size and header, or `None` at the end of the buffer or
/// at a partial batch (a Fetch response may end inside one; KIP-74).
fn next_batch_header(buf: &Bytes, pos: usize) -> anyhow::Result<Option<(usize, BatchHeader<'_>)>> {
    let rest = &buf[pos..];
    if rest.len() < fjord_record::header::HEADER_BYTES {
        return Ok(None);
    }
    let header = BatchHeader::new(rest)?;
    let size = header.total_size();
    anyhow::ensure!(
        size >= fjord_record::header::HEADER_BYTES,
        "record batch at offset {} declares {} bytes",
        header.base_offset(),
        header.batch_length()
    );
    Ok((size <= rest.len()).then_some((size, header)))
}

/// The first address the live broker `leader` advertises.
pub(super) fn leader_addr(metadata: &ClusterMetadata, leader: i32) -> anyhow::Result<SocketAddr> {
    let broker = metadata
        .broker(leader)
        .ok_or_else(|| anyhow::anyhow!("leader {leader} is not a live broker"))?;
    let port = u16::try_from(broker.port)?;
    let host = broker.host.as_str();
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{host}:{port} does not resolve"))
}

/// Fetches a leader's partitions in a loop, each request right after the previous response.
#[derive(Debug)]
struct FetchLoop {
    addr: SocketAddr,
    topic: String,
    /// Nil when the broker predates topic ids (then Fetch stays below v13).
    topic_id: uuid::Uuid,
    /// (partition, next offset to fetch).
    partitions: Vec<(i32, i64)>,
    partition_max_bytes: i32,
    request_timeout: Duration,
}

impl FetchLoop {
    async fn run(mut self, tx: &mpsc::Sender<anyhow::Result<Chunk>>) -> anyhow::Result<()> {
        let mut connection =
            BrokerConnection::connect(self.addr, "perf-consumer-client", self.request_timeout)
                .await?;
        let mut version = connection
            .version_for::<FetchRequest>()
            .ok_or_else(|| anyhow::anyhow!("the broker does not serve Fetch"))?;
        if self.topic_id.is_nil() {
            version = version.min(FETCH_TOPIC_IDS_SINCE - 1);
        }
        let by_id = version >= FETCH_TOPIC_IDS_SINCE;
        let topic = TopicName(StrBytes::from_string(self.topic.clone()));
        let topic_id = self.topic_id;
        loop {
            let mut request = FetchRequest::default();
            request.replica_id = BrokerId(-1);
            request.max_wait_ms = MAX_WAIT_MS;
            request.min_bytes = 1;
            request.max_bytes = MAX_BYTES;
            request.session_id = 0;
            request.session_epoch = -1;
            let mut fetch_topic = FetchTopic::default();
            if by_id {
                fetch_topic.topic_id = topic_id;
            } else {
                fetch_topic.topic = topic.clone();
            }
            for &(partition, offset) in &self.partitions {
                let mut p = FetchPartition::default();
                p.partition = partition;
                p.current_leader_epoch = -1;
                p.fetch_offset = offset;
                p.last_fetched_epoch = -1;
                p.log_start_offset = -1;
                p.partition_max_bytes = self.partition_max_bytes;
                fetch_topic.partitions.push(p);
            }
            request.topics.push(fetch_topic);
            let response = connection.send_at(&request, version).await?;
            if response.error_code != 0 {
                anyhow::bail!("Fetch failed: {}", error_name(response.error_code));
            }
            for topic_response in response.responses {
                for data in topic_response.partitions {
                    if data.error_code != 0 {
                        anyhow::bail!(
                            "{}-{}: {}",
                            self.topic,
                            data.partition_index,
                            error_name(data.error_code)
                        );
                    }
                    let Some(slot) = self
                        .partitions
                        .iter_mut()
                        .find(|(p, _)| *p == data.partition_index)
                    else {
                        continue;
                    };
                    let Some(records) = data.records else {
                        continue;
                    };
                    let mut pos = 0;
                    let mut next = slot.1;
                    while let Some((size, header)) = next_batch_header(&records, pos)? {
                        next = next.max(header.next_offset());
                        pos += size;
                    }
                    if next > slot.1 {
                        let chunk = Chunk {
                            records,
                            from_offset: slot.1,
                        };
                        slot.1 = next;
                        if tx.send(Ok(chunk)).await.is_err() {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}

fn error_name(code: i16) -> String {
    fjord_client::ClientError::from_code(code, None).to_string()
}
