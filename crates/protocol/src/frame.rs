//! Length-prefixed framing: `int32 size` then `size` bytes (Kafka protocol guide, "Common
//! Request and Response Structure": `RequestOrResponse => Size (RequestMessage | ResponseMessage)`).

use bytes::{Buf, Bytes, BytesMut};

/// Bytes of the size prefix in front of every frame.
pub const SIZE_PREFIX_BYTES: usize = 4;

/// Kafka's default `socket.request.max.bytes` (100 MiB): the largest request frame a broker
/// accepts (`SocketServerConfigs.SOCKET_REQUEST_MAX_BYTES_DEFAULT`).
pub const REQUEST_FRAME_BYTES_MAX_DEFAULT: usize = 104_857_600;

/// The most buffer space reserved ahead of bytes that have not arrived yet. A size prefix
/// only announces a frame; reserving all of it up front would let a client that announces
/// 100 MiB and then stalls (or many such clients) pin that much memory per connection. Larger
/// frames grow the buffer as their bytes arrive.
pub const FRAME_RESERVE_AHEAD_BYTES_MAX: usize = 1 << 20;

/// Why a frame cannot be read. Either way the connection is unusable and must be closed, like
/// Kafka's `InvalidReceiveException` in `NetworkReceive.readFrom`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The size prefix is negative.
    #[error("invalid frame size {size}: negative")]
    NegativeSize {
        /// The size prefix as read.
        size: i32,
    },
    /// The size prefix exceeds the configured cap.
    #[error("invalid frame size {size}: larger than socket.request.max.bytes {max}")]
    TooLarge {
        /// The size prefix as read.
        size: usize,
        /// The configured cap.
        max: usize,
    },
}

/// Takes one complete frame body (without the prefix) off the front of `buf`, if one is there.
///
/// Returns `Ok(None)` when more bytes are needed. The size prefix is checked against
/// `frame_bytes_max` as soon as its 4 bytes arrive, before any body is buffered, so an
/// oversized announcement never makes us allocate; an accepted announcement reserves at most
/// [`FRAME_RESERVE_AHEAD_BYTES_MAX`] ahead of the bytes received.
pub fn decode_frame(
    buf: &mut BytesMut,
    frame_bytes_max: usize,
) -> Result<Option<Bytes>, FrameError> {
    let Some(size) = peek_frame_size(buf, frame_bytes_max)? else {
        return Ok(None);
    };
    if buf.len() < SIZE_PREFIX_BYTES + size {
        let missing = SIZE_PREFIX_BYTES + size - buf.len();
        buf.reserve(missing.min(FRAME_RESERVE_AHEAD_BYTES_MAX));
        return Ok(None);
    }
    buf.advance(SIZE_PREFIX_BYTES);
    Ok(Some(buf.split_to(size).freeze()))
}

/// The bytes still missing from the frame whose size prefix starts `buf`, when its body is at
/// least `large` bytes and not all here; `None` otherwise (no prefix yet, a small frame, or a
/// complete one). A reader that reads no further than this keeps the next frame's first bytes
/// out of a large frame's buffer, so they are never moved when the next frame's buffer is
/// reserved: with pipelined ~1 MB produce requests that move was a memmove of up to one read
/// per request (2-4 % of the broker's produce CPU with librdkafka).
pub fn large_frame_missing_bytes(buf: &[u8], large: usize) -> Option<usize> {
    let prefix: [u8; SIZE_PREFIX_BYTES] = buf.get(..SIZE_PREFIX_BYTES)?.try_into().ok()?;
    let size = usize::try_from(i32::from_be_bytes(prefix)).ok()?;
    if size < large {
        return None;
    }
    (SIZE_PREFIX_BYTES + size)
        .checked_sub(buf.len())
        .filter(|missing| *missing > 0)
}

