//! The broker's Prometheus metrics (issue 6; names and Kafka JMX equivalents in
//! `docs/metrics.md`).
//!
//! Two kinds of series:
//! - **Counted on the request path** ([`BrokerMetrics`], owned by the
//!   [`BrokerContext`](crate::api::BrokerContext)): requests by API and version, latency
//!   histograms, errors by code, network bytes, messages/bytes in and out (broker-wide and
//!   per partition), open connections, log flush latency. Only relaxed atomics on fixed
//!   tables, plus a read lock on the per-partition table; nothing per record.
//! - **Read from the live state at scrape time** ([`collector`]): per-partition offsets and
//!   size from the logs, per-group committed offsets and lag from the group coordinator,
//!   purgatory sizes. A deleted topic or group is absent from the state, so its series are
//!   absent from the next scrape; its traffic counters are dropped when the deletion is
//!   committed (and again at every scrape, against the current metadata image).
//!
//! # Layout
//! - [`histogram`]: a lock-free fixed-bucket histogram.
//! - [`requests`]: per-API tables (requests, durations, errors).
//! - [`partitions`]: per-partition traffic counters.
//! - [`observe`]: what produce and fetch responses add to them.
//! - [`response_errors`]: the error codes each response carries.
//! - [`collector`]: the scrape-time encoder.
//!
//! The text is rendered by [`MetricsRenderer`] (what the console's `/metrics` route calls)
//! in the Prometheus text format 0.0.4 ([`CONTENT_TYPE`]).

pub mod collector;
pub mod histogram;
pub mod observe;
pub mod partitions;
pub mod requests;
pub mod response_errors;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use fjord_protocol::kafka_protocol::messages::ResponseKind;
use prometheus_client::registry::Registry;

use crate::api::BrokerContext;
use histogram::AtomicHistogram;
pub use observe::ProduceTally;
use partitions::PartitionTrafficTable;
use requests::RequestMetrics;

/// The `Content-Type` of [`MetricsRenderer::render`]'s text (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Counters and histograms updated on the request path. See the module docs.
#[derive(Debug)]
pub struct BrokerMetrics {
    /// Requests, durations and errors per API.
    pub requests: RequestMetrics,
    /// Messages and bytes in/out per partition.
    pub partitions: PartitionTrafficTable,
    network_received_bytes: AtomicU64,
    network_sent_bytes: AtomicU64,
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    active_connections: AtomicI64,
    log_flush: AtomicHistogram,
    /// When these metrics (and so the broker) were created, in seconds since the Unix epoch.
    pub started_at_unix_seconds: f64,
}

impl Default for BrokerMetrics {
    fn default() -> Self {
        Self {
            requests: RequestMetrics::default(),
            partitions: PartitionTrafficTable::default(),
            network_received_bytes: AtomicU64::new(0),
            network_sent_bytes: AtomicU64::new(0),
            messages_in: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            active_connections: AtomicI64::new(0),
            log_flush: AtomicHistogram::for_flushes(),
            started_at_unix_seconds: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }
}

/// Broker-wide totals as read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrokerTotals {
    /// Bytes read from client sockets.
    pub network_received_bytes: u64,
    /// Bytes written to client sockets.
    pub network_sent_bytes: u64,
    /// Records appended by produce requests.
    pub messages_in: u64,
    /// Record-batch bytes appended by produce requests.
    pub bytes_in: u64,
    /// Record-batch bytes returned by fetches.
    pub bytes_out: u64,
    /// Connections open now.
    pub active_connections: i64,
}

/// Holds one open connection in the `fjord_active_connections` gauge until dropped.
#[derive(Debug)]
pub struct OpenConnection<'a> {
    metrics: &'a BrokerMetrics,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.metrics
            .active_connections
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl BrokerMetrics {
    /// Counts a connection as open until the returned guard drops.
    pub fn connection_opened(&self) -> OpenConnection<'_> {
        self.active_connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection { metrics: self }
    }

    /// Counts bytes read from a client socket.
    pub fn add_received_bytes(&self, bytes: usize) {
        self.network_received_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts bytes written to a client socket.
    pub fn add_sent_bytes(&self, bytes: u64) {
        self.network_sent_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn add_messages_in(&self, messages: u64, bytes: u64) {
        self.messages_in.fetch_add(messages, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes, Ordering::Relaxed);
    }

    fn add_bytes_out(&self, bytes: u64) {
        self.bytes_out.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records one log flush pass that took `elapsed`.
    pub fn observe_log_flush(&self, elapsed: Duration) {
        self.log_flush.observe(elapsed);
    }

    /// The log flush histogram.
    pub fn log_flush(&self) -> &AtomicHistogram {
        &self.log_flush
    }

    /// Counts the error codes `response` (to an `api_key` request) carries.
    pub fn record_response_errors(&self, api_key: i16, response: &ResponseKind) {
        response_errors::for_each_error(response, |code| {
            self.requests.record_error(api_key, code, 1);
        });
    }

    /// Reads the broker-wide totals.
    pub fn totals(&self) -> BrokerTotals {
        BrokerTotals {
            network_received_bytes: self.network_received_bytes.load(Ordering::Relaxed),
            network_sent_bytes: self.network_sent_bytes.load(Ordering::Relaxed),
            messages_in: self.messages_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            active_connections: self.active_connections.load(Ordering::Relaxed),
        }
    }
}

/// Renders a broker's metrics as Prometheus text; cheap to clone and shareable across
/// threads (what the cli hands the console as its `/metrics` closure). It holds the broker
/// weakly: once the broker is gone, it renders an empty exposition.
#[derive(Debug, Clone)]
pub struct MetricsRenderer {
    ctx: Weak<BrokerContext>,
}

impl MetricsRenderer {
    /// A renderer over `ctx`.
    pub fn new(ctx: &Arc<BrokerContext>) -> Self {
        Self {
            ctx: Arc::downgrade(ctx),
        }
    }

    /// The current metrics in the Prometheus text format 0.0.4. Walks the partitions and the
    /// group coordinator's shards: call it off latency-sensitive threads when there are many.
    pub fn render(&self) -> String {
        let Some(ctx) = self.ctx.upgrade() else {
            return String::new();
        };
        let mut registry = Registry::default();
        registry.register_collector(Box::new(collector::BrokerCollector::new(ctx)));
        let mut text = String::new();
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        {
            // Only a `fmt::Write` failure, which a `String` never reports.
            tracing::error!(%error, "cannot encode metrics");
        }
        text
    }

    /// [`Self::render`] as the closure type the console accepts.
    pub fn into_fn(self) -> Arc<dyn Fn() -> String + Send + Sync> {
        Arc::new(move || self.render())
    }
}
