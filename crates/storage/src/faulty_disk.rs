//! A [`Disk`] for fault-injection tests: real files plus a model of what is durable.
//!
//! Every file opened through a `FaultyDisk` is tracked with the length known to be synced
//! (its length when first opened, then its length at each `sync_data`). Faults:
//! - [`FaultyDisk::tear_next_write`]: the next write persists only a prefix and fails.
//! - [`FaultyDisk::crash`]: power loss: every tracked file is cut back to its synced length,
//!   optionally keeping a torn prefix of the unsynced suffix.
//! - [`FaultyDisk::flip_bit_on_read`]: reads covering a byte return it with one bit flipped.
//! - [`FaultyDisk::set_space_limit`]: ENOSPC once that many more bytes of growth were written
//!   (the write stores the prefix that fits, then fails with `StorageFull`, as `write(2)` may).
//! - [`FaultyDisk::fail_io_under`]: every operation under a directory fails with EIO.
//! - [`FaultyDisk::fail_opens_with`]: opens under a directory fail with an errno (EMFILE, say),
//!   as they do when the process runs out of file descriptors.
//!
//! Limits of the model: memory-mapped index contents bypass the seam (see [`crate::disk`]);
//! directory operations are treated as immediately durable.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::disk::{Disk, DiskFile, RealDisk};

#[derive(Debug)]
struct Tracked {
    path: Mutex<PathBuf>,
    synced_len: AtomicU64,
}

#[derive(Debug, Default)]
struct FaultState {
    files: HashMap<PathBuf, Arc<Tracked>>,
    torn_next_write: Option<usize>,
    space_left: Option<u64>,
    eio_under: Vec<PathBuf>,
    open_errno_under: Vec<(PathBuf, i32)>,
    bit_flips: Vec<(PathBuf, u64, u8)>,
}

impl FaultState {
    fn check_eio(&self, path: &Path) -> io::Result<()> {
        if self.eio_under.iter().any(|dir| path.starts_with(dir)) {
            return Err(io::Error::other(format!(
                "injected EIO on {}",
                path.display()
            )));
        }
        Ok(())
    }
}

/// Fault-injecting disk over real files (use it inside a temp dir).
#[derive(Debug, Clone, Default)]
pub struct FaultyDisk {
    state: Arc<Mutex<FaultState>>,
}

fn lock(state: &Mutex<FaultState>) -> MutexGuard<'_, FaultState> {
    // A panic while holding the lock only happens in a failing test; keep going with the data.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FaultyDisk {
    /// A disk with no faults armed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next write persists only its first `keep_bytes` bytes and then fails.
    pub fn tear_next_write(&self, keep_bytes: usize) {
        lock(&self.state).torn_next_write = Some(keep_bytes);
    }

    /// Allows `bytes` more bytes of file growth, then fails writes with ENOSPC; `None` lifts it.
    pub fn set_space_limit(&self, bytes: Option<u64>) {
        lock(&self.state).space_left = bytes;
    }

    /// Every operation on a path under `dir` fails with EIO from now on.
    pub fn fail_io_under(&self, dir: &Path) {
        lock(&self.state).eio_under.push(dir.to_path_buf());
    }

    /// Every `open` of a path under `dir` fails with OS error `errno` from now on (e.g. 24,
    /// EMFILE: the process has no file descriptor left).
    pub fn fail_opens_with(&self, dir: &Path, errno: i32) {
        lock(&self.state)
            .open_errno_under
            .push((dir.to_path_buf(), errno));
    }

    /// Clears EIO and open-failure injection.
    pub fn heal(&self) {
        let mut state = lock(&self.state);
        state.eio_under.clear();
        state.open_errno_under.clear();
    }

    /// Reads of `path` covering byte `position` see it with `bit` (0..8) flipped.
    pub fn flip_bit_on_read(&self, path: &Path, position: u64, bit: u8) {
        lock(&self.state)
            .bit_flips
            .push((path.to_path_buf(), position, bit % 8));
    }

    /// The length of `path` known to be durable, if the file is tracked.
    pub fn synced_len(&self, path: &Path) -> Option<u64> {
        lock(&self.state)
            .files
            .get(path)
            .map(|t| t.synced_len.load(Ordering::SeqCst))
    }

    /// Simulates power loss: each tracked file keeps its synced length plus at most
    /// `torn_suffix_bytes` of what was written after it. Drop every log using this disk first
    /// (their memory maps would fault on the shortened files).
    pub fn crash(&self, torn_suffix_bytes: u64) -> io::Result<()> {
        let mut state = lock(&self.state);
        state.torn_next_write = None;
        for tracked in state.files.values() {
            let path = lock_path(&tracked.path);
            let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
                continue;
            };
            let len = file.metadata()?.len();
            let synced = tracked.synced_len.load(Ordering::SeqCst);
            if len > synced {
                file.set_len(synced + (len - synced).min(torn_suffix_bytes))?;
                file.sync_all()?;
            }
            tracked.synced_len.store(synced.min(len), Ordering::SeqCst);
        }
        Ok(())
    }

    fn track(&self, path: &Path, len: u64) -> Arc<Tracked> {
        let mut state = lock(&self.state);
        state
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                Arc::new(Tracked {
                    path: Mutex::new(path.to_path_buf()),
                    synced_len: AtomicU64::new(len),
                })
            })
            .clone()
    }
}

