//! The sampler: every `sample_interval` it polls the cluster over the Kafka protocol and
//! appends to in-memory ring buffers covering the last hour, then evaluates the alert rules.
//!
//! - messages in/s per topic and for the cluster: deltas of the summed log end offsets
//!   (ListOffsets latest) over the interval;
//! - bytes in/out per second: from the broker's own counters in the `/metrics` exposition when
//!   the console is embedded (`bytes_source = "metrics"`); otherwise bytes in is the growth of
//!   the log size from DescribeLogDirs and bytes out is unknown (`bytes_source = "log-size"`);
//! - total lag per consumer group (committed offsets vs end offsets).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fjord_client::{OffsetSpec, TopicPartition};
use serde::Serialize;

use crate::alerts::{self, Observation, RuleStatus};
use crate::kafka::{self, Cluster, LogDirSummary};
use crate::server::AppState;

/// How much history the charts keep.
pub const HISTORY_SPAN: Duration = Duration::from_secs(3600);
/// Groups whose lag is sampled each tick (the rest are skipped until the list shrinks).
pub const SAMPLED_GROUPS_MAX: usize = 200;

/// Counter families read for bytes in/out when `/metrics` is available, in preference order.
const BYTES_IN_FAMILIES: &[&str] = &["fjord_broker_bytes_in_total", "fjord_bytes_in_total"];
/// See [`BYTES_IN_FAMILIES`].
const BYTES_OUT_FAMILIES: &[&str] = &["fjord_broker_bytes_out_total", "fjord_bytes_out_total"];

/// A ring buffer of `(unix ms, value)` points.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    #[serde(skip)]
    capacity: usize,
    points: VecDeque<(i64, f64)>,
}

impl Series {
    /// An empty series keeping `capacity` points.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            points: VecDeque::new(),
        }
    }

    /// Appends a point, dropping the oldest beyond capacity.
    pub fn push(&mut self, at_ms: i64, value: f64) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back((at_ms, value));
    }

    /// The points, oldest first.
    pub fn points(&self) -> &VecDeque<(i64, f64)> {
        &self.points
    }

    /// The newest value.
    pub fn last(&self) -> Option<f64> {
        self.points.back().map(|(_, v)| *v)
    }
}

/// What the previous tick saw, for deltas.
#[derive(Debug, Clone)]
struct Previous {
    at: Instant,
    topic_end: BTreeMap<String, i64>,
    log_bytes: i64,
    metric_bytes: Option<(f64, f64)>,
}

/// Everything the sampler keeps.
#[derive(Debug)]
pub struct Samples {
    capacity: usize,
    /// Cluster messages in per second.
    pub cluster_messages_in: Series,
    /// Messages in per second by topic.
    pub topic_messages_in: BTreeMap<String, Series>,
    /// Bytes in per second.
    pub bytes_in: Series,
    /// Bytes out per second (only with metrics).
    pub bytes_out: Series,
    /// `metrics` or `log-size`: where the byte rates come from.
    pub bytes_source: &'static str,
    /// Total lag by group.
    pub group_lag: BTreeMap<String, Series>,
    /// The last DescribeLogDirs summary (topic sizes for the topic list).
    pub log_dirs: LogDirSummary,
    /// Alert rule states by rule id.
    pub alert_status: BTreeMap<u64, RuleStatus>,
    /// Brokers seen since start.
    pub known_brokers: BTreeSet<i32>,
    /// The last tick's error, if it failed.
    pub last_error: Option<String>,
    /// Unix ms of the last successful tick.
    pub last_tick_ms: Option<i64>,
    previous: Option<Previous>,
    started: Instant,
}

impl Samples {
    /// Empty buffers sized for [`HISTORY_SPAN`] at `interval`.
    pub fn new(interval: Duration) -> Self {
        let capacity = usize::try_from(HISTORY_SPAN.as_millis() / interval.as_millis().max(1))
            .unwrap_or(720)
            .max(2);
        Self {
            capacity,
            cluster_messages_in: Series::new(capacity),
            topic_messages_in: BTreeMap::new(),
            bytes_in: Series::new(capacity),
            bytes_out: Series::new(capacity),
            bytes_source: "log-size",
            group_lag: BTreeMap::new(),
            log_dirs: LogDirSummary::default(),
            alert_status: BTreeMap::new(),
            known_brokers: BTreeSet::new(),
            last_error: None,
            last_tick_ms: None,
            previous: None,
            started: Instant::now(),
        }
    }

    fn series<'a>(
        map: &'a mut BTreeMap<String, Series>,
        key: &str,
        capacity: usize,
    ) -> &'a mut Series {
        map.entry(key.to_owned())
            .or_insert_with(|| Series::new(capacity))
    }
}

