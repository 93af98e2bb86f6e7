//! Client quota administration (KIP-546): DescribeClientQuotas and AlterClientQuotas, as the
//! Java admin client's `describeClientQuotas(ClientQuotaFilter)` / `alterClientQuotas`.

use std::collections::BTreeMap;

use fjord_protocol::kafka_protocol::messages::{
    AlterClientQuotasRequest, DescribeClientQuotasRequest, alter_client_quotas_request,
    describe_client_quotas_request::ComponentData,
};

use super::{AdminClient, str_bytes};
use crate::error::{ClientError, check_code};

/// A quota entity: `(entity type, name)` pairs, `None` naming the default entity
/// (`ClientQuotaEntity`; types `user`, `client-id`, `ip`). Sorted by type.
pub type QuotaEntity = BTreeMap<String, Option<String>>;

/// How a filter component matches names (`ClientQuotaFilterComponent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaMatch {
    /// `ofEntity(type, name)`: exactly this name (wire match type 0).
    Exact(String),
    /// `ofDefaultEntity(type)`: the default entity (1).
    Default,
    /// `ofEntityType(type)`: any specified name (2).
    Any,
}

/// One filter component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaFilterComponent {
    /// `user`, `client-id` or `ip`.
    pub entity_type: String,
    /// The match.
    pub matching: QuotaMatch,
}

/// Quotas of one entity, by key.
pub type QuotaValues = BTreeMap<String, f64>;

impl AdminClient {
    /// Describes the quotas of the entities matching `components`; `strict` is Java's
    /// `ClientQuotaFilter.containsOnly` (no other entity types allowed).
    pub async fn describe_client_quotas(
        &mut self,
        components: &[QuotaFilterComponent],
        strict: bool,
    ) -> Result<Vec<(QuotaEntity, QuotaValues)>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("describeClientQuotas", timeout, async {
            let mut request = DescribeClientQuotasRequest::default();
            request.strict = strict;
            request.components = components
                .iter()
                .map(|c| {
                    let (match_type, name) = match &c.matching {
                        QuotaMatch::Exact(name) => (0, Some(str_bytes(name))),
                        QuotaMatch::Default => (1, None),
                        QuotaMatch::Any => (2, None),
                    };
                    ComponentData::default()
                        .with_entity_type(str_bytes(&c.entity_type))
                        .with_match_type(match_type)
                        .with_match(name)
                })
                .collect();
            let response = self.send_to(None, &request).await?;
            check_code(response.error_code, response.error_message.as_deref())?;
            Ok(response
                .entries
                .unwrap_or_default()
                .iter()
                .map(|entry| {
                    let entity = entry
                        .entity
                        .iter()
                        .map(|e| {
                            (
                                e.entity_type.to_string(),
                                e.entity_name.as_ref().map(ToString::to_string),
                            )
                        })
                        .collect();
                    let values = entry
                        .values
                        .iter()
                        .map(|v| (v.key.to_string(), v.value))
                        .collect();
                    (entity, values)
                })
                .collect())
        })
        .await
    }

    /// Sets (`Some`) or removes (`None`) quota keys of one entity.
    pub async fn alter_client_quotas(
        &mut self,
        entity: &QuotaEntity,
        ops: &[(String, Option<f64>)],
        validate_only: bool,
    ) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("alterClientQuotas", timeout, async {
            let entry = alter_client_quotas_request::EntryData::default()
                .with_entity(
                    entity
                        .iter()
                        .map(|(entity_type, name)| {
                            alter_client_quotas_request::EntityData::default()
                                .with_entity_type(str_bytes(entity_type))
                                .with_entity_name(name.as_deref().map(str_bytes))
                        })
                        .collect(),
                )
                .with_ops(
                    ops.iter()
                        .map(|(key, value)| {
                            alter_client_quotas_request::OpData::default()
                                .with_key(str_bytes(key))
                                .with_value(value.unwrap_or_default())
                                .with_remove(value.is_none())
                        })
                        .collect(),
                );
            let request = AlterClientQuotasRequest::default()
                .with_entries(vec![entry])
                .with_validate_only(validate_only);
            let response = self.send_to(None, &request).await?;
            let result = response
                .entries
                .first()
                .ok_or_else(|| ClientError::Protocol {
                    api: "AlterClientQuotas",
                    detail: "response has no entry for the entity".to_owned(),
                })?;
            check_code(result.error_code, result.error_message.as_deref())
        })
        .await
    }
}
