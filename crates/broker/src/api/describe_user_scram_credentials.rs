//! DescribeUserScramCredentials (key 50, KIP-554): `DescribeUserScramCredentialsRequest.json` /
//! `DescribeUserScramCredentialsResponse.json`.
//!
//! Answers from the metadata image's SCRAM credentials: mechanism and iterations only, never
//! salt or keys. Null or empty `users` lists every user with a credential. As Kafka's
//! `ControllerApis`/`ScramImage.describe`: a user asked for twice is DUPLICATE_RESOURCE ("Cannot
//! describe SCRAM credentials for the same user twice in a single request"), a user without
//! credentials RESOURCE_NOT_FOUND ("Attempt to describe a user credential that does not exist").

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeUserScramCredentials, 0, 0);

/// Describes the requested users' credentials.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DescribeUserScramCredentialsRequest,
) -> DescribeUserScramCredentialsResponse {
    let image = ctx.replicas.image();
    let credentials = image.scram_credentials();
    let requested: Vec<String> = request
        .users
        .unwrap_or_default()
        .iter()
        .map(|u| u.name.as_str().to_owned())
        .collect();
    let describe = |user: &str| {
        let result = DescribeUserScramCredentialsResult::default().with_user(str_bytes(user));
        match credentials.get(user) {
            Some(by_mechanism) => result.with_credential_infos(
                by_mechanism
                    .iter()
                    .map(|(mechanism, credential)| {
                        CredentialInfo::default()
                            .with_mechanism(*mechanism)
                            .with_iterations(credential.iterations)
                    })
                    .collect(),
            ),
            None => result
                .with_error_code(ErrorCode::ResourceNotFound.code())
                .with_error_message(Some(str_bytes(
                    "Attempt to describe a user credential that does not exist",
                ))),
        }
    };
    let results = if requested.is_empty() {
        credentials.keys().map(|user| describe(user)).collect()
    } else {
        let mut results = Vec::new();
        for (index, user) in requested.iter().enumerate() {
            if requested[..index].contains(user) {
                continue; // each duplicated user is reported once
            }
            if requested.iter().filter(|u| *u == user).count() > 1 {
                results.push(
                    DescribeUserScramCredentialsResult::default()
                        .with_user(str_bytes(user))
                        .with_error_code(ErrorCode::DuplicateResource.code())
                        .with_error_message(Some(str_bytes(
                            "Cannot describe SCRAM credentials for the same user twice in a single request",
                        ))),
                );
            } else {
                results.push(describe(user));
            }
        }
        results
    };
    DescribeUserScramCredentialsResponse::default().with_results(results)
}
