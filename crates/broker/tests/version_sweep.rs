//! Goal: every (API, version) pair the broker advertises answers a realistic request with a
//! response that decodes at that version. kafka-protocol's encoder refuses a response in which
//! a field absent from the negotiated version holds a non-default value (a non-ignorable field
//! in the message JSON), and the broker then closes the connection: old clients (kafka-python,
//! kcat, librdkafka's older paths) see a dropped socket. This sweep finds every such pair at
//! once.
//!
//! Method: an in-process broker; a topic with 2 partitions holding plain and idempotent
//! batches; then, for every API key in the broker's own ApiVersions response (never a hand-kept
//! list) and every version in its advertised range, the populated requests built in
//! `version_sweep/probes.rs` (existing topic, unknown topic, partition 0 and an out-of-range
//! partition where the request has partitions) are sent over a raw TCP socket with the request
//! header version Kafka's `ApiMessageType` gives that version. Each answer must arrive on an
//! open connection, carry the request's correlation id, decode completely at that version, and
//! pass the probe's semantic check. Produce with `acks=0` must get no answer, and the next
//! request on the connection must be answered. A capturing `tracing` subscriber records the
//! broker's warnings: none may say "cannot encode". The single assertion lists every broken
//! pair.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "version_sweep/admin_probes.rs"]
mod admin_probes;
#[path = "version_sweep/capture.rs"]
mod capture;
mod common;
#[path = "version_sweep/group_probes.rs"]
mod group_probes;
#[path = "version_sweep/model.rs"]
mod model;
#[path = "version_sweep/probes.rs"]
mod probes;
#[path = "version_sweep/security_probes.rs"]
mod security_probes;
#[path = "version_sweep/setup.rs"]
mod setup;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::TestBroker;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, RequestHeader, RequestKind, ResponseHeader, ResponseKind,
};
use fjord_protocol::kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use model::{Expect, Fixture, Plane, Probe};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one answer may take (Fetch probes ask for at most 100 ms of long poll).
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// One connection to the broker that frames, sends and reads requests of any API.
struct SweepConnection {
    stream: TcpStream,
    correlation_id: i32,
}

/// Why a probe failed, as the assertion message shows it.
type Failure = String;

impl SweepConnection {
    async fn open(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.expect("connect"),
            correlation_id: 0,
        }
    }

    /// Frames `request` at `version` with the request header version Kafka uses for it
    /// (`ApiKey::request_header_version`, from the message JSON's `flexibleVersions`).
    fn frame(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &RequestKind,
    ) -> Result<Bytes, Failure> {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("fjord-version-sweep")));
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        header
            .encode(&mut buf, api.request_header_version(version))
            .map_err(|e| format!("sweep bug: request header does not encode: {e}"))?;
        request
            .encode(&mut buf, version)
            .map_err(|e| format!("sweep bug: request body does not encode at this version: {e}"))?;
        let size = i32::try_from(buf.len() - 4).expect("frame fits i32");
        buf[..4].copy_from_slice(&size.to_be_bytes());
        Ok(buf.freeze())
    }

    /// Reads one response frame body, or says why none came.
    async fn read_frame(&mut self) -> Result<Bytes, Failure> {
        let read = async {
            let size = self.stream.read_i32().await?;
            let mut body = vec![0u8; usize::try_from(size).unwrap_or(0)];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Bytes::from(body))
        };
        match tokio::time::timeout(ANSWER_WAIT, read).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(error)) => Err(format!("connection closed instead of an answer ({error})")),
            Err(_) => Err(format!("no answer within {ANSWER_WAIT:?}")),
        }
    }

    /// Sends one request and returns its decoded response, checking the correlation id and
    /// that the body is consumed exactly.
    async fn call(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &RequestKind,
    ) -> Result<ResponseKind, Failure> {
        let frame = self.frame(api, version, request)?;
        let expected = self.correlation_id;
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        let mut body = self.read_frame().await?;
        decode_response(api, version, expected, &mut body)
    }

    /// Sends a request that must get no answer (Produce acks=0), then an ApiVersions v0 whose
    /// answer must be the next frame on the connection.
    async fn send_unanswered(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &RequestKind,
    ) -> Result<(), Failure> {
        let frame = self.frame(api, version, request)?;
        let unanswered = self.correlation_id;
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        let follow_up = RequestKind::ApiVersions(ApiVersionsRequest::default());
        let frame = self.frame(ApiKey::ApiVersions, 0, &follow_up)?;
        let expected = self.correlation_id;
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| format!("write of the follow-up failed: {e}"))?;
        let mut body = self
            .read_frame()
            .await
            .map_err(|e| format!("follow-up ApiVersions after the unanswered request: {e}"))?;
        let mut peek = body.clone();
        if peek.remaining() >= 4 && peek.get_i32() == unanswered {
            return Err("the acks=0 request was answered".to_owned());
        }
        decode_response(ApiKey::ApiVersions, 0, expected, &mut body).map(|_| ())
    }
}

