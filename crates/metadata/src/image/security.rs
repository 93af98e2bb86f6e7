//! The SCRAM credential and client quota parts of the [`super::MetadataImage`] (Kafka's
//! `ScramImage` and `ClientQuotasImage`), changed only by replaying `UserScramCredentialRecord`,
//! `RemoveUserScramCredentialRecord` and `ClientQuotaRecord`.

use std::collections::BTreeMap;

use crate::records::{
    ClientQuotaRecord, QuotaEntityPart, RemoveUserScramCredentialRecord, UserScramCredentialRecord,
};

/// One stored SCRAM credential (Kafka `ScramCredentialData`): never the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredential {
    /// The client-generated salt.
    pub salt: Vec<u8>,
    /// RFC 5802 StoredKey.
    pub stored_key: Vec<u8>,
    /// RFC 5802 ServerKey.
    pub server_key: Vec<u8>,
    /// PBKDF2 iterations.
    pub iterations: i32,
}

impl std::fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramCredential")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// A quota entity (Kafka `ClientQuotaEntity`): entity type (`user`, `client-id`, `ip`) → name,
/// `None` for the default entity of that type. Ordered so output is deterministic.
pub type QuotaEntity = BTreeMap<String, Option<String>>;

/// A quota value. Wraps the double so the image keeps `Eq` (values come from validated
/// requests and are finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaValue(pub f64);

impl Eq for QuotaValue {}

/// Credentials by user, then mechanism id (1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512).
pub type ScramCredentials = BTreeMap<String, BTreeMap<i8, ScramCredential>>;

/// Quotas by entity, then key.
pub type ClientQuotas = BTreeMap<QuotaEntity, BTreeMap<String, QuotaValue>>;

/// The entity a record names, as a map.
pub fn quota_entity(parts: &[QuotaEntityPart]) -> QuotaEntity {
    parts.iter().cloned().collect()
}

/// Replays `UserScramCredentialRecord` (Kafka `ScramControlManager.replay`: put, replacing).
pub(super) fn replay_scram(credentials: &mut ScramCredentials, record: &UserScramCredentialRecord) {
    credentials.entry(record.name.clone()).or_default().insert(
        record.mechanism,
        ScramCredential {
            salt: record.salt.clone(),
            stored_key: record.stored_key.clone(),
            server_key: record.server_key.clone(),
            iterations: record.iterations,
        },
    );
}

/// Replays `RemoveUserScramCredentialRecord`.
///
/// # Panics
/// If the credential does not exist: Kafka's replay throws "Unable to find credential to
/// delete"; the controller only writes this record for an existing credential.
pub(super) fn replay_remove_scram(
    credentials: &mut ScramCredentials,
    record: &RemoveUserScramCredentialRecord,
) {
    let removed = credentials
        .get_mut(&record.name)
        .and_then(|by_mechanism| by_mechanism.remove(&record.mechanism));
    assert!(
        removed.is_some(),
        "RemoveUserScramCredentialRecord for {} mechanism {} which does not exist",
        record.name,
        record.mechanism
    );
    if credentials
        .get(&record.name)
        .is_some_and(BTreeMap::is_empty)
    {
        credentials.remove(&record.name);
    }
}

/// Replays `ClientQuotaRecord` (Kafka `ClientQuotaControlManager.replay`): set or remove one key;
/// an entity with no keys left disappears.
pub(super) fn replay_quota(quotas: &mut ClientQuotas, record: &ClientQuotaRecord) {
    let entity = quota_entity(&record.entity);
    if record.remove {
        if let Some(keys) = quotas.get_mut(&entity) {
            keys.remove(&record.key);
            if keys.is_empty() {
                quotas.remove(&entity);
            }
        }
    } else {
        quotas
            .entry(entity)
            .or_default()
            .insert(record.key.clone(), QuotaValue(record.value));
    }
}
