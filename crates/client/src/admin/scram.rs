//! SCRAM credential administration (KIP-554): DescribeUserScramCredentials and
//! AlterUserScramCredentials, with the client-side salting of the Java admin client
//! (`KafkaAdminClient.alterUserScramCredentials`): a random salt and RFC 5802's
//! `SaltedPassword := Hi(password, salt, iterations)` (PBKDF2 with HMAC-SHA-256/512) are sent;
//! the password never leaves the client.

use fjord_protocol::kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use fjord_protocol::kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, DescribeUserScramCredentialsRequest,
    alter_user_scram_credentials_request::{ScramCredentialDeletion, ScramCredentialUpsertion},
};
use rand::RngCore;

use super::{AdminClient, str_bytes};
use crate::error::{ClientError, check_code};

/// Bytes of random salt per credential (Kafka's `ScramFormatter.secureRandomBytes` yields about
/// 26 characters; 32 random bytes carry more entropy).
pub const SCRAM_SALT_BYTES: usize = 32;

/// A SCRAM mechanism (`org.apache.kafka.clients.admin.ScramMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScramMechanism {
    /// SCRAM-SHA-256 (wire id 1).
    Sha256,
    /// SCRAM-SHA-512 (wire id 2).
    Sha512,
}

impl ScramMechanism {
    /// Every mechanism, in wire id order.
    pub const ALL: [Self; 2] = [Self::Sha256, Self::Sha512];

    /// The mechanism named `name` (`SCRAM-SHA-256`, `SCRAM-SHA-512`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The mechanism with wire id `id`.
    pub fn from_id(id: i8) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The SASL mechanism name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The wire id.
    pub fn id(self) -> i8 {
        match self {
            Self::Sha256 => 1,
            Self::Sha512 => 2,
        }
    }

    /// Fewest iterations the mechanism accepts (Kafka internal `ScramMechanism.minIterations`).
    pub fn min_iterations(self) -> i32 {
        4096
    }

    /// RFC 5802 `Hi(password, salt, iterations)`: PBKDF2 with this mechanism's HMAC, output
    /// as long as the hash.
    pub fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha256 => {
                pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(password, salt, iterations).to_vec()
            }
            Self::Sha512 => {
                pbkdf2::pbkdf2_hmac_array::<sha2::Sha512, 64>(password, salt, iterations).to_vec()
            }
        }
    }
}

/// A described credential: mechanism and iterations (`ScramCredentialInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScramCredentialInfo {
    /// The mechanism.
    pub mechanism: ScramMechanism,
    /// PBKDF2 iterations.
    pub iterations: i32,
}

/// One change to a user's credentials (`UserScramCredentialAlteration`).
#[derive(Clone, PartialEq, Eq)]
pub enum ScramAlteration {
    /// Create or replace the credential for `mechanism`.
    Upsert {
        /// The user.
        user: String,
        /// The mechanism.
        mechanism: ScramMechanism,
        /// PBKDF2 iterations.
        iterations: i32,
        /// The password (salted here, never sent).
        password: String,
    },
    /// Delete the credential for `mechanism`.
    Delete {
        /// The user.
        user: String,
        /// The mechanism.
        mechanism: ScramMechanism,
    },
}

impl std::fmt::Debug for ScramAlteration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Upsert {
                user,
                mechanism,
                iterations,
                ..
            } => f
                .debug_struct("Upsert")
                .field("user", user)
                .field("mechanism", mechanism)
                .field("iterations", iterations)
                .finish_non_exhaustive(),
            Self::Delete { user, mechanism } => f
                .debug_struct("Delete")
                .field("user", user)
                .field("mechanism", mechanism)
                .finish(),
        }
    }
}

/// A user's described credentials, or why they could not be described.
pub type UserScramDescription = (String, Result<Vec<ScramCredentialInfo>, ClientError>);

