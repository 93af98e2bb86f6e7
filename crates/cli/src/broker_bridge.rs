//! The one place the CLI touches the broker crate.
//!
//! `fjord_broker::Broker::start` takes the resolved [`ServerConfig`] and derives its own
//! settings (client listeners, cluster id from `meta.properties`). The CLI has already run the
//! KRaft start-up directory check ([`fjord_config::verify_formatted`]) so that operators get
//! Kafka's messages before any socket is bound.

use fjord_broker::{Broker, BrokerHandle};
use fjord_config::{ServerConfig, StorageIdentity};

/// Starts the broker.
///
/// # Errors
/// A listener that does not bind, or another broker start failure.
pub async fn start(
    config: &ServerConfig,
    identity: &StorageIdentity,
) -> anyhow::Result<BrokerHandle> {
    tracing::debug!(cluster_id = %identity.cluster_id, dirs = identity.directories.len(), "storage verified");
    Broker::start(config.clone()).await
}
