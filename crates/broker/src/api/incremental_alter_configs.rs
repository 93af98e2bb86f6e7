//! IncrementalAlterConfigs (key 44, KIP-339): `IncrementalAlterConfigsRequest.json` /
//! `IncrementalAlterConfigsResponse.json`.
//!
//! Per key: SET (0), DELETE (1, revert to default), APPEND (2) and SUBTRACT (3) on LIST
//! configs, through the controller (`ConfigurationControlManager.incrementalAlterConfigResource`,
//! which words the errors). An operation id outside 0..=3 makes the resource INVALID_REQUEST.
//! Topic logs get the new `LogConfig` before the response is sent.

use fjord_metadata::controller::{AlterConfigOp, IncrementalAlterConfigsResource};
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use fjord_protocol::kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::config_resources::{alter, resource};
use super::{BrokerContext, now_ms, str_bytes};

/// v0..=1, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::IncrementalAlterConfigs, 0, 1);

/// Decodes one wire operation (`AlterConfigOp.OpType`), or the unknown id.
fn operation(id: i8, value: Option<&str>) -> Result<AlterConfigOp, i8> {
    let value = value.unwrap_or_default().to_owned();
    match id {
        0 => Ok(AlterConfigOp::Set(value)),
        1 => Ok(AlterConfigOp::Delete),
        2 => Ok(AlterConfigOp::Append(value)),
        3 => Ok(AlterConfigOp::Subtract(value)),
        other => Err(other),
    }
}

fn ops(r: &AlterConfigsResource) -> Result<Vec<(String, AlterConfigOp)>, i8> {
    r.configs
        .iter()
        .map(|c| {
            operation(c.config_operation, c.value.as_ref().map(|v| v.as_str()))
                .map(|op| (c.name.as_str().to_owned(), op))
        })
        .collect()
}

/// Applies each resource's operations.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let wire: Vec<(i8, String)> = request
        .resources
        .iter()
        .map(|r| (r.resource_type, r.resource_name.as_str().to_owned()))
        .collect();
    let bad_ops: Vec<Option<i8>> = request.resources.iter().map(|r| ops(r).err()).collect();
    let items = request
        .resources
        .iter()
        .map(|r| {
            let resource = resource(ctx, r.resource_type, r.resource_name.as_str()).ok()?;
            Some(IncrementalAlterConfigsResource {
                resource,
                ops: ops(r).ok()?,
            })
        })
        .collect();
    let validate_only = request.validate_only;
    let outcomes = alter(ctx, &wire, items, validate_only, |items| {
        ctx.replicas
            .metadata()
            .incremental_alter_configs(items, validate_only, now_ms())
    });
    let responses = outcomes
        .into_iter()
        .zip(bad_ops)
        .map(|((ty, name, code, message), bad_op)| {
            let (code, message) = match bad_op {
                // Kafka ConfigAdminManager: "Unknown alter config operation type <id>".
                Some(id) => (
                    ErrorCode::InvalidRequest.code(),
                    Some(format!("Unknown alter config operation type {id}")),
                ),
                None => (code, message),
            };
            AlterConfigsResourceResponse::default()
                .with_resource_type(ty)
                .with_resource_name(str_bytes(&name))
                .with_error_code(code)
                .with_error_message(message.as_deref().map(str_bytes))
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}
