//! Goal: the tools print what Kafka's tools print. Method: feed the pure formatting and parsing
//! functions fixed inputs and compare with strings taken from Kafka's sources (TopicCommand,
//! ConfigCommand, DeleteRecordsCommand, GetOffsetShell) and their tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use fjord_client::uuid::parse_kafka_uuid;
use fjord_client::{
    ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource, OffsetSpec, PartitionInfo,
    TopicInfo,
};
use fjord_tools::configs::{describe_text, parse_add_config};
use fjord_tools::delete_records::parse_offset_json;
use fjord_tools::get_offsets::{PartitionRange, parse_partitions, parse_time};
use fjord_tools::output::Output;
use fjord_tools::topics::{
    DescribeOptions, TopicsArgs, check_args, describe_topic, parse_replica_assignment,
    parse_topic_configs,
};
use fjord_tools::{ToolError, run_tool};

fn partition(index: i32, leader: Option<i32>, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
    PartitionInfo {
        partition: index,
        leader,
        leader_epoch: 0,
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        offline_replicas: vec![],
        error_code: 0,
    }
}

fn topic() -> TopicInfo {
    TopicInfo {
        name: "quickstart-events".to_owned(),
        topic_id: parse_kafka_uuid("NPmZHyhbR9y00wMglMH2sg").unwrap(),
        is_internal: false,
        partitions: vec![
            partition(0, Some(1), &[1], &[1]),
            partition(1, None, &[1, 2], &[2]),
        ],
    }
}

fn entry(name: &str, value: &str, source: ConfigSource) -> ConfigEntry {
    ConfigEntry {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        source,
        is_sensitive: false,
        read_only: false,
        synonyms: vec![(name.to_owned(), Some(value.to_owned()), source)],
    }
}

#[test]
fn topics_describe_prints_kafka_39_columns() {
    // TopicCommand.TopicDescription.printDescription / PartitionDescription.printDescription;
    // Elr/LastKnownElr read N/A when the topic was described through Metadata (KIP-966).
    let configs = vec![
        entry(
            "cleanup.policy",
            "compact",
            ConfigSource::DynamicTopicConfig,
        ),
        entry("segment.bytes", "1073741824", ConfigSource::DefaultConfig),
    ];
    let live = BTreeSet::from([1, 2]);
    let text = describe_topic(&topic(), &configs, &live, &DescribeOptions::default());
    assert_eq!(
        text,
        "Topic: quickstart-events\tTopicId: NPmZHyhbR9y00wMglMH2sg\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: cleanup.policy=compact\n\
         \tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\n\
         \tTopic: quickstart-events\tPartition: 1\tLeader: none\tReplicas: 1,2\tIsr: 2\tElr: N/A\tLastKnownElr: N/A\n"
    );
}

#[test]
fn topics_describe_report_options_filter_partitions_and_hide_the_header() {
    // TopicCommand.DescribeOptions: report options suppress the topic line.
    let live = BTreeSet::from([1, 2]);
    let under = DescribeOptions {
        under_replicated: true,
        ..DescribeOptions::default()
    };
    assert_eq!(
        describe_topic(&topic(), &[], &live, &under),
        "\tTopic: quickstart-events\tPartition: 1\tLeader: none\tReplicas: 1,2\tIsr: 2\tElr: N/A\tLastKnownElr: N/A\n"
    );
    let unavailable = DescribeOptions {
        unavailable: true,
        ..DescribeOptions::default()
    };
    assert!(
        describe_topic(&topic(), &[], &live, &unavailable).contains("Partition: 1\tLeader: none")
    );
    assert!(!describe_topic(&topic(), &[], &live, &unavailable).contains("Partition: 0"));
    // A topic without overrides is skipped by --topics-with-overrides.
    let overrides = DescribeOptions {
        overrides_only: true,
        ..DescribeOptions::default()
    };
    assert_eq!(describe_topic(&topic(), &[], &live, &overrides), "");
}

