//! AlterClientQuotas (KIP-546), following Kafka's `ClientQuotaControlManager.alterClientQuotas`:
//! entity types `user`, `client-id` (alone or together) or `ip` (alone); keys from
//! `QuotaConfig` for that combination; LONG-typed keys must hold whole numbers; every failure
//! is INVALID_REQUEST with Kafka's message. Quotas are stored and described; enforcing them on
//! produce/fetch is not implemented yet.

use std::collections::BTreeMap;

use super::{Controller, ControllerError, ControllerResult};
use crate::image::{MetadataImage, QuotaEntity};
use crate::records::{ClientQuotaRecord, MetadataRecord};

/// Entity type of a user principal (`ClientQuotaEntity.USER`).
pub const QUOTA_ENTITY_USER: &str = "user";
/// Entity type of a client id (`ClientQuotaEntity.CLIENT_ID`).
pub const QUOTA_ENTITY_CLIENT_ID: &str = "client-id";
/// Entity type of an IP address (`ClientQuotaEntity.IP`).
pub const QUOTA_ENTITY_IP: &str = "ip";

/// How a quota value must look (the `ConfigDef.Type` of the key in Kafka `QuotaConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaValueType {
    /// A whole number (bytes/s, connections/s).
    Long,
    /// Any double (percentages, mutation rates).
    Double,
}

/// Keys valid for user and client-id entities (Kafka `QuotaConfig.userAndClientQuotaConfigs`).
pub const USER_AND_CLIENT_QUOTA_KEYS: &[(&str, QuotaValueType)] = &[
    ("consumer_byte_rate", QuotaValueType::Long),
    ("controller_mutation_rate", QuotaValueType::Double),
    ("producer_byte_rate", QuotaValueType::Long),
    ("request_percentage", QuotaValueType::Double),
];

/// Keys valid for ip entities (Kafka `QuotaConfig.ipConfigs`).
pub const IP_QUOTA_KEYS: &[(&str, QuotaValueType)] =
    &[("connection_creation_rate", QuotaValueType::Long)];

/// One entity's alteration: its components as listed and `(key, Some(value) | None = remove)`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaAlteration {
    /// `(entity type, name or None for the default)`, in request order.
    pub entity: Vec<(String, Option<String>)>,
    /// Operations in request order.
    pub ops: Vec<(String, Option<f64>)>,
}

/// Per-entity outcome in request order.
pub type QuotaResults = Vec<(Vec<(String, Option<String>)>, Result<(), ControllerError>)>;

fn invalid(message: impl Into<String>) -> ControllerError {
    ControllerError::InvalidRequest(message.into())
}

/// `validateEntity` + `configKeysForEntityType`.
fn keys_for(
    entity: &[(String, Option<String>)],
) -> Result<&'static [(&'static str, QuotaValueType)], ControllerError> {
    if entity.is_empty() {
        return Err(invalid("Invalid empty client quota entity"));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (entity_type, name) in entity {
        if seen.contains(&entity_type.as_str()) {
            return Err(invalid(format!(
                "Invalid empty client quota entity, duplicate entity entry {entity_type}"
            )));
        }
        if ![QUOTA_ENTITY_USER, QUOTA_ENTITY_CLIENT_ID, QUOTA_ENTITY_IP]
            .contains(&entity_type.as_str())
        {
            return Err(invalid(format!(
                "Unhandled client quota entity type: {entity_type}"
            )));
        }
        if name.as_deref() == Some("") {
            return Err(invalid(format!("Empty {entity_type} not supported")));
        }
        seen.push(entity_type);
    }
    let has = |t: &str| seen.contains(&t);
    match (
        has(QUOTA_ENTITY_USER),
        has(QUOTA_ENTITY_CLIENT_ID),
        has(QUOTA_ENTITY_IP),
    ) {
        (true, _, false) | (false, true, false) => Ok(USER_AND_CLIENT_QUOTA_KEYS),
        (false, false, true) => Ok(IP_QUOTA_KEYS),
        _ => Err(invalid("Invalid empty client quota entity")),
    }
}

/// `validateQuotaKeyValue`.
fn validate_value(
    keys: &[(&str, QuotaValueType)],
    key: &str,
    value: f64,
) -> Result<(), ControllerError> {
    let Some((_, ty)) = keys.iter().find(|(name, _)| *name == key) else {
        return Err(invalid(format!("Invalid configuration key {key}")));
    };
    if !value.is_finite() {
        return Err(invalid(format!(
            "Configuration {key} must be a finite number"
        )));
    }
    if *ty == QuotaValueType::Long {
        // Kafka's check: within 1e-6 of a whole number.
        let epsilon = 1e-6;
        let whole = (value + epsilon).trunc();
        if (whole - value).abs() > epsilon {
            return Err(invalid(format!("Configuration {key} must be a Long value")));
        }
    }
    Ok(())
}

impl Controller {
    /// AlterClientQuotas: validates each entity's operations and returns the records that set
    /// or remove keys (unchanged values and removals of absent keys write nothing).
    pub fn alter_client_quotas(
        &self,
        image: &MetadataImage,
        alterations: &[QuotaAlteration],
        validate_only: bool,
    ) -> ControllerResult<QuotaResults> {
        let mut records = Vec::new();
        let mut response: QuotaResults = Vec::new();
        let mut seen: Vec<QuotaEntity> = Vec::new();
        for alteration in alterations {
            let entity_map: QuotaEntity = alteration.entity.iter().cloned().collect();
            let result = (|| {
                if seen.contains(&entity_map) {
                    return Err(invalid(format!(
                        "Ignoring duplicate entity {:?}",
                        alteration.entity
                    )));
                }
                let keys = keys_for(&alteration.entity)?;
                let mut ops: BTreeMap<&str, Option<f64>> = BTreeMap::new();
                for (key, value) in &alteration.ops {
                    if ops.insert(key.as_str(), *value).is_some() {
                        return Err(invalid(format!(
                            "Duplicate quota key {key} not updating quota for this entity"
                        )));
                    }
                    if let Some(value) = value {
                        validate_value(keys, key, *value)?;
                    }
                }
                let current = image.client_quotas().get(&entity_map);
                let mut entity_records = Vec::new();
                for (key, value) in ops {
                    let existing = current.and_then(|c| c.get(key)).map(|v| v.0);
                    match value {
                        None if existing.is_some() => entity_records.push(ClientQuotaRecord {
                            entity: alteration.entity.clone(),
                            key: key.to_string(),
                            value: 0.0,
                            remove: true,
                        }),
                        Some(value) if existing != Some(value) => {
                            entity_records.push(ClientQuotaRecord {
                                entity: alteration.entity.clone(),
                                key: key.to_string(),
                                value,
                                remove: false,
                            });
                        }
                        _ => {}
                    }
                }
                Ok(entity_records)
            })();
            seen.push(entity_map);
            match result {
                Ok(entity_records) => {
                    if !validate_only {
                        records.extend(entity_records.into_iter().map(MetadataRecord::ClientQuota));
                    }
                    response.push((alteration.entity.clone(), Ok(())));
                }
                Err(error) => response.push((alteration.entity.clone(), Err(error))),
            }
        }
        ControllerResult { records, response }
    }
}
