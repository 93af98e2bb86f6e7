//! Reusable in-process harness: a broker on 127.0.0.1:0 with a temp dir, plus a raw Kafka
//! protocol client for byte-level tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use fjord_broker::{Broker, BrokerConfig, BrokerHandle};
use fjord_protocol::kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use fjord_protocol::kafka_protocol::protocol::{
    Decodable, Encodable, HeaderVersion, Request, StrBytes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running in-process broker and its data directory.
pub struct TestBroker {
    pub handle: BrokerHandle,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl TestBroker {
    /// Starts a broker with test defaults, adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut BrokerConfig)) -> Self {
        Self::start_in(tempfile::tempdir().expect("tempdir"), tweak).await
    }

    /// Starts a broker on an existing data directory (restart tests).
    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut BrokerConfig)) -> Self {
        let mut config = BrokerConfig::for_tests(dir.path().to_path_buf()).expect("test config");
        tweak(&mut config);
        let handle = Broker::start_with_config(config)
            .await
            .expect("broker starts");
        let addr = handle.bound_addrs()[0];
        Self {
            handle,
            addr,
            _dir: dir,
        }
    }

    /// Starts a broker with test defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// `host:port` for client bootstrap.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// Opens a raw protocol connection.
    pub async fn connect(&self) -> RawClient {
        RawClient {
            stream: TcpStream::connect(self.addr).await.expect("connect"),
            correlation_id: 0,
        }
    }

    /// Graceful shutdown.
    pub async fn stop(self) {
        self.handle.shutdown().await.expect("clean shutdown");
    }

    /// The data directory.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Graceful shutdown, keeping the data directory for a restart.
    pub async fn stop_keeping_dir(self) -> tempfile::TempDir {
        self.handle.shutdown().await.expect("clean shutdown");
        self._dir
    }

    /// Stops without a clean log shutdown (no flush, checkpoints or clean marker), keeping the
    /// data directory: what a crash leaves behind, short of losing the page cache.
    pub async fn crash_keeping_dir(self) -> tempfile::TempDir {
        self.handle.abandon().await.expect("abandoned");
        self._dir
    }
}

/// A raw Kafka protocol client over one TCP connection.
pub struct RawClient {
    pub stream: TcpStream,
    pub correlation_id: i32,
}

impl RawClient {
    /// Encodes a request frame for `R` at `version`.
    pub fn encode<R: Request>(&mut self, version: i16, request: &R) -> Bytes {
        self.correlation_id += 1;
        let api_key = ApiKey::try_from(R::KEY).expect("known key");
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("fjord-test")));
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        header
            .encode(&mut buf, api_key.request_header_version(version))
            .expect("header encodes");
        request.encode(&mut buf, version).expect("body encodes");
        let size = (buf.len() - 4) as i32;
        buf[..4].copy_from_slice(&size.to_be_bytes());
        buf.freeze()
    }

    /// Writes raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Reads one response frame body (after the size prefix), or `None` if the broker closed
    /// the connection (EOF or reset) within 5 s.
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let read = async {
            let size = self.stream.read_i32().await.ok()?;
            let mut body = vec![0u8; size as usize];
            self.stream.read_exact(&mut body).await.ok()?;
            Some(Bytes::from(body))
        };
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("broker answered or closed within 5s")
    }

    /// Sends a request and decodes its response.
    pub async fn call<R: Request>(&mut self, version: i16, request: &R) -> R::Response {
        let frame = self.encode(version, request);
        let expected_correlation = self.correlation_id;
        self.send_raw(&frame).await;
        let mut body = self
            .read_frame()
            .await
            .expect("response, not a closed connection");
        let header = ResponseHeader::decode(&mut body, R::Response::header_version(version))
            .expect("response header");
        assert_eq!(
            header.correlation_id, expected_correlation,
            "responses come back in request order"
        );
        let response = R::Response::decode(&mut body, version).expect("response body");
        assert!(!body.has_remaining(), "response fully consumed");
        response
    }

    /// True when the broker has closed this connection (read returns EOF or an error).
    pub async fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// Builds a valid magic-v2 record batch with `count` uncompressed records carrying `value`.
pub fn record_batch(count: i32, value: &[u8], timestamp: i64) -> BytesMut {
    fn varint(buf: &mut BytesMut, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            buf.put_u8((z as u8) | 0x80);
            z >>= 7;
        }
        buf.put_u8(z as u8);
    }
    let mut records = BytesMut::new();
    for i in 0..count {
        let mut record = BytesMut::new();
        record.put_i8(0); // attributes
        varint(&mut record, 0); // timestampDelta
        varint(&mut record, i64::from(i)); // offsetDelta
        varint(&mut record, -1); // key: null
        varint(&mut record, value.len() as i64);
        record.put_slice(value);
        varint(&mut record, 0); // headers
        varint(&mut records, record.len() as i64);
        records.put_slice(&record);
    }
    let mut batch = BytesMut::new();
    batch.put_i64(0); // baseOffset
    batch.put_i32(0); // batchLength, patched below
    batch.put_i32(-1); // partitionLeaderEpoch
    batch.put_i8(2); // magic
    batch.put_u32(0); // crc, patched below
    batch.put_i16(0); // attributes
    batch.put_i32(count - 1); // lastOffsetDelta
    batch.put_i64(timestamp);
    batch.put_i64(timestamp);
    batch.put_i64(-1); // producerId
    batch.put_i16(-1); // producerEpoch
    batch.put_i32(-1); // baseSequence
    batch.put_i32(count);
    batch.put_slice(&records);
    let batch_length = (batch.len() - 12) as i32;
    batch[8..12].copy_from_slice(&batch_length.to_be_bytes());
    fjord_record::header::rewrite_crc(&mut batch);
    batch
}

/// An ApiVersions v3+ request with a valid KIP-511 client software name and version: an empty
/// name is answered INVALID_REQUEST, as Kafka's `ApiVersionsRequest.isValid` requires.
pub fn api_versions_v3() -> fjord_protocol::kafka_protocol::messages::ApiVersionsRequest {
    use fjord_protocol::kafka_protocol::protocol::StrBytes;
    fjord_protocol::kafka_protocol::messages::ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("fjord-tests"))
        .with_client_software_version(StrBytes::from_static_str("1.0"))
}
