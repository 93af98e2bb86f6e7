//! AlterConfigs (key 33, legacy): `AlterConfigsRequest.json` / `AlterConfigsResponse.json`.
//!
//! Each resource's explicit config set is REPLACED by the given one (keys not listed revert to
//! their defaults), validated with Kafka's `LogConfig` rules for topics, through the controller
//! (`ConfigurationControlManager.legacyAlterConfigResource`). Topic logs get the new
//! `LogConfig` before the response is sent.

use fjord_metadata::controller::AlterConfigsResource;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use fjord_protocol::kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse, ApiKey};

use super::config_resources::{alter, resource};
use super::{BrokerContext, now_ms, str_bytes};

/// v0..=2, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::AlterConfigs, 0, 2);

/// Replaces each resource's config set.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: AlterConfigsRequest,
) -> AlterConfigsResponse {
    let wire: Vec<(i8, String)> = request
        .resources
        .iter()
        .map(|r| (r.resource_type, r.resource_name.as_str().to_owned()))
        .collect();
    let items = request
        .resources
        .iter()
        .map(|r| {
            let resource = resource(ctx, r.resource_type, r.resource_name.as_str()).ok()?;
            Some(AlterConfigsResource {
                resource,
                configs: r
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.as_str().to_owned(),
                            c.value.as_ref().map(|v| v.as_str().to_owned()),
                        )
                    })
                    .collect(),
            })
        })
        .collect();
    let validate_only = request.validate_only;
    let outcomes = alter(ctx, &wire, items, validate_only, |items| {
        ctx.replicas
            .metadata()
            .alter_configs(items, validate_only, now_ms())
    });
    let responses = outcomes
        .into_iter()
        .map(|(ty, name, code, message)| {
            AlterConfigsResourceResponse::default()
                .with_resource_type(ty)
                .with_resource_name(str_bytes(&name))
                .with_error_code(code)
                .with_error_message(message.as_deref().map(str_bytes))
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}
