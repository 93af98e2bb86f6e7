//! Per-partition traffic counters: messages in, bytes in, bytes out (Kafka
//! `BrokerTopicMetrics` `MessagesInPerSec` / `BytesInPerSec` / `BytesOutPerSec`, which Kafka
//! keeps per topic; fjord keeps them per partition and Prometheus sums by `topic`).
//!
//! Hot path: one read lock on a map keyed by topic name (looked up by `&str`, no allocation)
//! and by partition, then relaxed atomic adds. The write lock is taken only the first time a
//! partition is seen and when deleted topics are pruned. The per-partition gauges (offsets,
//! size) are not kept here: the scrape reads them from the live logs.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use fjord_metadata::MetadataImage;

/// The traffic counters of one partition.
#[derive(Debug, Default)]
pub struct PartitionTraffic {
    /// Records appended by produce requests.
    pub messages_in: AtomicU64,
    /// Record-batch bytes appended by produce requests (as sent by the producer).
    pub bytes_in: AtomicU64,
    /// Record-batch bytes returned by fetch responses.
    pub bytes_out: AtomicU64,
}

/// A partition's counters as read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrafficSnapshot {
    /// Records appended.
    pub messages_in: u64,
    /// Bytes appended.
    pub bytes_in: u64,
    /// Bytes fetched.
    pub bytes_out: u64,
}

impl PartitionTraffic {
    fn snapshot(&self) -> TrafficSnapshot {
        TrafficSnapshot {
            messages_in: self.messages_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

type Table = HashMap<String, HashMap<i32, PartitionTraffic>>;

/// Traffic counters of every partition that saw traffic since start (or since its topic was
/// last re-created).
#[derive(Debug, Default)]
pub struct PartitionTrafficTable {
    topics: RwLock<Table>,
}

impl PartitionTrafficTable {
    /// Runs `f` on the counters of (`topic`, `partition`), creating them on first use.
    fn with<T>(&self, topic: &str, partition: i32, f: impl Fn(&PartitionTraffic) -> T) -> T {
        {
            let topics = self
                .topics
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(counters) = topics.get(topic).and_then(|p| p.get(&partition)) {
                return f(counters);
            }
        }
        let mut topics = self
            .topics
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counters = topics
            .entry(topic.to_owned())
            .or_default()
            .entry(partition)
            .or_default();
        f(counters)
    }

    /// Counts a successful append of `messages` records in `bytes` batch bytes.
    pub fn record_append(&self, topic: &str, partition: i32, messages: u64, bytes: u64) {
        self.with(topic, partition, |c| {
            c.messages_in.fetch_add(messages, Ordering::Relaxed);
            c.bytes_in.fetch_add(bytes, Ordering::Relaxed);
        });
    }

    /// Counts `bytes` of record batches returned to a fetcher.
    pub fn record_fetch(&self, topic: &str, partition: i32, bytes: u64) {
        self.with(topic, partition, |c| {
            c.bytes_out.fetch_add(bytes, Ordering::Relaxed);
        });
    }

    /// The counters of (`topic`, `partition`); zero when it saw no traffic.
    pub fn snapshot(&self, topic: &str, partition: i32) -> TrafficSnapshot {
        self.topics
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(topic)
            .and_then(|p| p.get(&partition))
            .map(PartitionTraffic::snapshot)
            .unwrap_or_default()
    }

    /// Drops the counters of topics and partitions `image` no longer has, so a deleted
    /// topic's series leave `/metrics` and a re-created one starts from zero.
    pub fn retain_existing(&self, image: &MetadataImage) {
        let mut topics = self
            .topics
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        topics.retain(|name, partitions| match image.topic(name) {
            Some(topic) => {
                partitions.retain(|index, _| topic.partitions.contains_key(index));
                !partitions.is_empty()
            }
            None => false,
        });
    }

    /// Drops every counter of `topic` (its deletion was just committed).
    pub fn forget_topic(&self, topic: &str) {
        self.topics
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(topic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accumulate_per_partition_and_forget_removes_a_topic() {
        let table = PartitionTrafficTable::default();
        table.record_append("t", 0, 10, 1000);
        table.record_append("t", 0, 5, 500);
        table.record_append("t", 1, 1, 100);
        table.record_fetch("t", 0, 700);
        assert_eq!(
            table.snapshot("t", 0),
            TrafficSnapshot {
                messages_in: 15,
                bytes_in: 1500,
                bytes_out: 700
            }
        );
        assert_eq!(table.snapshot("t", 1).messages_in, 1);
        table.forget_topic("t");
        assert_eq!(table.snapshot("t", 0), TrafficSnapshot::default());
    }
}
