//! Accept loop for one listener.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::connection::serve_connection;
use super::limits::ConnectionLimits;
use crate::api::{BrokerContext, Plane};

/// Shutdown plumbing shared by listeners and connections: a flag to watch, and a drain
/// sender each connection holds a clone of; when every clone is gone, all connections closed
/// (the mini-redis pattern).
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// Becomes `true` when shutdown starts.
    pub requested: watch::Receiver<bool>,
    /// Dropped by each connection task when it ends.
    pub drain: mpsc::Sender<()>,
}

/// Spawns the accept loop for `listener`, serving `plane`. It stops accepting when shutdown is
/// requested.
pub fn spawn_listener(
    listener: TcpListener,
    plane: Plane,
    ctx: Arc<BrokerContext>,
    limits: Arc<ConnectionLimits>,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut requested = shutdown.requested.clone();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = requested.wait_for(|stop| *stop) => break,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // EMFILE and friends: back off briefly rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let permit = match limits.try_acquire(peer.ip()) {
                Ok(permit) => permit,
                Err(error) => {
                    tracing::info!(%peer, %error, "refusing connection");
                    drop(stream);
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let ctx = ctx.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                serve_connection(stream, peer, ctx, plane, shutdown.requested).await;
                drop(permit);
                drop(shutdown.drain);
            });
        }
        tracing::debug!(addr = ?listener.local_addr().ok(), "listener stopped");
    })
}
