//! API handlers, one module per API key, all with the same shape:
//! `SPEC` (the served version range) and `handle(ctx, header, request) -> response`, with
//! errors mapped to wire codes in exactly one place per module.
//!
//! The [`registry`] is built from the modules' `SPEC`s through the `apis!` list below, so the
//! ApiVersions response can never drift from what [`handle_frame`] dispatches.

pub mod api_versions;
pub mod create_topics;
pub mod delete_topics;
pub mod fetch;
pub mod find_coordinator;
pub mod list_offsets;
pub mod metadata;
pub mod produce;

use std::net::SocketAddr;
use std::sync::Mutex;

use bytes::{BufMut, Bytes, BytesMut};
use fjord_protocol::header::{RequestHeader, parse_request_header, response_header_version};
use fjord_protocol::kafka_protocol::messages::{ApiKey, RequestKind, ResponseHeader, ResponseKind};
use fjord_protocol::kafka_protocol::protocol::{Encodable, StrBytes};
use fjord_protocol::{ApiRegistry, VersionCheck};

use crate::config::BrokerConfig;
use crate::state::TopicTable;

/// Everything a handler may read or change.
#[derive(Debug)]
pub struct BrokerContext {
    /// Configuration.
    pub config: BrokerConfig,
    /// Topics and their logs.
    pub topics: TopicTable,
    /// Served APIs and versions.
    pub registry: ApiRegistry,
    /// Addresses the listeners bound (advertised in Metadata).
    pub bound_addrs: Mutex<Vec<SocketAddr>>,
}

impl BrokerContext {
    /// A context with no topics.
    pub fn new(config: BrokerConfig) -> Self {
        Self {
            config,
            topics: TopicTable::default(),
            registry: registry(),
            bound_addrs: Mutex::default(),
        }
    }

    /// The (host, port) clients should connect to: the advertised host (or bound IP) and the
    /// first listener's bound port.
    pub fn advertised_endpoint(&self) -> (String, i32) {
        let addrs = self
            .bound_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let addr = addrs
            .first()
            .copied()
            .or_else(|| self.config.listeners.first().copied());
        let port = addr.map_or(9092, |a| i32::from(a.port()));
        let host = match (&self.config.advertised_host, addr) {
            (Some(host), _) => host.clone(),
            (None, Some(addr)) => addr.ip().to_string(),
            (None, None) => "localhost".to_owned(),
        };
        (host, port)
    }
}

/// What the connection does with one request.
#[derive(Debug)]
pub enum Outcome {
    /// Write this complete response frame.
    Respond(Bytes),
    /// Send nothing (produce with `acks=0`).
    NoResponse,
    /// Close the connection after earlier replies (unparsable or unserved request).
    Close(String),
}

/// Builds a `StrBytes` from a `&str`.
pub(crate) fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// Current wall-clock time in ms since the epoch (for LogAppendTime).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

macro_rules! apis {
    ($( $module:ident => $variant:ident ),* $(,)?) => {
        /// The API registry, derived from each handler module's `SPEC`.
        pub fn registry() -> ApiRegistry {
            ApiRegistry::new([ $( $module::SPEC ),* ])
        }

        async fn dispatch(ctx: &BrokerContext, header: &RequestHeader, request: RequestKind) -> Option<ResponseKind> {
            match request {
                $( RequestKind::$variant(request) => Some(ResponseKind::$variant($module::handle(ctx, header, request).await)), )*
                _ => None,
            }
        }
    };
}

apis! {
    produce => Produce,
    fetch => Fetch,
    list_offsets => ListOffsets,
    metadata => Metadata,
    api_versions => ApiVersions,
    create_topics => CreateTopics,
    delete_topics => DeleteTopics,
    find_coordinator => FindCoordinator,
}

/// Handles one request frame (without its size prefix).
pub async fn handle_frame(ctx: &BrokerContext, frame: Bytes) -> Outcome {
    let mut body = frame;
    let header = match parse_request_header(&mut body) {
        Ok(header) => header,
        Err(error) => return Outcome::Close(error.to_string()),
    };
    // KIP-511: ApiVersions at any version gets an answer, v0-encoded when unsupported.
    if header.api_key == ApiKey::ApiVersions
        && !matches!(
            ctx.registry.check(header.api_key, header.api_version),
            VersionCheck::Supported
        )
    {
        return match ctx
            .registry
            .encode_api_versions(header.correlation_id, header.api_version)
        {
            Ok(frame) => Outcome::Respond(frame),
            Err(error) => Outcome::Close(error.to_string()),
        };
    }
    match ctx.registry.check(header.api_key, header.api_version) {
        VersionCheck::Supported => {}
        VersionCheck::UnsupportedVersion(spec) => {
            return Outcome::Close(format!(
                "unsupported version {} of {:?} (we serve {}..={})",
                header.api_version, header.api_key, spec.min_version, spec.max_version
            ));
        }
        VersionCheck::NotServed => {
            return Outcome::Close(format!(
                "api {:?} v{} is not served",
                header.api_key, header.api_version
            ));
        }
    }
    let request = match RequestKind::decode(header.api_key, &mut body, header.api_version) {
        Ok(request) => request,
        Err(error) => {
            return Outcome::Close(format!(
                "malformed {:?} v{} request: {error}",
                header.api_key, header.api_version
            ));
        }
    };
    let acks_zero = matches!(&request, RequestKind::Produce(produce) if produce.acks == 0);
    let Some(response) = dispatch(ctx, &header, request).await else {
        return Outcome::Close(format!("no handler for {:?}", header.api_key));
    };
    if acks_zero {
        return Outcome::NoResponse;
    }
    match encode_response_kind(&header, &response) {
        Ok(frame) => Outcome::Respond(frame),
        Err(error) => Outcome::Close(format!(
            "cannot encode {:?} v{} response: {error}",
            header.api_key, header.api_version
        )),
    }
}

fn encode_response_kind(header: &RequestHeader, response: &ResponseKind) -> anyhow::Result<Bytes> {
    let header_version = response_header_version(header.api_key, header.api_version);
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut buf, header_version)?;
    response.encode(&mut buf, header.api_version)?;
    let size = i32::try_from(buf.len() - 4)?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}
