//! AlterClientQuotas (key 49, KIP-546): `AlterClientQuotasRequest.json` /
//! `AlterClientQuotasResponse.json`.
//!
//! Each entry (an entity and its set/remove ops) goes to the controller
//! (`fjord_metadata::controller::quotas`, after Kafka's `ClientQuotaControlManager`), which
//! writes `ClientQuotaRecord`s to the metadata log; unknown keys, bad entity types and
//! fractional values for byte rates are INVALID_REQUEST with Kafka's messages. Quotas are not
//! enforced on produce/fetch yet.

use fjord_metadata::controller::QuotaAlteration;
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::alter_client_quotas_response::{
    EntityData, EntryData,
};
use fjord_protocol::kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, ApiKey,
};

use super::config_resources::store_error;
use super::{BrokerContext, now_ms, str_bytes};

/// v0..=1, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::AlterClientQuotas, 0, 1);

/// Applies each entry's operations.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: AlterClientQuotasRequest,
) -> AlterClientQuotasResponse {
    let alterations: Vec<QuotaAlteration> = request
        .entries
        .iter()
        .map(|entry| QuotaAlteration {
            entity: entry
                .entity
                .iter()
                .map(|e| {
                    (
                        e.entity_type.as_str().to_owned(),
                        e.entity_name.as_ref().map(|n| n.as_str().to_owned()),
                    )
                })
                .collect(),
            ops: entry
                .ops
                .iter()
                .map(|op| (op.key.as_str().to_owned(), (!op.remove).then_some(op.value)))
                .collect(),
        })
        .collect();
    let validate_only = request.validate_only;
    let outcome = ctx
        .replicas
        .metadata()
        .submit(now_ms(), |controller, image| {
            controller.alter_client_quotas(image, &alterations, validate_only)
        });
    let entity_data = |entity: &[(String, Option<String>)]| {
        entity
            .iter()
            .map(|(entity_type, name)| {
                EntityData::default()
                    .with_entity_type(str_bytes(entity_type))
                    .with_entity_name(name.as_deref().map(str_bytes))
            })
            .collect()
    };
    let entries = match outcome {
        Ok(results) => results
            .iter()
            .map(|(entity, result)| {
                let (code, message) = match result {
                    Ok(()) => (0, None),
                    Err(error) => (error.code(), Some(error.to_string())),
                };
                EntryData::default()
                    .with_error_code(code)
                    .with_error_message(message.as_deref().map(str_bytes))
                    .with_entity(entity_data(entity))
            })
            .collect(),
        Err(error) => {
            let (code, message) = store_error(&error);
            alterations
                .iter()
                .map(|a| {
                    EntryData::default()
                        .with_error_code(code.code())
                        .with_error_message(Some(str_bytes(&message)))
                        .with_entity(entity_data(&a.entity))
                })
                .collect()
        }
    };
    AlterClientQuotasResponse::default().with_entries(entries)
}