fn lock_path(path: &Mutex<PathBuf>) -> PathBuf {
    path.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// A file opened through [`FaultyDisk`].
#[derive(Debug)]
pub struct FaultyFile {
    inner: Arc<dyn DiskFile>,
    tracked: Arc<Tracked>,
    state: Arc<Mutex<FaultState>>,
}

impl FaultyFile {
    fn path(&self) -> PathBuf {
        lock_path(&self.tracked.path)
    }
}

impl DiskFile for FaultyFile {
    fn read_exact_at(&self, buf: &mut [u8], position: u64) -> io::Result<()> {
        let path = self.path();
        let flips: Vec<(u64, u8)> = {
            let state = lock(&self.state);
            state.check_eio(&path)?;
            state
                .bit_flips
                .iter()
                .filter(|(p, _, _)| *p == path)
                .map(|(_, at, bit)| (*at, *bit))
                .collect()
        };
        self.inner.read_exact_at(buf, position)?;
        for (at, bit) in flips {
            if at >= position && at < position + buf.len() as u64 {
                buf[(at - position) as usize] ^= 1 << bit;
            }
        }
        Ok(())
    }

    fn write_all_at(&self, buf: &[u8], position: u64) -> io::Result<()> {
        let path = self.path();
        let mut state = lock(&self.state);
        state.check_eio(&path)?;
        if let Some(keep) = state.torn_next_write.take() {
            self.inner
                .write_all_at(&buf[..keep.min(buf.len())], position)?;
            return Err(io::Error::other(format!(
                "injected torn write on {}",
                path.display()
            )));
        }
        if let Some(space_left) = state.space_left {
            let len = self.inner.len()?;
            let end = position + buf.len() as u64;
            let growth = end.saturating_sub(len.max(position));
            if growth > space_left {
                let fits = (len.max(position) + space_left).saturating_sub(position) as usize;
                self.inner
                    .write_all_at(&buf[..fits.min(buf.len())], position)?;
                state.space_left = Some(0);
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            state.space_left = Some(space_left - growth);
        }
        self.inner.write_all_at(buf, position)
    }

    fn sync_data(&self) -> io::Result<()> {
        lock(&self.state).check_eio(&self.path())?;
        self.inner.sync_data()?;
        self.tracked
            .synced_len
            .store(self.inner.len()?, Ordering::SeqCst);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        lock(&self.state).check_eio(&self.path())?;
        self.inner.set_len(len)?;
        self.tracked.synced_len.fetch_min(len, Ordering::SeqCst);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        lock(&self.state).check_eio(&self.path())?;
        self.inner.len()
    }

    fn std_file(&self) -> &Arc<File> {
        self.inner.std_file()
    }
}

impl Disk for FaultyDisk {
    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn DiskFile>> {
        {
            let state = lock(&self.state);
            state.check_eio(path)?;
            if let Some((_, errno)) = state
                .open_errno_under
                .iter()
                .find(|(dir, _)| path.starts_with(dir))
            {
                return Err(io::Error::from_raw_os_error(*errno));
            }
        }
        let existed = path.exists();
        let inner = RealDisk.open(path, create)?;
        let len = if existed { inner.len()? } else { 0 };
        let tracked = self.track(path, len);
        Ok(Arc::new(FaultyFile {
            inner,
            tracked,
            state: self.state.clone(),
        }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        lock(&self.state).check_eio(path)?;
        RealDisk.create_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        lock(&self.state).check_eio(path)?;
        RealDisk.read_dir(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        RealDisk.is_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        RealDisk.exists(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        state.check_eio(path)?;
        state.files.remove(path);
        RealDisk.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        state.check_eio(path)?;
        state.files.retain(|p, _| !p.starts_with(path));
        RealDisk.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        state.check_eio(from)?;
        state.check_eio(to)?;
        RealDisk.rename(from, to)?;
        let moved: Vec<PathBuf> = state
            .files
            .keys()
            .filter(|p| p.starts_with(from))
            .cloned()
            .collect();
        for old in moved {
            if let Some(tracked) = state.files.remove(&old) {
                let new = match old.strip_prefix(from) {
                    Ok(rest) if !rest.as_os_str().is_empty() => to.join(rest),
                    _ => to.to_path_buf(),
                };
                *tracked.path.lock().unwrap_or_else(|p| p.into_inner()) = new.clone();
                state.files.insert(new, tracked);
            }
        }
        Ok(())
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        lock(&self.state).check_eio(path)?;
        RealDisk.sync_dir(path)
    }
}
