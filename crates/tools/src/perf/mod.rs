//! `kafka-producer-perf-test.sh` and `kafka-consumer-perf-test.sh` over rdkafka, with Kafka's
//! progress and summary lines ([`stats`] holds the sans-IO accounting and formatting).

pub mod consumer;
pub mod producer;
pub mod stats;
