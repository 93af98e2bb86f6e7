//! DescribeCluster (key 60, KIP-700): `DescribeClusterRequest.json` /
//! `DescribeClusterResponse.json`.
//!
//! The cluster id, the controller id and the brokers (this node, at its advertised endpoint).
//! v1 adds `endpoint_type` (KIP-919): BROKER (1) lists brokers; CONTROLLER (2) is answered on
//! a controller listener with the controllers (this node at its controller endpoint), and on a
//! broker listener with MISMATCHED_ENDPOINT_TYPE, as Kafka does. v2 adds
//! `include_fenced_brokers` and `is_fenced`.

use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, BrokerId, DescribeClusterRequest, DescribeClusterResponse,
};

use super::{BrokerContext, str_bytes};

/// v0..=2, Kafka 4.1's range.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeCluster, 0, 2);

/// `EndpointType.BROKER`.
const ENDPOINT_TYPE_BROKER: i8 = 1;
/// `EndpointType.CONTROLLER`.
const ENDPOINT_TYPE_CONTROLLER: i8 = 2;
/// Kafka `Errors.MISMATCHED_ENDPOINT_TYPE` (KIP-919; not in `fjord_protocol::ErrorCode` yet).
const MISMATCHED_ENDPOINT_TYPE: i16 = 114;
/// Kafka `Errors.UNSUPPORTED_ENDPOINT_TYPE` (KIP-919).
const UNSUPPORTED_ENDPOINT_TYPE: i16 = 115;
/// Kafka's "authorized operations not requested" sentinel (`Integer.MIN_VALUE`).
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// Describes the cluster. Which listener the request came on decides which endpoints answer.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let node = BrokerId(ctx.config.node_id);
    let image = ctx.replicas.image();
    let response = DescribeClusterResponse::default()
        .with_endpoint_type(request.endpoint_type)
        .with_cluster_id(str_bytes(image.cluster_id()))
        .with_controller_id(BrokerId(image.controller_id()))
        .with_cluster_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED);
    let endpoint = if request.endpoint_type == ENDPOINT_TYPE_CONTROLLER {
        let addrs = ctx
            .controller_addrs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .first()
            .copied();
        match addrs {
            Some(addr) => (addr.ip().to_string(), i32::from(addr.port())),
            None => {
                return response
                    .with_error_code(MISMATCHED_ENDPOINT_TYPE)
                    .with_error_message(Some(str_bytes(
                        "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                    )));
            }
        }
    } else if request.endpoint_type == ENDPOINT_TYPE_BROKER || request.endpoint_type == 0 {
        ctx.advertised_endpoint()
    } else {
        return response
            .with_error_code(UNSUPPORTED_ENDPOINT_TYPE)
            .with_error_message(Some(str_bytes(&format!(
                "Unsupported endpoint type {}",
                request.endpoint_type
            ))));
    };
    let rack = image
        .brokers()
        .get(&ctx.config.node_id)
        .and_then(|b| b.rack.clone());
    let broker = DescribeClusterBroker::default()
        .with_broker_id(node)
        .with_host(str_bytes(&endpoint.0))
        .with_port(endpoint.1)
        .with_rack(rack.as_deref().map(str_bytes))
        .with_is_fenced(false);
    response.with_brokers(vec![broker])
}
