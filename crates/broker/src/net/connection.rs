//! One client connection: a reader that frames requests and a writer that sends replies in
//! request order.
//!
//! Kafka semantics kept here:
//! - a frame whose size prefix exceeds `socket.request.max.bytes` closes the connection
//!   (`NetworkReceive` → `InvalidReceiveException`);
//! - a request the broker cannot parse or does not serve closes the connection after the
//!   replies already queued ahead of it (`SocketServer.processCompletedReceives`);
//! - `acks=0` produce requests get no reply at all;
//! - a connection idle for `connections.max.idle.ms` is closed (`Selector` idle expiry);
//! - on shutdown: stop reading, finish replies in flight, close.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use fjord_protocol::frame::{
    FRAME_RESERVE_AHEAD_BYTES_MAX, SIZE_PREFIX_BYTES, decode_frame, large_frame_missing_bytes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot, watch};

use super::send::write_frame;
use crate::api::{BrokerContext, Outcome, Plane, handle_frame};

/// Bytes read from the socket per read call (grows when a large frame is announced).
const READ_BUFFER_BYTES_INITIAL: usize = 64 * 1024;

/// Serves `stream` until the client closes it, a protocol error closes it, it idles out, or
/// shutdown is requested.
pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: Arc<BrokerContext>,
    plane: Plane,
    mut shutdown: watch::Receiver<bool>,
) {
    let _open = ctx.metrics.connection_opened();
    let (mut reader, writer) = stream.into_split();
    let (pending_tx, pending_rx) = mpsc::channel::<oneshot::Receiver<Outcome>>(
        ctx.config.in_flight_requests_per_connection_max,
    );
    let writer_task = tokio::spawn(write_replies(writer, pending_rx, peer, ctx.clone()));
    let mut buf = BytesMut::with_capacity(READ_BUFFER_BYTES_INITIAL);
    // Room for another frame as large as the last one when that one was large (else 0), at
    // most what decode_frame reserves ahead for a frame announced but not yet received.
    let mut large_frame_room = 0usize;
    let idle = ctx.config.connections_max_idle;
    let frame_bytes_max = ctx.config.socket_request_max_bytes;
    'read: loop {
        // Requests of one connection are handled one at a time, in order, as Kafka does (it
        // mutes a channel while a request is in the request queue, `SocketServer`): a client that
        // pipelines produce requests must see its batches appended in the order it sent them.
        // Replies are written by a separate task, so encoding/sending a reply overlaps with
        // handling the next request; the bounded queue is the per-connection in-flight limit.
        loop {
            match decode_frame(&mut buf, frame_bytes_max) {
                Ok(Some(frame)) => {
                    large_frame_room = if frame.len() >= READ_BUFFER_BYTES_INITIAL {
                        frame.len().min(FRAME_RESERVE_AHEAD_BYTES_MAX)
                            + SIZE_PREFIX_BYTES
                            + READ_BUFFER_BYTES_INITIAL
                    } else {
                        0
                    };
                    let (reply_tx, reply_rx) = oneshot::channel();
                    if pending_tx.send(reply_rx).await.is_err() {
                        break 'read; // writer gone: connection is closing
                    }
                    let _ = reply_tx.send(handle_frame(&ctx, plane, peer, frame).await);
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%peer, %error, "closing connection: invalid receive");
                    break 'read;
                }
            }
        }
        // A large frame is read up to its end and no further, other reads take at most
        // 64 KiB, and after a large frame the next one gets a fresh buffer its size when the
        // rest of this one is smaller: a large frame's first bytes then sit at the start of a
        // buffer that holds all of it, so nothing is moved when the rest arrives (`reserve`
        // copies a partial frame to the front, which was 2-4 % of the broker's CPU with
        // librdkafka's pipelined ~1 MB produce requests).
        if buf.is_empty() && buf.capacity() < large_frame_room {
            buf = BytesMut::with_capacity(large_frame_room);
        } else if buf.capacity() - buf.len() < 4096 {
            buf.reserve(READ_BUFFER_BYTES_INITIAL);
        }
        let read_max = large_frame_missing_bytes(&buf, READ_BUFFER_BYTES_INITIAL)
            .unwrap_or(READ_BUFFER_BYTES_INITIAL);
        let mut limited = (&mut buf).limit(read_max);
        tokio::select! {
            read = tokio::time::timeout(idle, reader.read_buf(&mut limited)) => match read {
                Ok(Ok(0)) => break,
                Ok(Ok(read)) => ctx.metrics.add_received_bytes(read),
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "read failed");
                    break;
                }
                Err(_) => {
                    tracing::info!(%peer, idle_ms = idle.as_millis() as u64, "closing idle connection (connections.max.idle.ms)");
                    break;
                }
            },
            _ = pending_tx.closed() => break,
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    // Dropping the sender lets the writer finish the replies already queued, then close.
    drop(pending_tx);
    let _ = writer_task.await;
}

async fn write_replies(
    mut writer: OwnedWriteHalf,
    mut pending: mpsc::Receiver<oneshot::Receiver<Outcome>>,
    peer: SocketAddr,
    ctx: Arc<BrokerContext>,
) {
    while let Some(reply) = pending.recv().await {
        match reply.await {
            Ok(Outcome::Respond(frame)) => {
                if let Err(error) = write_frame(&mut writer, &frame).await {
                    tracing::debug!(%peer, %error, "write failed");
                    break;
                }
                ctx.metrics.add_sent_bytes(frame.len());
            }
            Ok(Outcome::NoResponse) => {}
            Ok(Outcome::Close(reason)) => {
                tracing::warn!(%peer, %reason, "closing connection");
                break;
            }
            Err(_) => {
                tracing::error!(%peer, "request task ended without a reply; closing connection");
                break;
            }
        }
    }
    pending.close();
    let _ = writer.shutdown().await;
}
