//! Goal: every tool works end to end against a real fjord broker, with Kafka's output and exit
//! codes. Method: an in-process broker on 127.0.0.1:0 per test (fjord_broker's test config),
//! the tools run through `run_tool` exactly as the `fjord` binary runs them, output captured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::io::Cursor;

use fjord_broker::{Broker, BrokerConfig, BrokerHandle};
use fjord_tools::console_producer::{self, ConsoleProducerArgs};
use fjord_tools::output::Output;
use fjord_tools::run_tool;

struct TestBroker {
    handle: BrokerHandle,
    bootstrap: String,
    _dir: tempfile::TempDir,
}

impl TestBroker {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = BrokerConfig::for_tests(dir.path().to_path_buf()).unwrap();
        let handle = Broker::start_with_config(config).await.unwrap();
        let bootstrap = handle.bound_addrs()[0].to_string();
        Self {
            handle,
            bootstrap,
            _dir: dir,
        }
    }

    async fn stop(self) {
        self.handle.shutdown().await.unwrap();
    }
}

/// Runs `tool` with `args` (strings), returning (exit code, stdout, stderr).
async fn tool(name: &str, args: &[&str]) -> (u8, String, String) {
    let (mut output, out, err) = Output::captured();
    let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
    let code = run_tool(name, argv, &mut output).await;
    (code, out.text(), err.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_create_list_describe_alter_delete() {
    let broker = TestBroker::start().await;
    let b = broker.bootstrap.as_str();

    // Phase 1: create prints "Created topic t." (TopicCommand.createTopic).
    let (code, out, err) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--create",
            "--topic",
            "orders",
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ],
    )
    .await;
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "Created topic orders.\n", "")
    );

    // Phase 2: creating it again fails with the broker's TopicExistsException text, exit 1;
    // --if-not-exists makes it a silent success.
    let (code, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--create", "--topic", "orders"],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "Error while executing topic command : Topic 'orders' already exists.\n"
    );
    let (code, out, _) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--create",
            "--topic",
            "orders",
            "--if-not-exists",
        ],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, ""));

    // Phase 3: list (sorted, one per line) and regex selection.
    tool(
        "topics",
        &["--bootstrap-server", b, "--create", "--topic", "payments"],
    )
    .await;
    let (code, out, _) = tool("topics", &["--bootstrap-server", b, "--list"]).await;
    assert_eq!((code, out.as_str()), (0, "orders\npayments\n"));
    let (_, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--list", "--topic", "pay.*"],
    )
    .await;
    assert_eq!(out, "payments\n");

    // Phase 4: describe prints the topic line and one line per partition.
    let (code, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--describe", "--topic", "orders"],
    )
    .await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("Topic: orders\tTopicId: "), "{out}");
    assert!(
        lines[0].ends_with("\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: "),
        "{out}"
    );
    assert_eq!(
        lines[1],
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A"
    );
    assert!(lines[3].starts_with("\tTopic: orders\tPartition: 2\t"));
    let (code, out, _) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--describe",
            "--under-replicated-partitions",
        ],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, ""));

    // Phase 5: alter to fewer partitions is refused; more partitions works.
    let (code, out, _) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--topic",
            "orders",
            "--partitions",
            "2",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "Error while executing topic command : Topic currently has 3 partitions, which is higher than the requested 2.\n"
    );
    let (code, out, err) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--topic",
            "orders",
            "--partitions",
            "5",
        ],
    )
    .await;
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (_, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--describe", "--topic", "orders"],
    )
    .await;
    assert!(out.contains("PartitionCount: 5"), "{out}");

    // Phase 6: delete; a missing topic fails with Kafka's message unless --if-exists.
    let (code, _, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--delete", "--topic", "payments"],
    )
    .await;
    assert_eq!(code, 0);
    let (_, out, _) = tool("topics", &["--bootstrap-server", b, "--list"]).await;
    assert_eq!(out, "orders\n");
    let (code, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--delete", "--topic", "payments"],
    )
    .await;
    assert_eq!(
        (code, out.as_str()),
        (
            1,
            "Error while executing topic command : Topic 'payments' does not exist as expected\n"
        )
    );
    let (code, _, _) = tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--delete",
            "--topic",
            "payments",
            "--if-exists",
        ],
    )
    .await;
    assert_eq!(code, 0);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_producer_to_console_consumer_with_keys_and_headers_then_offsets_and_delete_records()
 {
    let broker = TestBroker::start().await;
    let b = broker.bootstrap.as_str();
    tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--create",
            "--topic",
            "events",
            "--partitions",
            "1",
        ],
    )
    .await;

    // Phase 1: the console producer parses headers and keys per line (LineMessageReader).
    let args = ConsoleProducerArgs {
        bootstrap_server: Some(b.to_owned()),
        topic: Some("events".to_owned()),
        property: vec![
            "parse.key=true".into(),
            "key.separator=:".into(),
            "parse.headers=true".into(),
            "headers.delimiter=|".into(),
        ],
        request_required_acks: "-1".into(),
        batch_size: 16384,
        timeout: 5,
        request_timeout_ms: 1500,
        ..ConsoleProducerArgs::default()
    };
    let input = Cursor::new(b"h1:v1,h2:v2|k1:first\nh3:v3|k2:second\nh4:x|k3:third\n".to_vec());
    let (mut output, _, err) = Output::captured();
    assert_eq!(
        console_producer::run_with_input(args, input, &mut output).await,
        0,
        "{}",
        err.text()
    );

    // Phase 2: the console consumer prints the chosen columns (DefaultMessageFormatter).
    let (code, out, err) = tool(
        "console-consumer",
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "events",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "3",
            "--timeout-ms",
            "10000",
            "--property",
            "print.key=true",
            "--property",
            "print.headers=true",
            "--property",
            "print.offset=true",
            "--property",
            "print.partition=true",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Partition:0\tOffset:0\th1:v1,h2:v2\tk1\tfirst\nPartition:0\tOffset:1\th3:v3\tk2\tsecond\nPartition:0\tOffset:2\th4:x\tk3\tthird\n"
    );
    assert!(err.ends_with("Processed a total of 3 messages\n"), "{err}");

    // Phase 3: get-offsets prints topic:partition:offset (GetOffsetShell).
    let (code, out, _) = tool(
        "get-offsets",
        &["--bootstrap-server", b, "--topic", "events"],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "events:0:3\n"));
    let (_, out, _) = tool(
        "get-offsets",
        &["--bootstrap-server", b, "--topic", "events", "--time", "-2"],
    )
    .await;
    assert_eq!(out, "events:0:0\n");

    // Phase 4: delete-records moves the low watermark (DeleteRecordsCommand).
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("offsets.json");
    std::fs::write(
        &json,
        r#"{"partitions":[{"topic":"events","partition":0,"offset":2}],"version":1}"#,
    )
    .unwrap();
    let (code, out, err) = tool(
        "delete-records",
        &[
            "--bootstrap-server",
            b,
            "--offset-json-file",
            json.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Executing records delete operation\nRecords delete operation completed:\npartition: events-0\tlow_watermark: 2\n"
    );
    let (_, out, _) = tool(
        "get-offsets",
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "events",
            "--time",
            "earliest",
        ],
    )
    .await;
    assert_eq!(out, "events:0:2\n");

    // Phase 5: a consumer that finds nothing new stops at --timeout-ms with a count of 0.
    let (code, out, err) = tool(
        "console-consumer",
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "events",
            "--partition",
            "0",
            "--timeout-ms",
            "1500",
        ],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(err.ends_with("Processed a total of 0 messages\n"), "{err}");
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs_describe_and_alter_a_topic() {
    let broker = TestBroker::start().await;
    let b = broker.bootstrap.as_str();
    tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--create",
            "--topic",
            "cfg",
            "--config",
            "cleanup.policy=compact",
        ],
    )
    .await;

    // Phase 1: the create-time override shows as a dynamic topic config.
    let (code, out, err) = tool(
        "configs",
        &[
            "--bootstrap-server",
            b,
            "--describe",
            "--entity-type",
            "topics",
            "--entity-name",
            "cfg",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Dynamic configs for topic cfg are:\n"),
        "{out}"
    );
    assert!(out.contains("  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact"), "{out}");

    // Phase 2: alter adds and deletes overrides (IncrementalAlterConfigs, KIP-339).
    let (code, out, err) = tool(
        "configs",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--entity-type",
            "topics",
            "--entity-name",
            "cfg",
            "--add-config",
            "retention.ms=1000",
        ],
    )
    .await;
    assert_eq!(
        (code, out.as_str()),
        (0, "Completed updating config for topic cfg.\n"),
        "{err}"
    );
    let (code, _, _) = tool(
        "configs",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--topic",
            "cfg",
            "--delete-config",
            "cleanup.policy",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let (_, out, _) = tool(
        "configs",
        &["--bootstrap-server", b, "--describe", "--topic", "cfg"],
    )
    .await;
    assert!(out.contains("  retention.ms=1000 sensitive=false"), "{out}");
    assert!(!out.contains("cleanup.policy"), "{out}");
    let (_, out, _) = tool(
        "topics",
        &["--bootstrap-server", b, "--describe", "--topic", "cfg"],
    )
    .await;
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("Configs: retention.ms=1000"),
        "{out}"
    );

    // Phase 3: deleting a key that is not set is refused (ConfigCommand: "Invalid config(s)").
    let (code, _, err) = tool(
        "configs",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--topic",
            "cfg",
            "--delete-config",
            "nope",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (1, "Invalid config(s): nope\n"));
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perf_tools_print_kafkas_summary_lines() {
    let broker = TestBroker::start().await;
    let b = broker.bootstrap.as_str();
    tool(
        "topics",
        &[
            "--bootstrap-server",
            b,
            "--create",
            "--topic",
            "perf",
            "--partitions",
            "2",
        ],
    )
    .await;
    let bootstrap_prop = format!("bootstrap.servers={b}");
    let (code, out, err) = tool(
        "producer-perf-test",
        &[
            "--topic",
            "perf",
            "--num-records",
            "2000",
            "--record-size",
            "100",
            "--throughput",
            "-1",
            "--producer-props",
            &bootstrap_prop,
            "acks=1",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let summary = out.lines().last().unwrap();
    assert!(summary.starts_with("2000 records sent, "), "{out}");
    assert!(summary.ends_with(" ms 99.9th."), "{out}");
    let (code, out, err) = tool(
        "consumer-perf-test",
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "perf",
            "--messages",
            "2000",
            "--timeout",
            "5000",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], fjord_tools::perf::stats::CONSUMER_HEADER);
    let columns: Vec<&str> = lines[1].split(", ").collect();
    assert_eq!(columns.len(), 10, "{out}");
    assert_eq!(
        columns[2],
        format!("{:.4}", 2000.0 * 100.0 / (1024.0 * 1024.0))
    );
    assert_eq!(columns[4], "2000");
    broker.stop().await;
}
