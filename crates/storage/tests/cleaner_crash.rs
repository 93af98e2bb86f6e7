//! Crash safety of cleaner swaps (Kafka `LocalLog.replaceSegments`,
//! `LogLoader.removeTempFilesAndCollectSwapFiles`).
//!
//! Method: a `Disk` wrapper over `FaultyDisk` lets the first N mutating operations (creates,
//! writes, fsyncs, renames, removes) through and fails every one after — the process "dies"
//! at operation N. Then `FaultyDisk::crash` drops whatever was not fsynced, the log is
//! reopened on a healthy disk, and what a reader sees must be the log before cleaning or
//! after it: the same key → latest value map, offsets only from the original log, strictly
//! increasing. Every N from 0 until a cleaning completes is tried.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cleaner_common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cleaner_common::*;
use fjord_storage::cleaner::{CleanerConfig, clean_log, log_to_clean, swap};
use fjord_storage::{Disk, DiskFile, FaultyDisk, Log, LogOpenOptions, RealDisk};

const T0: i64 = 1_700_000_000_000;

#[derive(Debug)]
struct Budget(AtomicI64);

impl Budget {
    fn spend(&self) -> io::Result<()> {
        if self.0.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(io::Error::other("simulated crash"));
        }
        Ok(())
    }
}

#[derive(Debug)]
struct CrashingDisk {
    inner: FaultyDisk,
    budget: Arc<Budget>,
}

#[derive(Debug)]
struct CrashingFile {
    inner: Arc<dyn DiskFile>,
    budget: Arc<Budget>,
}

impl DiskFile for CrashingFile {
    fn read_exact_at(&self, buf: &mut [u8], position: u64) -> io::Result<()> {
        self.inner.read_exact_at(buf, position)
    }
    fn write_all_at(&self, buf: &[u8], position: u64) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.write_all_at(buf, position)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn std_file(&self) -> &Arc<std::fs::File> {
        self.inner.std_file()
    }
}

impl Disk for CrashingDisk {
    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn DiskFile>> {
        if create && !self.inner.exists(path) {
            self.budget.spend()?;
        }
        Ok(Arc::new(CrashingFile {
            inner: self.inner.open(path, create)?,
            budget: self.budget.clone(),
        }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.inner.read_dir(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.inner.is_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.budget.spend()?;
        self.inner.sync_dir(path)
    }
}

fn open_with(dir: &Path, disk: Arc<dyn Disk>) -> Log {
    Log::open(dir, compact_config(), disk, LogOpenOptions::new(T0)).unwrap()
}

/// Writes the scenario (several closed segments, a tombstone, an active segment) and flushes.
fn write_scenario(log: &mut Log) {
    for round in 0..8 {
        for key in 0..4 {
            put(log, &format!("k{key}"), Some(&format!("v{round}")), T0);
        }
    }
    put(log, "k3", None, T0);
    log.roll(T0).unwrap();
    put(log, "k1", Some("active"), T0);
    log.flush().unwrap();
}

#[test]
fn every_crash_point_of_a_cleaning_round_recovers_to_before_or_after() {
    let mut completed = false;
    let mut saw_swap_recovery = false;
    for crash_at in 0..200 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t-0");
        let faulty = FaultyDisk::new();
        let budget = Arc::new(Budget(AtomicI64::new(i64::MAX)));
        let disk: Arc<dyn Disk> = Arc::new(CrashingDisk {
            inner: faulty.clone(),
            budget: budget.clone(),
        });
        let mut log = open_with(&dir, disk);
        write_scenario(&mut log);
        let before = read_all(&log);
        let expected = latest_by_key(&before);
        let original: std::collections::BTreeSet<i64> = before.iter().map(|r| r.0).collect();

        budget.0.store(crash_at, Ordering::SeqCst);
        let to_clean = log_to_clean(&log, None, T0);
        let outcome = clean_log(&mut log, &to_clean, &CleanerConfig::default(), T0);
        drop(log);
        faulty.crash(0).unwrap();
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if leftovers
            .iter()
            .any(|n| n.ends_with(swap::SWAP_FILE_SUFFIX))
        {
            saw_swap_recovery = true;
        }

        let reopened = open_with(&dir, Arc::new(RealDisk));
        let after = read_all(&reopened);
        let offsets: Vec<i64> = after.iter().map(|r| r.0).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "crash at op {crash_at}: offsets not increasing: {offsets:?} (files {leftovers:?})"
        );
        assert!(
            offsets.iter().all(|o| original.contains(o)),
            "crash at op {crash_at}: an offset appeared that was never written"
        );
        assert_eq!(
            latest_by_key(&after),
            expected,
            "crash at op {crash_at}: key → latest value changed (files {leftovers:?})"
        );
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.ends_with(".cleaned") && !n.ends_with(".swap")),
            "crash at op {crash_at}: temp files left after open: {names:?}"
        );
        if outcome.is_ok() {
            assert_eq!(
                after.len(),
                5,
                "a completed round leaves 4 keys + the active record"
            );
            completed = true;
            break;
        }
    }
    assert!(
        completed,
        "the cleaning never completed within the op budget"
    );
    assert!(
        saw_swap_recovery,
        "no crash point left a .swap file to complete"
    );
}

#[test]
fn a_leftover_cleaned_file_is_deleted_on_open_and_the_log_is_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t-0");
    let mut log = open_with(&dir, Arc::new(RealDisk));
    write_scenario(&mut log);
    let before = read_all(&log);
    drop(log);
    let cleaned = swap::cleaned_log_path(&dir, 0);
    std::fs::write(&cleaned, b"half-written garbage").unwrap();
    let log = open_with(&dir, Arc::new(RealDisk));
    assert!(!cleaned.exists());
    assert_eq!(read_all(&log), before);
}
