//! API handlers, one module per API key, all with the same shape:
//! `SPEC` (the served version range) and `handle(ctx, header, request) -> response`, with
//! errors mapped to wire codes in exactly one place per module.
//!
//! The [`registry`] is built from the modules' `SPEC`s through the `apis!` list below, so the
//! ApiVersions response can never drift from what [`handle_frame`] dispatches. Fetch is the
//! one handler that answers with file ranges as well as a message ([`response_frame`]), so it
//! is dispatched beside the macro but registered through it all the same.
//!
//! Two planes, as in Kafka's combined mode: the broker listeners serve every API; the
//! controller listeners serve Kafka's `ControllerApis` subset ([`controller_registry`]).

pub mod alter_client_quotas;
pub mod alter_configs;
pub mod alter_user_scram_credentials;
pub mod api_versions;
pub mod config_resources;
pub mod consumer_group_describe;
pub mod consumer_group_heartbeat;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_groups;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_client_quotas;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_log_dirs;
pub mod describe_user_scram_credentials;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod produce;
pub mod response_frame;
pub mod sync_group;

use std::net::SocketAddr;
use std::sync::Mutex;

use bytes::{BufMut, Bytes, BytesMut};
use fjord_protocol::header::{RequestHeader, parse_request_header, response_header_version};
use fjord_protocol::kafka_protocol::messages::{ApiKey, RequestKind, ResponseHeader, ResponseKind};
use fjord_protocol::kafka_protocol::protocol::{Encodable, StrBytes};
use fjord_protocol::{ApiRegistry, VersionCheck};
use fjord_storage::ProducerIdAllocator;

use crate::config::BrokerConfig;
use crate::group_coordinator::GroupCoordinatorRuntime;
use crate::metrics::{BrokerMetrics, ProduceTally};
use crate::state::{ReplicaManager, StateError};
pub use response_frame::{FileSlice, ResponseFrame};

/// Which listener a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// A client listener (`listeners` minus the controller ones): every API.
    Broker,
    /// A controller listener (`controller.listener.names`): Kafka's `ControllerApis` subset.
    Controller,
}

/// Everything a handler may read or change.
#[derive(Debug)]
pub struct BrokerContext {
    /// Configuration.
    pub config: BrokerConfig,
    /// Cluster metadata and partition logs.
    pub replicas: ReplicaManager,
    /// APIs and versions served on broker listeners.
    pub registry: ApiRegistry,
    /// APIs and versions served on controller listeners.
    pub controller_registry: ApiRegistry,
    /// Addresses the listeners bound (advertised in Metadata).
    pub bound_addrs: Mutex<Vec<SocketAddr>>,
    /// Producer ids for InitProducerId (`producer-id-block` in `metadata.log.dir`).
    pub producer_ids: Mutex<ProducerIdAllocator>,
    /// Addresses the controller listeners bound (DescribeCluster with the controller
    /// endpoint type, KIP-919).
    pub controller_addrs: Mutex<Vec<SocketAddr>>,
    /// The classic group coordinator (one shard per `__consumer_offsets` partition).
    pub groups: GroupCoordinatorRuntime,
    /// Request-path counters for `/metrics` (`crate::metrics`).
    pub metrics: BrokerMetrics,
}

impl BrokerContext {
    /// Opens the metadata store and the logs (see [`ReplicaManager::open`]).
    pub fn open(config: BrokerConfig) -> Result<Self, StateError> {
        let replicas = ReplicaManager::open(&config, now_ms())?;
        let producer_ids = ProducerIdAllocator::open(
            std::sync::Arc::new(fjord_storage::RealDisk),
            &config.metadata_log_dir,
            config.node_id,
            0,
        )?;
        let groups = GroupCoordinatorRuntime::new(replicas.server());
        let registry = registry_for(replicas.server());
        Ok(Self {
            config,
            replicas,
            groups,
            registry,
            controller_registry: controller_registry(),
            bound_addrs: Mutex::default(),
            producer_ids: Mutex::new(producer_ids),
            controller_addrs: Mutex::default(),
            metrics: BrokerMetrics::default(),
        })
    }

    /// The registry of `plane`.
    pub fn registry_for(&self, plane: Plane) -> &ApiRegistry {
        match plane {
            Plane::Broker => &self.registry,
            Plane::Controller => &self.controller_registry,
        }
    }

    /// The (host, port) clients should connect to: the advertised host (or bound IP) and the
    /// first listener's bound port.
    pub fn advertised_endpoint(&self) -> (String, i32) {
        let addrs = self
            .bound_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let addr = addrs
            .first()
            .copied()
            .or_else(|| self.config.listeners.first().copied());
        let port = addr.map_or(9092, |a| i32::from(a.port()));
        let host = match (&self.config.advertised_host, addr) {
            (Some(host), _) => host.clone(),
            (None, Some(addr)) => addr.ip().to_string(),
            (None, None) => "localhost".to_owned(),
        };
        (host, port)
    }
}

