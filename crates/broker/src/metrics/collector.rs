//! [`BrokerCollector`]: encodes every series at scrape time (a prometheus-client
//! [`Collector`]). Counters come from [`super::BrokerMetrics`]; per-partition gauges from
//! the live logs of the topics in the current metadata image; per-group series from the group
//! coordinator's shards; purgatory gauges from the parked requests. Nothing is cached between
//! scrapes, so a deleted topic or group cannot linger.

use std::sync::Arc;

use fjord_common::TopicPartition;
use fjord_coordinator::OffsetFetchGroupRequest;
use fjord_protocol::kafka_protocol::ResponseError;
use fjord_protocol::kafka_protocol::messages::ApiKey;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::histogram::HistogramSnapshot;
use crate::api::BrokerContext;

/// Encodes a broker's metrics on each scrape.
#[derive(Debug)]
pub struct BrokerCollector {
    ctx: Arc<BrokerContext>,
}

/// One partition's log as read at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSample {
    /// The partition.
    pub tp: TopicPartition,
    /// First offset still in the log.
    pub log_start_offset: i64,
    /// Offset the next append gets.
    pub log_end_offset: i64,
    /// Last committed offset + 1 (what consumers may read up to).
    pub high_watermark: i64,
    /// Bytes of all segments.
    pub size_bytes: u64,
}

/// One committed offset of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffsetSample {
    /// The group.
    pub group: String,
    /// The partition.
    pub tp: TopicPartition,
    /// The committed offset.
    pub committed_offset: i64,
    /// High watermark minus committed offset, floored at 0 (`kafka-consumer-groups.sh
    /// --describe`'s LAG, which uses the partition's latest offset).
    pub lag: i64,
}

/// An API key's name as Kafka's `RequestMetrics` labels it (`Produce`, `Fetch`, …).
pub fn api_name(api_key: i16) -> String {
    ApiKey::try_from(api_key).map_or_else(|()| format!("ApiKey{api_key}"), |k| format!("{k:?}"))
}

/// An error code's name as Kafka's `Errors` enum spells it (`UNKNOWN_TOPIC_OR_PARTITION`),
/// derived from kafka-protocol's variant names; `UNKNOWN_ERROR_CODE_<n>` for codes it does
/// not list.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_owned(),
        Some(ResponseError::Unknown(code)) => format!("UNKNOWN_ERROR_CODE_{code}"),
        Some(error) => {
            let camel = format!("{error:?}");
            let mut snake = String::with_capacity(camel.len() + 8);
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(ch.to_ascii_uppercase());
            }
            snake
        }
    }
}

