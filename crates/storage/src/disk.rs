//! The seam all log file I/O goes through.
//!
//! [`Disk`] opens files and manipulates directories; [`DiskFile`] does positional reads and
//! writes, `fdatasync` and length changes. [`RealDisk`] is `std::fs` with
//! `std::os::unix::fs::FileExt`; [`crate::FaultyDisk`] wraps it to inject faults in tests.
//!
//! Index files are memory-mapped ([`crate::index`]): the map is created over
//! [`DiskFile::std_file`] of a file opened for that purpose and closed right after (Kafka
//! `AbstractIndex`), so index *contents* bypass the seam while their opens, length changes and
//! syncs go through it. Fetch responses hand out [`DiskFile::std_file`] for `sendfile(2)`, so
//! injected read faults apply to the storage layer's own reads (recovery, lookups), not to bytes
//! sent to clients.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open file.
pub trait DiskFile: Send + Sync + Debug {
    /// Reads exactly `buf.len()` bytes at `position`; `UnexpectedEof` if the file is shorter.
    fn read_exact_at(&self, buf: &mut [u8], position: u64) -> io::Result<()>;
    /// Writes all of `buf` at `position`.
    fn write_all_at(&self, buf: &[u8], position: u64) -> io::Result<()>;
    /// Writes `head` and then `body` right after it, from `position`: a batch with its
    /// patched header in front of the client's bytes. [`RealFile`] does it in one `pwritev`.
    fn write_all_at_pair(&self, head: &[u8], body: &[u8], position: u64) -> io::Result<()> {
        self.write_all_at(head, position)?;
        self.write_all_at(body, position + head.len() as u64)
    }
    /// Makes written data durable (`fdatasync`).
    fn sync_data(&self) -> io::Result<()>;
    /// Truncates or extends the file.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// The current file length.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// The underlying std file, for memory maps and zero-copy sends.
    fn std_file(&self) -> &Arc<File>;
}

/// A file system.
pub trait Disk: Send + Sync + Debug {
    /// Opens `path` for reading and writing, creating it when `create` is set.
    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn DiskFile>>;
    /// Creates a directory and its parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Lists a directory's entries (full paths), sorted by name for determinism.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether `path` exists.
    fn exists(&self, path: &Path) -> bool;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory tree.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Renames a file or directory (atomic within a file system).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes directory entry changes (creates, renames, deletes) durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Reads a whole (small) file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let file = self.open(path, false)?;
        let len = file.len()?;
        let mut buf = vec![0u8; usize::try_from(len).map_err(io::Error::other)?];
        file.read_exact_at(&mut buf, 0)?;
        Ok(buf)
    }
}

/// `std::fs` files.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealDisk;

/// A `std::fs::File` behind [`DiskFile`].
#[derive(Debug)]
pub struct RealFile {
    file: Arc<File>,
}

impl RealFile {
    /// Wraps an open file.
    pub fn new(file: File) -> Self {
        Self {
            file: Arc::new(file),
        }
    }
}

impl DiskFile for RealFile {
    fn read_exact_at(&self, buf: &mut [u8], position: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, position)
    }
    fn write_all_at(&self, buf: &[u8], position: u64) -> io::Result<()> {
        self.file.write_all_at(buf, position)
    }
    fn write_all_at_pair(&self, head: &[u8], body: &[u8], position: u64) -> io::Result<()> {
        let offset = i64::try_from(position).map_err(io::Error::other)?;
        let slices = [io::IoSlice::new(head), io::IoSlice::new(body)];
        let written = loop {
            match nix::sys::uio::pwritev(&*self.file, &slices, offset) {
                Ok(written) => break written,
                Err(nix::errno::Errno::EINTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        };
        // A short write (rare on a regular file) finishes with plain positional writes.
        if written < head.len() {
            self.file
                .write_all_at(&head[written..], position + written as u64)?;
            self.file.write_all_at(body, position + head.len() as u64)
        } else {
            let done = written - head.len();
            self.file
                .write_all_at(&body[done..], position + written as u64)
        }
    }
    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn std_file(&self) -> &Arc<File> {
        &self.file
    }
}

impl Disk for RealDisk {
    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn DiskFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .open(path)?;
        Ok(Arc::new(RealFile::new(file)))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            out.push(entry?.path());
        }
        out.sort();
        Ok(out)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn write_all_at_pair_writes_head_then_body_at_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = RealDisk.open(&dir.path().join("f"), true).unwrap();
        file.write_all_at(b"0123456789", 0).unwrap();
        file.write_all_at_pair(b"ab", b"cdefgh", 4).unwrap();
        assert_eq!(file.len().unwrap(), 12);
        file.write_all_at_pair(b"X", b"YZ", 12).unwrap();
        let mut all = [0u8; 15];
        file.read_exact_at(&mut all, 0).unwrap();
        assert_eq!(&all, b"0123abcdefghXYZ");
    }
}
