//! Background tasks (Kafka `LogManager.startupWithConfigOverrides` schedules the same three):
//! - `kafka-log-retention`: retention every `log.retention.check.interval.ms`;
//! - `kafka-log-flusher`: `flush.messages`/`flush.ms` every `log.flush.scheduler.interval.ms`
//!   (Kafka's default is `Long.MAX_VALUE`: never, so no task runs);
//! - `kafka-recovery-point-checkpoint`: checkpoints every
//!   `log.flush.offset.checkpoint.interval.ms`, which bounds how much of the log an unclean
//!   restart re-validates.
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
    ctx.replicas.flush_dirty(now_ms()).map(|_| ())
}

fn checkpoint(ctx: &BrokerContext) -> Result<(), StateError> {
    ctx.replicas.checkpoint()
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
    let jobs: [(&'static str, Duration, Job); 4] = [
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
