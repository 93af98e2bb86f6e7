//! Goal: `meta.properties` read/write is byte-compatible with Kafka's files.
//! Method: read committed fixtures in Kafka's format (v0, v1 with and without `directory.id`),
//! and write a v1 file for a fixed time and compare bytes with the fixture.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use fjord_config::{KafkaUuid, MetaProperties, MetaPropertiesVersion, Properties};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn read_fixture(name: &str) -> MetaProperties {
    let props = Properties::load(&fixture(name)).unwrap();
    MetaProperties::from_properties(&props).unwrap()
}

#[test]
fn v1_fixture_reads_and_rewrites_byte_for_byte() {
    let meta = read_fixture("meta.properties.v1");
    assert_eq!(meta.version, MetaPropertiesVersion::V1);
    assert_eq!(meta.node_id, Some(1));
    assert_eq!(meta.cluster_id.as_deref(), Some("MkU3OEVBNTcwNTJENDM2Qg"));
    let dir_id: KafkaUuid = "7hhGb8tCT1mQZJ2qRLjMOw".parse().unwrap();
    assert_eq!(meta.directory_id, Some(dir_id));

    let written = meta.to_file_text(UNIX_EPOCH + Duration::from_secs(1_704_793_780));
    let expected = std::fs::read_to_string(fixture("meta.properties.v1")).unwrap();
    assert_eq!(written, expected);
}

#[test]
fn v1_without_directory_id_from_kafka_3_3() {
    let meta = read_fixture("meta.properties.v1-no-directory-id");
    assert_eq!(meta.version, MetaPropertiesVersion::V1);
    assert_eq!(meta.cluster_id.as_deref(), Some("5MB5lq-XT-6JzQqJeIuhWQ"));
    assert_eq!(meta.directory_id, None);
}

#[test]
fn v0_fixture_reads_broker_id() {
    let meta = read_fixture("meta.properties.v0");
    assert_eq!(meta.version, MetaPropertiesVersion::V0);
    assert_eq!(meta.node_id, Some(0));
    assert_eq!(meta.to_properties().get("broker.id"), Some("0"));
}

#[test]
fn write_then_read_round_trip_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let meta = MetaProperties::v1("MkU3OEVBNTcwNTJENDM2Qg", 7, KafkaUuid([5; 16]));
    meta.write(dir.path(), UNIX_EPOCH).unwrap();
    assert!(
        !dir.path().join("meta.properties.tmp").exists(),
        "temp file renamed away"
    );
    assert_eq!(MetaProperties::read(dir.path()).unwrap(), Some(meta));
    let text = std::fs::read_to_string(dir.path().join("meta.properties")).unwrap();
    assert!(
        text.starts_with("#\n#Thu Jan 01 00:00:00 UTC 1970\n"),
        "{text}"
    );
}
