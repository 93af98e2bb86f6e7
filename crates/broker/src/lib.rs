//! The fjord broker: network layer, API handlers and server lifecycle.
//!
//! # Layout
//! - [`config`]: [`BrokerConfig`], the settings the broker reads.
//! - [`net`]: listeners, connections (framing, pipelining with in-order replies, limits,
//!   idle timeout, graceful close).
//! - [`api`]: one module per API key; the API registry (and so ApiVersions) is derived from
//!   the modules' declared version ranges.
//! - [`state`]: [`state::ReplicaManager`], the cluster metadata (`fjord-metadata`'s
//!   `MetadataStore` and controller) and the partition logs (`fjord-storage`'s `LogManager`).
//! - [`group_coordinator`]: the runtime driving `fjord-coordinator`'s group coordinator
//!   shards over the `__consumer_offsets` logs.
//! - [`metrics`]: Prometheus metrics: request-path counters and the scrape-time collector
//!   ([`metrics::MetricsRenderer`], served by the console's `/metrics`).
//! - `scheduler`: background tasks (retention, flush, recovery-point checkpoints, group
//!   coordinator timers).
//!
//! Entry point: [`Broker::start`] opens the state, binds every listener and returns a
//! [`BrokerHandle`]; [`BrokerHandle::shutdown`] stops accepting, finishes requests in flight,
//! then shuts the logs down cleanly (flush, checkpoints, `.kafka_cleanshutdown`).

pub mod api;
pub mod config;
pub mod group_coordinator;
pub mod metrics;
pub mod net;
mod scheduler;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::api::{BrokerContext, Plane};
pub use crate::config::{BrokerConfig, BrokerConfigError};
use crate::net::{ConnectionLimits, Shutdown, spawn_listener};

/// The broker.
#[derive(Debug)]
pub struct Broker;

/// A running broker: its addresses and the means to stop it.
#[derive(Debug)]
pub struct BrokerHandle {
    bound_addrs: Vec<SocketAddr>,
    controller_addrs: Vec<SocketAddr>,
    shutdown_tx: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
    listeners: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    drain_rx: mpsc::Receiver<()>,
    ctx: Arc<BrokerContext>,
}

async fn bind_all(addrs: &[SocketAddr]) -> anyhow::Result<Vec<TcpListener>> {
    let mut sockets = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind listener {addr}: {e}"))?;
        sockets.push(listener);
    }
    Ok(sockets)
}

impl Broker {
    /// Starts a broker from the server configuration (the `fjord` CLI's entry point).
    pub async fn start(config: fjord_config::ServerConfig) -> anyhow::Result<BrokerHandle> {
        Self::start_with_config(BrokerConfig::from_server_config(&config)?).await
    }

    /// Opens the metadata store and logs, binds every listener and starts serving with an
    /// already derived [`BrokerConfig`] (in-process tests).
    pub async fn start_with_config(config: BrokerConfig) -> anyhow::Result<BrokerHandle> {
        anyhow::ensure!(!config.listeners.is_empty(), "no listeners configured");
        let limits = ConnectionLimits::new(config.max_connections, config.max_connections_per_ip);
        // Bind first, so a port in use fails before the log directories are locked.
        let sockets = bind_all(&config.listeners).await?;
        let controller_sockets = bind_all(&config.controller_listeners).await?;
        let bound_addrs: Vec<SocketAddr> =
            sockets.iter().filter_map(|l| l.local_addr().ok()).collect();
        let controller_addrs: Vec<SocketAddr> = controller_sockets
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        // Opening recovers logs (blocking file I/O): off the async workers.
        let ctx = tokio::task::spawn_blocking(move || BrokerContext::open(config))
            .await
            .map_err(|e| anyhow::anyhow!("start-up task failed: {e}"))??;
        let ctx = Arc::new(ctx);
        *ctx.bound_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = bound_addrs.clone();
        *ctx.controller_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = controller_addrs.clone();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (drain_tx, drain_rx) = mpsc::channel(1);
        let planes = sockets.into_iter().map(|s| (s, Plane::Broker)).chain(
            controller_sockets
                .into_iter()
                .map(|s| (s, Plane::Controller)),
        );
        let listeners = planes
            .map(|(listener, plane)| {
                let shutdown = Shutdown {
                    requested: shutdown_rx.clone(),
                    drain: drain_tx.clone(),
                };
                spawn_listener(listener, plane, ctx.clone(), limits.clone(), shutdown)
            })
            .collect();
        let background = scheduler::spawn_all(&ctx, &shutdown_rx);
        tracing::info!(addrs = ?bound_addrs, controller_addrs = ?controller_addrs, node_id = ctx.config.node_id, "broker started");
        Ok(BrokerHandle {
            bound_addrs,
            controller_addrs,
            shutdown_tx,
            shutdown_rx,
            listeners,
            background,
            drain_rx,
            ctx,
        })
    }
}

