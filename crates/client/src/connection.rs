//! One TCP connection to one broker: framing, correlation ids and ApiVersions negotiation.
//!
//! Requests are sent one at a time (no pipelining): `send` writes a frame and reads frames until
//! the response with the same correlation id arrives, as Kafka's `NetworkClient` does for one
//! in-flight request. Every await is bounded by the connection's request timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use fjord_protocol::kafka_protocol::protocol::{
    Decodable, Encodable, HeaderVersion, Message, Request, StrBytes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::ClientError;

/// The largest response frame we accept (Kafka's consumer default `fetch.max.bytes` is 50 MiB;
/// admin responses are far smaller). A larger size prefix means a broken peer, not a big answer.
pub const RESPONSE_FRAME_BYTES_MAX: usize = 100 * 1024 * 1024;

/// The ApiVersions version we try first. v3 (KIP-511) carries the client software name and
/// uses flexible encoding; a broker that does not serve it answers v0 with UNSUPPORTED_VERSION
/// and its own range, and we retry at the broker's highest version.
const API_VERSIONS_FIRST_TRY: i16 = 3;

/// The version range a broker serves for one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRange {
    /// Lowest version served.
    pub min: i16,
    /// Highest version served.
    pub max: i16,
}

/// A connection to one broker after ApiVersions negotiation.
#[derive(Debug)]
pub struct BrokerConnection {
    stream: TcpStream,
    addr: SocketAddr,
    client_id: String,
    correlation_id: i32,
    request_timeout: Duration,
    versions: HashMap<i16, VersionRange>,
}

impl BrokerConnection {
    /// Connects to `addr` and negotiates API versions, all within `request_timeout`.
    pub async fn connect(
        addr: SocketAddr,
        client_id: &str,
        request_timeout: Duration,
    ) -> Result<Self, ClientError> {
        let stream = match tokio::time::timeout(request_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(ClientError::Io { addr, source }),
            Err(_) => {
                return Err(ClientError::RequestTimeout {
                    api: "connect",
                    addr,
                    timeout_ms: duration_ms(request_timeout),
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let mut connection = Self {
            stream,
            addr,
            client_id: client_id.to_owned(),
            correlation_id: 0,
            request_timeout,
            versions: HashMap::new(),
        };
        connection.negotiate().await?;
        Ok(connection)
    }

    /// The broker's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The version range the broker advertised for `api_key`, if any.
    pub fn broker_versions(&self, api_key: ApiKey) -> Option<VersionRange> {
        self.versions.get(&(api_key as i16)).copied()
    }

    /// The highest version both sides speak for request type `R`, or `None` if the ranges do
    /// not overlap (or the broker does not serve the API at all).
    pub fn version_for<R: Request>(&self) -> Option<i16> {
        let broker = self.versions.get(&R::KEY)?;
        pick_version(R::VERSIONS.min, R::VERSIONS.max, *broker)
    }

    /// Sends `request` at the highest common version and awaits the typed response.
    pub async fn send<R: Request>(&mut self, request: &R) -> Result<R::Response, ClientError> {
        let api = api_name(R::KEY);
        let version = self
            .version_for::<R>()
            .ok_or(ClientError::UnsupportedApi { api })?;
        self.send_at(request, version).await
    }

    /// Sends `request` at `version` and awaits the typed response.
    pub async fn send_at<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, ClientError> {
        let api = api_name(R::KEY);
        let mut body = self.exchange::<R>(request, version).await?;
        let header_version = <R::Response as HeaderVersion>::header_version(version);
        let header = ResponseHeader::decode(&mut body, header_version).map_err(|e| {
            ClientError::Protocol {
                api,
                detail: format!("response header: {e}"),
            }
        })?;
        self.check_correlation(header.correlation_id)?;
        R::Response::decode(&mut body, version).map_err(|e| ClientError::Protocol {
            api,
            detail: format!("response v{version}: {e}"),
        })
    }

    fn check_correlation(&self, got: i32) -> Result<(), ClientError> {
        if got == self.correlation_id {
            Ok(())
        } else {
            Err(ClientError::CorrelationMismatch {
                expected: self.correlation_id,
                got,
            })
        }
    }

    /// Writes one request frame and reads one response frame (header not yet decoded).
    async fn exchange<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<Bytes, ClientError> {
        let api = api_name(R::KEY);
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = self.correlation_id;
        header.client_id = Some(StrBytes::from_string(self.client_id.clone()));
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        let encoded = header
            .encode(&mut buf, R::header_version(version))
            .and_then(|()| request.encode(&mut buf, version));
        encoded.map_err(|e| ClientError::Protocol {
            api,
            detail: format!("encode v{version}: {e}"),
        })?;
        let size = i32::try_from(buf.len() - 4).map_err(|_| ClientError::Protocol {
            api,
            detail: "request larger than 2 GiB".to_owned(),
        })?;
        buf[..4].copy_from_slice(&size.to_be_bytes());
        let timeout = self.request_timeout;
        let addr = self.addr;
        let round_trip = async {
            self.stream.write_all(&buf).await?;
            read_frame(&mut self.stream).await
        };
        match tokio::time::timeout(timeout, round_trip).await {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(source)) => Err(ClientError::Io { addr, source }),
            Err(_) => Err(ClientError::RequestTimeout {
                api,
                addr,
                timeout_ms: duration_ms(timeout),
            }),
        }
    }

    /// ApiVersions with the KIP-511 fallback: an UNSUPPORTED_VERSION answer (always v0-encoded)
    /// carries the broker's ApiVersions range; retry at its highest version we can speak.
    async fn negotiate(&mut self) -> Result<(), ClientError> {
        let mut request = ApiVersionsRequest::default();
        request.client_software_name = StrBytes::from_static_str("fjord-client");
        request.client_software_version = StrBytes::from_static_str(env!("CARGO_PKG_VERSION"));
        let mut response = self
            .api_versions_at(&request, API_VERSIONS_FIRST_TRY)
            .await?;
        if response.error_code == ErrorCode::UnsupportedVersion.code() {
            let theirs = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                .map(|k| VersionRange {
                    min: k.min_version,
                    max: k.max_version,
                })
                .unwrap_or(VersionRange { min: 0, max: 0 });
            let version = pick_version(
                ApiVersionsRequest::VERSIONS.min,
                API_VERSIONS_FIRST_TRY,
                theirs,
            )
            .ok_or(ClientError::UnsupportedApi { api: "ApiVersions" })?;
            response = self.api_versions_at(&request, version).await?;
        }
        crate::error::check_code(response.error_code, None)?;
        self.versions = response
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.api_key,
                    VersionRange {
                        min: k.min_version,
                        max: k.max_version,
                    },
                )
            })
            .collect();
        Ok(())
    }

