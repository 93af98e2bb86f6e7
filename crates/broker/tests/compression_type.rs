//! Goal: the topic config `compression.type` is honoured on the produce path (Kafka docs,
//! topic config `compression.type`; `LogValidator.validateMessagesAndAssignOffsetsCompressed`):
//! a codec makes the broker store every data batch in that codec whatever the producer used
//! (`uncompressed` = none); `producer` (the default) stores the producer's codec; consumers
//! read back exactly what was produced (keys, values, duplicate header keys, timestamps,
//! offsets); idempotent producer fields survive conversion; a decompression bomb is refused.
//!
//! Method: an in-process broker on 127.0.0.1:0; topics created by raw CreateTopics with
//! configs; librdkafka (rdkafka crate) producers with `compression.type` per codec and an
//! assign-only consumer; then the partition's `.log` segment under the broker's data dir is
//! walked with the record crate and each batch's attributes codec bits are checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{RawClient, TestBroker};
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{CreateTopicsRequest, ProduceRequest, TopicName};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use fjord_record::{BatchBuilder, Batches, CompressionType, NewRecord};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(10);
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;
const PER_PRODUCER: i64 = 4;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_owned()))
}

async fn create(client: &mut RawClient, topic: &str, configs: &[(&str, &str)]) {
    let request = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(1)
            .with_replication_factor(1)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from_string((*k).to_owned()))
                            .with_value(Some(StrBytes::from_string((*v).to_owned())))
                    })
                    .collect(),
            ),
    ]);
    let response = client.call(7, &request).await;
    let result = &response.topics[0];
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
}

fn producer(broker: &TestBroker, codec: &str, idempotent: bool) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("message.timeout.ms", "10000")
        .set("linger.ms", "20")
        .set("compression.type", codec)
        .set(
            "enable.idempotence",
            if idempotent { "true" } else { "false" },
        )
        .create()
        .expect("producer")
}

/// What a consumer sees of one record: (key, value, headers, timestamp, offset).
type Consumed = (String, String, Vec<(String, String)>, i64, i64);

/// The record the `n`th send produces: duplicate header keys on purpose.
fn expected(n: i64, codec: &str) -> Consumed {
    (
        format!("key-{n}"),
        format!("value-{n}-{codec}-{}", "x".repeat(200)),
        vec![
            ("dup".to_owned(), "first".to_owned()),
            ("dup".to_owned(), "second".to_owned()),
            ("codec".to_owned(), codec.to_owned()),
        ],
        BASE_TIMESTAMP + n,
        n,
    )
}

/// Sends `PER_PRODUCER` records per codec, one producer per codec, in order; returns what a
/// consumer must read back.
async fn produce_with(
    broker: &TestBroker,
    topic: &str,
    codecs: &[&str],
    idempotent: bool,
) -> Vec<Consumed> {
    let mut want = Vec::new();
    for codec in codecs {
        let producer = producer(broker, codec, idempotent);
        let mut deliveries = Vec::new();
        for _ in 0..PER_PRODUCER {
            let (key, value, headers, timestamp, offset) = expected(want.len() as i64, codec);
            let mut owned = OwnedHeaders::new();
            for (k, v) in &headers {
                owned = owned.insert(Header {
                    key: k,
                    value: Some(v),
                });
            }
            let record = FutureRecord::to(topic)
                .partition(0)
                .key(&key)
                .payload(&value)
                .headers(owned)
                .timestamp(timestamp);
            // Queue the records together so librdkafka packs them into one batch.
            deliveries.push(
                producer
                    .send_result(record)
                    .map_err(|(e, _)| e)
                    .expect("queued"),
            );
            want.push((key, value, headers, timestamp, offset));
        }
        for delivery in deliveries {
            delivery
                .await
                .expect("not cancelled")
                .map_err(|(e, _)| e)
                .expect("delivered");
        }
    }
    want
}

fn consume(bootstrap: &str, topic: &str, count: usize) -> Vec<Consumed> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "fjord-test-assign-only")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .expect("assign");
    consumer.assign(&assignment).expect("assign");
    let deadline = std::time::Instant::now() + TIMEOUT;
    let mut out = Vec::new();
    let text = |b: Option<&[u8]>| String::from_utf8(b.unwrap_or_default().to_vec()).expect("utf8");
    while out.len() < count && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                let headers = message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_owned(), text(h.value)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((
                    text(message.key()),
                    text(message.payload()),
                    headers,
                    message.timestamp().to_millis().unwrap_or(-1),
                    message.offset(),
                ));
            }
            Some(Err(error)) => panic!("consume error: {error}"),
            None => {}
        }
    }
    out
}

async fn consume_all(broker: &TestBroker, topic: &str, count: usize) -> Vec<Consumed> {
    let bootstrap = broker.bootstrap();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || consume(&bootstrap, &topic, count))
        .await
        .expect("consumer thread")
}

fn find_partition_dir(root: &Path, dir_name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() == dir_name {
                return Some(path);
            }
            if let Some(found) = find_partition_dir(&path, dir_name) {
                return Some(found);
            }
        }
    }
    None
}

/// One stored batch as the segment file holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StoredBatch {
    codec: Option<CompressionType>,
    records: i32,
    producer_id: i64,
    base_sequence: i32,
}

