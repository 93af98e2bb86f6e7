//! AlterUserScramCredentials (KIP-554), following Kafka's `ScramControlManager.alterCredentials`:
//! per user, at most one alteration per request (DUPLICATE_RESOURCE), a non-empty user name
//! and a known mechanism (UNACCEPTABLE_CREDENTIAL / UNSUPPORTED_SASL_MECHANISM), iterations
//! within `[mechanism minimum 4096, 16384]` (UNACCEPTABLE_CREDENTIAL "Too few/many
//! iterations"), and deletions only of credentials that exist (RESOURCE_NOT_FOUND).
//!
//! The client sends the salted password (RFC 5802 `SaltedPassword := Hi(password, salt, i)`);
//! the controller derives `StoredKey := H(HMAC(SaltedPassword, "Client Key"))` and
//! `ServerKey := HMAC(SaltedPassword, "Server Key")` (RFC 5802 §3, Kafka `ScramFormatter`) and
//! stores only those, with the salt and iteration count.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::{Controller, ControllerError, ControllerResult};
use crate::image::MetadataImage;
use crate::records::{MetadataRecord, RemoveUserScramCredentialRecord, UserScramCredentialRecord};

/// Most iterations a credential may use (Kafka `ScramControlManager.MAX_ITERATIONS`).
pub const SCRAM_ITERATIONS_MAX: i32 = 16_384;
/// Fewest iterations SCRAM-SHA-256 and SCRAM-SHA-512 accept (Kafka
/// `ScramMechanism.minIterations`, RFC 7677 §4 recommends at least 4096).
pub const SCRAM_ITERATIONS_MIN: i32 = 4_096;

/// SCRAM mechanisms by wire id (Kafka `org.apache.kafka.clients.admin.ScramMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScramMechanism {
    /// 1: SCRAM-SHA-256 (RFC 7677).
    Sha256,
    /// 2: SCRAM-SHA-512.
    Sha512,
}

impl ScramMechanism {
    /// The mechanism with wire id `id`, if known (0 is Kafka's UNKNOWN).
    pub fn from_id(id: i8) -> Option<Self> {
        match id {
            1 => Some(Self::Sha256),
            2 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The wire id.
    pub fn id(self) -> i8 {
        match self {
            Self::Sha256 => 1,
            Self::Sha512 => 2,
        }
    }

    /// The SASL mechanism name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha512 => "SCRAM-SHA-512",
        }
    }

    fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        match self {
            Self::Sha256 => Hmac::<Sha256>::new_from_slice(key)
                .map(|mac| mac.chain_update(message).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
            Self::Sha512 => Hmac::<Sha512>::new_from_slice(key)
                .map(|mac| mac.chain_update(message).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    fn hash(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(message).to_vec(),
            Self::Sha512 => Sha512::digest(message).to_vec(),
        }
    }

    /// RFC 5802 §3: `(StoredKey, ServerKey)` from `SaltedPassword`.
    pub fn stored_and_server_key(self, salted_password: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let client_key = self.hmac(salted_password, b"Client Key");
        let stored_key = self.hash(&client_key);
        let server_key = self.hmac(salted_password, b"Server Key");
        (stored_key, server_key)
    }
}

/// A credential to create or replace (`ScramCredentialUpsertion`).
#[derive(Clone, PartialEq, Eq)]
pub struct ScramUpsertion {
    /// The user.
    pub name: String,
    /// Mechanism wire id.
    pub mechanism: i8,
    /// PBKDF2 iterations the client used.
    pub iterations: i32,
    /// The client's salt.
    pub salt: Vec<u8>,
    /// `Hi(password, salt, iterations)`.
    pub salted_password: Vec<u8>,
}

impl std::fmt::Debug for ScramUpsertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramUpsertion")
            .field("name", &self.name)
            .field("mechanism", &self.mechanism)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// A credential to delete (`ScramCredentialDeletion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramDeletion {
    /// The user.
    pub name: String,
    /// Mechanism wire id.
    pub mechanism: i8,
}

/// Per-user outcome, in Kafka's response order (deletions, upsertions, then failures).
pub type ScramResults = Vec<(String, Result<(), ControllerError>)>;

fn duplicate() -> ControllerError {
    ControllerError::DuplicateResource(
        "A user credential cannot be altered twice in the same request".to_string(),
    )
}

/// `validateScramUsernameAndMechanism`.
fn validate_name_and_mechanism(
    name: &str,
    mechanism: i8,
) -> Result<ScramMechanism, ControllerError> {
    if name.is_empty() {
        return Err(ControllerError::UnacceptableCredential(
            "Username must not be empty".to_string(),
        ));
    }
    ScramMechanism::from_id(mechanism).ok_or_else(|| {
        ControllerError::UnsupportedSaslMechanism("Unknown SCRAM mechanism".to_string())
    })
}

impl Controller {
    /// AlterUserScramCredentials: see the module docs. All records are one atomic batch.
    pub fn alter_user_scram_credentials(
        &self,
        image: &MetadataImage,
        deletions: &[ScramDeletion],
        upsertions: &[ScramUpsertion],
    ) -> ControllerResult<ScramResults> {
        let mut failed: Vec<(String, ControllerError)> = Vec::new();
        let mut to_delete: Vec<&ScramDeletion> = Vec::new();
        let mut to_upsert: Vec<(&ScramUpsertion, ScramMechanism)> = Vec::new();
        let has_failed = |failed: &[(String, ControllerError)], name: &str| {
            failed.iter().any(|(user, _)| user == name)
        };
        for deletion in deletions {
            if has_failed(&failed, &deletion.name) {
                continue;
            }
            if let Some(index) = to_delete.iter().position(|d| d.name == deletion.name) {
                to_delete.remove(index);
                failed.push((deletion.name.clone(), duplicate()));
                continue;
            }
            let checked =
                validate_name_and_mechanism(&deletion.name, deletion.mechanism).and_then(|_| {
                    let exists = image
                        .scram_credentials()
                        .get(&deletion.name)
                        .is_some_and(|m| m.contains_key(&deletion.mechanism));
                    if exists {
                        Ok(())
                    } else {
                        Err(ControllerError::ResourceNotFound(
                            "Attempt to delete a user credential that does not exist".to_string(),
                        ))
                    }
                });
            match checked {
                Ok(()) => to_delete.push(deletion),
                Err(error) => failed.push((deletion.name.clone(), error)),
            }
        }
        for upsertion in upsertions {
            if has_failed(&failed, &upsertion.name) {
                continue;
            }
            let deleted = to_delete.iter().position(|d| d.name == upsertion.name);
            let upserted = to_upsert.iter().position(|(u, _)| u.name == upsertion.name);
            if deleted.is_some() || upserted.is_some() {
                if let Some(index) = deleted {
                    to_delete.remove(index);
                }
                if let Some(index) = upserted {
                    to_upsert.remove(index);
                }
                failed.push((upsertion.name.clone(), duplicate()));
                continue;
            }
            let checked = validate_name_and_mechanism(&upsertion.name, upsertion.mechanism)
                .and_then(|mechanism| {
                    if upsertion.iterations < SCRAM_ITERATIONS_MIN {
                        Err(ControllerError::UnacceptableCredential(
                            "Too few iterations".to_string(),
                        ))
                    } else if upsertion.iterations > SCRAM_ITERATIONS_MAX {
                        Err(ControllerError::UnacceptableCredential(
                            "Too many iterations".to_string(),
                        ))
                    } else {
                        Ok(mechanism)
                    }
                });
            match checked {
                Ok(mechanism) => to_upsert.push((upsertion, mechanism)),
                Err(error) => failed.push((upsertion.name.clone(), error)),
            }
        }
        let mut records = Vec::new();
        let mut response: ScramResults = Vec::new();
        for deletion in to_delete {
            records.push(MetadataRecord::RemoveUserScramCredential(
                RemoveUserScramCredentialRecord {
                    name: deletion.name.clone(),
                    mechanism: deletion.mechanism,
                },
            ));
            response.push((deletion.name.clone(), Ok(())));
        }
        for (upsertion, mechanism) in to_upsert {
            let (stored_key, server_key) =
                mechanism.stored_and_server_key(&upsertion.salted_password);
            records.push(MetadataRecord::UserScramCredential(
                UserScramCredentialRecord {
                    name: upsertion.name.clone(),
                    mechanism: upsertion.mechanism,
                    salt: upsertion.salt.clone(),
                    stored_key,
                    server_key,
                    iterations: upsertion.iterations,
                },
            ));
            response.push((upsertion.name.clone(), Ok(())));
        }
        response.extend(failed.into_iter().map(|(name, error)| (name, Err(error))));
        ControllerResult { records, response }
    }
}
