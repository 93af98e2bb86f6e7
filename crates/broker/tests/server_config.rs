//! Goal: `Broker::start(ServerConfig)` — the CLI's entry point — takes its listeners and
//! limits from Kafka keys, refuses an unformatted log dir like Kafka's KRaft start-up
//! (`MetaPropertiesEnsemble.verify`), and reports meta.properties' cluster id in Metadata.
//!
//! Method: build `ServerConfig` from properties pairs with a temp log dir and port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::SystemTime;

use fjord_broker::Broker;
use fjord_config::{KafkaUuid, MetaProperties, ServerConfig};
use fjord_protocol::kafka_protocol::messages::MetadataRequest;
use tokio::net::TcpStream;

fn server_config(dir: &std::path::Path) -> ServerConfig {
    let dir = dir.to_str().expect("utf-8 path").to_owned();
    ServerConfig::from_pairs([
        ("process.roles", "broker,controller"),
        ("node.id", "7"),
        ("controller.quorum.voters", "7@127.0.0.1:9093"),
        (
            "listeners",
            "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
        ),
        ("controller.listener.names", "CONTROLLER"),
        (
            "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        ),
        ("log.dirs", dir.as_str()),
    ])
    .expect("valid config")
}

#[tokio::test]
async fn unformatted_log_dir_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = Broker::start(server_config(dir.path()))
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("fjord storage format"),
        "{error}"
    );
}

#[tokio::test]
async fn formatted_dir_starts_and_metadata_reports_cluster_and_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    MetaProperties::v1("fjordClusterIdAAAAAAAA", 7, KafkaUuid::random())
        .write(dir.path(), SystemTime::now())
        .expect("meta.properties written");
    let handle = Broker::start(server_config(dir.path()))
        .await
        .expect("starts");
    let addrs = handle.bound_addrs();
    assert_eq!(
        addrs.len(),
        1,
        "controller listener is not a broker listener"
    );
    let mut client = common::RawClient {
        stream: TcpStream::connect(addrs[0]).await.expect("connect"),
        correlation_id: 0,
    };
    let metadata = client.call(12, &MetadataRequest::default()).await;
    assert_eq!(
        metadata.cluster_id.as_ref().map(|c| c.as_str().to_owned()),
        Some("fjordClusterIdAAAAAAAA".to_owned())
    );
    assert_eq!(metadata.controller_id.0, 7);
    assert_eq!(metadata.brokers[0].node_id.0, 7);
    assert_eq!(metadata.brokers[0].port, i32::from(addrs[0].port()));
    // Kafka's combined mode: the controller listener is bound too and answers the
    // ControllerApis subset (ApiVersions lists CreateTopics, not Produce).
    let controller = handle.controller_addrs();
    assert_eq!(controller.len(), 1);
    let mut client = common::RawClient {
        stream: TcpStream::connect(controller[0]).await.expect("connect"),
        correlation_id: 0,
    };
    let versions = client
        .call(
            3,
            &fjord_protocol::kafka_protocol::messages::ApiVersionsRequest::default(),
        )
        .await;
    assert_eq!(versions.error_code, 0);
    let keys: Vec<i16> = versions.api_keys.iter().map(|k| k.api_key).collect();
    assert!(keys.contains(&19) && keys.contains(&60), "{keys:?}");
    assert!(
        !keys.contains(&0),
        "Produce is not a controller API: {keys:?}"
    );
    handle.shutdown().await.expect("clean shutdown");
}
