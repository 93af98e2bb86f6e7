//! Kafka wire protocol for fjord, sans-IO: a thin layer over the `kafka-protocol` crate.
//!
//! # Layout
//! - [`frame`]: the int32 length prefix that delimits every request and response, with the
//!   `socket.request.max.bytes` cap (Kafka `NetworkReceive`, `InvalidReceiveException`).
//! - [`header`]: request header parsing (header v1 / v2 by the API version's flexibility,
//!   KIP-482) and response header encoding (ApiVersions always uses response header v0).
//! - [`error_code`]: [`ErrorCode`], Kafka's numeric error codes (`org.apache.kafka.common.protocol.Errors`).
//! - [`registry`]: [`ApiRegistry`], the API keys and version ranges the broker's handlers declare;
//!   the ApiVersions response is derived from it, including the KIP-511 v0 fallback.
//!
//! Nothing here touches a socket; the broker's network layer feeds bytes in and writes the
//! encoded frames out.

pub mod error_code;
pub mod frame;
pub mod header;
pub mod registry;

pub use error_code::ErrorCode;
pub use frame::{FrameError, REQUEST_FRAME_BYTES_MAX_DEFAULT};
pub use header::{HeaderError, RequestHeader, encode_response};
pub use registry::{ApiRegistry, ApiSpec, VersionCheck};

/// Re-export of the generated message types, so dependants name one version of the crate.
pub use kafka_protocol;
