//! Request header parsing and response framing.
//!
//! Request header v1 is `api_key api_version correlation_id client_id`; v2 (flexible API
//! versions, KIP-482) appends tagged fields. Which one a request uses follows from its API
//! key and version (`ApiKeys.requestHeaderVersion`). Responses use header v0
//! (`correlation_id`) or v1 (plus tagged fields), except ApiVersions, whose responses always use
//! header v0 so a client can parse them before it knows our versions (KIP-511,
//! `ApiVersionsResponse.json`: "flexibleVersions ... header remains v0").

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader as WireRequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::frame::SIZE_PREFIX_BYTES;

/// Bytes of `api_key api_version correlation_id`, common to every request header version.
const FIXED_HEADER_BYTES: usize = 8;

/// A parsed request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// The API, known to kafka-protocol (not necessarily served by us).
    pub api_key: ApiKey,
    /// The requested API version (may be one we do not serve).
    pub api_version: i16,
    /// Echoed in the response.
    pub correlation_id: i32,
    /// The client's self-chosen id, if any.
    pub client_id: Option<String>,
    /// The client's IP address, as the network layer saw it (Kafka's
    /// `RequestContext.clientAddress`). Not part of the wire header: `None` when parsed, set by
    /// the broker's connection before dispatch.
    pub client_address: Option<std::net::IpAddr>,
}

/// Why a request header could not be parsed. The connection should be closed: Kafka closes
/// it on header errors (`SocketServer.processCompletedReceives` → `InvalidRequestException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than 8 bytes: not even api key, version and correlation id.
    #[error("request header truncated: {len} bytes")]
    Truncated {
        /// Frame length.
        len: usize,
    },
    /// The API key is not one Kafka defines.
    #[error("unknown api key {api_key} (correlation id {correlation_id})")]
    UnknownApiKey {
        /// The key as sent.
        api_key: i16,
        /// The request's correlation id.
        correlation_id: i32,
    },
    /// The client id or tagged fields are malformed.
    #[error("malformed request header for api key {api_key} v{api_version}: {reason}")]
    Malformed {
        /// The key as sent.
        api_key: i16,
        /// The version as sent.
        api_version: i16,
        /// The decoder's message.
        reason: String,
    },
}

/// Why a response could not be encoded (a bug: a handler built a message its version cannot
/// carry).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode {api_key:?} v{api_version} response: {reason}")]
pub struct EncodeError {
    /// The API.
    pub api_key: ApiKey,
    /// The response version.
    pub api_version: i16,
    /// The encoder's message.
    pub reason: String,
}

/// Parses the request header at the front of `frame`, leaving `frame` at the request body.
pub fn parse_request_header(frame: &mut Bytes) -> Result<RequestHeader, HeaderError> {
    if frame.len() < FIXED_HEADER_BYTES {
        return Err(HeaderError::Truncated { len: frame.len() });
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let api_version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let api_key = ApiKey::try_from(raw_key).map_err(|()| HeaderError::UnknownApiKey {
        api_key: raw_key,
        correlation_id,
    })?;
    let header_version = api_key.request_header_version(api_version);
    let wire = WireRequestHeader::decode(frame, header_version).map_err(|error| {
        HeaderError::Malformed {
            api_key: raw_key,
            api_version,
            reason: error.to_string(),
        }
    })?;
    Ok(RequestHeader {
        api_key,
        api_version,
        correlation_id,
        client_id: wire.client_id.map(|id| id.as_str().to_owned()),
        client_address: None,
    })
}

/// The response header version for `api_key` at `api_version` (always 0 for ApiVersions).
pub fn response_header_version(api_key: ApiKey, api_version: i16) -> i16 {
    api_key.response_header_version(api_version)
}

/// Encodes a complete response frame: size prefix, response header, body.
pub fn encode_response<M: Encodable>(
    correlation_id: i32,
    api_key: ApiKey,
    api_version: i16,
    body: &M,
) -> Result<Bytes, EncodeError> {
    let fail = |error: anyhow::Error| EncodeError {
        api_key,
        api_version,
        reason: error.to_string(),
    };
    let header_version = response_header_version(api_key, api_version);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_size = header.compute_size(header_version).map_err(fail)?;
    let body_size = body.compute_size(api_version).map_err(fail)?;
    let size = header_size + body_size;
    let mut buf = BytesMut::with_capacity(SIZE_PREFIX_BYTES + size);
    let size_prefix = i32::try_from(size).map_err(|_| EncodeError {
        api_key,
        api_version,
        reason: format!("response of {size} bytes exceeds i32"),
    })?;
    buf.put_i32(size_prefix);
    header.encode(&mut buf, header_version).map_err(fail)?;
    body.encode(&mut buf, api_version).map_err(fail)?;
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiVersionsResponse;

    #[test]
    fn unknown_api_key_is_reported_with_its_correlation_id() {
        let mut frame = Bytes::from_static(&[0x7f, 0x00, 0, 0, 0, 0, 0, 42, 0xff, 0xff]);
        assert_eq!(
            parse_request_header(&mut frame),
            Err(HeaderError::UnknownApiKey {
                api_key: 0x7f00,
                correlation_id: 42
            })
        );
    }

    #[test]
    fn truncated_header_is_an_error_not_a_panic() {
        for len in 0..8 {
            let mut frame = Bytes::from(vec![0u8; len]);
            assert_eq!(
                parse_request_header(&mut frame),
                Err(HeaderError::Truncated { len })
            );
        }
        // Metadata v1 with a client id length of 10 but only 2 bytes.
        let mut frame = Bytes::from_static(&[0, 3, 0, 1, 0, 0, 0, 1, 0, 10, b'a', b'b']);
        assert!(matches!(
            parse_request_header(&mut frame),
            Err(HeaderError::Malformed { .. })
        ));
    }

    #[test]
    fn api_versions_v3_response_uses_header_v0() {
        // ApiVersionsResponse.json: the response header is always v0 (no tagged fields), so
        // the frame is size(4) + correlation id(4) + body.
        let body = ApiVersionsResponse::default();
        let frame = encode_response(7, ApiKey::ApiVersions, 3, &body).ok();
        let frame = frame.unwrap_or_default();
        let body_size = body.compute_size(3).unwrap_or(0);
        assert_eq!(frame.len(), 4 + 4 + body_size);
        assert_eq!(&frame[4..8], &7i32.to_be_bytes());
    }
}
