//! Turning Kafka Java client properties into librdkafka settings for the rdkafka-based tools.
//!
//! Most names are shared (`bootstrap.servers`, `acks`, `linger.ms`, `batch.size`,
//! `compression.type`, `group.id`, `auto.offset.reset`, `isolation.level`…). Java-only keys
//! (serializer classes, `buffer.memory`, `max.block.ms`…) would make librdkafka refuse to start,
//! so they are dropped with a debug log, as the Java client only warns about unknown keys.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

/// Java client keys librdkafka does not know.
const JAVA_ONLY_KEYS: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "buffer.memory",
    "max.block.ms",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "metadata.max.age.ms.config",
    "delivery.timeout.ms.config",
    "interceptor.classes",
    "partitioner.class",
    "max.partition.fetch.bytes.config",
    "default.api.timeout.ms",
    "exclude.internal.topics",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.sample.window.ms",
    "metrics.recording.level",
    "auto.include.jmx.reporter",
    "enable.metrics.push",
    "allow.auto.create.topics",
    "client.dns.lookup",
    "retry.backoff.max.ms",
    "group.protocol",
];

/// Builds an rdkafka config from Java-style properties.
pub fn client_config(props: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in props {
        if JAVA_ONLY_KEYS.contains(&key.as_str()) {
            tracing::debug!(%key, "ignoring Java-only client property");
            continue;
        }
        // Java `compression.type=none` and librdkafka agree; Java `acks=all` is also accepted.
        config.set(key, value);
    }
    // Kafka's tools log client warnings, not librdkafka's debug chatter.
    config.set("log_level", "3");
    config
}
