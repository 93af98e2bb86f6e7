//! AlterUserScramCredentials (key 51, KIP-554): `AlterUserScramCredentialsRequest.json` /
//! `AlterUserScramCredentialsResponse.json`.
//!
//! The client sends salt, iterations and the salted password; the controller
//! (`fjord_metadata::controller::scram`, after Kafka's `ScramControlManager`) validates and
//! stores StoredKey/ServerKey as `UserScramCredentialRecord`s in the metadata log. Per-user
//! errors carry the controller's Kafka code; a failed commit answers every user with
//! UNKNOWN_SERVER_ERROR (the outcome is unknown). SASL/SCRAM authentication itself is not
//! served yet: the credentials are stored for when it is.

use fjord_metadata::controller::{ScramDeletion, ScramUpsertion};
use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use fjord_protocol::kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, ApiKey,
};

use super::config_resources::store_error;
use super::{BrokerContext, now_ms, str_bytes};

/// v0, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::AlterUserScramCredentials, 0, 0);

/// Applies the deletions and upsertions.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: AlterUserScramCredentialsRequest,
) -> AlterUserScramCredentialsResponse {
    let deletions: Vec<ScramDeletion> = request
        .deletions
        .iter()
        .map(|d| ScramDeletion {
            name: d.name.as_str().to_owned(),
            mechanism: d.mechanism,
        })
        .collect();
    let upsertions: Vec<ScramUpsertion> = request
        .upsertions
        .iter()
        .map(|u| ScramUpsertion {
            name: u.name.as_str().to_owned(),
            mechanism: u.mechanism,
            iterations: u.iterations,
            salt: u.salt.to_vec(),
            salted_password: u.salted_password.to_vec(),
        })
        .collect();
    let outcome = ctx
        .replicas
        .metadata()
        .submit(now_ms(), |controller, image| {
            controller.alter_user_scram_credentials(image, &deletions, &upsertions)
        });
    let results = match outcome {
        Ok(results) => results
            .into_iter()
            .map(|(user, result)| {
                let (code, message) = match result {
                    Ok(()) => (0, None),
                    Err(error) => (error.code(), Some(error.to_string())),
                };
                AlterUserScramCredentialsResult::default()
                    .with_user(str_bytes(&user))
                    .with_error_code(code)
                    .with_error_message(message.as_deref().map(str_bytes))
            })
            .collect(),
        Err(error) => {
            let (code, message) = store_error(&error);
            let mut users: Vec<&str> = deletions
                .iter()
                .map(|d| d.name.as_str())
                .chain(upsertions.iter().map(|u| u.name.as_str()))
                .collect();
            users.dedup();
            users
                .into_iter()
                .map(|user| {
                    AlterUserScramCredentialsResult::default()
                        .with_user(str_bytes(user))
                        .with_error_code(code.code())
                        .with_error_message(Some(str_bytes(&message)))
                })
                .collect()
        }
    };
    AlterUserScramCredentialsResponse::default().with_results(results)
}