#[test]
fn topics_argument_checks_use_kafkas_messages() {
    // TopicCommandOptions.checkArgs.
    let message = |args: TopicsArgs| check_args(&args).unwrap_err().to_string();
    assert_eq!(
        message(TopicsArgs {
            bootstrap_server: Some("x:1".into()),
            ..TopicsArgs::default()
        }),
        "Command must include exactly one action: --list, --describe, --create, --alter or --delete"
    );
    assert_eq!(
        message(TopicsArgs {
            list: true,
            ..TopicsArgs::default()
        }),
        "--bootstrap-server must be specified"
    );
    assert_eq!(
        message(TopicsArgs {
            alter: true,
            topic: Some("t".into()),
            bootstrap_server: Some("x:1".into()),
            ..TopicsArgs::default()
        }),
        "Missing required argument \"[partitions]\""
    );
    assert!(
        check_args(&TopicsArgs {
            list: true,
            bootstrap_server: Some("x:1".into()),
            ..TopicsArgs::default()
        })
        .is_ok()
    );
}

#[test]
fn replica_assignment_and_configs_parse_like_topic_command() {
    // TopicCommandTest.testParseAssignment / testParseAssignmentDuplicateEntries.
    assert_eq!(
        parse_replica_assignment("5:4,3:2,1:0").unwrap(),
        vec![vec![5, 4], vec![3, 2], vec![1, 0]]
    );
    assert_eq!(
        parse_replica_assignment("5:5").unwrap_err().to_string(),
        "Partition replica lists may not contain duplicate entries: 5"
    );
    assert_eq!(
        parse_replica_assignment("0:1,2").unwrap_err().to_string(),
        "Partition 1 has different replication factor: [2]"
    );
    assert_eq!(
        parse_topic_configs(&["retention.ms = 1000".into()]).unwrap(),
        vec![("retention.ms".into(), "1000".into())]
    );
    assert!(matches!(
        parse_topic_configs(&["a=b=c".into()]),
        Err(ToolError::Illegal(_))
    ));
}

#[test]
fn configs_describe_prints_dynamic_entries_with_synonyms() {
    // ConfigCommand.describeResourceConfig: "Dynamic configs for topic t are:" and
    // "  name=value sensitive=false synonyms={SOURCE:name=value, ...}".
    let resource = ConfigResource {
        resource_type: ConfigResourceType::Topic,
        name: "t".into(),
    };
    let mut retention = entry("retention.ms", "1000", ConfigSource::DynamicTopicConfig);
    retention.synonyms.push((
        "log.retention.hours".into(),
        Some("168".into()),
        ConfigSource::DefaultConfig,
    ));
    let entries = vec![
        retention,
        entry("segment.bytes", "1073741824", ConfigSource::DefaultConfig),
    ];
    assert_eq!(
        describe_text(&resource, &entries, false),
        "Dynamic configs for topic t are:\n  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, DEFAULT_CONFIG:log.retention.hours=168}\n"
    );
    assert!(describe_text(&resource, &entries, true).starts_with("All configs for topic t are:\n"));
    let default_broker = ConfigResource {
        resource_type: ConfigResourceType::Broker,
        name: String::new(),
    };
    assert_eq!(
        describe_text(&default_broker, &[], false),
        "Default configs for brokers in the cluster are:\n"
    );
}

#[test]
fn add_config_accepts_bracketed_lists() {
    // ConfigCommandTest.shouldParseArgumentsForClientsEntityType: "a=b,c=[d,e],f=g".
    assert_eq!(
        parse_add_config("a=b,c=[d,e],f=g").unwrap(),
        vec![
            ("a".into(), "b".into()),
            ("c".into(), "d,e".into()),
            ("f".into(), "g".into())
        ]
    );
    assert!(parse_add_config("novalue").is_err());
}

