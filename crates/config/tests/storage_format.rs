//! Goal: `kafka-storage.sh format | info` and the KRaft start-up directory check behave and
//! print like Kafka's `StorageTool`/`Formatter`/`MetaPropertiesEnsemble`.
//! Method: format temporary directories with injected time and ids, assert on files and text.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::UNIX_EPOCH;

use fjord_config::{
    ConfigError, FormatOptions, KafkaUuid, ServerConfig, format_storage, storage_info,
    verify_formatted,
};

const CLUSTER: &str = "MkU3OEVBNTcwNTJENDM2Qg";

fn config(dirs: &str, node: &str) -> ServerConfig {
    ServerConfig::from_pairs([
        ("process.roles", "broker,controller"),
        ("node.id", node),
        (
            "controller.quorum.voters",
            &format!("{node}@localhost:9093"),
        ),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
        ("log.dirs", dirs),
    ])
    .unwrap()
}

fn format(c: &ServerConfig, ignore_formatted: bool) -> Result<String, ConfigError> {
    let mut out = Vec::new();
    let mut n = 0u8;
    let mut ids = || {
        n += 1;
        KafkaUuid([n; 16])
    };
    let options = FormatOptions {
        cluster_id: CLUSTER.to_owned(),
        ignore_formatted,
        ..FormatOptions::default()
    };
    format_storage(c, &options, UNIX_EPOCH, &mut ids, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn format_writes_meta_properties_in_every_dir_then_refuses_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let c = config(&format!("{},{}", a.display(), b.display()), "1");
    let out = format(&c, false).unwrap();
    assert_eq!(
        out,
        format!(
            "Formatting metadata directory {} with metadata.version 4.1-IV1.\nFormatting data directory {} with metadata.version 4.1-IV1.\n",
            a.display(),
            b.display()
        )
    );
    let text = std::fs::read_to_string(b.join("meta.properties")).unwrap();
    assert!(
        text.contains("cluster.id=MkU3OEVBNTcwNTJENDM2Qg\n")
            && text.contains("node.id=1\nversion=1\n"),
        "{text}"
    );

    let err = format(&c, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Log directory {} is already formatted. Use --ignore-formatted to ignore this directory and format the others.",
            a.display()
        )
    );
    assert_eq!(
        format(&c, true).unwrap(),
        "All of the log directories are already formatted.\n"
    );
}

#[test]
fn ignore_formatted_formats_only_the_new_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    format(&config(&a.display().to_string(), "1"), false).unwrap();
    let both = config(&format!("{},{}", a.display(), b.display()), "1");
    let out = format(&both, true).unwrap();
    assert_eq!(
        out,
        format!(
            "Formatting data directory {} with metadata.version 4.1-IV1.\n",
            b.display()
        )
    );
    let identity = verify_formatted(&both).unwrap();
    assert_eq!(identity.cluster_id, CLUSTER);
    assert_eq!(identity.directories.len(), 2);
    assert_ne!(
        identity.directories[0].1, identity.directories[1].1,
        "directory ids are unique"
    );
}

#[test]
fn bad_cluster_id_and_legacy_config_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let c = config(&tmp.path().display().to_string(), "1");
    let options = FormatOptions {
        cluster_id: "not-a-uuid".to_owned(),
        ..FormatOptions::default()
    };
    let err = format_storage(
        &c,
        &options,
        UNIX_EPOCH,
        &mut KafkaUuid::random,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Cluster ID string not-a-uuid does not appear to be a valid UUID"),
        "{err}"
    );

    let zk =
        ServerConfig::from_pairs([("broker.id", "0"), ("zookeeper.connect", "localhost:2181")])
            .unwrap();
    let options = FormatOptions {
        cluster_id: CLUSTER.to_owned(),
        ..FormatOptions::default()
    };
    let err = format_storage(
        &zk,
        &options,
        UNIX_EPOCH,
        &mut KafkaUuid::random,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The kafka configuration file appears to be for a legacy cluster. Formatting is only supported for clusters in KRaft mode."
    );
}

#[test]
fn standalone_needs_a_dynamic_quorum() {
    let tmp = tempfile::tempdir().unwrap();
    let c = config(&tmp.path().display().to_string(), "1");
    let options = FormatOptions {
        cluster_id: CLUSTER.to_owned(),
        standalone: true,
        ..FormatOptions::default()
    };
    let err = format_storage(
        &c,
        &options,
        UNIX_EPOCH,
        &mut KafkaUuid::random,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::StandaloneWithStaticVoters),
        "{err}"
    );
}

#[test]
fn start_up_check_unformatted_and_node_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let c1 = config(&dir.display().to_string(), "1");
    let err = verify_formatted(&c1).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "No `meta.properties` found in {} (have you run `kafka-storage.sh` to format the directory?)",
            dir.display()
        )
    );
    format(&c1, false).unwrap();
    assert_eq!(verify_formatted(&c1).unwrap().node_id, 1);
    let c2 = config(&dir.display().to_string(), "2");
    let err = verify_formatted(&c2).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Stored node id 1 doesn't match previous node id 2 in {}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.",
            dir.join("meta.properties").display()
        )
    );
}

#[test]
fn start_up_check_cluster_mismatch_across_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    format(&config(&a.display().to_string(), "1"), false).unwrap();
    let mut out = Vec::new();
    let other = FormatOptions {
        cluster_id: "KXpGZNZkRyyE4TdEtQS2Rg".to_owned(),
        ..FormatOptions::default()
    };
    format_storage(
        &config(&b.display().to_string(), "1"),
        &other,
        UNIX_EPOCH,
        &mut KafkaUuid::random,
        &mut out,
    )
    .unwrap();
    let both = config(&format!("{},{}", a.display(), b.display()), "1");
    let err = verify_formatted(&both).unwrap_err();
    assert!(
        matches!(err, ConfigError::ClusterIdMismatch { .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("Invalid cluster.id in: "),
        "{err}"
    );
}

#[test]
fn info_prints_kafkas_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let c = config(&dir.display().to_string(), "1");
    let mut out = Vec::new();
    assert_eq!(storage_info(&c, &mut out).unwrap(), 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("Found problem:\n  {} does not exist\n\n", dir.display())
    );

    std::fs::create_dir_all(&dir).unwrap();
    let mut out = Vec::new();
    assert_eq!(storage_info(&c, &mut out).unwrap(), 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "Found log directory:\n  {0}\n\nFound problem:\n  {0} is not formatted.\n\n",
            dir.display()
        )
    );

    format(&c, false).unwrap();
    let mut out = Vec::new();
    assert_eq!(storage_info(&c, &mut out).unwrap(), 0);
    let dir_id = KafkaUuid([1; 16]);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "Found log directory:\n  {}\n\nFound metadata: {{cluster.id={CLUSTER}, directory.id={dir_id}, node.id=1, version=1}}\n\n",
            dir.display()
        )
    );
}
