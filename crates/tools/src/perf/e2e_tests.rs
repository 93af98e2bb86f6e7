//! Tests of `kafka-e2e-latency.sh` (EndToEndLatency): summary arithmetic, the payload stamp,
//! and both loops against an in-process fjord broker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;

use super::*;

#[test]
fn kafka_summary_uses_whole_ms_at_index_n_times_p() {
    // EndToEndLatency.printResults: latencies[(int)(n * p)] of the sorted array, in ms.
    let mut l = Latencies::default();
    for micros in (1..=1000u64).map(|i| i * 1000) {
        l.push(micros);
    }
    let [avg, pct] = l.kafka_lines();
    assert_eq!(avg, "Avg latency: 500.5000 ms");
    assert_eq!(pct, "Percentiles: 50th = 501, 99th = 991, 99.9th = 1000");
    assert_eq!(
        l.micros_line(),
        "Percentiles (us): 50th = 501000, 99th = 991000, 99.9th = 1000000, max = 1000000"
    );
}

#[test]
fn empty_summary_prints_zeros_instead_of_panicking() {
    let l = Latencies::default();
    assert!(l.is_empty());
    assert_eq!(
        l.kafka_lines()[1],
        "Percentiles: 50th = 0, 99th = 0, 99.9th = 0"
    );
}

#[test]
fn stamp_round_trips_and_pads_to_the_record_size() {
    let p = stamped_payload(100, 1_764_000_000_123_456);
    assert_eq!(p.len(), 100);
    assert_eq!(read_stamp(&p), Some(1_764_000_000_123_456));
    // Smaller records still carry the whole stamp.
    assert_eq!(stamped_payload(5, 7).len(), STAMP_BYTES);
    assert_eq!(read_stamp(b"not a stamp at all.."), None);
    assert_eq!(read_stamp(b"short"), None);
}

#[test]
fn positional_arguments_follow_kafka_usage() {
    let args = E2eLatencyArgs::try_parse_from([
        "kafka-e2e-latency.sh",
        "localhost:9092",
        "test",
        "10000",
        "1",
        "20",
    ])
    .unwrap();
    assert_eq!(args.num_messages, 10_000);
    assert_eq!(args.message_size_bytes, 20);
    assert!(args.throughput.is_none() && args.properties_file.is_none());
    assert!(E2eLatencyArgs::try_parse_from(["kafka-e2e-latency.sh", "b", "t"]).is_err());
}

async fn run_captured(argv: &[&str]) -> (u8, String, String) {
    let (mut output, out, err) = Output::captured();
    let args = E2eLatencyArgs::try_parse_from(
        std::iter::once("kafka-e2e-latency.sh").chain(argv.iter().copied()),
    )
    .unwrap();
    let code = run(args, &mut output).await;
    (code, out.text(), err.text())
}

#[tokio::test]
async fn acks_other_than_1_or_all_are_refused_like_kafka() {
    let (code, _, err) = run_captured(&["127.0.0.1:1", "t", "10", "0", "20"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("Latency testing requires synchronous acknowledgement. Please use 1 or all"),
        "{err}"
    );
}

struct TestBroker {
    handle: fjord_broker::BrokerHandle,
    bootstrap: String,
    _dir: tempfile::TempDir,
}

async fn broker() -> TestBroker {
    let dir = tempfile::tempdir().unwrap();
    let config = fjord_broker::BrokerConfig::for_tests(dir.path().to_path_buf()).unwrap();
    let handle = fjord_broker::Broker::start_with_config(config)
        .await
        .unwrap();
    let bootstrap = handle.bound_addrs()[0].to_string();
    TestBroker {
        handle,
        bootstrap,
        _dir: dir,
    }
}

/// The numbers after each `=` of a percentiles line.
fn percentile_fields(line: &str) -> Vec<u64> {
    line.split('=')
        .skip(1)
        .map(|field| field.split(',').next().unwrap().trim().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_creates_the_topic_and_prints_kafka_lines() {
    let b = broker().await;
    let (code, out, err) = run_captured(&[&b.bootstrap, "e2e-closed", "30", "all", "50"]).await;
    assert_eq!(code, 0, "stderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("Topic \"e2e-closed\" does not exist. Will create topic"),
        "{out}"
    );
    // Progress every 1000 records: only record 0 here ("0\t<ms>").
    assert!(lines[1].starts_with("0\t"), "{out}");
    assert!(lines[2].starts_with("Avg latency: ") && lines[2].ends_with(" ms"));
    assert!(lines[3].starts_with("Percentiles: 50th = "));
    let us = percentile_fields(lines[4]);
    assert_eq!(us.len(), 4, "{}", lines[4]);
    // 50th <= 99th <= 99.9th <= max, and a loopback round trip is under the poll timeout.
    assert!(us.windows(2).all(|w| w[0] <= w[1]), "{}", lines[4]);
    assert!(us[3] < 60_000_000);
    b.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_receives_every_record_sent_at_the_rate() {
    let b = broker().await;
    let started = Instant::now();
    let (code, out, err) = run_captured(&[
        &b.bootstrap,
        "e2e-open",
        "200",
        "1",
        "100",
        "--throughput",
        "400",
    ])
    .await;
    assert_eq!(code, 0, "stderr: {err}");
    // 200 records at 400/s take at least half a second to send.
    assert!(started.elapsed() >= Duration::from_millis(450));
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("Percentiles (us): "), "{out}");
    assert_eq!(percentile_fields(last).len(), 4);
    b.handle.shutdown().await.unwrap();
}
