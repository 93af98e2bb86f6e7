//! Goal: `kafka-consumer-groups.sh` (`fjord consumer-groups`) shows, resets and deletes what a
//! real librdkafka consumer group did, with Kafka's `ConsumerGroupCommand` text and exit codes.
//! Method: an in-process broker on 127.0.0.1:0; records produced with known timestamps; an
//! rdkafka consumer (driven on a blocking thread: its poll blocks) joins group `g1` and commits
//! part of the topic; the tool runs through `run_tool` as the binary runs it, output captured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::time::{Duration, Instant};

use fjord_broker::{Broker, BrokerConfig, BrokerHandle};
use fjord_tools::output::Output;
use fjord_tools::run_tool;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

const TOPIC: &str = "orders";
/// Records per partition: partition 0 gets 10, partition 1 gets 6.
const RECORDS: [i32; 2] = [10, 6];
/// 2024-01-01T00:00:00.000Z; record i of each partition is stamped BASE + i seconds.
const BASE_TIMESTAMP_MS: i64 = 1_704_067_200_000;

struct TestBroker {
    handle: BrokerHandle,
    bootstrap: String,
    _dir: tempfile::TempDir,
}

async fn start_broker() -> TestBroker {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerConfig::for_tests(dir.path().to_path_buf()).unwrap();
    let handle = Broker::start_with_config(config).await.unwrap();
    let bootstrap = handle.bound_addrs()[0].to_string();
    TestBroker {
        handle,
        bootstrap,
        _dir: dir,
    }
}

/// Runs `fjord consumer-groups` with `args`, returning (exit code, stdout, stderr).
async fn groups_tool(bootstrap: &str, args: &[&str]) -> (u8, String, String) {
    let (mut output, out, err) = Output::captured();
    let argv: Vec<OsString> = ["--bootstrap-server", bootstrap]
        .iter()
        .chain(args)
        .map(OsString::from)
        .collect();
    let code = run_tool("consumer-groups", argv, &mut output).await;
    (code, out.text(), err.text())
}

/// The data rows of an offsets table as cells cut at the header's column starts (the
/// columns are fixed-width, so an empty value stays an empty cell).
fn offset_rows(out: &str) -> Vec<Vec<String>> {
    let Some(header) = out.lines().find(|l| l.starts_with("GROUP")) else {
        return Vec::new();
    };
    let mut starts: Vec<usize> = header
        .split_whitespace()
        .map(|name| header.find(name).unwrap())
        .collect();
    starts.push(usize::MAX);
    out.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("GROUP"))
        .map(|line| {
            starts
                .windows(2)
                .map(|w| {
                    let end = w[1].min(line.len());
                    line.get(w[0]..end).unwrap_or("").trim().to_owned()
                })
                .collect()
        })
        .collect()
}

async fn produce(bootstrap: &str) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    for (partition, count) in RECORDS.iter().enumerate() {
        for i in 0..*count {
            let payload = format!("p{partition}-r{i}");
            let record = FutureRecord::<(), _>::to(TOPIC)
                .partition(i32::try_from(partition).unwrap())
                .payload(&payload)
                .timestamp(BASE_TIMESTAMP_MS + i64::from(i) * 1000);
            producer
                .send(record, Duration::from_secs(10))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    }
}

fn consumer(bootstrap: &str, reset: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "g1")
        .set("client.id", "cg-test")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", reset)
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .set("partition.assignment.strategy", "range")
        .create()
        .unwrap();
    consumer.subscribe(&[TOPIC]).unwrap();
    consumer
}

/// Joins group g1, reads until both partitions are assigned and a record arrived, commits
/// partition 0 at 4 and partition 1 at 2, and hands the (still joined) consumer back.
async fn join_and_commit(bootstrap: &str) -> BaseConsumer {
    let bootstrap = bootstrap.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer = consumer(&bootstrap, "earliest");
        let started = Instant::now();
        let mut got_record = false;
        loop {
            if let Some(message) = consumer.poll(Duration::from_millis(100)) {
                message.unwrap();
                got_record = true;
            }
            if got_record && consumer.assignment().unwrap().count() == 2 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no assignment");
        }
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(TOPIC, 0, Offset::Offset(4))
            .unwrap();
        offsets
            .add_partition_offset(TOPIC, 1, Offset::Offset(2))
            .unwrap();
        consumer.commit(&offsets, CommitMode::Sync).unwrap();
        consumer
    })
    .await
    .unwrap()
}

