//! Goal: SCRAM credentials (KIP-554) and client quotas (KIP-546) are validated with Kafka's
//! error codes, stored as Kafka's metadata records (never the password), and survive a restart.
//!
//! Method: controller table tests against an empty image (expected messages from Kafka's
//! `ScramControlManager` and `ClientQuotaControlManager`); RFC 7677 §3's SCRAM-SHA-256 example
//! for the key derivation; a store in a temp dir reopened from disk for replay.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fjord_metadata::controller::{
    QuotaAlteration, ScramDeletion, ScramMechanism, ScramUpsertion, SequentialTopicIds, codes,
};
use fjord_metadata::image::{QuotaValue, quota_entity};
use fjord_metadata::records::{
    BrokerEndpoint, ClientQuotaRecord, MetadataRecord, RemoveUserScramCredentialRecord,
    UserScramCredentialRecord,
};
use fjord_metadata::store::{BootstrapOptions, StoreOptions};
use fjord_metadata::{
    Controller, ControllerOptions, KnownTopicConfigs, MetadataImage, MetadataStore,
};
use uuid::Uuid;

const NOW_MS: i64 = 1_764_000_000_000;

fn controller() -> Controller {
    Controller::with_seams(
        ControllerOptions::default(),
        Box::new(KnownTopicConfigs),
        Box::new(SequentialTopicIds::default()),
    )
}

fn upsert(name: &str, mechanism: i8, iterations: i32) -> ScramUpsertion {
    ScramUpsertion {
        name: name.to_string(),
        mechanism,
        iterations,
        salt: b"salt".to_vec(),
        salted_password: vec![7; 32],
    }
}

fn codes_of(
    results: &[(String, Result<(), fjord_metadata::ControllerError>)],
) -> Vec<(String, i16)> {
    results
        .iter()
        .map(|(user, r)| (user.clone(), r.as_ref().err().map_or(0, |e| e.code())))
        .collect()
}