    /// ApiVersions responses always use response header v0 (KIP-511), and an error response
    /// is encoded as v0 whatever version was asked; decode accordingly.
    async fn api_versions_at(
        &mut self,
        request: &ApiVersionsRequest,
        version: i16,
    ) -> Result<ApiVersionsResponse, ClientError> {
        let mut body = self
            .exchange::<ApiVersionsRequest>(request, version)
            .await?;
        let header = ResponseHeader::decode(&mut body, 0).map_err(|e| ClientError::Protocol {
            api: "ApiVersions",
            detail: format!("response header: {e}"),
        })?;
        self.check_correlation(header.correlation_id)?;
        let error_code = body.clone().get_i16();
        let decode_version = if error_code == ErrorCode::UnsupportedVersion.code() {
            0
        } else {
            version
        };
        ApiVersionsResponse::decode(&mut body, decode_version).map_err(|e| ClientError::Protocol {
            api: "ApiVersions",
            detail: format!("response v{decode_version}: {e}"),
        })
    }
}

/// The highest version in both `[ours_min, ours_max]` and the broker's range.
pub fn pick_version(ours_min: i16, ours_max: i16, broker: VersionRange) -> Option<i16> {
    let high = ours_max.min(broker.max);
    let low = ours_min.max(broker.min);
    (low <= high).then_some(high)
}

async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Bytes> {
    let size = stream.read_i32().await?;
    let size = usize::try_from(size)
        .ok()
        .filter(|size| *size <= RESPONSE_FRAME_BYTES_MAX)
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("invalid response frame size {size}"),
            )
        })?;
    let mut body = vec![0u8; size];
    stream.read_exact(&mut body).await?;
    Ok(Bytes::from(body))
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Kafka's name for an API key (`ApiKeys.name`), for messages.
pub fn api_name(key: i16) -> &'static str {
    match ApiKey::try_from(key) {
        Ok(ApiKey::Produce) => "Produce",
        Ok(ApiKey::Fetch) => "Fetch",
        Ok(ApiKey::ListOffsets) => "ListOffsets",
        Ok(ApiKey::Metadata) => "Metadata",
        Ok(ApiKey::ApiVersions) => "ApiVersions",
        Ok(ApiKey::CreateTopics) => "CreateTopics",
        Ok(ApiKey::DeleteTopics) => "DeleteTopics",
        Ok(ApiKey::DeleteRecords) => "DeleteRecords",
        Ok(ApiKey::DescribeConfigs) => "DescribeConfigs",
        Ok(ApiKey::AlterConfigs) => "AlterConfigs",
        Ok(ApiKey::CreatePartitions) => "CreatePartitions",
        Ok(ApiKey::IncrementalAlterConfigs) => "IncrementalAlterConfigs",
        Ok(ApiKey::DescribeCluster) => "DescribeCluster",
        Ok(_) => "request",
        Err(()) => "unknown API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_common_version() {
        // Kafka NetworkClient / ApiVersions.latestUsableVersion: min(ours.max, theirs.max),
        // usable only if it is not below either minimum.
        assert_eq!(
            pick_version(0, 12, VersionRange { min: 0, max: 9 }),
            Some(9)
        );
        assert_eq!(
            pick_version(0, 7, VersionRange { min: 0, max: 13 }),
            Some(7)
        );
        assert_eq!(pick_version(4, 7, VersionRange { min: 0, max: 3 }), None);
        assert_eq!(pick_version(0, 3, VersionRange { min: 5, max: 9 }), None);
    }
}