/// Reads and checks the size prefix without consuming anything.
pub fn peek_frame_size(buf: &[u8], frame_bytes_max: usize) -> Result<Option<usize>, FrameError> {
    if buf.len() < SIZE_PREFIX_BYTES {
        return Ok(None);
    }
    let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if size < 0 {
        return Err(FrameError::NegativeSize { size });
    }
    let size = size as usize;
    if size > frame_bytes_max {
        return Err(FrameError::TooLarge {
            size,
            max: frame_bytes_max,
        });
    }
    Ok(Some(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_frame_missing_bytes_counts_to_the_end_of_large_frames_only() {
        let mut buf = BytesMut::from(&[0u8, 0][..]);
        assert_eq!(large_frame_missing_bytes(&buf, 100), None, "no prefix yet");
        buf.extend_from_slice(&[0, 200]);
        assert_eq!(large_frame_missing_bytes(&buf, 100), Some(200));
        assert_eq!(
            large_frame_missing_bytes(&buf, 201),
            None,
            "small frame: read freely"
        );
        buf.extend_from_slice(&[7; 150]);
        assert_eq!(large_frame_missing_bytes(&buf, 100), Some(50));
        buf.extend_from_slice(&[7; 50]);
        assert_eq!(large_frame_missing_bytes(&buf, 100), None, "complete");
        let negative = (-5i32).to_be_bytes();
        assert_eq!(large_frame_missing_bytes(&negative, 1), None);
    }

    #[test]
    fn partial_prefix_and_body_wait_for_more_bytes() {
        let mut buf = BytesMut::from(&[0u8, 0, 0][..]);
        assert_eq!(decode_frame(&mut buf, 100), Ok(None));
        buf.extend_from_slice(&[3, 1, 2]);
        assert_eq!(decode_frame(&mut buf, 100), Ok(None));
        buf.extend_from_slice(&[3, 0, 0]);
        let frame = decode_frame(&mut buf, 100).ok().flatten();
        assert_eq!(frame.as_deref(), Some(&[1u8, 2, 3][..]));
        // The next frame's first two bytes stay buffered.
        assert_eq!(&buf[..], &[0, 0]);
    }

    #[test]
    fn a_large_announcement_reserves_only_a_bounded_amount_ahead() {
        // A client announcing a 100 MiB frame (the socket.request.max.bytes default) and
        // sending 10 bytes must not make the connection hold 100 MiB.
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&(REQUEST_FRAME_BYTES_MAX_DEFAULT as i32).to_be_bytes());
        buf.extend_from_slice(&[0; 10]);
        assert_eq!(
            decode_frame(&mut buf, REQUEST_FRAME_BYTES_MAX_DEFAULT),
            Ok(None)
        );
        assert!(buf.capacity() <= 14 + FRAME_RESERVE_AHEAD_BYTES_MAX + 4096);
        // The frame still completes once its bytes arrive.
        let mut buf = BytesMut::new();
        let size = 3 * FRAME_RESERVE_AHEAD_BYTES_MAX;
        buf.extend_from_slice(&(size as i32).to_be_bytes());
        for _ in 0..size / 4096 {
            assert_eq!(
                decode_frame(&mut buf, REQUEST_FRAME_BYTES_MAX_DEFAULT),
                Ok(None)
            );
            buf.extend_from_slice(&[7; 4096]);
        }
        let frame = decode_frame(&mut buf, REQUEST_FRAME_BYTES_MAX_DEFAULT);
        assert_eq!(frame.ok().flatten().map(|f| f.len()), Some(size));
    }

    #[test]
    fn oversized_prefix_is_rejected_before_the_body_arrives() {
        // Kafka NetworkReceive: "Invalid receive (size = ... larger than ...)".
        let mut buf = BytesMut::from(&101i32.to_be_bytes()[..]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Err(FrameError::TooLarge {
                size: 101,
                max: 100
            })
        );
        let mut buf = BytesMut::from(&(-1i32).to_be_bytes()[..]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Err(FrameError::NegativeSize { size: -1 })
        );
    }
}
