//! Goal: KIP-848's ConsumerGroupHeartbeat (68) and ConsumerGroupDescribe (69) are advertised
//! in ApiVersions exactly when `group.coordinator.rebalance.protocols` includes `consumer`
//! (Kafka `GroupCoordinatorConfig.GROUP_COORDINATOR_REBALANCE_PROTOCOLS_CONFIG`, default
//! `classic,consumer` since 4.0), with Kafka 4.1's ranges (v0-1 both); without it a client
//! asking for `group.protocol=consumer` sees them missing, as librdkafka checks
//! (`rd_kafka_broker_ApiVersion_supported`). Method: an in-process broker per setting,
//! raw ApiVersions v3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::TestBroker;
use fjord_protocol::kafka_protocol::messages::ApiKey;

async fn advertised(protocols: Option<&str>) -> Vec<(i16, i16, i16)> {
    let broker = TestBroker::start_with(|c| {
        if let Some(value) = protocols {
            let mut props = c.server.raw().clone();
            props.set("group.coordinator.rebalance.protocols", value);
            c.server = Arc::new(fjord_config::ServerConfig::from_properties(&props).unwrap());
        }
    })
    .await;
    let mut client = broker.connect().await;
    let response = client.call(3, &common::api_versions_v3()).await;
    broker.stop().await;
    assert_eq!(response.error_code, 0);
    response
        .api_keys
        .iter()
        .filter(|k| {
            k.api_key == ApiKey::ConsumerGroupHeartbeat as i16
                || k.api_key == ApiKey::ConsumerGroupDescribe as i16
        })
        .map(|k| (k.api_key, k.min_version, k.max_version))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_protocol_apis_follow_group_coordinator_rebalance_protocols() {
    let kip848 = vec![(68, 0, 1), (69, 0, 1)];
    assert_eq!(
        advertised(None).await,
        kip848,
        "Kafka 4.0 default: classic,consumer"
    );
    assert_eq!(advertised(Some("classic, consumer")).await, kip848);
    assert_eq!(advertised(Some("classic")).await, vec![]);
}

/// A KIP-848 group over the wire: ConsumerGroupHeartbeat v1 joins with a client-chosen member
/// id (KIP-1082) and gets epoch 1 and Kafka's 5 s heartbeat interval; ConsumerGroupDescribe
/// shows it; ListGroups v5 lists it with type "consumer"; DescribeGroups v6 says it is not a
/// classic group (GROUP_ID_NOT_FOUND) while v5 sees it Dead without error; a leave (epoch -1)
/// empties it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_over_the_wire_and_through_the_classic_apis() {
    use fjord_protocol::kafka_protocol::messages::{
        ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest, DescribeGroupsRequest,
        GroupId, ListGroupsRequest, TopicName,
    };
    use fjord_protocol::kafka_protocol::protocol::StrBytes;
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let group = GroupId(StrBytes::from_static_str("kip848"));
    let join = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(group.clone())
        .with_member_id(StrBytes::from_static_str("member-1"))
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(30_000)
        .with_subscribed_topic_names(Some(vec![TopicName(StrBytes::from_static_str("t"))]))
        .with_topic_partitions(Some(vec![]));
    let joined = client.call(1, &join).await;
    assert_eq!(joined.error_code, 0, "{joined:?}");
    assert_eq!(joined.member_epoch, 1);
    assert_eq!(joined.heartbeat_interval_ms, 5_000);
    assert_eq!(joined.member_id.as_deref(), Some("member-1"));

    let described = client
        .call(
            1,
            &ConsumerGroupDescribeRequest::default().with_group_ids(vec![group.clone()]),
        )
        .await;
    let g = &described.groups[0];
    assert_eq!((g.error_code, g.group_epoch), (0, 1));
    assert_eq!(g.assignor_name.as_str(), "uniform");
    assert_eq!(g.members.len(), 1);
    assert_eq!(g.members[0].member_id.as_str(), "member-1");

    let listed = client.call(5, &ListGroupsRequest::default()).await;
    let entry = listed
        .groups
        .iter()
        .find(|g| g.group_id.as_str() == "kip848")
        .expect("listed");
    assert_eq!(entry.group_type.as_str(), "consumer");

    let classic = DescribeGroupsRequest::default().with_groups(vec![group.clone()]);
    let v6 = client.call(6, &classic).await;
    assert_eq!(v6.groups[0].error_code, 69);
    let v5 = client.call(5, &classic).await;
    assert_eq!(
        (v5.groups[0].error_code, v5.groups[0].group_state.as_str()),
        (0, "Dead")
    );

    let leave = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(group.clone())
        .with_member_id(StrBytes::from_static_str("member-1"))
        .with_member_epoch(-1);
    let left = client.call(1, &leave).await;
    assert_eq!((left.error_code, left.member_epoch), (0, -1));
    let described = client
        .call(
            1,
            &ConsumerGroupDescribeRequest::default().with_group_ids(vec![group]),
        )
        .await;
    assert_eq!(described.groups[0].group_state.as_str(), "Empty");
    broker.stop().await;
}