/// What the connection does with one request.
#[derive(Debug)]
pub enum Outcome {
    /// Write this complete response frame (bytes, and file ranges for fetched records).
    Respond(ResponseFrame),
    /// Send nothing (produce with `acks=0`).
    NoResponse,
    /// Close the connection after earlier replies (unparsable or unserved request).
    Close(String),
}

/// Builds a `StrBytes` from a `&str`.
pub(crate) fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// Current wall-clock time in ms since the epoch (for LogAppendTime).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

macro_rules! apis {
    (
        dispatched: [$( $module:ident => $variant:ident ),* $(,)?],
        beside: [$( $other:ident ),* $(,)?] $(,)?
    ) => {
        /// The API registry of broker listeners, derived from each handler module's `SPEC`.
        pub fn registry() -> ApiRegistry {
            ApiRegistry::new([ $( $module::SPEC, )* $( $other::SPEC, )* ])
        }

        async fn dispatch(ctx: &BrokerContext, header: &RequestHeader, request: RequestKind) -> Option<ResponseKind> {
            match request {
                $( RequestKind::$variant(request) => Some(ResponseKind::$variant($module::handle(ctx, header, request).await)), )*
                _ => None,
            }
        }
    };
}

apis! {
    dispatched: [
        produce => Produce,
        list_offsets => ListOffsets,
        metadata => Metadata,
        api_versions => ApiVersions,
        create_topics => CreateTopics,
        delete_topics => DeleteTopics,
        find_coordinator => FindCoordinator,
        delete_records => DeleteRecords,
        offset_for_leader_epoch => OffsetForLeaderEpoch,
        describe_configs => DescribeConfigs,
        alter_configs => AlterConfigs,
        describe_log_dirs => DescribeLogDirs,
        create_partitions => CreatePartitions,
        incremental_alter_configs => IncrementalAlterConfigs,
        describe_cluster => DescribeCluster,
        init_producer_id => InitProducerId,
        join_group => JoinGroup,
        sync_group => SyncGroup,
        heartbeat => Heartbeat,
        leave_group => LeaveGroup,
        offset_commit => OffsetCommit,
        offset_fetch => OffsetFetch,
        offset_delete => OffsetDelete,
        delete_groups => DeleteGroups,
        list_groups => ListGroups,
        describe_groups => DescribeGroups,
        consumer_group_heartbeat => ConsumerGroupHeartbeat,
        consumer_group_describe => ConsumerGroupDescribe,
        describe_client_quotas => DescribeClientQuotas,
        alter_client_quotas => AlterClientQuotas,
        describe_user_scram_credentials => DescribeUserScramCredentials,
        alter_user_scram_credentials => AlterUserScramCredentials,
    ],
    beside: [fetch],
}

/// The broker registry for this configuration: KIP-848's ConsumerGroupHeartbeat and
/// ConsumerGroupDescribe are advertised only when `group.coordinator.rebalance.protocols`
/// (Kafka 4.0 default `classic,consumer`) includes `consumer` (Kafka
/// `GroupCoordinatorConfig.GROUP_COORDINATOR_REBALANCE_PROTOCOLS_CONFIG`).
pub fn registry_for(server: &fjord_config::ServerConfig) -> ApiRegistry {
    let protocols = server
        .raw()
        .get("group.coordinator.rebalance.protocols")
        .map_or_else(|| "classic,consumer".to_owned(), str::to_owned);
    let consumer = protocols
        .split(',')
        .any(|p| p.trim().eq_ignore_ascii_case("consumer"));
    let all = registry();
    ApiRegistry::new(all.specs().copied().filter(|spec| {
        consumer
            || !matches!(
                spec.api_key,
                ApiKey::ConsumerGroupHeartbeat | ApiKey::ConsumerGroupDescribe
            )
    }))
}

/// The API registry of controller listeners: the `ControllerApis` subset a combined node
/// answers on its controller port (admin clients may bootstrap to it, KIP-919).
pub fn controller_registry() -> ApiRegistry {
    ApiRegistry::new([
        api_versions::SPEC,
        create_topics::SPEC,
        delete_topics::SPEC,
        create_partitions::SPEC,
        alter_configs::SPEC,
        incremental_alter_configs::SPEC,
        describe_cluster::SPEC,
    ])
}

/// Handles one request frame (without its size prefix) that arrived on `plane`, and counts
/// it in `fjord_requests_total` / `fjord_request_duration_seconds` when it is served.
pub async fn handle_frame(
    ctx: &BrokerContext,
    plane: Plane,
    peer: std::net::SocketAddr,
    frame: Bytes,
) -> Outcome {
    // Every request header version starts with api_key (int16) and api_version (int16).
    let key_version = frame.get(..4).map(|b| {
        (
            i16::from_be_bytes([b[0], b[1]]),
            i16::from_be_bytes([b[2], b[3]]),
        )
    });
    let started = std::time::Instant::now();
    let outcome = serve_frame(ctx, plane, peer, frame).await;
    if let (Some((api_key, version)), Outcome::Respond(_) | Outcome::NoResponse) =
        (key_version, &outcome)
    {
        ctx.metrics.requests.record_request(api_key, version);
        ctx.metrics
            .requests
            .record_duration(api_key, started.elapsed());
    }
    outcome
}

