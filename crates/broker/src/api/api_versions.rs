//! ApiVersions (key 18): the versions we serve, derived from the registry (KIP-35, KIP-511,
//! `ApiVersionsRequest.json`). Unsupported versions are answered in `api::handle_frame`.

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v0..=4, Kafka 4.1's full range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ApiVersions, 0, 4);

/// Lists every served API. Responses never carry top-level tagged fields (see
/// `ApiRegistry::api_versions_response` for the librdkafka < 2.2 reason).
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    _request: ApiVersionsRequest,
) -> ApiVersionsResponse {
    ctx.registry.api_versions_response(ErrorCode::None)
}
