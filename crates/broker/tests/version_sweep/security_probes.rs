//! Sweep builders for client quotas (KIP-546: DescribeClientQuotas 48, AlterClientQuotas 49)
//! and SCRAM credentials (KIP-554: DescribeUserScramCredentials 50, AlterUserScramCredentials
//! 51): one accepted and one refused item each, with Kafka's error codes.

use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::alter_client_quotas_request::{
    EntityData, EntryData, OpData,
};
use fjord_protocol::kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
use fjord_protocol::kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use fjord_protocol::kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use fjord_protocol::kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterUserScramCredentialsRequest, ApiKey,
    DescribeClientQuotasRequest, DescribeUserScramCredentialsRequest, RequestKind,
};

use crate::model::{Fixture, Probe, code, ensure, find, s, unpack};

/// The security/quota builders for `api` at `version`, or `None` when this module has none.
pub fn for_api(api: ApiKey, version: i16, fx: &Fixture) -> Option<Vec<Probe>> {
    Some(match api {
        ApiKey::DescribeClientQuotas => describe_client_quotas(),
        ApiKey::AlterClientQuotas => alter_client_quotas(version, fx),
        ApiKey::DescribeUserScramCredentials => describe_user_scram_credentials(),
        ApiKey::AlterUserScramCredentials => alter_user_scram_credentials(version, fx),
        _ => return None,
    })
}

/// A user-type filter (match type 2 = any specified name) answers; a filter naming one
/// entity type twice is INVALID_REQUEST.
fn describe_client_quotas() -> Vec<Probe> {
    let any_user = ComponentData::default()
        .with_entity_type(s("user"))
        .with_match_type(2);
    vec![
        Probe::reply(
            "every user entity",
            RequestKind::DescribeClientQuotas(
                DescribeClientQuotasRequest::default().with_components(vec![any_user.clone()]),
            ),
            |r, _| {
                let response = unpack!(r, DescribeClientQuotas);
                code("filter", response.error_code, ErrorCode::None)?;
                ensure!(response.entries.is_some(), "entries are null");
                Ok(())
            },
        ),
        Probe::reply(
            "duplicate entity type",
            RequestKind::DescribeClientQuotas(
                DescribeClientQuotasRequest::default()
                    .with_components(vec![any_user.clone(), any_user]),
            ),
            |r, _| {
                let response = unpack!(r, DescribeClientQuotas);
                code("filter", response.error_code, ErrorCode::InvalidRequest)
            },
        ),
    ]
}

/// Sets `producer_byte_rate` of a fresh user; an unknown key is INVALID_REQUEST.
fn alter_client_quotas(version: i16, fx: &Fixture) -> Vec<Probe> {
    let user = fx.versioned("quota-user", version);
    let entry = |name: &str, key: &str| {
        EntryData::default()
            .with_entity(vec![
                EntityData::default()
                    .with_entity_type(s("user"))
                    .with_entity_name(Some(s(name))),
            ])
            .with_ops(vec![OpData::default().with_key(s(key)).with_value(1024.0)])
    };
    let bad_user = format!("{user}-bad");
    vec![Probe::reply(
        "set producer_byte_rate; unknown key",
        RequestKind::AlterClientQuotas(AlterClientQuotasRequest::default().with_entries(vec![
            entry(&user, "producer_byte_rate"),
            entry(&bad_user, "bogus_rate"),
        ])),
        move |r, _| {
            let response = unpack!(r, AlterClientQuotas);
            let name_of = |e: &fjord_protocol::kafka_protocol::messages::alter_client_quotas_response::EntryData| {
                e.entity.first().and_then(|x| x.entity_name.as_ref()).map(|n| n.to_string())
            };
            let ok = find(&response.entries, "the user", |e| {
                name_of(e).as_deref() == Some(user.as_str())
            })?;
            code("set", ok.error_code, ErrorCode::None)?;
            let bad = find(&response.entries, "the bad user", |e| {
                name_of(e).as_deref() == Some(bad_user.as_str())
            })?;
            code("unknown key", bad.error_code, ErrorCode::InvalidRequest)
        },
    )]
}

/// Every user, and one without credentials (RESOURCE_NOT_FOUND).
fn describe_user_scram_credentials() -> Vec<Probe> {
    vec![
        Probe::reply(
            "every user",
            RequestKind::DescribeUserScramCredentials(
                DescribeUserScramCredentialsRequest::default(),
            ),
            |r, _| {
                let response = unpack!(r, DescribeUserScramCredentials);
                code("top level", response.error_code, ErrorCode::None)
            },
        ),
        Probe::reply(
            "a user without credentials",
            RequestKind::DescribeUserScramCredentials(
                DescribeUserScramCredentialsRequest::default()
                    .with_users(Some(vec![UserName::default().with_name(s("nobody"))])),
            ),
            |r, _| {
                let response = unpack!(r, DescribeUserScramCredentials);
                let result = find(&response.results, "nobody", |u| u.user.as_str() == "nobody")?;
                code("nobody", result.error_code, ErrorCode::ResourceNotFound)
            },
        ),
    ]
}

/// A valid SCRAM-SHA-256 upsertion, and one with too few iterations (UNACCEPTABLE_CREDENTIAL).
fn alter_user_scram_credentials(version: i16, fx: &Fixture) -> Vec<Probe> {
    let user = fx.versioned("scram-user", version);
    let weak = format!("{user}-weak");
    let upsert = |name: &str, iterations: i32| {
        ScramCredentialUpsertion::default()
            .with_name(s(name))
            .with_mechanism(1)
            .with_iterations(iterations)
            .with_salt(vec![1u8; 16].into())
            .with_salted_password(vec![2u8; 32].into())
    };
    vec![Probe::reply(
        "valid and too few iterations",
        RequestKind::AlterUserScramCredentials(
            AlterUserScramCredentialsRequest::default()
                .with_upsertions(vec![upsert(&user, 4096), upsert(&weak, 100)]),
        ),
        move |r, _| {
            let response = unpack!(r, AlterUserScramCredentials);
            let ok = find(&response.results, "the user", |u| u.user.as_str() == user)?;
            code("valid", ok.error_code, ErrorCode::None)?;
            let bad = find(&response.results, "the weak user", |u| {
                u.user.as_str() == weak
            })?;
            code("weak", bad.error_code, ErrorCode::UnacceptableCredential)
        },
    )]
}
