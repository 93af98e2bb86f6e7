//! DescribeClientQuotas (key 48, KIP-546): `DescribeClientQuotasRequest.json` /
//! `DescribeClientQuotasResponse.json`.
//!
//! Filters the image's quotas as Kafka's `ClientQuotasImage.describe`: each component names
//! an entity type and a match — EXACT (0, the name), DEFAULT (1, the default entity) or
//! SPECIFIED (2, any non-default name); with `strict` an entity must have no other entity
//! types. A malformed filter is INVALID_REQUEST for the whole response. Quotas are stored and
//! described; enforcing them on produce/fetch is not implemented yet.

use fjord_metadata::image::QuotaEntity;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use fjord_protocol::kafka_protocol::messages::describe_client_quotas_response::{
    EntityData, EntryData, ValueData,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DescribeClientQuotasRequest, DescribeClientQuotasResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0..=1, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeClientQuotas, 0, 1);

/// `ClientQuotaFilterComponent` match types (`DescribeClientQuotasRequest.json` MatchType).
const MATCH_EXACT: i8 = 0;
const MATCH_DEFAULT: i8 = 1;
const MATCH_SPECIFIED: i8 = 2;

/// One validated filter component.
#[derive(Debug)]
enum Match {
    Exact(String),
    Default,
    Specified,
}

/// Why a filter is refused (INVALID_REQUEST; messages after Kafka's `ClientQuotasImage`).
#[derive(Debug, thiserror::Error)]
enum FilterError {
    #[error("Invalid empty entity type.")]
    EmptyType,
    #[error("Entity type {0} cannot appear more than once in the filter.")]
    Duplicate(String),
    #[error("Unknown match type {0}")]
    UnknownMatchType(i8),
    #[error("Request specified MATCH_TYPE_EXACT, but set match string to null.")]
    ExactWithoutName,
}

fn components(wire: &[ComponentData]) -> Result<Vec<(String, Match)>, FilterError> {
    let mut out: Vec<(String, Match)> = Vec::new();
    for component in wire {
        let entity_type = component.entity_type.as_str().to_owned();
        if entity_type.is_empty() {
            return Err(FilterError::EmptyType);
        }
        if out.iter().any(|(t, _)| *t == entity_type) {
            return Err(FilterError::Duplicate(entity_type));
        }
        let matching = match component.match_type {
            MATCH_EXACT => Match::Exact(
                component
                    ._match
                    .as_ref()
                    .map(|m| m.as_str().to_owned())
                    .ok_or(FilterError::ExactWithoutName)?,
            ),
            MATCH_DEFAULT => Match::Default,
            MATCH_SPECIFIED => Match::Specified,
            other => return Err(FilterError::UnknownMatchType(other)),
        };
        out.push((entity_type, matching));
    }
    Ok(out)
}

fn matches(entity: &QuotaEntity, filter: &[(String, Match)], strict: bool) -> bool {
    if strict && entity.len() != filter.len() {
        return false;
    }
    filter.iter().all(
        |(entity_type, matching)| match (entity.get(entity_type), matching) {
            (Some(Some(name)), Match::Exact(wanted)) => name == wanted,
            (Some(None), Match::Default) => true,
            (Some(Some(_)), Match::Specified) => true,
            _ => false,
        },
    )
}

/// Describes the quotas matching the filter.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DescribeClientQuotasRequest,
) -> DescribeClientQuotasResponse {
    let filter = match components(&request.components) {
        Ok(filter) => filter,
        Err(error) => {
            return DescribeClientQuotasResponse::default()
                .with_error_code(ErrorCode::InvalidRequest.code())
                .with_error_message(Some(str_bytes(&error.to_string())))
                .with_entries(None);
        }
    };
    let image = ctx.replicas.image();
    let entries = image
        .client_quotas()
        .iter()
        .filter(|(entity, _)| matches(entity, &filter, request.strict))
        .map(|(entity, values)| {
            EntryData::default()
                .with_entity(
                    entity
                        .iter()
                        .map(|(entity_type, name)| {
                            EntityData::default()
                                .with_entity_type(str_bytes(entity_type))
                                .with_entity_name(name.as_deref().map(str_bytes))
                        })
                        .collect(),
                )
                .with_values(
                    values
                        .iter()
                        .map(|(key, value)| {
                            ValueData::default()
                                .with_key(str_bytes(key))
                                .with_value(value.0)
                        })
                        .collect(),
                )
        })
        .collect();
    DescribeClientQuotasResponse::default().with_entries(Some(entries))
}