/// RFC 7677 §3's SCRAM-SHA-256 exchange: user "user", password "pencil".
const RFC7677_AUTH_MESSAGE: &str = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[test]
fn rfc7677_stored_and_server_keys_verify_the_rfc_exchange() {
    // SaltedPassword = Hi("pencil", base64 W22ZaJ0SNY7soEsUEjb6gQ==, 4096).
    let salted = hex("c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d");
    let (stored, server) = ScramMechanism::Sha256.stored_and_server_key(&salted);
    // The server's signature from ServerKey is the RFC's v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=.
    assert_eq!(
        to_hex(&hmac_sha256(&server, RFC7677_AUTH_MESSAGE.as_bytes())),
        "eabae24d1062db75a9451ff0b6ea7e98c8546549ff741e672d3251b2397de46e"
    );
    // The server verifies the RFC's ClientProof p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=
    // with StoredKey alone: ClientKey = proof XOR HMAC(StoredKey, AuthMessage), H(ClientKey) == StoredKey.
    let proof = hex("747cdb65aa56224e2352137e52d7bdcad6a0f738df30782caa69a2cfb0277554");
    let signature = hmac_sha256(&stored, RFC7677_AUTH_MESSAGE.as_bytes());
    let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
    use sha2::Digest;
    assert_eq!(sha2::Sha256::digest(&client_key).to_vec(), stored);
    let (stored512, server512) = ScramMechanism::Sha512.stored_and_server_key(&salted);
    assert_eq!((stored512.len(), server512.len()), (64, 64));
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn scram_validation_matches_kafka_scram_control_manager() {
    let image = MetadataImage::empty("c", 1);
    let result = controller().alter_user_scram_credentials(
        &image,
        &[ScramDeletion {
            name: "ghost".into(),
            mechanism: 1,
        }],
        &[
            upsert("alice", 1, 8192),
            upsert("", 1, 8192),
            upsert("bob", 3, 8192),
            upsert("carol", 1, 4095),
            upsert("dave", 2, 16385),
            upsert("erin", 2, 4096),
            upsert("erin", 1, 4096),
        ],
    );
    let mut got = codes_of(&result.response);
    got.sort();
    assert_eq!(
        got,
        vec![
            (String::new(), codes::UNACCEPTABLE_CREDENTIAL),
            ("alice".into(), 0),
            ("bob".into(), codes::UNSUPPORTED_SASL_MECHANISM),
            ("carol".into(), codes::UNACCEPTABLE_CREDENTIAL),
            ("dave".into(), codes::UNACCEPTABLE_CREDENTIAL),
            ("erin".into(), codes::DUPLICATE_RESOURCE),
            ("ghost".into(), codes::RESOURCE_NOT_FOUND),
        ]
    );
    let message = |user: &str| {
        result
            .response
            .iter()
            .find(|(u, _)| u == user)
            .and_then(|(_, r)| r.as_ref().err().map(ToString::to_string))
    };
    assert_eq!(message("carol").as_deref(), Some("Too few iterations"));
    assert_eq!(message("dave").as_deref(), Some("Too many iterations"));
    assert_eq!(message("").as_deref(), Some("Username must not be empty"));
    // Only alice's credential is written, and never the salted password.
    assert_eq!(result.records.len(), 1);
    let MetadataRecord::UserScramCredential(record) = &result.records[0] else {
        panic!(
            "expected a UserScramCredentialRecord, got {:?}",
            result.records[0]
        );
    };
    assert_eq!(
        (record.name.as_str(), record.mechanism, record.iterations),
        ("alice", 1, 8192)
    );
    let (stored, server) = ScramMechanism::Sha256.stored_and_server_key(&[7; 32]);
    assert_eq!(
        (record.stored_key.clone(), record.server_key.clone()),
        (stored, server)
    );
    assert!(!record.stored_key.windows(32).any(|w| w == [7; 32]));
}

#[test]
fn records_round_trip_byte_exact() {
    let records = [
        MetadataRecord::UserScramCredential(UserScramCredentialRecord {
            name: "alice".into(),
            mechanism: 2,
            salt: vec![1, 2, 3],
            stored_key: vec![4; 64],
            server_key: vec![5; 64],
            iterations: 8192,
        }),
        MetadataRecord::RemoveUserScramCredential(RemoveUserScramCredentialRecord {
            name: "alice".into(),
            mechanism: 2,
        }),
        MetadataRecord::ClientQuota(ClientQuotaRecord {
            entity: vec![
                ("user".into(), Some("alice".into())),
                ("client-id".into(), None),
            ],
            key: "producer_byte_rate".into(),
            value: 1024.0,
            remove: false,
        }),
    ];
    for record in records {
        let bytes = record.encode();
        assert_eq!(MetadataRecord::decode(&bytes).unwrap(), record);
    }
    // ClientQuotaRecord v0 layout (ClientQuotaRecord.json, non-flexible): frame 1, apiKey 14,
    // version 0, INT32 entity count, INT16-length strings, FLOAT64, BOOLEAN.
    let quota = MetadataRecord::ClientQuota(ClientQuotaRecord {
        entity: vec![("client-id".into(), None)],
        key: "k".into(),
        value: 1.0,
        remove: true,
    });
    let mut expected = vec![1, 14, 0, 0, 0, 0, 1, 0, 9];
    expected.extend_from_slice(b"client-id");
    expected.extend_from_slice(&[0xff, 0xff, 0, 1, b'k']);
    expected.extend_from_slice(&1.0f64.to_be_bytes());
    expected.push(1);
    assert_eq!(quota.encode(), expected);
}

#[test]
fn quota_validation_matches_kafka_client_quota_control_manager() {
    let image = MetadataImage::empty("c", 1);
    let alteration =
        |entity: Vec<(&str, Option<&str>)>, ops: Vec<(&str, Option<f64>)>| QuotaAlteration {
            entity: entity
                .into_iter()
                .map(|(t, n)| (t.to_string(), n.map(str::to_string)))
                .collect(),
            ops: ops.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        };
    let result = controller().alter_client_quotas(
        &image,
        &[
            alteration(
                vec![("user", Some("alice"))],
                vec![
                    ("producer_byte_rate", Some(1024.0)),
                    ("request_percentage", Some(200.0)),
                ],
            ),
            alteration(
                vec![("client-id", Some("app"))],
                vec![("nonsense", Some(1.0))],
            ),
            alteration(
                vec![("client-id", None)],
                vec![("consumer_byte_rate", Some(1.5))],
            ),
            alteration(
                vec![("group", Some("g"))],
                vec![("consumer_byte_rate", Some(1.0))],
            ),
            alteration(
                vec![("user", Some(""))],
                vec![("consumer_byte_rate", Some(1.0))],
            ),
            alteration(vec![], vec![("consumer_byte_rate", Some(1.0))]),
        ],
        false,
    );
    let outcome: Vec<(i16, String)> = result
        .response
        .iter()
        .map(|(_, r)| match r {
            Ok(()) => (0, String::new()),
            Err(e) => (e.code(), e.to_string()),
        })
        .collect();
    assert_eq!(
        outcome,
        vec![
            (0, String::new()),
            (
                codes::INVALID_REQUEST,
                "Invalid configuration key nonsense".into()
            ),
            (
                codes::INVALID_REQUEST,
                "Configuration consumer_byte_rate must be a Long value".into()
            ),
            (
                codes::INVALID_REQUEST,
                "Unhandled client quota entity type: group".into()
            ),
            (codes::INVALID_REQUEST, "Empty user not supported".into()),
            (
                codes::INVALID_REQUEST,
                "Invalid empty client quota entity".into()
            ),
        ]
    );
    assert_eq!(result.records.len(), 2);
}

fn store_options() -> StoreOptions {
    StoreOptions {
        cluster_id: "MkU3OEVBNTcwNTJENDM2Qk".to_string(),
        node_id: 1,
        leader_epoch: 1,
        bootstrap: BootstrapOptions {
            metadata_version: 27,
            endpoints: vec![BrokerEndpoint {
                name: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: 9092,
                security_protocol: 0,
            }],
            rack: None,
            log_dir_ids: vec![Uuid::from_u128(0xd1)],
            incarnation_id: Uuid::from_u128(0x1c),
        },
    }
}

#[test]
fn credentials_and_quotas_survive_a_restart_and_deletes_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open_dir(dir.path(), store_options(), controller(), NOW_MS).unwrap();
    let response = store
        .submit(NOW_MS, |c, image| {
            c.alter_user_scram_credentials(
                image,
                &[],
                &[upsert("alice", 1, 8192), upsert("alice2", 2, 4096)],
            )
        })
        .unwrap();
    assert!(response.iter().all(|(_, r)| r.is_ok()));
    let quotas = vec![QuotaAlteration {
        entity: vec![
            ("user".into(), Some("alice".into())),
            ("client-id".into(), Some("app".into())),
        ],
        ops: vec![
            ("producer_byte_rate".into(), Some(1024.0)),
            ("consumer_byte_rate".into(), Some(2048.0)),
        ],
    }];
    store
        .submit(NOW_MS, |c, image| {
            c.alter_client_quotas(image, &quotas, false)
        })
        .unwrap();
    // Delete one credential and one quota key.
    store
        .submit(NOW_MS, |c, image| {
            c.alter_user_scram_credentials(
                image,
                &[ScramDeletion {
                    name: "alice2".into(),
                    mechanism: 2,
                }],
                &[],
            )
        })
        .unwrap();
    let remove = vec![QuotaAlteration {
        entity: quotas[0].entity.clone(),
        ops: vec![("consumer_byte_rate".into(), None)],
    }];
    store
        .submit(NOW_MS, |c, image| {
            c.alter_client_quotas(image, &remove, false)
        })
        .unwrap();
    let before = store.image();
    drop(store);

    let reopened =
        MetadataStore::open_dir(dir.path(), store_options(), controller(), NOW_MS).unwrap();
    let after = reopened.image();
    assert_eq!(after.scram_credentials(), before.scram_credentials());
    assert_eq!(after.client_quotas(), before.client_quotas());
    let users: Vec<&String> = after.scram_credentials().keys().collect();
    assert_eq!(users, vec!["alice"]);
    assert_eq!(after.scram_credentials()["alice"][&1].iterations, 8192);
    let entity = quota_entity(&quotas[0].entity);
    let keys = &after.client_quotas()[&entity];
    assert_eq!(keys.len(), 1);
    assert_eq!(keys["producer_byte_rate"], QuotaValue(1024.0));
}
