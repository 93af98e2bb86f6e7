//! Goal: hostile or malformed input never crashes the broker, gets Kafka's answer (an error
//! code, or a closed connection where Kafka closes), and leaves other connections and the
//! data already written intact.
//!
//! Method: an in-process broker on 127.0.0.1:0 driven over raw sockets with requests encoded
//! by kafka-protocol (`ProduceRequest.json`, `ApiVersionsRequest.json`, ...). After each bad
//! input, a second connection checks the broker still answers and the log is unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::{RawClient, TestBroker, record_batch};
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
use fjord_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, CreateTopicsRequest, FetchRequest, MetadataRequest,
    ProduceRequest, TopicName,
};
use fjord_protocol::kafka_protocol::protocol::{Decodable, StrBytes};

const TOPIC: &str = "bad-input";

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

async fn create_topic(client: &mut RawClient, name: &str) {
    let request = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(1)
            .with_replication_factor(1),
    ]);
    let response = client.call(7, &request).await;
    assert_eq!(
        response.topics[0].error_code, 0,
        "{:?}",
        response.topics[0].error_message
    );
}

fn produce_request(topic: &str, records: Bytes) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic_name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(records)),
                ]),
        ])
}

/// Produces one good batch and returns its base offset.
async fn produce_ok(client: &mut RawClient, topic: &str) -> i64 {
    let response = client
        .call(
            9,
            &produce_request(topic, record_batch(2, b"good", 1_700_000_000_000).freeze()),
        )
        .await;
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 0, "{:?}", partition.error_message);
    partition.base_offset
}

/// Fetches everything from offset 0 and returns (high watermark, record bytes).
async fn fetch_all(client: &mut RawClient, topic: &str) -> (i64, Bytes) {
    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic_name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ]);
    let response = client.call(11, &request).await;
    let partition = &response.responses[0].partitions[0];
    assert_eq!(partition.error_code, 0);
    (
        partition.high_watermark,
        partition.records.clone().unwrap_or_default(),
    )
}

/// Starts a broker with one topic holding one good batch; returns the broker and the log bytes.
async fn broker_with_data() -> (TestBroker, Bytes) {
    let broker = TestBroker::start_with(|c| c.auto_create_topics_enable = false).await;
    let mut client = broker.connect().await;
    create_topic(&mut client, TOPIC).await;
    assert_eq!(produce_ok(&mut client, TOPIC).await, 0);
    let (hw, records) = fetch_all(&mut client, TOPIC).await;
    assert_eq!(hw, 2);
    (broker, records)
}

/// After bad input: a fresh connection is served and the log is byte-for-byte unchanged.
async fn assert_still_serving(broker: &TestBroker, records_before: &Bytes) {
    let mut client = broker.connect().await;
    let versions = client.call(3, &common::api_versions_v3()).await;
    assert_eq!(versions.error_code, 0);
    let (hw, records) = fetch_all(&mut client, TOPIC).await;
    assert_eq!(hw, 2, "no extra records appended");
    assert_eq!(&records, records_before, "written data unchanged");
}

