//! `kafka-producer-perf-test.sh`, `kafka-consumer-perf-test.sh` and `kafka-e2e-latency.sh` over
//! rdkafka, with Kafka's progress and summary lines ([`stats`] holds the sans-IO accounting and
//! formatting of the first two).

mod batch_queue;
pub mod consumer;
pub mod e2e;
mod native_fetch;
pub mod producer;
pub mod stats;
