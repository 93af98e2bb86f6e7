//! Writes a [`ResponseFrame`] to a plaintext socket: encoded chunks with `write`, file ranges
//! with `sendfile(2)` from the segment file to the socket (no copy through user space; the
//! fetch path of the design, §4).
//!
//! Short writes and `EAGAIN` are handled by looping on tokio's readiness (`writable` +
//! `try_io`), with `sendfile` advancing its own offset. If a file turns out shorter than its
//! range (truncated after the read; on one node only recovery truncates, and it runs before
//! the listeners start) `sendfile` returns 0 early: the frame cannot be completed with the
//! announced length, so the write fails and the connection closes rather than sending a frame
//! whose size prefix lies.

use std::io;

use nix::sys::sendfile::sendfile;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::api::response_frame::{Chunk, ResponseFrame};
use fjord_storage::FileRange;

/// Writes every chunk of `frame`, in order.
pub async fn write_frame(writer: &mut OwnedWriteHalf, frame: &ResponseFrame) -> io::Result<()> {
    for chunk in frame.chunks() {
        match chunk {
            Chunk::Bytes(bytes) => writer.write_all(bytes).await?,
            Chunk::File(range) => send_file_range(writer.as_ref(), range).await?,
        }
    }
    Ok(())
}

async fn send_file_range(stream: &TcpStream, range: &FileRange) -> io::Result<()> {
    let mut offset = i64::try_from(range.position).map_err(io::Error::other)?;
    let end = offset
        .checked_add(i64::try_from(range.len).map_err(io::Error::other)?)
        .ok_or_else(|| io::Error::other("file range end overflows"))?;
    while offset < end {
        stream.writable().await?;
        let remaining = usize::try_from(end - offset).unwrap_or(usize::MAX);
        let sent = stream.try_io(Interest::WRITABLE, || {
            sendfile(stream, &*range.file, Some(&mut offset), remaining).map_err(io::Error::from)
        });
        match sent {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "segment file ended at {offset}, before the fetched range's end {end}; closing the connection to keep the frame intact"
                    ),
                ));
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