impl AdminClient {
    /// Describes SCRAM credentials of `users` (empty: every user with one). Users without
    /// credentials come back as RESOURCE_NOT_FOUND (91), as Kafka answers.
    pub async fn describe_user_scram_credentials(
        &mut self,
        users: &[String],
    ) -> Result<Vec<UserScramDescription>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("describeUserScramCredentials", timeout, async {
            let mut request = DescribeUserScramCredentialsRequest::default();
            request.users = (!users.is_empty()).then(|| {
                users
                    .iter()
                    .map(|u| UserName::default().with_name(str_bytes(u)))
                    .collect()
            });
            let response = self.send_to(None, &request).await?;
            check_code(response.error_code, response.error_message.as_deref())?;
            Ok(response
                .results
                .iter()
                .map(|result| {
                    let user = result.user.to_string();
                    let described = check_code(result.error_code, result.error_message.as_deref())
                        .map(|()| {
                            result
                                .credential_infos
                                .iter()
                                .filter_map(|info| {
                                    ScramMechanism::from_id(info.mechanism).map(|mechanism| {
                                        ScramCredentialInfo {
                                            mechanism,
                                            iterations: info.iterations,
                                        }
                                    })
                                })
                                .collect()
                        });
                    (user, described)
                })
                .collect())
        })
        .await
    }

    /// Applies `alterations`; returns each user's outcome.
    pub async fn alter_user_scram_credentials(
        &mut self,
        alterations: &[ScramAlteration],
    ) -> Result<Vec<(String, Result<(), ClientError>)>, ClientError> {
        let timeout = self.config.default_api_timeout;
        let mut request = AlterUserScramCredentialsRequest::default();
        for alteration in alterations {
            match alteration {
                ScramAlteration::Delete { user, mechanism } => request.deletions.push(
                    ScramCredentialDeletion::default()
                        .with_name(str_bytes(user))
                        .with_mechanism(mechanism.id()),
                ),
                ScramAlteration::Upsert {
                    user,
                    mechanism,
                    iterations,
                    password,
                } => {
                    let mut salt = vec![0u8; SCRAM_SALT_BYTES];
                    rand::rng().fill_bytes(&mut salt);
                    // A negative count is the server's to refuse ("Too few iterations"); salt
                    // with at least one round so the request can be sent.
                    let rounds = u32::try_from(*iterations).unwrap_or(1).max(1);
                    let salted = mechanism.salted_password(password.as_bytes(), &salt, rounds);
                    request.upsertions.push(
                        ScramCredentialUpsertion::default()
                            .with_name(str_bytes(user))
                            .with_mechanism(mechanism.id())
                            .with_iterations(*iterations)
                            .with_salt(salt.into())
                            .with_salted_password(salted.into()),
                    );
                }
            }
        }
        Self::bounded("alterUserScramCredentials", timeout, async {
            let response = self.send_to(None, &request).await?;
            Ok(response
                .results
                .iter()
                .map(|r| {
                    (
                        r.user.to_string(),
                        check_code(r.error_code, r.error_message.as_deref()),
                    )
                })
                .collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salted_password_is_rfc7677_hi() {
        // RFC 7677 §3: password "pencil", salt base64 W22ZaJ0SNY7soEsUEjb6gQ==, i=4096.
        let salt = [
            0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e, 0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36,
            0xfa, 0x81,
        ];
        let salted = ScramMechanism::Sha256.salted_password(b"pencil", &salt, 4096);
        let hex: String = salted.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d"
        );
        assert_eq!(
            ScramMechanism::Sha512
                .salted_password(b"pencil", &salt, 4096)
                .len(),
            64
        );
    }

    #[test]
    fn mechanism_names_and_ids_are_kafkas() {
        assert_eq!(
            ScramMechanism::from_name("SCRAM-SHA-512"),
            Some(ScramMechanism::Sha512)
        );
        assert_eq!(ScramMechanism::from_name("SCRAM-SHA-1"), None);
        assert_eq!(ScramMechanism::from_id(1), Some(ScramMechanism::Sha256));
        assert_eq!(ScramMechanism::from_id(0), None);
    }
}
