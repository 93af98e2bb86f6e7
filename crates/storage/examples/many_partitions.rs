//! Cost of creating and re-opening many empty partitions through `LogManager` (issue 7,
//! scenario 7: 10,000 partitions).
//!
//! Run: `cargo run --release -p fjord-storage --example many_partitions -- <dir> [count]`.
//! Creates `count` (default 2000) logs `t-0..t-<count>` with a topic id (so
//! `partition.metadata` is written, as the broker does), shuts down cleanly, re-opens the
//! directory, and prints the time per partition of each phase and the open fds after each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use fjord_common::TopicPartition;
use fjord_storage::{LogConfig, LogManager, RealDisk};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: many_partitions <dir> [count]"));
    let count: usize = args.next().map_or(2000, |c| c.parse().expect("count"));
    let _ = std::fs::remove_dir_all(&dir);
    let dirs = vec![dir.clone()];
    let fds_before = open_fds();

    let start = Instant::now();
    let mut manager =
        LogManager::open(&dirs, LogConfig::default(), Arc::new(RealDisk), 0).expect("open");
    for p in 0..count {
        let tp = TopicPartition::new("t", p as i32);
        manager
            .get_or_create_log(&tp, Some([7u8; 16]), LogConfig::default(), 0)
            .expect("create");
    }
    let create = start.elapsed();
    let fds_created = open_fds() - fds_before;
    let start = Instant::now();
    manager.shutdown().expect("shutdown");
    let shutdown = start.elapsed();
    drop(manager);

    let start = Instant::now();
    let manager =
        LogManager::open(&dirs, LogConfig::default(), Arc::new(RealDisk), 0).expect("reopen");
    let reopen = start.elapsed();
    let fds_reopened = open_fds() - fds_before;
    assert_eq!(manager.all_logs().len(), count);
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e3 / count as f64;
    println!(
        "partitions={count} create={:.2}s ({:.3} ms/partition, {fds_created} fds) shutdown={:.2}s ({:.3} ms/partition) reopen={:.2}s ({:.3} ms/partition, {fds_reopened} fds)",
        create.as_secs_f64(),
        per(create),
        shutdown.as_secs_f64(),
        per(shutdown),
        reopen.as_secs_f64(),
        per(reopen),
    );
}