/// Sums the samples of the first family in `families` present in a Prometheus/OpenMetrics
/// text exposition (`name{labels} value` or `name value` lines).
pub fn sum_family(exposition: &str, families: &[&str]) -> Option<f64> {
    families.iter().find_map(|family| {
        let mut found = false;
        let mut sum = 0.0;
        for line in exposition.lines().filter(|l| !l.starts_with('#')) {
            let Some(rest) = line.strip_prefix(family) else {
                continue;
            };
            if !(rest.starts_with('{') || rest.starts_with(' ')) {
                continue;
            }
            let value_text = match rest.rfind('}') {
                Some(end) => &rest[end + 1..],
                None => rest,
            };
            if let Some(value) = value_text
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
            {
                found = true;
                sum += value;
            }
        }
        found.then_some(sum)
    })
}

/// Unix time in ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What one tick read from the cluster.
struct Reading {
    topic_end: BTreeMap<String, i64>,
    brokers: Vec<i32>,
    under_replicated: usize,
    log_dirs: LogDirSummary,
    group_lag: BTreeMap<String, i64>,
    metric_bytes: Option<(f64, f64)>,
}

async fn read_cluster(
    cluster: &Cluster,
    state: &AppState,
) -> Result<Reading, crate::error::ConsoleError> {
    let mut admin = cluster.admin().await;
    let metadata = admin.metadata(None).await?;
    let brokers: Vec<i32> = metadata.brokers.iter().map(|b| b.node_id).collect();
    let mut partitions = Vec::new();
    let mut under_replicated = 0;
    for topic in &metadata.topics {
        for p in &topic.partitions {
            if p.isr.len() < p.replicas.len() {
                under_replicated += 1;
            }
            if !topic.is_internal {
                partitions.push(TopicPartition {
                    topic: topic.name.clone(),
                    partition: p.partition,
                });
            }
        }
    }
    let ends = kafka::offsets(&mut admin, &partitions, OffsetSpec::Latest).await?;
    let mut topic_end: BTreeMap<String, i64> = BTreeMap::new();
    for (tp, end) in ends {
        *topic_end.entry(tp.topic).or_insert(0) += end;
    }
    let log_dirs = kafka::log_dirs(&mut admin, &brokers).await;
    let mut group_lag = BTreeMap::new();
    if let Ok(groups) = admin.list_groups(&[]).await {
        for group in groups.iter().take(SAMPLED_GROUPS_MAX) {
            if let Ok(rows) = kafka::group_lag(&mut admin, &group.group_id, &[]).await {
                group_lag.insert(group.group_id.clone(), kafka::total_lag(&rows));
            }
        }
    }
    let metric_bytes = state.config.metrics.as_ref().and_then(|render| {
        let text = render();
        Some((
            sum_family(&text, BYTES_IN_FAMILIES)?,
            sum_family(&text, BYTES_OUT_FAMILIES).unwrap_or(0.0),
        ))
    });
    Ok(Reading {
        topic_end,
        brokers,
        under_replicated,
        log_dirs,
        group_lag,
        metric_bytes,
    })
}

/// Folds a reading into the buffers; returns the alert observation.
fn record(samples: &mut Samples, reading: Reading, at: Instant, at_ms: i64) -> Observation {
    let capacity = samples.capacity;
    let log_bytes = reading.log_dirs.total_bytes;
    if let Some(previous) = &samples.previous {
        let seconds = at.duration_since(previous.at).as_secs_f64().max(0.001);
        let mut cluster_rate = 0.0;
        for (topic, end) in &reading.topic_end {
            let before = previous.topic_end.get(topic).copied().unwrap_or(*end);
            #[allow(clippy::cast_precision_loss)] // a rate for a chart
            let rate = (end - before).max(0) as f64 / seconds;
            cluster_rate += rate;
            Samples::series(&mut samples.topic_messages_in, topic, capacity).push(at_ms, rate);
        }
        samples.cluster_messages_in.push(at_ms, cluster_rate);
        match (reading.metric_bytes, previous.metric_bytes) {
            (Some((now_in, now_out)), Some((was_in, was_out))) => {
                samples.bytes_source = "metrics";
                samples
                    .bytes_in
                    .push(at_ms, (now_in - was_in).max(0.0) / seconds);
                samples
                    .bytes_out
                    .push(at_ms, (now_out - was_out).max(0.0) / seconds);
            }
            _ => {
                samples.bytes_source = "log-size";
                #[allow(clippy::cast_precision_loss)] // a rate for a chart
                samples.bytes_in.push(
                    at_ms,
                    (log_bytes - previous.log_bytes).max(0) as f64 / seconds,
                );
            }
        }
    }
    samples
        .topic_messages_in
        .retain(|topic, _| reading.topic_end.contains_key(topic));
    for (group, lag) in &reading.group_lag {
        #[allow(clippy::cast_precision_loss)] // a lag for a chart
        Samples::series(&mut samples.group_lag, group, capacity).push(at_ms, *lag as f64);
    }
    samples
        .group_lag
        .retain(|group, _| reading.group_lag.contains_key(group));
    samples
        .known_brokers
        .extend(reading.brokers.iter().copied());
    let brokers_missing = samples
        .known_brokers
        .iter()
        .filter(|id| !reading.brokers.contains(id))
        .copied()
        .collect();
    let observation = Observation {
        group_lag: reading.group_lag,
        brokers_missing,
        under_replicated: reading.under_replicated,
        disk_used_percent: reading.log_dirs.disk_used_percent,
    };
    samples.previous = Some(Previous {
        at,
        topic_end: reading.topic_end,
        log_bytes,
        metric_bytes: reading.metric_bytes,
    });
    samples.log_dirs = reading.log_dirs;
    samples.last_tick_ms = Some(at_ms);
    samples.last_error = None;
    observation
}

