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
use fjord_protocol::kafka_protocol::messages::{ApiKey, ApiVersionsRequest};

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
    let response = client.call(3, &ApiVersionsRequest::default()).await;
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
