//! `kafka-producer-perf-test.sh`, `kafka-consumer-perf-test.sh` and `kafka-e2e-latency.sh` over
//! rdkafka, with Kafka's progress and summary lines ([`stats`] holds the sans-IO accounting and
//! formatting of the first two).

mod batch_queue;
pub mod consumer;
pub mod e2e;
mod native_fetch;
mod native_produce;
pub mod producer;
pub mod stats;

/// The client library a perf tool drives (`--client`, a fjord extension of Kafka's tools).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PerfClient {
    /// librdkafka through rust-rdkafka: what most non-Java Kafka clients are built on.
    #[default]
    Librdkafka,
    /// fjord's own Rust client: whole batches, no per-record allocation or thread hand-off,
    /// for measuring a broker beyond librdkafka's per-record cost.
    Fjord,
}
