//! The fjord broker: network layer, API handlers and server lifecycle.
//!
//! # Layout
//! - [`config`]: [`BrokerConfig`], the settings the broker reads.
//! - [`net`]: listeners, connections (framing, pipelining with in-order replies, limits,
//!   idle timeout, graceful close).
//! - [`api`]: one module per API key; the API registry (and so ApiVersions) is derived from
//!   the modules' declared version ranges.
//! - [`state`]: topics and partition logs (an in-memory stand-in until `fjord-storage` and
//!   `fjord-metadata` are wired in).
//!
//! Entry point: [`Broker::start`] binds every listener and returns a [`BrokerHandle`].

pub mod api;
pub mod config;
pub mod net;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::api::BrokerContext;
pub use crate::config::{BrokerConfig, BrokerConfigError, TimestampType};
use crate::net::{ConnectionLimits, Shutdown, spawn_listener};

/// The broker.
#[derive(Debug)]
pub struct Broker;

/// A running broker: its addresses and the means to stop it.
#[derive(Debug)]
pub struct BrokerHandle {
    bound_addrs: Vec<SocketAddr>,
    shutdown_tx: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
    listeners: Vec<JoinHandle<()>>,
    drain_rx: mpsc::Receiver<()>,
    ctx: Arc<BrokerContext>,
}

impl Broker {
    /// Starts a broker from the server configuration (the `fjord` CLI's entry point).
    pub async fn start(config: fjord_config::ServerConfig) -> anyhow::Result<BrokerHandle> {
        Self::start_with_config(BrokerConfig::from_server_config(&config)?).await
    }

    /// Binds every listener and starts serving with an already derived [`BrokerConfig`]
    /// (in-process tests).
    pub async fn start_with_config(config: BrokerConfig) -> anyhow::Result<BrokerHandle> {
        anyhow::ensure!(!config.listeners.is_empty(), "no listeners configured");
        let limits = ConnectionLimits::new(config.max_connections, config.max_connections_per_ip);
        let mut sockets = Vec::with_capacity(config.listeners.len());
        for addr in &config.listeners {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot bind listener {addr}: {e}"))?;
            sockets.push(listener);
        }
        let bound_addrs: Vec<SocketAddr> =
            sockets.iter().filter_map(|l| l.local_addr().ok()).collect();
        let ctx = Arc::new(BrokerContext::new(config));
        *ctx.bound_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = bound_addrs.clone();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (drain_tx, drain_rx) = mpsc::channel(1);
        let listeners = sockets
            .into_iter()
            .map(|listener| {
                let shutdown = Shutdown {
                    requested: shutdown_rx.clone(),
                    drain: drain_tx.clone(),
                };
                spawn_listener(listener, ctx.clone(), limits.clone(), shutdown)
            })
            .collect();
        tracing::info!(addrs = ?bound_addrs, node_id = ctx.config.node_id, "broker started");
        Ok(BrokerHandle {
            bound_addrs,
            shutdown_tx,
            shutdown_rx,
            listeners,
            drain_rx,
            ctx,
        })
    }
}

impl BrokerHandle {
    /// The addresses the listeners bound (with real ports when configured with port 0).
    pub fn bound_addrs(&self) -> Vec<SocketAddr> {
        self.bound_addrs.clone()
    }

    /// The broker's shared state (for in-process tests and tooling).
    pub fn context(&self) -> &Arc<BrokerContext> {
        &self.ctx
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

    /// Stops accepting, lets connections finish the requests in flight, then closes them.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown_tx.send(true);
        for listener in self.listeners.drain(..) {
            listener
                .await
                .map_err(|e| anyhow::anyhow!("listener task failed: {e}"))?;
        }
        // Every listener (and so every drain sender it held) is gone; connections still hold
        // their clones until they end.
        let _ = self.drain_rx.recv().await;
        tracing::info!("broker stopped");
        Ok(())
    }
}