/// Decodes a response frame body: header (ApiVersions always uses header v0, KIP-511),
/// correlation id, then the body at `version`, which must be consumed exactly.
fn decode_response(
    api: ApiKey,
    version: i16,
    expected_correlation: i32,
    body: &mut Bytes,
) -> Result<ResponseKind, Failure> {
    let header = ResponseHeader::decode(body, api.response_header_version(version))
        .map_err(|e| format!("response header does not decode: {e}"))?;
    if header.correlation_id != expected_correlation {
        return Err(format!(
            "correlation id {} answers request {expected_correlation}",
            header.correlation_id
        ));
    }
    let response = ResponseKind::decode(api, body, version)
        .map_err(|e| format!("response does not decode at v{version}: {e}"))?;
    if body.has_remaining() {
        return Err(format!(
            "{} bytes left after decoding the response",
            body.remaining()
        ));
    }
    Ok(response)
}

/// Runs one probe, reconnecting after a failure so later probes start on a clean connection.
async fn run_probe(
    connection: &mut SweepConnection,
    api: ApiKey,
    version: i16,
    probe: Probe,
    fixture: &Fixture,
) -> Result<(), Failure> {
    let result = match probe.expect {
        Expect::NoReply => {
            connection
                .send_unanswered(api, version, &probe.request)
                .await
        }
        Expect::Reply(check) => match connection.call(api, version, &probe.request).await {
            Ok(response) => check(&response, fixture),
            Err(failure) => Err(failure),
        },
    };
    if result.is_err() {
        let addr = connection.stream.peer_addr().expect("peer address");
        *connection = SweepConnection::open(addr).await;
    }
    result
}

/// What one sweep of a listener found.
struct SweepReport {
    failures: Vec<Failure>,
    probes_run: usize,
    appended_p1: i64,
}

/// Sends every probe of every version of every API `fixture.advertised` lists over `addr`.
async fn sweep(addr: SocketAddr, fixture: &Fixture) -> SweepReport {
    let mut connection = SweepConnection::open(addr).await;
    let mut report = SweepReport {
        failures: Vec::new(),
        probes_run: 0,
        appended_p1: 0,
    };
    for &(api, min, max) in &fixture.advertised {
        for version in min..=max {
            let Some(probes) = probes::for_api(api, version, fixture) else {
                report
                    .failures
                    .push(format!("{api:?} v{version}: no sweep builder for this API"));
                break;
            };
            for probe in probes {
                report.probes_run += 1;
                report.appended_p1 += probe.appends_p1;
                let label = probe.label.clone();
                if let Err(failure) = run_probe(&mut connection, api, version, probe, fixture).await
                {
                    report
                        .failures
                        .push(format!("{api:?} v{version} [{label}]: {failure}"));
                }
            }
        }
    }
    eprintln!("swept {} probes", report.probes_run);
    report
}