#[test]
fn delete_records_json_and_get_offsets_arguments() {
    // DeleteRecordsCommandTest: duplicate partitions are refused.
    let parsed =
        parse_offset_json(r#"{"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}"#)
            .unwrap();
    assert_eq!(parsed[0].0.to_string(), "t-0");
    assert_eq!(parsed[0].1, 3);
    let dup = r#"{"partitions":[{"topic":"t","partition":0,"offset":3},{"topic":"t","partition":0,"offset":4}],"version":1}"#;
    assert_eq!(
        parse_offset_json(dup).unwrap_err().to_string(),
        "Offset json file contains duplicate topic partitions: t-0"
    );
    // GetOffsetShell --time and partition ranges (upper bound exclusive).
    assert_eq!(parse_time("-2").unwrap(), OffsetSpec::Earliest);
    assert_eq!(
        parse_time("max-timestamp").unwrap(),
        OffsetSpec::MaxTimestamp
    );
    assert_eq!(
        parse_time("1700000000000").unwrap(),
        OffsetSpec::Timestamp(1_700_000_000_000)
    );
    assert!(
        parse_time("yesterday")
            .unwrap_err()
            .to_string()
            .starts_with("Malformed time argument yesterday.")
    );
    assert_eq!(
        parse_partitions("0,3-5").unwrap(),
        vec![
            PartitionRange {
                from: 0,
                to_exclusive: 1
            },
            PartitionRange {
                from: 3,
                to_exclusive: 5
            }
        ]
    );
}

#[tokio::test]
async fn a_bad_flag_prints_usage_and_exits_1() {
    // Kafka's tools exit 1 on option errors (TopicCommand.mainNoExit); --help exits 0.
    let (mut output, out, err) = Output::captured();
    let code = run_tool("topics", vec!["--no-such-flag".into()], &mut output).await;
    assert_eq!(code, 1);
    assert!(
        err.text().contains("--no-such-flag"),
        "stderr: {}",
        err.text()
    );
    assert!(
        err.text().contains("Usage: kafka-topics.sh"),
        "stderr: {}",
        err.text()
    );
    assert_eq!(out.text(), "");
    let (mut output, out, _) = Output::captured();
    assert_eq!(
        run_tool("topics", vec!["--help".into()], &mut output).await,
        0
    );
    assert!(out.text().contains("--bootstrap-server"));
}

#[tokio::test]
async fn an_unreachable_broker_fails_within_the_timeout() {
    // KafkaAdminClient: "Timed out waiting for a node assignment. Call: listTopics", printed by
    // TopicCommand.printException on stdout, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("admin.properties");
    std::fs::write(&config, "default.api.timeout.ms=500\n").unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (mut output, out, _) = Output::captured();
    let started = std::time::Instant::now();
    let argv = vec![
        "--bootstrap-server".into(),
        format!("127.0.0.1:{port}").into(),
        "--command-config".into(),
        config.into_os_string(),
        "--list".into(),
    ];
    assert_eq!(run_tool("topics", argv, &mut output).await, 1);
    assert_eq!(
        out.text(),
        "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics\n"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_producer_to_an_unreachable_broker_fails_instead_of_hanging() {
    // ConsoleProducer + ErrorLoggingCallback: a record that cannot be delivered within
    // delivery.timeout.ms is reported on stderr; fjord also exits 1.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let args = fjord_tools::console_producer::ConsoleProducerArgs {
        bootstrap_server: Some(format!("127.0.0.1:{port}")),
        topic: Some("t".into()),
        producer_property: vec!["delivery.timeout.ms=1000".into()],
        request_required_acks: "-1".into(),
        batch_size: 16384,
        timeout: 5,
        request_timeout_ms: 500,
        ..Default::default()
    };
    let (mut output, _, err) = Output::captured();
    let started = std::time::Instant::now();
    let input = std::io::Cursor::new(b"hello\n".to_vec());
    let code = fjord_tools::console_producer::run_with_input(args, input, &mut output).await;
    assert_eq!(code, 1);
    assert!(
        err.text().contains("Error when sending message to topic t"),
        "{}",
        err.text()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
