//! Goal: the idempotent producer (KIP-98) works end to end. librdkafka with
//! `enable.idempotence=true` and `acks=all` gets every record into the log exactly once and in
//! order per partition; InitProducerId hands out ids that never repeat, also across restarts;
//! a resent batch is answered with its original offsets and not appended twice; sequence gaps
//! and stale epochs get Kafka's error codes (OUT_OF_ORDER_SEQUENCE_NUMBER 45,
//! INVALID_PRODUCER_EPOCH 47).
//!
//! Method: an in-process broker on 127.0.0.1:0; rdkafka for the client test, raw requests
//! encoded by kafka-protocol (`InitProducerIdRequest.json`, `ProduceRequest.json`) for the
//! byte-level ones, with the batch's producer id, epoch and base sequence set by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::{RawClient, TestBroker, record_batch};
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::produce_response::PartitionProduceResponse;
use fjord_protocol::kafka_protocol::messages::{
    CreateTopicsRequest, InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, TopicName,
    TransactionalId,
};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use fjord_record::header::offsets;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

async fn create_topic(client: &mut RawClient, name: &str, partitions: i32) {
    let request = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(partitions)
            .with_replication_factor(1),
    ]);
    let response = client.call(7, &request).await;
    assert_eq!(
        response.topics[0].error_code, 0,
        "{:?}",
        response.topics[0].error_message
    );
}

async fn init_producer_id(
    client: &mut RawClient,
    version: i16,
    transactional_id: Option<&str>,
) -> InitProducerIdResponse {
    let request = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|id| TransactionalId(StrBytes::from_string(id.to_owned()))),
        )
        .with_transaction_timeout_ms(60_000);
    client.call(version, &request).await
}

/// A batch of `count` records from producer `pid` at `epoch` starting at sequence `seq`.
fn idempotent_batch(pid: i64, epoch: i16, seq: i32, count: i32) -> Bytes {
    let mut batch: BytesMut = record_batch(count, b"idempotent", 1_700_000_000_000);
    batch[offsets::PRODUCER_ID..offsets::PRODUCER_ID + 8].copy_from_slice(&pid.to_be_bytes());
    batch[offsets::PRODUCER_EPOCH..offsets::PRODUCER_EPOCH + 2]
        .copy_from_slice(&epoch.to_be_bytes());
    batch[offsets::BASE_SEQUENCE..offsets::BASE_SEQUENCE + 4].copy_from_slice(&seq.to_be_bytes());
    fjord_record::header::rewrite_crc(&mut batch);
    batch.freeze()
}

async fn produce(client: &mut RawClient, topic: &str, batch: Bytes) -> PartitionProduceResponse {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic_name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(batch)),
                ]),
        ]);
    let response = client.call(9, &request).await;
    response.responses[0].partition_responses[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_producer_id_gives_fresh_ids_at_epoch_zero_for_every_version() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let mut seen = Vec::new();
    for version in 0..=5 {
        let response = init_producer_id(&mut client, version, None).await;
        assert_eq!(response.error_code, 0, "v{version}");
        assert_eq!(response.producer_epoch, 0, "v{version}");
        assert!(response.producer_id.0 >= 0);
        assert!(
            !seen.contains(&response.producer_id.0),
            "v{version} reused an id"
        );
        seen.push(response.producer_id.0);
    }
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactional_ids_get_coordinator_not_available_and_empty_ones_invalid_request() {
    // No transaction coordinator: the retriable code FindCoordinator also answers.
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let response = init_producer_id(&mut client, 4, Some("txn-1")).await;
    assert_eq!(
        response.error_code,
        ErrorCode::CoordinatorNotAvailable.code()
    );
    assert_eq!(response.producer_id.0, -1);
    let response = init_producer_id(&mut client, 1, Some("")).await;
    assert_eq!(response.error_code, ErrorCode::InvalidRequest.code());
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_ids_never_repeat_across_restarts() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let before = init_producer_id(&mut client, 3, None).await.producer_id.0;
    drop(client);
    let dir = broker.crash_keeping_dir().await;
    let broker = TestBroker::start_in(dir, |_| {}).await;
    let mut client = broker.connect().await;
    let after = init_producer_id(&mut client, 3, None).await.producer_id.0;
    assert!(
        after > before,
        "after a restart {after} must be above {before}"
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_batch_gets_its_original_offsets_and_is_not_appended_twice() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "dup", 1).await;
    let pid = init_producer_id(&mut client, 4, None).await.producer_id.0;
    let first = produce(&mut client, "dup", idempotent_batch(pid, 0, 0, 3)).await;
    let second = produce(&mut client, "dup", idempotent_batch(pid, 0, 3, 2)).await;
    assert_eq!((first.error_code, first.base_offset), (0, 0));
    assert_eq!((second.error_code, second.base_offset), (0, 3));
    // The client lost the first response and resends: Kafka answers NONE with offset 0.
    let retry = produce(&mut client, "dup", idempotent_batch(pid, 0, 0, 3)).await;
    assert_eq!((retry.error_code, retry.base_offset), (0, 0));
    // Nothing was appended: the next batch lands right after the second one.
    let next = produce(&mut client, "dup", idempotent_batch(pid, 0, 5, 1)).await;
    assert_eq!((next.error_code, next.base_offset), (0, 5));
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_gap_is_out_of_order_sequence_number() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "gap", 1).await;
    let pid = init_producer_id(&mut client, 4, None).await.producer_id.0;
    assert_eq!(
        produce(&mut client, "gap", idempotent_batch(pid, 0, 0, 2))
            .await
            .error_code,
        0
    );
    let gap = produce(&mut client, "gap", idempotent_batch(pid, 0, 5, 1)).await;
    assert_eq!(gap.error_code, ErrorCode::OutOfOrderSequenceNumber.code());
    assert_eq!(gap.base_offset, -1);
    let next = produce(&mut client, "gap", idempotent_batch(pid, 0, 2, 1)).await;
    assert_eq!(
        (next.error_code, next.base_offset),
        (0, 2),
        "the gap wrote nothing"
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_epoch_is_invalid_producer_epoch() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "fenced", 1).await;
    let pid = init_producer_id(&mut client, 4, None).await.producer_id.0;
    assert_eq!(
        produce(&mut client, "fenced", idempotent_batch(pid, 0, 0, 1))
            .await
            .error_code,
        0
    );
    // The producer bumps its epoch (KIP-360) and restarts its sequence.
    assert_eq!(
        produce(&mut client, "fenced", idempotent_batch(pid, 1, 0, 1))
            .await
            .error_code,
        0
    );
    let zombie = produce(&mut client, "fenced", idempotent_batch(pid, 0, 1, 1)).await;
    assert_eq!(zombie.error_code, ErrorCode::InvalidProducerEpoch.code());
    broker.stop().await;
}

