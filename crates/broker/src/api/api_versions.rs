//! ApiVersions (key 18): the versions we serve, derived from the registry (KIP-35, KIP-511,
//! `ApiVersionsRequest.json`). Unsupported versions are answered in `api::handle_frame`.

use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use super::BrokerContext;

/// v0..=4, Kafka 4.1's full range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::ApiVersions, 0, 4);

/// Lists every served API. Responses never carry top-level tagged fields (see
/// `ApiRegistry::api_versions_response` for the librdkafka < 2.2 reason). A v3+ request whose
/// client software name or version is malformed gets INVALID_REQUEST, as Kafka's
/// `KafkaApis.handleApiVersionsRequest` (`ApiVersionsRequest.isValid`, KIP-511) answers.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: ApiVersionsRequest,
) -> ApiVersionsResponse {
    ctx.registry
        .api_versions_answer(&request, header.api_version)
}