impl BrokerCollector {
    /// A collector over `ctx`.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        Self { ctx }
    }

    /// Every partition of the current image that has a log here, sorted.
    pub fn partitions(&self) -> Vec<PartitionSample> {
        let image = self.ctx.replicas.image();
        let mut samples = Vec::new();
        for (name, topic) in image.topics() {
            for index in topic.partitions.keys() {
                let tp = TopicPartition::new(name.clone(), *index);
                let Some(log) = self.ctx.replicas.log(&tp) else {
                    continue;
                };
                let log = log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let log_end_offset = log.log_end_offset();
                samples.push(PartitionSample {
                    log_start_offset: log.log_start_offset(),
                    high_watermark: log.high_watermark().unwrap_or(log_end_offset),
                    log_end_offset,
                    size_bytes: log.size_bytes(),
                    tp,
                });
            }
        }
        samples
    }

    /// Every committed offset of every group on a partition that still exists, with its lag
    /// against `partitions`' high watermarks. Empty when no group was ever used or the
    /// coordinator is shutting down.
    pub fn group_offsets(&self, partitions: &[PartitionSample]) -> Vec<GroupOffsetSample> {
        let committed = self.ctx.groups.read_all(&self.ctx, |shard| {
            let mut offsets = Vec::new();
            for group in shard.list_groups(&[], &[]) {
                let fetched = shard.offset_fetch(&OffsetFetchGroupRequest {
                    group_id: group.group_id.clone(),
                    topics: None,
                });
                for (topic, partitions) in fetched.topics {
                    for partition in partitions.into_iter().filter(|p| p.offset >= 0) {
                        offsets.push((
                            group.group_id.clone(),
                            TopicPartition::new(topic.clone(), partition.partition),
                            partition.offset,
                        ));
                    }
                }
            }
            offsets
        });
        let committed = match committed {
            Ok(committed) => committed,
            Err(error) => {
                tracing::debug!(%error, "group metrics skipped");
                return Vec::new();
            }
        };
        let mut samples: Vec<GroupOffsetSample> = committed
            .into_iter()
            .filter_map(|(group, tp, committed_offset)| {
                let partition = partitions.iter().find(|p| p.tp == tp)?;
                Some(GroupOffsetSample {
                    lag: (partition.high_watermark - committed_offset).max(0),
                    group,
                    tp,
                    committed_offset,
                })
            })
            .collect();
        samples.sort_by(|a, b| (&a.group, &a.tp).cmp(&(&b.group, &b.tp)));
        samples
    }

    fn encode_requests(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let requests = &self.ctx.metrics.requests;
        let mut family = encoder.encode_descriptor(
            "fjord_requests",
            "Requests handled, by API and version (Kafka RequestMetrics RequestsPerSec).",
            None,
            MetricType::Counter,
        )?;
        for count in requests.version_counts() {
            let labels = [
                ("api", api_name(count.api_key)),
                ("version", count.version.to_string()),
            ];
            family
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, u64, u64>(&count.count, None)?;
        }
        let mut family = encoder.encode_descriptor(
            "fjord_request_duration_seconds",
            "Time from a request frame's arrival to its response being encoded (Kafka RequestMetrics TotalTimeMs, less the send).",
            None,
            MetricType::Histogram,
        )?;
        for (api_key, histogram) in requests.durations() {
            let labels = [("api", api_name(api_key))];
            encode_histogram(&mut family.encode_family(&labels)?, &histogram.snapshot())?;
        }
        let mut family = encoder.encode_descriptor(
            "fjord_errors",
            "Error codes in responses, by API and Kafka error name; one per failed partition, topic or group entry (Kafka RequestMetrics ErrorsPerSec).",
            None,
            MetricType::Counter,
        )?;
        for count in requests.error_counts() {
            let labels = [
                ("api", api_name(count.api_key)),
                ("error", error_name(count.error_code)),
            ];
            family
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, u64, u64>(&count.count, None)?;
        }
        Ok(())
    }

    fn encode_broker(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let totals = self.ctx.metrics.totals();
        let counters: [(&str, &str, u64); 5] = [
            (
                "fjord_network_received_bytes",
                "Bytes read from client connections (Kafka socket-server-metrics incoming-byte-total).",
                totals.network_received_bytes,
            ),
            (
                "fjord_network_sent_bytes",
                "Bytes written to client connections (Kafka socket-server-metrics outgoing-byte-total).",
                totals.network_sent_bytes,
            ),
            (
                "fjord_messages_in",
                "Records appended by produce requests (Kafka BrokerTopicMetrics MessagesInPerSec).",
                totals.messages_in,
            ),
            (
                "fjord_bytes_in",
                "Record-batch bytes appended by produce requests (Kafka BrokerTopicMetrics BytesInPerSec).",
                totals.bytes_in,
            ),
            (
                "fjord_bytes_out",
                "Record-batch bytes returned by fetches (Kafka BrokerTopicMetrics BytesOutPerSec).",
                totals.bytes_out,
            ),
        ];
        for (name, help, value) in counters {
            encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?
                .encode_counter::<NoLabelSet, u64, u64>(&value, None)?;
        }
        // Kafka's app-info MBean (kafka.server:type=app-info,id=N: version, start-time-ms).
        encoder
            .encode_descriptor(
                "fjord_broker_info",
                "Always 1; labels carry this broker's node id and fjord version (Kafka app-info version).",
                None,
                MetricType::Gauge,
            )?
            .encode_family(&[
                ("node_id", self.ctx.config.node_id.to_string()),
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ])?
            .encode_gauge(&1i64)?;
        encoder
            .encode_descriptor(
                "fjord_start_time_seconds",
                "When this broker started, seconds since the Unix epoch (Kafka app-info start-time-ms).",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&self.ctx.metrics.started_at_unix_seconds)?;
        encoder
            .encode_descriptor(
                "fjord_active_connections",
                "Client connections open now (Kafka socket-server-metrics connection-count).",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&totals.active_connections)?;
        let (fetches, watches) = self.ctx.replicas.waiters().parked();
        let rebalance = self.ctx.groups.waiting_requests();
        // Single node: acks=-1 is satisfied by the leader's append, so no produce ever waits
        // (Kafka's Produce purgatory holds requests until the ISR has the records).
        let purgatory: [(&str, usize, usize); 3] = [
            ("Fetch", fetches, watches),
            ("Produce", 0, 0),
            ("Rebalance", rebalance, rebalance),
        ];
        let mut family = encoder.encode_descriptor(
            "fjord_purgatory_delayed_operations",
            "Requests parked now: long-poll fetches, produce requests waiting for acks, JoinGroup/SyncGroup waiting for the group (Kafka DelayedOperationPurgatory NumDelayedOperations).",
            None,
            MetricType::Gauge,
        )?;
        for (operation, operations, _) in purgatory {
            family
                .encode_family(&[("delayed_operation", operation)])?
                .encode_gauge(&operations)?;
        }
        let mut family = encoder.encode_descriptor(
            "fjord_purgatory_size",
            "Watch entries of the parked requests: one per partition a parked fetch waits on (Kafka DelayedOperationPurgatory PurgatorySize).",
            None,
            MetricType::Gauge,
        )?;
        for (operation, _, watched) in purgatory {
            family
                .encode_family(&[("delayed_operation", operation)])?
                .encode_gauge(&watched)?;
        }
        let mut family = encoder.encode_descriptor(
            "fjord_log_flush_duration_seconds",
            "Time of each flush pass of the log flusher (flush.messages / flush.ms) (Kafka LogFlushStats LogFlushRateAndTimeMs).",
            None,
            MetricType::Histogram,
        )?;
        encode_histogram(&mut family, &self.ctx.metrics.log_flush().snapshot())
    }

    fn encode_partitions(
        &self,
        encoder: &mut DescriptorEncoder,
        partitions: &[PartitionSample],
    ) -> Result<(), std::fmt::Error> {
        type Gauge = fn(&PartitionSample) -> i64;
        let gauges: [(&str, &str, Gauge); 4] = [
            (
                "fjord_partition_log_end_offset",
                "Offset the next record appended to the partition gets (Kafka Log LogEndOffset).",
                |p| p.log_end_offset,
            ),
            (
                "fjord_partition_log_start_offset",
                "First offset still in the partition's log (Kafka Log LogStartOffset).",
                |p| p.log_start_offset,
            ),
            (
                "fjord_partition_high_watermark",
                "Offset up to which consumers may read (Kafka Partition high watermark; kafka-get-offsets.sh latest).",
                |p| p.high_watermark,
            ),
            (
                "fjord_partition_size_bytes",
                "Bytes of the partition's segments on disk (Kafka Log Size).",
                |p| i64::try_from(p.size_bytes).unwrap_or(i64::MAX),
            ),
        ];
        for (name, help, value) in gauges {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for partition in partitions {
                family
                    .encode_family(&partition_labels(&partition.tp))?
                    .encode_gauge(&value(partition))?;
            }
        }
        let traffic: Vec<_> = partitions
            .iter()
            .map(|p| {
                self.ctx
                    .metrics
                    .partitions
                    .snapshot(&p.tp.topic, p.tp.partition)
            })
            .collect();
        type Counter = fn(&super::partitions::TrafficSnapshot) -> u64;
        let counters: [(&str, &str, Counter); 3] = [
            (
                "fjord_partition_messages_in",
                "Records appended to the partition by produce requests (Kafka BrokerTopicMetrics MessagesInPerSec,topic=…).",
                |t| t.messages_in,
            ),
            (
                "fjord_partition_bytes_in",
                "Record-batch bytes appended to the partition by produce requests (Kafka BrokerTopicMetrics BytesInPerSec,topic=…).",
                |t| t.bytes_in,
            ),
            (
                "fjord_partition_bytes_out",
                "Record-batch bytes of the partition returned by fetches (Kafka BrokerTopicMetrics BytesOutPerSec,topic=…).",
                |t| t.bytes_out,
            ),
        ];
        for (name, help, value) in counters {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (partition, traffic) in partitions.iter().zip(&traffic) {
                family
                    .encode_family(&partition_labels(&partition.tp))?
                    .encode_counter::<NoLabelSet, u64, u64>(&value(traffic), None)?;
            }
        }
        Ok(())
    }

    fn encode_groups(
        &self,
        encoder: &mut DescriptorEncoder,
        partitions: &[PartitionSample],
    ) -> Result<(), std::fmt::Error> {
        let groups = self.group_offsets(partitions);
        type Gauge = fn(&GroupOffsetSample) -> i64;
        let gauges: [(&str, &str, Gauge); 2] = [
            (
                "fjord_consumer_group_committed_offset",
                "Offset the group committed for the partition (kafka-consumer-groups.sh --describe CURRENT-OFFSET).",
                |g| g.committed_offset,
            ),
            (
                "fjord_consumer_group_lag",
                "High watermark minus the committed offset (kafka-consumer-groups.sh --describe LAG; the consumer's records-lag).",
                |g| g.lag,
            ),
        ];
        for (name, help, value) in gauges {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for sample in &groups {
                let labels = [
                    ("group", sample.group.clone()),
                    ("topic", sample.tp.topic.clone()),
                    ("partition", sample.tp.partition.to_string()),
                ];
                family
                    .encode_family(&labels)?
                    .encode_gauge(&value(sample))?;
            }
        }
        Ok(())
    }
}

