//! The one place the CLI touches the broker crate: turns a resolved [`ServerConfig`] and the
//! identity read from the formatted directories into a running broker.

use std::net::SocketAddr;

use fjord_broker::{Broker, BrokerConfig, BrokerHandle, TimestampType};
use fjord_config::{ServerConfig, StorageIdentity};

/// Starts the broker on `config`'s client listeners.
///
/// # Errors
/// A listener that does not resolve or bind, or a broker start failure.
pub async fn start(
    config: &ServerConfig,
    identity: &StorageIdentity,
) -> anyhow::Result<BrokerHandle> {
    let mut listeners: Vec<SocketAddr> = Vec::new();
    for listener in config.broker_listeners() {
        listeners.push(
            listener
                .bind_addr()
                .map_err(|e| anyhow::anyhow!("listener {}: {e}", listener.url()))?,
        );
    }
    let advertised_host = config
        .advertised_listeners
        .first()
        .map(|l| l.host.clone())
        .filter(|host| !host.is_empty());
    let mut broker_config =
        BrokerConfig::for_tests(config.log_dirs.first().cloned().unwrap_or_default());
    broker_config.node_id = config.node_id;
    broker_config.cluster_id = identity.cluster_id.clone();
    broker_config.listeners = listeners;
    broker_config.advertised_host = advertised_host;
    broker_config.log_dirs = config.log_dirs.clone();
    broker_config.num_partitions = config.num_partitions;
    broker_config.default_replication_factor =
        i16::try_from(config.default_replication_factor).unwrap_or(i16::MAX);
    broker_config.auto_create_topics_enable = config.auto_create_topics_enable;
    broker_config.delete_topic_enable = config.delete_topic_enable;
    broker_config.message_max_bytes = usize::try_from(config.message_max_bytes).unwrap_or(0);
    broker_config.log_message_timestamp_type = match config.log_message_timestamp_type {
        fjord_config::TimestampType::CreateTime => TimestampType::CreateTime,
        fjord_config::TimestampType::LogAppendTime => TimestampType::LogAppendTime,
    };
    broker_config.socket_request_max_bytes =
        usize::try_from(config.socket_request_max_bytes).unwrap_or(0);
    // Kafka leaves max.connections at Integer.MAX_VALUE; keep the broker's own cap unless the
    // operator set a value.
    if config.raw().contains_key("max.connections") {
        broker_config.max_connections = usize::try_from(config.max_connections).unwrap_or(0);
    }
    if config.raw().contains_key("max.connections.per.ip") {
        broker_config.max_connections_per_ip =
            usize::try_from(config.max_connections_per_ip).unwrap_or(0);
    }
    broker_config.connections_max_idle = std::time::Duration::from_millis(
        u64::try_from(config.connections_max_idle_ms).unwrap_or(0),
    );
    Broker::start(broker_config).await
}