/// Adds every "cannot encode" warning to `failures`, then asserts there are none.
fn assert_no_failures(mut failures: Vec<Failure>, probes_run: usize, warnings: &capture::Warnings) {
    let logged = warnings.snapshot();
    for warning in logged.iter().filter(|w| w.contains("cannot encode")) {
        failures.push(format!("broker warning: {warning}"));
    }
    assert!(
        failures.is_empty(),
        "{} of {probes_run} probes failed:\n  {}\nbroker warnings:\n  {}",
        failures.len(),
        failures.join("\n  "),
        logged.join("\n  ")
    );
}

/// Every advertised (API, version) pair of a broker listener answers populated requests
/// correctly; one assertion names every broken pair (Kafka protocol guide, "Versioning and
/// Compatibility"; message JSON `validVersions` and per-field `versions`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_advertised_api_version_answers_populated_requests() {
    let warnings = capture::install();
    let broker = TestBroker::start_with(|config| {
        // Unknown topics must stay unknown at every Metadata version (v0-3 imply
        // allowAutoTopicCreation=true, KIP-204).
        config.auto_create_topics_enable = false;
    })
    .await;

    eprintln!("phase: ask the broker which APIs and versions it serves (ApiVersions v3)");
    let mut connection = SweepConnection::open(broker.addr).await;
    let advertised = setup::advertised_apis(&mut connection).await;
    // The data path every client needs is there, so the sweep cannot pass by sweeping little.
    let core = [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
    ];
    assert!(
        core.iter()
            .all(|api| advertised.iter().any(|(served, _, _)| served == api)),
        "broker advertises {advertised:?}"
    );

    eprintln!("phase: a topic with 2 partitions, plain and idempotent batches, a group topic");
    let fixture = setup::populate(&mut connection, &broker, advertised.clone()).await;
    setup::create_doomed_topics(&mut connection, &fixture).await;
    let p1_before = setup::latest_offset(&mut connection, &fixture, 1).await;

    eprintln!(
        "phase: sweep {} APIs at every advertised version",
        advertised.len()
    );
    let mut report = sweep(broker.addr, &fixture).await;

    eprintln!("phase: every Produce probe appended to partition 1, acks=0 ones included");
    let p1_after = setup::latest_offset(&mut connection, &fixture, 1).await;
    if p1_after - p1_before != report.appended_p1 {
        report.failures.push(format!(
            "Produce: partition 1 grew by {} records during the sweep, the probes appended {}",
            p1_after - p1_before,
            report.appended_p1
        ));
    }

    eprintln!("phase: the broker logged no response it could not encode");
    broker.stop().await;
    assert_no_failures(report.failures, report.probes_run, &warnings);
}

/// The same sweep over a controller listener of a combined node, which serves Kafka's
/// `ControllerApis` subset from its own registry (KIP-919 lets admin clients bootstrap there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_listener_answers_every_api_it_advertises() {
    let warnings = capture::install();
    let broker = TestBroker::start_with(|config| {
        config.auto_create_topics_enable = false;
        config.controller_listeners = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
    })
    .await;
    let controller_addr = broker.handle.controller_addrs()[0];

    eprintln!(
        "phase: the controller listener's ApiVersions, and the topic set up over the broker listener"
    );
    let mut controller = SweepConnection::open(controller_addr).await;
    let advertised = setup::advertised_apis(&mut controller).await;
    let broker_apis = setup::advertised_apis(&mut SweepConnection::open(broker.addr).await).await;
    assert!(
        advertised.len() < broker_apis.len()
            && advertised.iter().all(|api| broker_apis.contains(api)),
        "the controller listener serves a subset of the broker's APIs: {advertised:?}"
    );
    let mut connection = SweepConnection::open(broker.addr).await;
    let fixture = setup::populate(&mut connection, &broker, advertised).await;
    let fixture = Fixture {
        plane: Plane::Controller,
        port: i32::from(controller_addr.port()),
        ..fixture
    };
    setup::create_doomed_topics(&mut connection, &fixture).await;

    eprintln!("phase: sweep the controller listener");
    let report = sweep(controller_addr, &fixture).await;
    broker.stop().await;
    assert_no_failures(report.failures, report.probes_run, &warnings);
}