impl BrokerHandle {
    /// The addresses the client listeners bound (with real ports when configured with port 0).
    pub fn bound_addrs(&self) -> Vec<SocketAddr> {
        self.bound_addrs.clone()
    }

    /// The addresses the controller listeners bound.
    pub fn controller_addrs(&self) -> Vec<SocketAddr> {
        self.controller_addrs.clone()
    }

    /// The broker's shared state (for in-process tests and tooling).
    pub fn context(&self) -> &Arc<BrokerContext> {
        &self.ctx
    }

    /// A renderer of this broker's Prometheus metrics (`Clone + Send + Sync`), for the
    /// console's `/metrics` route.
    pub fn metrics_renderer(&self) -> metrics::MetricsRenderer {
        metrics::MetricsRenderer::new(&self.ctx)
    }

    /// The broker's metrics now, in the Prometheus text format 0.0.4.
    pub fn metrics_text(&self) -> String {
        self.metrics_renderer().render()
    }

    /// Asks the broker to shut down; [`Self::wait`] returns and [`Self::shutdown`] completes it.
    pub fn request_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Waits until shutdown is requested.
    pub async fn wait(&self) {
        let mut rx = self.shutdown_rx.clone();
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// Stops the network side: no more accepts, requests in flight answered, connections
    /// closed, background tasks stopped.
    async fn stop_serving(&mut self) -> anyhow::Result<()> {
        let _ = self.shutdown_tx.send(true);
        for listener in self.listeners.drain(..) {
            listener
                .await
                .map_err(|e| anyhow::anyhow!("listener task failed: {e}"))?;
        }
        // Requests parked in the group coordinator (JoinGroup, SyncGroup) are answered now,
        // or their connections would never finish.
        self.ctx.groups.unload_all();
        // Every listener (and so every drain sender it held) is gone; connections still hold
        // their clones until they end.
        let _ = self.drain_rx.recv().await;
        for task in self.background.drain(..) {
            let _ = task.await;
        }
        Ok(())
    }

    /// Clean shutdown (Kafka `BrokerServer.shutdown`): stops accepting, lets connections
    /// finish the requests in flight, stops the background tasks, then shuts the logs down
    /// (flush, checkpoints, `.kafka_cleanshutdown`) and closes the metadata store.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop_serving().await?;
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || ctx.replicas.shutdown())
            .await
            .map_err(|e| anyhow::anyhow!("log shutdown task failed: {e}"))??;
        tracing::info!("broker stopped");
        Ok(())
    }

    /// Stops serving and drops the logs WITHOUT a clean shutdown (no final flush, no
    /// checkpoints, no `.kafka_cleanshutdown`), releasing the directory locks: what a crash
    /// leaves behind, short of losing the page cache. The next start runs log recovery.
    pub async fn abandon(mut self) -> anyhow::Result<()> {
        self.stop_serving().await?;
        self.ctx.replicas.abandon();
        tracing::warn!("broker abandoned without a clean shutdown");
        Ok(())
    }
}
