//! Tests of ZooKeeper-mode handling. Sources: ZooKeeper `ConnectStringParser`, Kafka 3.x
//! `KafkaServer.getOrGenerateBrokerId` and `KafkaServer.startup` (meta.properties checks).

use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn zk_config(extra: &[(&str, &str)]) -> ServerConfig {
    let mut pairs = vec![("zookeeper.connect", "localhost:2181")];
    pairs.extend_from_slice(extra);
    ServerConfig::from_pairs(pairs).unwrap()
}

#[test]
fn connect_string_hosts_ports_and_chroot_like_connect_string_parser() {
    let parsed = ZkConnect::parse("zk1:2182,zk2,[::1]:2183/kafka/prod").unwrap();
    assert_eq!(
        parsed.servers,
        vec![
            ("zk1".to_owned(), 2182),
            ("zk2".to_owned(), 2181),
            ("::1".to_owned(), 2183)
        ]
    );
    assert_eq!(parsed.chroot, "/kafka/prod");
    assert_eq!(ZkConnect::parse("localhost:2181").unwrap().chroot, "/");
    // A lone "/" is no chroot (ConnectStringParser: chrootPath.length() == 1 → null).
    assert_eq!(ZkConnect::parse("localhost:2181/").unwrap().chroot, "/");
}

#[test]
fn connect_string_rejects_what_path_utils_rejects() {
    for bad in [
        "localhost:2181/a/",
        "localhost:2181/a//b",
        "h/../x",
        "",
        "h:port",
    ] {
        let err = ZkConnect::parse(bad).unwrap_err();
        assert!(
            err.to_string().starts_with("Invalid value ")
                && err.to_string().contains("zookeeper.connect"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn broker_id_minus_one_generates_reserved_max_plus_one() {
    // KafkaServer.generateBrokerId: sequence (first = 1) + reserved.broker.max.id (1000).
    let config = zk_config(&[]);
    assert_eq!(config.node_id, -1);
    assert_eq!(resolve_broker_id(&config, None).unwrap(), 1001);
    let config = zk_config(&[("reserved.broker.max.id", "2000")]);
    assert_eq!(resolve_broker_id(&config, None).unwrap(), 2001);
    // A stored id wins over generation.
    assert_eq!(
        resolve_broker_id(&zk_config(&[]), Some(1001)).unwrap(),
        1001
    );
    let config = zk_config(&[("broker.id.generation.enable", "false")]);
    assert!(matches!(
        resolve_broker_id(&config, None),
        Err(ZkModeError::NoBrokerId)
    ));
}

#[test]
fn configured_broker_id_must_match_the_stored_one() {
    let config = zk_config(&[("broker.id", "0")]);
    assert_eq!(resolve_broker_id(&config, None).unwrap(), 0);
    assert_eq!(resolve_broker_id(&config, Some(0)).unwrap(), 0);
    let err = resolve_broker_id(&config, Some(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Configured broker.id 0 doesn't match stored broker.id Some(3) in meta.properties. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs)."
    );
    let config = zk_config(&[("broker.id", "1001")]);
    assert!(matches!(
        resolve_broker_id(&config, None),
        Err(ZkModeError::BrokerIdOutOfRange { .. })
    ));
}

#[test]
fn kraft_properties_make_a_combined_node_with_an_unadvertised_loopback_controller() {
    let config = zk_config(&[("broker.id", "0")]);
    let props = kraft_properties(config.raw(), 0, 40123);
    let kraft = ServerConfig::from_properties(&props).unwrap();
    assert_eq!(kraft.metadata_mode(), crate::MetadataMode::Kraft);
    assert_eq!(kraft.node_id, 0);
    // Kafka's default listener when `listeners` is commented out: all interfaces, 9092.
    let clients: Vec<String> = kraft.broker_listeners().iter().map(|l| l.url()).collect();
    assert_eq!(clients, vec!["PLAINTEXT://:9092".to_owned()]);
    let controllers: Vec<String> = kraft
        .controller_listeners()
        .iter()
        .map(|l| l.url())
        .collect();
    assert_eq!(
        controllers,
        vec!["FJORD_ZK_MODE_CONTROLLER://127.0.0.1:40123".to_owned()]
    );
    let advertised: Vec<String> = kraft.advertised_listeners.iter().map(|l| l.url()).collect();
    assert_eq!(advertised, vec!["PLAINTEXT://:9092".to_owned()]);
    assert_eq!(kraft.controller_quorum_voters.len(), 1);
}

#[test]
fn kraft_properties_keep_an_explicit_listener_and_protocol_map() {
    let config = zk_config(&[
        ("broker.id", "7"),
        ("listeners", "INTERNAL://127.0.0.1:19092"),
        ("listener.security.protocol.map", "INTERNAL:PLAINTEXT"),
        ("inter.broker.listener.name", "INTERNAL"),
    ]);
    let kraft = ServerConfig::from_properties(&kraft_properties(config.raw(), 7, 1)).unwrap();
    let clients: Vec<String> = kraft.broker_listeners().iter().map(|l| l.url()).collect();
    assert_eq!(clients, vec!["INTERNAL://127.0.0.1:19092".to_owned()]);
    assert_eq!(kraft.node_id, 7);
}

#[test]
fn first_start_writes_version_0_meta_properties_then_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = vec![dir.path().join("a"), dir.path().join("b")];
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(
        read_stored_identity(&dirs).unwrap(),
        StoredIdentity::default()
    );
    ensure_meta_properties(&dirs, 1001, "QzVxWjJqS0txWVhtTjJ0cQ", now).unwrap();
    let text = std::fs::read_to_string(dirs[1].join("meta.properties")).unwrap();
    let lines: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(
        lines,
        vec![
            "broker.id=1001",
            "cluster.id=QzVxWjJqS0txWVhtTjJ0cQ",
            "version=0"
        ]
    );
    assert_eq!(
        read_stored_identity(&dirs).unwrap(),
        StoredIdentity {
            broker_id: Some(1001),
            cluster_id: Some("QzVxWjJqS0txWVhtTjJ0cQ".to_owned())
        }
    );
    // Same identity again: fine. Another cluster id: Kafka's InconsistentClusterIdException.
    ensure_meta_properties(&dirs, 1001, "QzVxWjJqS0txWVhtTjJ0cQ", now).unwrap();
    let err = ensure_meta_properties(&dirs, 1001, "AAAAAAAAAAAAAAAAAAAAAA", now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The Cluster ID AAAAAAAAAAAAAAAAAAAAAA doesn't match stored clusterId Some(QzVxWjJqS0txWVhtTjJ0cQ) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong."
    );
}

#[test]
fn a_kraft_formatted_directory_is_refused_in_zookeeper_mode() {
    let dir = tempfile::tempdir().unwrap();
    let now = UNIX_EPOCH;
    MetaProperties::v1("QzVxWjJqS0txWVhtTjJ0cQ", 1, crate::KafkaUuid::random())
        .write(dir.path(), now)
        .unwrap();
    let err = read_stored_identity(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, ZkModeError::KraftFormatted { .. }), "{err}");
}