fn partition_labels(tp: &TopicPartition) -> [(&'static str, String); 2] {
    [
        ("topic", tp.topic.clone()),
        ("partition", tp.partition.to_string()),
    ]
}

fn encode_histogram(
    encoder: &mut prometheus_client::encoding::MetricEncoder,
    snapshot: &HistogramSnapshot,
) -> Result<(), std::fmt::Error> {
    encoder.encode_histogram::<NoLabelSet>(
        snapshot.sum_seconds,
        snapshot.count,
        &snapshot.buckets,
        None,
    )
}

impl Collector for BrokerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // Counters of topics deleted since the last scrape (by any path) go now.
        self.ctx
            .metrics
            .partitions
            .retain_existing(&self.ctx.replicas.image());
        self.encode_requests(&mut encoder)?;
        self.encode_broker(&mut encoder)?;
        let partitions = self.partitions();
        self.encode_partitions(&mut encoder, &partitions)?;
        self.encode_groups(&mut encoder, &partitions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_follow_kafka_request_names() {
        assert_eq!(api_name(0), "Produce");
        assert_eq!(api_name(1), "Fetch");
        assert_eq!(api_name(18), "ApiVersions");
    }

    #[test]
    fn error_names_follow_kafka_errors_constants() {
        // org.apache.kafka.common.protocol.Errors
        assert_eq!(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(error_name(-1), "UNKNOWN_SERVER_ERROR");
        assert_eq!(error_name(27), "REBALANCE_IN_PROGRESS");
        assert_eq!(error_name(6), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(error_name(0), "NONE");
        assert_eq!(error_name(30_000), "UNKNOWN_ERROR_CODE_30000");
    }
}