async fn serve_frame(
    ctx: &BrokerContext,
    plane: Plane,
    peer: std::net::SocketAddr,
    frame: Bytes,
) -> Outcome {
    let registry = ctx.registry_for(plane);
    let mut body = frame;
    let header = match parse_request_header(&mut body) {
        Ok(header) => RequestHeader {
            client_address: Some(peer.ip()),
            ..header
        },
        Err(error) => return Outcome::Close(error.to_string()),
    };
    // KIP-511: ApiVersions at any version gets an answer, v0-encoded when unsupported.
    if header.api_key == ApiKey::ApiVersions
        && !matches!(
            registry.check(header.api_key, header.api_version),
            VersionCheck::Supported
        )
    {
        let unsupported = fjord_protocol::ErrorCode::UnsupportedVersion.code();
        ctx.metrics
            .requests
            .record_error(header.api_key as i16, unsupported, 1);
        return match registry.encode_api_versions(header.correlation_id, header.api_version) {
            Ok(frame) => Outcome::Respond(ResponseFrame::from_bytes(frame)),
            Err(error) => Outcome::Close(error.to_string()),
        };
    }
    match registry.check(header.api_key, header.api_version) {
        VersionCheck::Supported => {}
        VersionCheck::UnsupportedVersion(spec) => {
            return Outcome::Close(format!(
                "unsupported version {} of {:?} (we serve {}..={})",
                header.api_version, header.api_key, spec.min_version, spec.max_version
            ));
        }
        VersionCheck::NotServed => {
            return Outcome::Close(format!(
                "api {:?} v{} is not served",
                header.api_key, header.api_version
            ));
        }
    }
    let request = match RequestKind::decode(header.api_key, &mut body, header.api_version) {
        Ok(request) => request,
        Err(error) => {
            return Outcome::Close(format!(
                "malformed {:?} v{} request: {error:#}",
                header.api_key, header.api_version
            ));
        }
    };
    let response = match request {
        RequestKind::Fetch(request) => {
            let (response, files) = fetch::handle(ctx, &header, request).await;
            ctx.metrics
                .record_fetch(&response, &files, || ctx.replicas.image());
            let response = ResponseKind::Fetch(response);
            ctx.metrics
                .record_response_errors(header.api_key as i16, &response);
            let encoded = response_frame::encode_with_files(&header, &response, files);
            return match encoded {
                Ok(frame) => Outcome::Respond(frame),
                Err(error) => Outcome::Close(format!(
                    "cannot encode Fetch v{} response: {error}",
                    header.api_version
                )),
            };
        }
        // The controller plane answers ApiVersions from its own registry.
        RequestKind::ApiVersions(_) if plane == Plane::Controller => {
            Some(ResponseKind::ApiVersions(
                registry.api_versions_response(fjord_protocol::ErrorCode::None),
            ))
        }
        request => {
            let acks_zero = matches!(&request, RequestKind::Produce(produce) if produce.acks == 0);
            let tally = match &request {
                RequestKind::Produce(produce) => Some(ProduceTally::of(produce)),
                _ => None,
            };
            let response = dispatch(ctx, &header, request).await;
            record_response(ctx, &header, tally, response.as_ref());
            if acks_zero {
                return Outcome::NoResponse;
            }
            response
        }
    };
    let Some(response) = response else {
        return Outcome::Close(format!("no handler for {:?}", header.api_key));
    };
    match encode_response_kind(&header, &response) {
        Ok(frame) => Outcome::Respond(ResponseFrame::from_bytes(frame)),
        Err(error) => Outcome::Close(format!(
            "cannot encode {:?} v{} response: {error}",
            header.api_key, header.api_version
        )),
    }
}

/// What a handled request adds to the metrics: appended messages, error codes, and (after
/// DeleteTopics) the deleted topics' counters dropped.
fn record_response(
    ctx: &BrokerContext,
    header: &RequestHeader,
    tally: Option<ProduceTally>,
    response: Option<&ResponseKind>,
) {
    let Some(response) = response else {
        return;
    };
    ctx.metrics
        .record_response_errors(header.api_key as i16, response);
    match (tally, response) {
        (Some(tally), ResponseKind::Produce(produce)) => {
            ctx.metrics.record_produce(&tally, produce);
        }
        (_, ResponseKind::DeleteTopics(_)) => {
            ctx.metrics
                .partitions
                .retain_existing(&ctx.replicas.image());
        }
        _ => {}
    }
}

fn encode_response_kind(header: &RequestHeader, response: &ResponseKind) -> anyhow::Result<Bytes> {
    Ok(encode_response_buf(header, response)?.freeze())
}

/// Encodes a response frame (size prefix, header, body) into a buffer.
pub(crate) fn encode_response_buf(
    header: &RequestHeader,
    response: &ResponseKind,
) -> anyhow::Result<BytesMut> {
    let header_version = response_header_version(header.api_key, header.api_version);
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut buf, header_version)?;
    response.encode(&mut buf, header.api_version)?;
    let size = i32::try_from(buf.len() - 4)?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}
