//! Response frames whose record data stays in segment files until it reaches the socket.
//!
//! A Fetch response is encoded by the generated `kafka-protocol` code like any other, except
//! that each partition's `records` field holds a 16-byte random marker instead of the data.
//! [`encode_with_files`] then finds each marker (in order) in the encoded bytes, replaces its
//! length prefix with the real length (an `INT32` before v12, an unsigned varint of length + 1
//! in the flexible versions, `FetchResponse.json` `Records` type) and splices the file ranges
//! in. The frame's size prefix is rewritten to the final length. The connection writer sends
//! byte chunks with `write` and file chunks with `sendfile(2)` (see `net::send`).
//!
//! The markers are random per request, so they cannot be confused with other response bytes
//! (the only other variable content is names and ids); a marker that is not found, or whose
//! prefix is not the expected one, is an encoding error and the request's connection closes
//! rather than sending a corrupt frame.

use std::os::unix::fs::FileExt;

use bytes::{BufMut, Bytes, BytesMut};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::ResponseKind;
use fjord_storage::FileRange;

/// Bytes of a records marker.
pub const MARKER_BYTES: usize = 16;
/// First Fetch version with flexible (compact) encoding (KIP-482).
const FETCH_FLEXIBLE_VERSION_MIN: i16 = 12;

/// One partition's records, left in the segment files.
#[derive(Debug, Clone)]
pub struct FileSlice {
    /// The marker placed in the partition's `records` field.
    pub marker: [u8; MARKER_BYTES],
    /// The file ranges, in log order (whole batches).
    pub ranges: Vec<FileRange>,
}

impl FileSlice {
    /// A slice with a fresh random marker (the thread's CSPRNG: no syscall per fetch).
    pub fn new(ranges: Vec<FileRange>) -> Self {
        Self {
            marker: rand::random(),
            ranges,
        }
    }

    /// Total bytes of the ranges.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|r| r.len).sum()
    }

    /// Whether the slice holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A piece of a response frame.
#[derive(Debug, Clone)]
pub enum Chunk {
    /// Encoded bytes.
    Bytes(Bytes),
    /// Bytes of a segment file, sent with `sendfile(2)` on plaintext sockets.
    File(FileRange),
}

/// A complete response frame (size prefix included) as chunks.
#[derive(Debug, Clone, Default)]
pub struct ResponseFrame {
    chunks: Vec<Chunk>,
}

impl ResponseFrame {
    /// A frame that is already fully encoded.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self {
            chunks: vec![Chunk::Bytes(bytes)],
        }
    }

    /// A frame made of the given chunks (tests of the writers).
    #[cfg(test)]
    pub(crate) fn from_chunks(chunks: Vec<Chunk>) -> Self {
        Self { chunks }
    }

    /// The chunks, in wire order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// Total frame length in bytes, size prefix included.
    pub fn len(&self) -> u64 {
        self.chunks
            .iter()
            .map(|c| match c {
                Chunk::Bytes(b) => b.len() as u64,
                Chunk::File(r) => r.len,
            })
            .sum()
    }

    /// Whether the frame is empty (never for a real response).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole frame in memory, file ranges read with `pread` (for transports without
    /// sendfile, and tests). Fails if a file is shorter than its range.
    pub fn to_bytes(&self) -> std::io::Result<Bytes> {
        let mut out = BytesMut::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        for chunk in &self.chunks {
            match chunk {
                Chunk::Bytes(b) => out.put_slice(b),
                Chunk::File(range) => {
                    let start = out.len();
                    let len = usize::try_from(range.len).map_err(std::io::Error::other)?;
                    out.resize(start + len, 0);
                    range
                        .file
                        .read_exact_at(&mut out[start..], range.position)?;
                }
            }
        }
        Ok(out.freeze())
    }
}

/// Why a frame with files could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The message itself did not encode.
    #[error("{0}")]
    Encode(#[from] anyhow::Error),
    /// A records marker was not where the encoding puts it.
    #[error("records marker {index} not found after byte {after} of the encoded response")]
    MarkerMissing {
        /// Which slice.
        index: usize,
        /// Search start.
        after: usize,
    },
    /// The frame would exceed the protocol's `INT32` size.
    #[error("response frame of {0} bytes exceeds the protocol's INT32 size")]
    TooLarge(u64),
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn unsigned_varint(mut value: u64, out: &mut BytesMut) {
    while value >= 0x80 {
        out.put_u8((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.put_u8(value as u8);
}

/// Encodes `response` (whose file-backed `records` fields hold the markers of `files`, in
/// encoding order) and splices the file ranges in place of the markers.
pub fn encode_with_files(
    header: &RequestHeader,
    response: &ResponseKind,
    files: Vec<FileSlice>,
) -> Result<ResponseFrame, FrameError> {
    let mut buf = super::encode_response_buf(header, response)?;
    if files.is_empty() {
        return Ok(ResponseFrame::from_bytes(buf.freeze()));
    }
    let flexible = header.api_version >= FETCH_FLEXIBLE_VERSION_MIN;
    // Pass 1: locate markers and check the length prefix the encoder wrote before each.
    let mut located = Vec::with_capacity(files.len());
    let mut cursor = 0usize;
    for (index, slice) in files.iter().enumerate() {
        let at = find(&buf, &slice.marker, cursor).ok_or(FrameError::MarkerMissing {
            index,
            after: cursor,
        })?;
        let prefix_len = if flexible { 1 } else { 4 };
        let expected: &[u8] = if flexible {
            &[MARKER_BYTES as u8 + 1]
        } else {
            &(MARKER_BYTES as i32).to_be_bytes()
        };
        if at < prefix_len || &buf[at - prefix_len..at] != expected {
            return Err(FrameError::MarkerMissing {
                index,
                after: cursor,
            });
        }
        let mut prefix = BytesMut::with_capacity(5);
        let len = slice.len();
        if flexible {
            unsigned_varint(len + 1, &mut prefix);
        } else {
            let len = i32::try_from(len).map_err(|_| FrameError::TooLarge(len))?;
            prefix.put_i32(len);
        }
        located.push((at - prefix_len, at + MARKER_BYTES, prefix.freeze()));
        cursor = at + MARKER_BYTES;
    }
    let removed: u64 = located
        .iter()
        .map(|(start, end, _)| (end - start) as u64)
        .sum();
    let added: u64 = located
        .iter()
        .zip(&files)
        .map(|((_, _, prefix), slice)| prefix.len() as u64 + slice.len())
        .sum();
    let total = buf.len() as u64 - 4 - removed + added;
    let size = i32::try_from(total).map_err(|_| FrameError::TooLarge(total))?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    // Pass 2: cut the encoded bytes around the markers and splice prefixes and files in.
    let bytes = buf.freeze();
    let mut chunks = Vec::with_capacity(files.len() * 3 + 1);
    let mut cursor = 0usize;
    for ((start, end, prefix), slice) in located.into_iter().zip(files) {
        chunks.push(Chunk::Bytes(bytes.slice(cursor..start)));
        chunks.push(Chunk::Bytes(prefix));
        chunks.extend(slice.ranges.into_iter().map(Chunk::File));
        cursor = end;
    }
    chunks.push(Chunk::Bytes(bytes.slice(cursor..)));
    Ok(ResponseFrame { chunks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths_follow_kafka_unsigned_varint() {
        let mut out = BytesMut::new();
        unsigned_varint(300, &mut out);
        assert_eq!(&out[..], &[0xac, 0x02]);
    }
}