const RECORDS: usize = 10_000;
const PARTITIONS: i32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdkafka_idempotent_producer_writes_every_record_once_in_order() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "idem", PARTITIONS).await;

    // Phase 1: produce 10k records with idempotence and acks=all, partition chosen by index.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "500")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer");
    let mut deliveries = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS {
        let payload = format!("{i}");
        let partition = i32::try_from(i).unwrap() % PARTITIONS;
        let record = FutureRecord::<(), _>::to("idem")
            .payload(&payload)
            .partition(partition);
        deliveries.push(producer.send_result(record).expect("queued"));
    }
    for delivery in deliveries {
        delivery.await.expect("not cancelled").expect("delivered");
    }

    // Phase 2: read each partition back; every record exactly once, in send order.
    let bootstrap = broker.bootstrap();
    let per_partition = tokio::task::spawn_blocking(move || consume_all(&bootstrap))
        .await
        .unwrap();
    for partition in 0..PARTITIONS {
        let expected: Vec<usize> = (0..RECORDS)
            .filter(|i| i32::try_from(*i).unwrap() % PARTITIONS == partition)
            .collect();
        assert_eq!(per_partition[&partition], expected, "partition {partition}");
    }

    // Phase 3: the batches really carried a producer id (idempotence was on).
    let log = find_file(broker.dir(), "idem-0", "00000000000000000000.log");
    let bytes = std::fs::read(log).unwrap();
    let pid = i64::from_be_bytes(
        bytes[offsets::PRODUCER_ID..offsets::PRODUCER_ID + 8]
            .try_into()
            .unwrap(),
    );
    assert!(pid >= 0, "librdkafka sent batches without a producer id");
    broker.stop().await;
}

fn consume_all(bootstrap: &str) -> HashMap<i32, Vec<usize>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "fjord-test-assign-only")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment
            .add_partition_offset("idem", partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut out: HashMap<i32, Vec<usize>> = HashMap::new();
    let mut offsets_seen: HashMap<i32, i64> = HashMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut total = 0;
    while total < RECORDS && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                let value: usize = std::str::from_utf8(message.payload().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap();
                let previous = offsets_seen.insert(message.partition(), message.offset());
                assert_eq!(
                    message.offset(),
                    previous.map_or(0, |p| p + 1),
                    "offsets contiguous in partition {}",
                    message.partition()
                );
                out.entry(message.partition()).or_default().push(value);
                total += 1;
            }
            Some(Err(error)) => panic!("consume error: {error}"),
            None => {}
        }
    }
    // Give a duplicate the chance to show up after the expected count.
    if let Some(message) = consumer.poll(Duration::from_millis(500)) {
        let message = message.unwrap();
        panic!(
            "unexpected extra record at {}:{}",
            message.partition(),
            message.offset()
        );
    }
    assert_eq!(total, RECORDS);
    out
}

fn find_file(root: &std::path::Path, dir_name: &str, file: &str) -> std::path::PathBuf {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().unwrap() == dir_name && path.join(file).exists() {
                    return path.join(file);
                }
                stack.push(path);
            }
        }
    }
    panic!("{dir_name}/{file} not found under {}", root.display());
}
