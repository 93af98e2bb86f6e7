//! The sweep's starting state: which APIs the broker advertises, and a populated topic.

use bytes::{Bytes, BytesMut};
use fjord_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
use fjord_protocol::kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsTopic,
};
use fjord_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use fjord_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, CreateTopicsRequest, FindCoordinatorRequest, InitProducerIdRequest,
    ListOffsetsRequest, MetadataRequest, ProduceRequest, RequestKind, ResponseKind, TopicName,
};
use fjord_protocol::kafka_protocol::protocol::StrBytes;

use crate::SweepConnection;
use crate::common::{TestBroker, record_batch};
use crate::model::{Fixture, Plane, SETUP_TIMESTAMP_MS, s};

/// Records in partition 0 after setup: a plain batch of 3 and an idempotent batch of 2.
const RECORDS_P0: i64 = 5;

/// The (API, min, max) triples of the broker's ApiVersions v3 answer, by API key.
pub async fn advertised_apis(connection: &mut SweepConnection) -> Vec<(ApiKey, i16, i16)> {
    let request = ApiVersionsRequest::default()
        .with_client_software_name(s("fjord-version-sweep"))
        .with_client_software_version(s("1.0"));
    let response = connection
        .call(ApiKey::ApiVersions, 3, &RequestKind::ApiVersions(request))
        .await
        .expect("ApiVersions v3 answers");
    let ResponseKind::ApiVersions(response) = response else {
        panic!("ApiVersions answered with another kind");
    };
    assert_eq!(response.error_code, 0, "ApiVersions v3 error");
    let mut apis: Vec<(ApiKey, i16, i16)> = response
        .api_keys
        .iter()
        .map(|a| {
            let api = ApiKey::try_from(a.api_key).expect("advertised key is a Kafka API key");
            (api, a.min_version, a.max_version)
        })
        .collect();
    apis.sort_by_key(|(api, _, _)| *api as i16);
    apis
}

async fn call(
    connection: &mut SweepConnection,
    api: ApiKey,
    version: i16,
    request: RequestKind,
) -> ResponseKind {
    connection
        .call(api, version, &request)
        .await
        .unwrap_or_else(|e| panic!("setup {api:?} v{version}: {e}"))
}

async fn create_topic(connection: &mut SweepConnection, name: &str, partitions: i32) -> uuid::Uuid {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![
            CreatableTopic::default()
                .with_name(TopicName(s(name)))
                .with_num_partitions(partitions)
                .with_replication_factor(1),
        ]);
    let ResponseKind::CreateTopics(response) = call(
        connection,
        ApiKey::CreateTopics,
        7,
        RequestKind::CreateTopics(request),
    )
    .await
    else {
        panic!("CreateTopics answered with another kind");
    };
    let result = &response.topics[0];
    assert_eq!(
        result.error_code, 0,
        "setup: create {name}: {:?}",
        result.error_message
    );
    result.topic_id
}

/// A batch of `count` records from an idempotent producer (KIP-98): producer id, epoch and
/// base sequence set in the v2 header (`DefaultRecordBatch` offsets 43, 51, 53), CRC redone.
fn idempotent_batch(count: i32, producer_id: i64, epoch: i16, base_sequence: i32) -> Bytes {
    let mut batch: BytesMut = record_batch(count, b"idempotent", SETUP_TIMESTAMP_MS);
    batch[43..51].copy_from_slice(&producer_id.to_be_bytes());
    batch[51..53].copy_from_slice(&epoch.to_be_bytes());
    batch[53..57].copy_from_slice(&base_sequence.to_be_bytes());
    fjord_record::header::rewrite_crc(&mut batch);
    batch.freeze()
}

async fn produce(connection: &mut SweepConnection, topic: &str, partition: i32, records: Bytes) {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(s(topic)))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ]);
    let ResponseKind::Produce(response) = call(
        connection,
        ApiKey::Produce,
        9,
        RequestKind::Produce(request),
    )
    .await
    else {
        panic!("Produce answered with another kind");
    };
    let answer = &response.responses[0].partition_responses[0];
    assert_eq!(
        answer.error_code, 0,
        "setup produce: {:?}",
        answer.error_message
    );
}