/// One sampler tick: read, record, evaluate alerts, persist and deliver events.
pub async fn tick(state: &Arc<AppState>, cluster: &Cluster) {
    let reading = match read_cluster(cluster, state).await {
        Ok(reading) => reading,
        Err(error) => {
            tracing::debug!(%error, "console sampler tick failed");
            let mut samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
            samples.last_error = Some(error.to_string());
            // A cluster we cannot reach at all counts every known broker as down.
            let observation = Observation {
                brokers_missing: samples.known_brokers.iter().copied().collect(),
                ..Observation::default()
            };
            let since_start = samples.started.elapsed();
            drop(samples);
            evaluate_rules(state, &observation, since_start, true);
            return;
        }
    };
    let (observation, since_start) = {
        let mut samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
        let observation = record(&mut samples, reading, Instant::now(), now_ms());
        (observation, samples.started.elapsed())
    };
    evaluate_rules(state, &observation, since_start, false);
}

/// Evaluates every rule; only broker-down rules when the cluster was unreachable.
fn evaluate_rules(
    state: &Arc<AppState>,
    observation: &Observation,
    now: Duration,
    only_brokers: bool,
) {
    let rules = state.with_state(|s| s.alert_rules.clone());
    let mut events = Vec::new();
    {
        let mut samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples
            .alert_status
            .retain(|id, _| rules.iter().any(|r| r.id == *id));
        for rule in &rules {
            if only_brokers && rule.condition != alerts::AlertCondition::BrokerDown {
                continue;
            }
            let status = samples.alert_status.entry(rule.id).or_default();
            if let Some(transition) = alerts::evaluate(rule, observation, status, now) {
                events.push((rule.clone(), transition, status.message.clone()));
            }
        }
    }
    for (rule, transition, message) in events {
        crate::api::alerts::emit(state, &rule, transition, message);
    }
}

/// Runs [`tick`] every `interval` until the process ends.
pub async fn run(state: Arc<AppState>, cluster: Cluster) {
    let mut interval = tokio::time::interval(state.config.sample_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tick(&state, &cluster).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_buffer_keeps_the_newest_points() {
        let mut series = Series::new(3);
        for i in 0..5 {
            series.push(i, i as f64);
        }
        assert_eq!(
            series.points().iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(Samples::new(Duration::from_secs(5)).capacity, 720);
    }

    #[test]
    fn counter_families_are_summed_across_labels() {
        let text = "# TYPE fjord_broker_bytes_in counter\nfjord_broker_bytes_in_total{topic=\"a\"} 10\nfjord_broker_bytes_in_total{topic=\"b\"} 5.5\nfjord_broker_bytes_in_total_other 99\n# EOF\n";
        assert_eq!(sum_family(text, BYTES_IN_FAMILIES), Some(15.5));
        assert_eq!(
            sum_family("fjord_bytes_out_total 7\n", BYTES_OUT_FAMILIES),
            Some(7.0)
        );
        assert_eq!(sum_family("other 1\n", BYTES_OUT_FAMILIES), None);
    }

    #[test]
    fn message_rates_come_from_end_offset_deltas() {
        let mut samples = Samples::new(Duration::from_secs(5));
        let t0 = Instant::now();
        let reading = |end: i64, brokers: Vec<i32>| Reading {
            topic_end: [("t".to_owned(), end)].into(),
            brokers,
            under_replicated: 0,
            log_dirs: LogDirSummary::default(),
            group_lag: [("g".to_owned(), end / 2)].into(),
            metric_bytes: None,
        };
        record(&mut samples, reading(100, vec![1, 2]), t0, 0);
        assert!(
            samples.cluster_messages_in.last().is_none(),
            "no rate before two samples"
        );
        let observation = record(
            &mut samples,
            reading(600, vec![1]),
            t0 + Duration::from_secs(5),
            5000,
        );
        assert_eq!(samples.cluster_messages_in.last(), Some(100.0));
        assert_eq!(samples.topic_messages_in["t"].last(), Some(100.0));
        assert_eq!(samples.group_lag["g"].last(), Some(300.0));
        assert_eq!(observation.brokers_missing, vec![2]);
        assert_eq!(samples.bytes_source, "log-size");
    }
}
