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
//!
//! A frame of at most [`INLINE_FRAME_BYTES_MAX`] with file ranges is assembled in memory
//! (`pread` of the ranges) and sent with one `write`: a fetch at the log's tail (a few hundred
//! bytes) otherwise took a `write` per encoded chunk and a `sendfile`, four packets in all,
//! each waking the consumer. Above that size sendfile's saved copy wins.

use std::io;

use nix::sys::sendfile::sendfile;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::api::response_frame::{Chunk, ResponseFrame};
use fjord_storage::FileRange;

/// Largest frame with file ranges that is copied into one buffer and sent with one `write`.
pub const INLINE_FRAME_BYTES_MAX: u64 = 16 * 1024;

/// Writes every chunk of `frame`, in order.
pub async fn write_frame(writer: &mut OwnedWriteHalf, frame: &ResponseFrame) -> io::Result<()> {
    if frame.chunks().len() > 1 && frame.len() <= INLINE_FRAME_BYTES_MAX {
        // A range past the file's end fails the read (UnexpectedEof): the connection closes
        // before any byte of the frame is sent.
        return writer.write_all(&frame.to_bytes()?).await;
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;
    use std::sync::Arc;

    use bytes::Bytes;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;

    /// A frame of `head`, `file[position..position + len]` and `tail`.
    fn frame(file: &Arc<std::fs::File>, position: u64, len: u64) -> ResponseFrame {
        ResponseFrame::from_chunks(vec![
            Chunk::Bytes(Bytes::from_static(b"head")),
            Chunk::File(FileRange {
                file: file.clone(),
                position,
                len,
            }),
            Chunk::Bytes(Bytes::from_static(b"tail")),
        ])
    }

    /// Writes `frames` to a loopback connection, then closes it; returns the write results
    /// and every byte the peer received.
    async fn send(frames: Vec<ResponseFrame>) -> (Vec<io::Result<()>>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let writer = tokio::spawn(async move {
            let (_read, mut write) = client.into_split();
            let mut results = Vec::new();
            for frame in &frames {
                results.push(write_frame(&mut write, frame).await);
            }
            results
        });
        let mut received = Vec::new();
        server.read_to_end(&mut received).await.unwrap();
        (writer.await.unwrap(), received)
    }

    #[tokio::test]
    async fn small_frames_are_assembled_and_large_ones_sendfiled_with_the_same_bytes() {
        let mut data = tempfile::tempfile().unwrap();
        let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        data.write_all(&content).unwrap();
        let file = Arc::new(data);
        let small = frame(&file, 10, 300);
        let large = frame(&file, 1_000, 2 * INLINE_FRAME_BYTES_MAX);
        assert!(small.len() <= INLINE_FRAME_BYTES_MAX && large.len() > INLINE_FRAME_BYTES_MAX);
        let expected = [small.to_bytes().unwrap(), large.to_bytes().unwrap()].concat();
        let (results, received) = send(vec![small, large]).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(received.len(), expected.len());
        assert!(
            received == expected,
            "bytes differ from the frames' contents"
        );
        assert_eq!(&received[4..304], &content[10..310]);
    }

    #[tokio::test]
    async fn a_small_frame_whose_range_passes_the_file_end_fails_before_sending_any_byte() {
        let mut data = tempfile::tempfile().unwrap();
        data.write_all(&[7u8; 100]).unwrap();
        let file = Arc::new(data);
        let (results, received) = send(vec![frame(&file, 50, 80)]).await;
        assert_eq!(
            results[0].as_ref().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        assert!(
            received.is_empty(),
            "a partial frame was sent: {received:?}"
        );
    }
}