/// Creates the sweep topic with its records and
/// `__consumer_offsets` (through FindCoordinator), so internal-topic fields are exercised too.
pub async fn populate(
    connection: &mut SweepConnection,
    broker: &TestBroker,
    advertised: Vec<(ApiKey, i16, i16)>,
) -> Fixture {
    let topic = "sweep";
    let topic_id = create_topic(connection, topic, 2).await;

    let init = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(60_000)
        .with_producer_id((-1).into())
        .with_producer_epoch(-1);
    let ResponseKind::InitProducerId(producer) = call(
        connection,
        ApiKey::InitProducerId,
        4,
        RequestKind::InitProducerId(init),
    )
    .await
    else {
        panic!("InitProducerId answered with another kind");
    };
    assert_eq!(producer.error_code, 0, "setup: InitProducerId");
    produce(
        connection,
        topic,
        0,
        record_batch(3, b"plain", SETUP_TIMESTAMP_MS).freeze(),
    )
    .await;
    let batch = idempotent_batch(2, producer.producer_id.0, producer.producer_epoch, 0);
    produce(connection, topic, 0, batch).await;
    produce(
        connection,
        topic,
        1,
        record_batch(2, b"plain", SETUP_TIMESTAMP_MS).freeze(),
    )
    .await;

    // A node with a group coordinator (it serves JoinGroup) creates `__consumer_offsets` on
    // the first group lookup.
    if advertised
        .iter()
        .any(|(api, _, _)| *api == ApiKey::JoinGroup)
    {
        let find = FindCoordinatorRequest::default()
            .with_key(s("sweep-setup-group"))
            .with_key_type(0);
        let ResponseKind::FindCoordinator(found) = call(
            connection,
            ApiKey::FindCoordinator,
            3,
            RequestKind::FindCoordinator(find),
        )
        .await
        else {
            panic!("FindCoordinator answered with another kind");
        };
        assert_eq!(
            found.error_code, 0,
            "setup: FindCoordinator {:?}",
            found.error_message
        );
    }
    let metadata = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(TopicName(s(topic)))),
    ]));
    let ResponseKind::Metadata(metadata) = call(
        connection,
        ApiKey::Metadata,
        12,
        RequestKind::Metadata(metadata),
    )
    .await
    else {
        panic!("Metadata answered with another kind");
    };
    let described = &metadata.topics[0];
    assert_eq!(described.topic_id, topic_id, "setup: Metadata topic id");
    let leader_epoch = described.partitions[0].leader_epoch;
    Fixture {
        topic: topic.to_owned(),
        topic_id,
        unknown_topic: "sweep-missing".to_owned(),
        missing_partition: 99,
        records_p0: RECORDS_P0,
        leader_epoch,
        node_id: metadata.controller_id.0,
        port: i32::from(broker.addr.port()),
        cluster_id: metadata
            .cluster_id
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        plane: Plane::Broker,
        advertised,
    }
}

/// Creates the topics the DeleteTopics probes of `fixture`'s plane delete, one per version.
pub async fn create_doomed_topics(connection: &mut SweepConnection, fixture: &Fixture) {
    let range = fixture
        .advertised
        .iter()
        .find(|(api, _, _)| *api == ApiKey::DeleteTopics);
    if let Some((_, min, max)) = range {
        for version in *min..=*max {
            create_topic(connection, &fixture.versioned("doomed", version), 1).await;
        }
    }
}

/// The latest offset (log end offset) of `partition` of the sweep topic.
pub async fn latest_offset(
    connection: &mut SweepConnection,
    fixture: &Fixture,
    partition: i32,
) -> i64 {
    let request = ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_string(fixture.topic.clone())))
                .with_partitions(vec![
                    ListOffsetsPartition::default()
                        .with_partition_index(partition)
                        .with_timestamp(-1),
                ]),
        ]);
    // The newest version the broker serves, so an old version's bug is reported by the sweep
    // itself rather than stopping this setup step.
    let version = fixture
        .advertised
        .iter()
        .find(|(api, _, _)| *api == ApiKey::ListOffsets)
        .map_or(1, |(_, _, max)| *max);
    let ResponseKind::ListOffsets(response) = call(
        connection,
        ApiKey::ListOffsets,
        version,
        RequestKind::ListOffsets(request),
    )
    .await
    else {
        panic!("ListOffsets answered with another kind");
    };
    let answer = &response.topics[0].partitions[0];
    assert_eq!(answer.error_code, 0, "ListOffsets of partition {partition}");
    answer.offset
}
