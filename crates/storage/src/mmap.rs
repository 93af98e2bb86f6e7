//! The one module allowed to use `unsafe`: memory maps of index files (memmap2).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

use memmap2::MmapMut;

/// Maps the whole of `file` read-write and shared, so stores reach the page cache and, on
/// `flush`, the disk (Kafka's `MappedByteBuffer` in `AbstractIndex`).
pub(crate) fn map_shared(file: &File) -> io::Result<MmapMut> {
    // SAFETY: memmap2 requires that the file is not truncated or modified by others while
    // mapped. Index files live in a log directory owned by this process (the directory's
    // `.lock` is held by the LogManager) and each index file is mapped by exactly one
    // `IndexFile`, which drops its map before every `set_len` and remaps afterwards; so no
    // access through the map can fall outside the file.
    unsafe { MmapMut::map_mut(file) }
}
