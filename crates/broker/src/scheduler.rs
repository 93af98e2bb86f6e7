//! Background tasks (Kafka `LogManager.startupWithConfigOverrides` schedules the same three):
//! - `kafka-log-retention`: retention every `log.retention.check.interval.ms`;
//! - `kafka-log-flusher`: `flush.messages`/`flush.ms` every `log.flush.scheduler.interval.ms`
//!   (Kafka's default is `Long.MAX_VALUE`: never, so no task runs);
//! - `kafka-recovery-point-checkpoint`: checkpoints every
//!   `log.flush.offset.checkpoint.interval.ms`, which bounds how much of the log an unclean
//!   restart re-validates;
//! - `kafka-log-cleaner-thread-0`: one log cleaner pass over the `cleanup.policy=compact`
//!   logs every `log.cleaner.backoff.ms` (15000) while `log.cleaner.enable` (true); Kafka's
//!   `CleanerThread` sleeps that long when it found nothing to clean.
//!
//! Each tick runs on the blocking pool (file I/O) and stops when shutdown is requested.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{BrokerContext, now_ms};
use crate::config::BrokerConfig;
use crate::state::StateError;

type Job = fn(&BrokerContext) -> Result<(), StateError>;

fn retention(ctx: &BrokerContext) -> Result<(), StateError> {
    let deleted = ctx.replicas.run_retention(now_ms())?;
    if deleted > 0 {
        tracing::info!(segments = deleted, "retention deleted segments");
    }
    Ok(())
}

fn flush(ctx: &BrokerContext) -> Result<(), StateError> {
    let started = std::time::Instant::now();
    let flushed = ctx.replicas.flush_dirty(now_ms())?;
    if flushed > 0 {
        ctx.metrics.observe_log_flush(started.elapsed());
    }
    Ok(())
}

fn checkpoint(ctx: &BrokerContext) -> Result<(), StateError> {
    ctx.replicas.checkpoint()
}

fn cleaner(ctx: &BrokerContext) -> Result<(), StateError> {
    let summary = ctx.replicas.run_cleaner(now_ms())?;
    for (partition, stats) in &summary.cleaned {
        tracing::info!(%partition, ?stats, "log cleaner cleaned a log");
    }
    for partition in &summary.failed {
        tracing::error!(%partition, "log cleaner failed; the log is marked uncleanable");
    }
    Ok(())
}

/// Kafka's `log.cleaner.backoff.ms` default.
const LOG_CLEANER_BACKOFF_DEFAULT: Duration = Duration::from_millis(15_000);

/// How often the cleaner runs: `log.cleaner.backoff.ms`, or "never" when
/// `log.cleaner.enable=false` (Kafka `CleanerConfig`).
pub fn cleaner_interval(server: &fjord_config::ServerConfig) -> Duration {
    let enabled = match server.get("log.cleaner.enable") {
        Some(fjord_config::ConfigValue::Boolean(enabled)) => *enabled,
        _ => server
            .raw()
            .get("log.cleaner.enable")
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false")),
    };
    if !enabled {
        return BrokerConfig::SCHEDULER_INTERVAL_MAX;
    }
    let backoff_ms = match server.get("log.cleaner.backoff.ms") {
        Some(fjord_config::ConfigValue::Long(v)) => u64::try_from(*v).ok(),
        Some(fjord_config::ConfigValue::Int(v)) => u64::try_from(*v).ok(),
        _ => server
            .raw()
            .get("log.cleaner.backoff.ms")
            .and_then(|v| v.trim().parse::<u64>().ok()),
    };
    backoff_ms
        .filter(|ms| *ms > 0)
        .map_or(LOG_CLEANER_BACKOFF_DEFAULT, Duration::from_millis)
}

/// Delayed joins, session expiry and offset expiry of the group coordinator shards.
fn group_timers(ctx: &BrokerContext) -> Result<(), StateError> {
    ctx.groups.tick_all(ctx);
    Ok(())
}

/// Spawns every periodic task whose interval is not "never".
pub fn spawn_all(
    ctx: &Arc<BrokerContext>,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let config = &ctx.config;
    let jobs: [(&'static str, Duration, Job); 5] = [
        (
            "kafka-log-retention",
            config.log_retention_check_interval,
            retention,
        ),
        (
            "kafka-log-flusher",
            config.log_flush_scheduler_interval,
            flush,
        ),
        (
            "kafka-recovery-point-checkpoint",
            config.log_flush_offset_checkpoint_interval,
            checkpoint,
        ),
        (
            "kafka-log-cleaner-thread-0",
            cleaner_interval(ctx.replicas.server()),
            cleaner,
        ),
        (
            "group-coordinator-timers",
            crate::group_coordinator::TICK_INTERVAL,
            group_timers,
        ),
    ];
    jobs.into_iter()
        .filter(|(_, every, _)| *every < BrokerConfig::SCHEDULER_INTERVAL_MAX)
        .map(|(name, every, job)| spawn(name, every, job, ctx.clone(), shutdown.clone()))
        .collect()
}

fn spawn(
    name: &'static str,
    every: Duration,
    job: Job,
    ctx: Arc<BrokerContext>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
            let ctx = ctx.clone();
            match tokio::task::spawn_blocking(move || job(&ctx)).await {
                Ok(Ok(())) => {}
                // Shut down underneath us: the next select sees the flag.
                Ok(Err(StateError::ShutDown)) => {}
                Ok(Err(error)) => tracing::error!(task = name, %error, "background task failed"),
                Err(error) => tracing::error!(task = name, %error, "background task panicked"),
            }
        }
    })
}