/// Leaves the group (close sends LeaveGroup) on a blocking thread.
async fn leave(consumer: BaseConsumer) {
    tokio::task::spawn_blocking(move || drop(consumer))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_reset_and_delete_a_real_consumer_group() {
    let broker = start_broker().await;
    let b = broker.bootstrap.clone();
    let b = b.as_str();
    let (code, _, err) = run_topics(b).await;
    assert_eq!(code, 0, "{err}");
    produce(b).await;

    // Phase 1: an active member that committed 4/10 and 2/6. --describe shows per partition
    // CURRENT-OFFSET, LOG-END-OFFSET, LAG and the member (ConsumerGroupCommand.printOffsets).
    let member = join_and_commit(b).await;
    let (code, out, err) = groups_tool(b, &["--describe", "--group", "g1"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with("\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID"), "{out}");
    let rows = offset_rows(&out);
    assert_eq!(rows.len(), 2, "{out}");
    for (row, (current, end, lag)) in rows.iter().zip([("4", "10", "6"), ("2", "6", "4")]) {
        assert_eq!(row.len(), 9, "{out}");
        assert_eq!(&row[..3], &["g1", TOPIC, row[2].as_str()]);
        assert_eq!(
            (row[3].as_str(), row[4].as_str(), row[5].as_str()),
            (current, end, lag),
            "{out}"
        );
        assert!(row[6].starts_with("cg-test-"), "consumer id {}", row[6]);
        // HOST is the coordinator's record of the member's address, Kafka's
        // `InetAddress.toString()` of the client: "/127.0.0.1".
        assert_eq!(row[7], "/127.0.0.1", "host");
        assert_eq!(row[8], "cg-test");
    }
    assert_eq!((rows[0][2].as_str(), rows[1][2].as_str()), ("0", "1"));

    // Phase 2: --list and --list --state, --describe --members/--state.
    let (code, out, _) = groups_tool(b, &["--list"]).await;
    assert_eq!((code, out.as_str()), (0, "g1\n"));
    let (_, out, _) = groups_tool(b, &["--list", "--state"]).await;
    assert_eq!(
        out,
        format!(
            "{:<25} {:<20}\n{:<25} {:<20}\n",
            "GROUP", "STATE", "g1", "Stable"
        )
    );
    let (_, out, _) = groups_tool(b, &["--list", "--state", "Empty"]).await;
    assert_eq!(out, format!("{:<25} {:<20}\n", "GROUP", "STATE"));
    let (_, out, _) = groups_tool(
        b,
        &["--describe", "--group", "g1", "--members", "--verbose"],
    )
    .await;
    let member_line = out.lines().nth(2).unwrap();
    assert!(member_line.starts_with("g1 "), "{out}");
    // (HOST: see phase 1 on the broker's empty client_host.)
    assert!(member_line.contains(" cg-test "), "{out}");
    assert!(
        member_line.contains(" 2 ") && member_line.contains(" orders:0,1 "),
        "{out}"
    );
    let (_, out, _) = groups_tool(b, &["--describe", "--group", "g1", "--state"]).await;
    let state_line = out.lines().nth(2).unwrap();
    assert!(
        state_line.contains("  (1)") && state_line.contains(" range "),
        "{out}"
    );
    assert!(
        state_line.contains(" Stable ") && state_line.ends_with(" 1"),
        "{out}"
    );

    // Phase 3: resetting an active group is refused (resetOffsets: state not Empty/Dead);
    // Kafka prints the error and exits 0; nothing changes.
    let (code, out, _) = groups_tool(
        b,
        &[
            "--reset-offsets",
            "--group",
            "g1",
            "--all-topics",
            "--to-earliest",
            "--execute",
        ],
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.starts_with("\nError: Assignments can only be reset if the group 'g1' is inactive, but the current state is Stable.\n"), "{out}");

    // Phase 4: the member leaves; the group is Empty and its rows keep the offsets with "-"
    // for the member columns.
    leave(member).await;
    let started = Instant::now();
    let out = loop {
        let (_, out, err) = groups_tool(b, &["--describe", "--group", "g1"]).await;
        if err == "\nConsumer group 'g1' has no active members.\n" {
            break out;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still active: {err}{out}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let rows = offset_rows(&out);
    assert_eq!(
        rows[0],
        ["g1", TOPIC, "0", "4", "10", "6", "-", "-", "-"],
        "{out}"
    );
    assert_eq!(
        rows[1],
        ["g1", TOPIC, "1", "2", "6", "4", "-", "-", "-"],
        "{out}"
    );

    // Phase 5: dry runs print a plan and change nothing (GroupOffsetsResetter scenarios).
    let plan = |rows: &[(i32, i64)]| {
        let mut text = "\nGROUP           TOPIC           PARTITION  NEW-OFFSET".to_owned();
        for (partition, offset) in rows {
            text.push_str(&format!(
                "\ng1              orders          {partition:<10} {offset}"
            ));
        }
        text + "\n"
    };
    let dry = |extra: &'static [&'static str]| {
        let mut argv = vec!["--reset-offsets", "--group", "g1", "--dry-run"];
        argv.extend_from_slice(extra);
        argv
    };
    let (code, out, _) = groups_tool(b, &dry(&["--topic", "orders", "--to-offset", "3"])).await;
    assert_eq!((code, out), (0, plan(&[(0, 3), (1, 3)])));
    // Above the log end clamps to it (checkOffsetsRange).
    let (_, out, err) = groups_tool(b, &dry(&["--topic", "orders:1", "--to-offset", "99"])).await;
    assert_eq!(out, plan(&[(1, 6)]));
    assert!(err.contains("New offset (99) is higher than latest offset for topic partition orders-1. Value will be set to 6"), "{err}");
    let (_, out, _) = groups_tool(b, &dry(&["--all-topics", "--shift-by", "-3"])).await;
    assert_eq!(out, plan(&[(0, 1), (1, 0)]));
    let (_, out, _) = groups_tool(
        b,
        &dry(&["--all-topics", "--to-datetime", "2024-01-01T00:00:05.000"]),
    )
    .await;
    assert_eq!(out, plan(&[(0, 5), (1, 5)]));
    let (_, out, _) = groups_tool(b, &dry(&["--all-topics", "--to-latest"])).await;
    assert_eq!(out, plan(&[(0, 10), (1, 6)]));
    // Without --execute or --dry-run: Kafka's warning, still a dry run.
    let (_, out, err) = groups_tool(
        b,
        &[
            "--reset-offsets",
            "--group",
            "g1",
            "--all-topics",
            "--to-current",
        ],
    )
    .await;
    assert_eq!(out, plan(&[(0, 4), (1, 2)]));
    assert!(
        err.starts_with("WARN: No action will be performed as the --execute option is missing.")
    );
    let (_, out, _) = groups_tool(b, &["--describe", "--group", "g1"]).await;
    let rows = offset_rows(&out);
    assert_eq!(
        (rows[0][3].as_str(), rows[1][3].as_str()),
        ("4", "2"),
        "dry run changed offsets"
    );

    // Phase 6: --to-earliest --execute commits 0 everywhere: full lag.
    let (code, out, _) = groups_tool(
        b,
        &[
            "--reset-offsets",
            "--group",
            "g1",
            "--all-topics",
            "--to-earliest",
            "--execute",
        ],
    )
    .await;
    assert_eq!((code, out), (0, plan(&[(0, 0), (1, 0)])));
    let (_, out, _) = groups_tool(b, &["--describe", "--group", "g1"]).await;
    let rows = offset_rows(&out);
    assert_eq!(&rows[0][3..6], ["0", "10", "10"], "{out}");
    assert_eq!(&rows[1][3..6], ["0", "6", "6"], "{out}");

    // Phase 7: a new member (auto.offset.reset=latest, so only the committed offset can
    // make it start at 0) re-reads both partitions from offset 0.
    let bootstrap = b.to_owned();
    let first_offsets = tokio::task::spawn_blocking(move || {
        let consumer = consumer(&bootstrap, "latest");
        let mut first = std::collections::BTreeMap::new();
        let started = Instant::now();
        while first.len() < 2 {
            if let Some(message) = consumer.poll(Duration::from_millis(100)) {
                let message = message.unwrap();
                first.entry(message.partition()).or_insert(message.offset());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "nothing re-read: {first:?}"
            );
        }
        drop(consumer);
        first
    })
    .await
    .unwrap();
    assert_eq!(
        first_offsets.into_iter().collect::<Vec<_>>(),
        vec![(0, 0), (1, 0)]
    );

    // Phase 8: --delete-offsets for one partition (OffsetDelete, KIP-496), once the group is
    // empty again.
    let started = Instant::now();
    loop {
        let (_, _, err) = groups_tool(b, &["--describe", "--group", "g1"]).await;
        if err.contains("has no active members") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "member did not leave"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (code, out, _) = groups_tool(
        b,
        &["--delete-offsets", "--group", "g1", "--topic", "orders:1"],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Request succeeded for deleting offsets from group g1.\n\nTOPIC           PARTITION  STATUS         \norders          1          Successful     \n"
    );
    let (_, out, _) = groups_tool(b, &["--describe", "--group", "g1"]).await;
    let rows = offset_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0][2], "0");

    // Phase 9: --delete removes the group; describing it then reports it missing, as for a
    // group that never existed.
    let (code, out, _) = groups_tool(b, &["--delete", "--group", "g1"]).await;
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "Deletion of requested consumer groups ('g1') was successful.\n"
        )
    );
    for group in ["g1", "never-existed"] {
        let (code, out, _) = groups_tool(b, &["--describe", "--group", group]).await;
        assert_eq!(
            (code, out),
            (
                0,
                format!("\nError: Consumer group '{group}' does not exist.\n")
            )
        );
    }
    let (_, out, _) = groups_tool(b, &["--list"]).await;
    assert_eq!(out, "");

    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argument_errors_exit_one_with_kafkas_messages() {
    // No broker needed: checkArgs runs before any connection.
    let b = "127.0.0.1:1";
    let (code, _, err) = groups_tool(b, &["--describe"]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Option [describe] takes one of these options: [all-groups], [group]\n"),
        "{err}"
    );
    let (code, _, err) = groups_tool(b, &["--delete-offsets", "--group", "g"]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Option [delete-offsets] takes the following options: [group], [topic]")
    );
    let (code, _, err) = groups_tool(b, &["--list", "--state", "Running"]).await;
    assert_eq!(code, 1, "{err}");
}

async fn run_topics(bootstrap: &str) -> (u8, String, String) {
    let (mut output, out, err) = Output::captured();
    let argv: Vec<OsString> = [
        "--bootstrap-server",
        bootstrap,
        "--create",
        "--topic",
        TOPIC,
        "--partitions",
        "2",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let code = run_tool("topics", argv, &mut output).await;
    (code, out.text(), err.text())
}