/// Walks `<topic>-0/00000000000000000000.log` with the record crate (CRC validated).
fn stored_batches(broker: &TestBroker, topic: &str) -> Vec<StoredBatch> {
    let dir = find_partition_dir(broker.dir(), &format!("{topic}-0")).expect("partition dir");
    let bytes = std::fs::read(dir.join("00000000000000000000.log")).expect("segment");
    Batches::new(&bytes, usize::MAX)
        .map(|batch| {
            let batch = batch.expect("stored batch validates");
            let header = batch.header;
            StoredBatch {
                codec: header.attributes().compression(),
                records: header.record_count(),
                producer_id: header.producer_id(),
                base_sequence: header.base_sequence(),
            }
        })
        .collect()
}

const ALL_PRODUCER_CODECS: [&str; 5] = ["none", "gzip", "snappy", "lz4", "zstd"];

/// Produces with every codec to a topic with `compression.type=config`, checks what a
/// consumer reads, and returns the stored batches.
async fn round_trip(
    broker: &TestBroker,
    topic: &str,
    config: &str,
    codecs: &[&str],
) -> Vec<StoredBatch> {
    let mut client = broker.connect().await;
    create(&mut client, topic, &[("compression.type", config)]).await;
    let want = produce_with(broker, topic, codecs, false).await;
    let got = consume_all(broker, topic, want.len()).await;
    assert_eq!(
        got, want,
        "compression.type={config}: consumers read exactly what was produced"
    );
    let stored = stored_batches(broker, topic);
    let total: i32 = stored.iter().map(|b| b.records).sum();
    assert_eq!(
        total as usize,
        want.len(),
        "{config}: every record stored once"
    );
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_topic_stores_gzip_batches_whatever_the_producer_compressed_with() {
    let broker = TestBroker::start().await;
    let stored = round_trip(&broker, "to-gzip", "gzip", &ALL_PRODUCER_CODECS).await;
    assert!(stored.len() >= ALL_PRODUCER_CODECS.len(), "{stored:?}");
    for batch in &stored {
        assert_eq!(batch.codec, Some(CompressionType::Gzip), "{stored:?}");
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncompressed_topic_stores_batches_without_compression() {
    // `uncompressed` converts compressed batches to codec none (Kafka BrokerCompressionType).
    let broker = TestBroker::start().await;
    let stored = round_trip(&broker, "to-none", "uncompressed", &["gzip", "lz4", "none"]).await;
    for batch in &stored {
        assert_eq!(batch.codec, Some(CompressionType::None), "{stored:?}");
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_topic_converts_an_lz4_producer() {
    let broker = TestBroker::start().await;
    let stored = round_trip(&broker, "to-zstd", "zstd", &["lz4"]).await;
    assert!(!stored.is_empty());
    for batch in &stored {
        assert_eq!(batch.codec, Some(CompressionType::Zstd), "{stored:?}");
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_compression_type_keeps_each_producers_codec() {
    // `producer` (explicit, and the default) stores batches as sent.
    let broker = TestBroker::start().await;
    let codecs = ["lz4", "snappy", "none"];
    let want: Vec<_> = codecs
        .iter()
        .map(|c| match *c {
            "lz4" => Some(CompressionType::Lz4),
            "snappy" => Some(CompressionType::Snappy),
            _ => Some(CompressionType::None),
        })
        .collect();
    for (topic, config) in [("keep-explicit", Some("producer")), ("keep-default", None)] {
        let mut client = broker.connect().await;
        let configs: Vec<(&str, &str)> = config
            .map(|c| vec![("compression.type", c)])
            .unwrap_or_default();
        create(&mut client, topic, &configs).await;
        let produced = produce_with(&broker, topic, &codecs, false).await;
        assert_eq!(consume_all(&broker, topic, produced.len()).await, produced);
        let mut stored: Vec<_> = stored_batches(&broker, topic)
            .iter()
            .map(|b| b.codec)
            .collect();
        stored.dedup();
        assert_eq!(stored, want, "{topic}: producer codecs kept in order");
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_fields_survive_recompression() {
    // KIP-98: producer id, epoch and base sequence are inside the CRC'd header; conversion
    // keeps them, so the broker's sequence checks and a consumer see the producer's values.
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "idem-gzip", &[("compression.type", "gzip")]).await;
    let want = produce_with(&broker, "idem-gzip", &["lz4"], true).await;
    assert_eq!(consume_all(&broker, "idem-gzip", want.len()).await, want);
    let stored = stored_batches(&broker, "idem-gzip");
    let mut next_sequence = 0;
    for batch in &stored {
        assert_eq!(batch.codec, Some(CompressionType::Gzip));
        assert!(batch.producer_id >= 0, "{stored:?}");
        assert_eq!(batch.base_sequence, next_sequence, "{stored:?}");
        next_sequence += batch.records;
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decompression_bomb_is_refused_as_corrupt_and_nothing_is_stored() {
    // 80 MiB of zeros in a few KiB of zstd: converting it to gzip would inflate past the
    // broker's 64 MiB recompression cap, so the produce fails with CORRUPT_MESSAGE (2).
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "bomb", &[("compression.type", "gzip")]).await;
    let mut builder = BatchBuilder::new(CompressionType::Zstd);
    builder.push(NewRecord::new(BASE_TIMESTAMP).value(vec![0u8; 80 << 20]));
    let bomb = builder.build().expect("bomb");
    assert!(bomb.len() < 1 << 20, "fits max.message.bytes as sent");
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name("bomb"))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(bomb.into())),
                ]),
        ]);
    let response = client.call(9, &request).await;
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(
        partition.error_code,
        ErrorCode::CorruptMessage.code(),
        "{:?}",
        partition.error_message
    );
    assert!(stored_batches(&broker, "bomb").is_empty());
    broker.stop().await;
}