#[tokio::test]
async fn frame_over_socket_request_max_bytes_closes_the_connection() {
    // Kafka NetworkReceive: a size above socket.request.max.bytes → InvalidReceiveException,
    // connection closed.
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    client.send_raw(&(200 * 1024 * 1024i32).to_be_bytes()).await;
    assert!(client.is_closed().await);
    let mut negative = broker.connect().await;
    negative.send_raw(&(-5i32).to_be_bytes()).await;
    assert!(negative.is_closed().await);
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn truncated_frame_then_disconnect_is_harmless() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let frame = client.encode(
        9,
        &produce_request(TOPIC, record_batch(1, b"cut", 1).freeze()),
    );
    client.send_raw(&frame[..frame.len() / 2]).await;
    drop(client);
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn garbage_bytes_close_only_that_connection() {
    let (broker, before) = broker_with_data().await;
    let mut bystander = broker.connect().await;
    let garbage_inputs: [&[u8]; 3] = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[0, 0, 0, 3, 1, 2, 3],
        &[0xff; 16],
    ];
    for garbage in garbage_inputs {
        let mut client = broker.connect().await;
        client.send_raw(garbage).await;
        assert!(
            client.is_closed().await,
            "garbage {garbage:?} closes the connection"
        );
    }
    // A header that parses but a body that does not (Metadata v12 with a bogus array length).
    let mut client = broker.connect().await;
    let mut frame = client.encode(12, &MetadataRequest::default()).to_vec();
    let len = frame.len();
    frame[len - 1] = 0x05; // claims 5 tagged fields that are not there
    client.send_raw(&frame).await;
    assert!(client.is_closed().await);
    // The connection opened before the garbage still works.
    assert_eq!(
        bystander
            .call(0, &ApiVersionsRequest::default())
            .await
            .error_code,
        0
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn unknown_api_key_and_unsupported_version_close_the_connection() {
    // Kafka closes the connection for an unknown API key or a version it does not serve
    // (KIP-511 exempts only ApiVersions).
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    client
        .send_raw(&[0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])
        .await; // key 999
    assert!(client.is_closed().await);
    let mut client = broker.connect().await;
    // Produce v2 (removed in Kafka 4 by KIP-896): a v3 frame with the version patched to 2.
    let mut frame = client
        .encode(
            3,
            &produce_request(TOPIC, record_batch(1, b"old", 1).freeze()),
        )
        .to_vec();
    frame[6..8].copy_from_slice(&2i16.to_be_bytes());
    client.send_raw(&frame).await;
    assert!(client.is_closed().await);
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn kip_511_unsupported_api_versions_version_gets_a_v0_answer() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    // ApiVersions v127: header v2 (flexible), empty body fields.
    client
        .send_raw(&[
            0, 0, 0, 15, 0, 18, 0, 127, 0, 0, 0, 7, 0, 1, b'x', 0, 0, 0, 0,
        ])
        .await;
    let mut body = client.read_frame().await.expect("an answer, not a close");
    assert_eq!(
        &body[..4],
        &7i32.to_be_bytes(),
        "response header v0: correlation id only"
    );
    let _ = body.split_to(4);
    let response = ApiVersionsResponse::decode(&mut body, 0).expect("v0 body");
    assert_eq!(response.error_code, ErrorCode::UnsupportedVersion.code());
    let entry = response
        .api_keys
        .iter()
        .find(|k| k.api_key == 18)
        .expect("ApiVersions range listed");
    assert_eq!((entry.min_version, entry.max_version), (0, 4));
    // The connection stays usable: retry at a supported version.
    assert_eq!(
        client.call(3, &common::api_versions_v3()).await.error_code,
        0
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn bad_crc_is_corrupt_message() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let mut batch = record_batch(1, b"flip", 1);
    let last = batch.len() - 1;
    batch[last] ^= 0xff;
    let response = client
        .call(9, &produce_request(TOPIC, batch.freeze()))
        .await;
    assert_eq!(
        response.responses[0].partition_responses[0].error_code,
        ErrorCode::CorruptMessage.code()
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn batch_over_max_message_bytes_is_message_too_large() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let big = vec![b'x'; 1_100_000]; // above message.max.bytes 1048588
    let response = client
        .call(
            9,
            &produce_request(TOPIC, record_batch(1, &big, 1).freeze()),
        )
        .await;
    assert_eq!(
        response.responses[0].partition_responses[0].error_code,
        ErrorCode::MessageTooLarge.code()
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn legacy_magic_is_invalid_record() {
    // Kafka ProduceRequest.validateRecords: v3+ carries only magic-v2 batches → INVALID_RECORD.
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let mut batch = record_batch(1, b"old", 1);
    batch[16] = 1;
    let response = client
        .call(9, &produce_request(TOPIC, batch.freeze()))
        .await;
    assert_eq!(
        response.responses[0].partition_responses[0].error_code,
        ErrorCode::InvalidRecord.code()
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn missing_topic_with_auto_create_off_is_unknown_topic() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let response = client
        .call(
            9,
            &produce_request("no-such-topic", record_batch(1, b"x", 1).freeze()),
        )
        .await;
    assert_eq!(
        response.responses[0].partition_responses[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    let metadata = client
        .call(
            12,
            &MetadataRequest::default()
                .with_allow_auto_topic_creation(true)
                .with_topics(Some(vec![
                    fjord_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                        .with_name(Some(topic_name("no-such-topic"))),
                ])),
        )
        .await;
    assert_eq!(
        metadata.topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    assert_still_serving(&broker, &before).await;
    broker.stop().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_and_acks_0_gets_no_reply() {
    let (broker, _before) = broker_with_data().await;
    let mut client = broker.connect().await;
    // A long-polling fetch first, then quick requests: replies must still come back in order.
    let mut frames = Vec::new();
    let fetch = FetchRequest::default()
        .with_max_wait_ms(300)
        .with_min_bytes(1 << 20)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic_name(TOPIC))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(2)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ]);
    frames.extend_from_slice(&client.encode(11, &fetch));
    let mut acks0 = produce_request(TOPIC, record_batch(1, b"fire-and-forget", 1).freeze());
    acks0.acks = 0;
    frames.extend_from_slice(&client.encode(9, &acks0));
    frames.extend_from_slice(&client.encode(3, &common::api_versions_v3()));
    client.send_raw(&frames).await;
    let first = client.read_frame().await.expect("fetch reply");
    let second = client.read_frame().await.expect("api versions reply");
    assert_eq!(&first[..4], &1i32.to_be_bytes());
    // Correlation id 2 (acks=0 produce) never answered; 3 follows 1.
    assert_eq!(&second[..4], &3i32.to_be_bytes());
    let (hw, _) = fetch_all(&mut client, TOPIC).await;
    assert_eq!(hw, 3, "the acks=0 batch was appended");
    broker.stop().await;
}

/// Large produce frames are read up to their end and no further (net::connection); frames
/// that arrive in one write, large and small interleaved, are still each decoded whole and
/// answered in order (Kafka protocol guide: responses in request order per connection).
#[tokio::test]
async fn pipelined_large_and_small_frames_in_one_write_are_each_handled_whole() {
    let (broker, before) = broker_with_data().await;
    let mut client = broker.connect().await;
    let big1 = record_batch(3, &[b'a'; 100_000], 1_700_000_000_000).freeze();
    let big2 = record_batch(2, &[b'b'; 150_000], 1_700_000_000_000).freeze();
    let small = record_batch(1, b"tail", 1_700_000_000_000).freeze();
    let mut frames = Vec::new();
    // encode(api version, body); correlation ids count from 1 on this connection.
    frames.extend_from_slice(&client.encode(9, &produce_request(TOPIC, big1.clone())));
    frames.extend_from_slice(&client.encode(3, &common::api_versions_v3()));
    frames.extend_from_slice(&client.encode(9, &produce_request(TOPIC, big2.clone())));
    frames.extend_from_slice(&client.encode(9, &produce_request(TOPIC, small.clone())));
    client.send_raw(&frames).await;
    for correlation_id in 1..=4i32 {
        let reply = client.read_frame().await.expect("a reply per request");
        assert_eq!(&reply[..4], &correlation_id.to_be_bytes());
    }
    let (hw, records) = fetch_all(&mut client, TOPIC).await;
    assert_eq!(hw, 2 + 3 + 2 + 1);
    assert_eq!(
        records.len(),
        before.len() + big1.len() + big2.len() + small.len(),
        "every batch stored whole"
    );
    assert_eq!(&records[..before.len()], &before[..]);
    broker.stop().await;
}

#[tokio::test]
async fn per_ip_connection_limit_refuses_extra_connections() {
    let broker = TestBroker::start_with(|c| c.max_connections_per_ip = 2).await;
    let mut first = broker.connect().await;
    let mut second = broker.connect().await;
    let mut third = broker.connect().await;
    assert!(
        third.is_closed().await,
        "third connection from 127.0.0.1 refused"
    );
    assert_eq!(
        first.call(3, &common::api_versions_v3()).await.error_code,
        0
    );
    assert_eq!(
        second.call(3, &common::api_versions_v3()).await.error_code,
        0
    );
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut again = broker.connect().await;
    assert_eq!(
        again.call(3, &common::api_versions_v3()).await.error_code,
        0
    );
    broker.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let broker =
        TestBroker::start_with(|c| c.connections_max_idle = std::time::Duration::from_millis(200))
            .await;
    let mut client = broker.connect().await;
    assert_eq!(
        client.call(3, &common::api_versions_v3()).await.error_code,
        0
    );
    assert!(
        client.is_closed().await,
        "closed after connections.max.idle.ms"
    );
    broker.stop().await;
}
