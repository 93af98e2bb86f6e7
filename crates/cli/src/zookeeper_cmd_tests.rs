//! The stand-in's answers (ZooKeeper Administrator's Guide, "The Four Letter Words") and its
//! broker registration rules (one broker per cluster: fjord has no replication yet).

use super::*;

fn config(dir: &Path, extra: &str) -> StandinConfig {
    let text = format!("dataDir={}\nclientPort=2181\n{extra}", dir.display());
    StandinConfig::from_properties(&Properties::parse(&text).unwrap()).unwrap()
}

#[test]
fn zookeeper_properties_default_to_loopback_and_honour_client_port_address() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(config(dir.path(), "").bind.to_string(), "127.0.0.1:2181");
    let c = config(dir.path(), "clientPortAddress=0.0.0.0\n");
    assert_eq!(c.bind.to_string(), "0.0.0.0:2181");
}

#[test]
fn four_letter_words_are_answered_and_say_they_are_the_stand_in() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "");
    let state = StandinState::default();
    assert_eq!(four_letter_reply(b"ruok", &c, &state), "imok");
    let srvr = four_letter_reply(b"srvr", &c, &state);
    assert!(srvr.starts_with("Zookeeper version: fjord-"), "{srvr}");
    assert!(srvr.contains("not Apache ZooKeeper"), "{srvr}");
    assert!(srvr.contains("\nMode: standalone\n"), "{srvr}");
    let mntr = four_letter_reply(b"mntr", &c, &state);
    assert!(mntr.contains("zk_server_state\tstandalone\n"), "{mntr}");
    let stat = four_letter_reply(b"stat", &c, &state);
    assert!(stat.contains("Clients:\n"), "{stat}");
    assert!(four_letter_reply(b"dump", &c, &state).contains("does not implement"));
    // 4lw.commands.whitelist is honoured with ZooKeeper's wording.
    let only_srvr = config(dir.path(), "4lw.commands.whitelist=srvr\n");
    assert_eq!(
        four_letter_reply(b"ruok", &only_srvr, &state),
        "ruok is not executed because it is not in the whitelist.\n"
    );
}

#[test]
fn registration_shares_one_cluster_id_and_refuses_a_second_broker() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "");
    let state = StandinState::default();
    let (chroot, id, cluster) =
        register("register / 0 AAAAAAAAAAAAAAAAAAAAAA", &c, &state).unwrap();
    assert_eq!(
        (chroot.as_str(), id, cluster.as_str()),
        ("/", 0, "AAAAAAAAAAAAAAAAAAAAAA")
    );
    // Same broker while its session is live: Kafka's NodeExists on /brokers/ids/0.
    let err = register("register / 0 BBBBBBBBBBBBBBBBBBBBBB", &c, &state).unwrap_err();
    assert!(err.contains("/brokers/ids/0"), "{err}");
    // Session closed; the same broker comes back and gets the stored id, not its proposal.
    state.live.lock().unwrap().sessions.clear();
    let (_, _, again) = register("register / 0 BBBBBBBBBBBBBBBBBBBBBB", &c, &state).unwrap();
    assert_eq!(again, "AAAAAAAAAAAAAAAAAAAAAA");
    // Another broker id: refused, no split cluster.
    state.live.lock().unwrap().sessions.clear();
    let err = register("register / 1 BBBBBBBBBBBBBBBBBBBBBB", &c, &state).unwrap_err();
    assert!(err.contains("multi-broker"), "{err}");
    // Another chroot is another cluster (Kafka: zookeeper.connect=host:port/chroot).
    let (_, _, other) = register("register /other 1 BBBBBBBBBBBBBBBBBBBBBB", &c, &state).unwrap();
    assert_eq!(other, "BBBBBBBBBBBBBBBBBBBBBB");
    assert!(register("register /../x 1 B", &c, &state).is_err());
}
