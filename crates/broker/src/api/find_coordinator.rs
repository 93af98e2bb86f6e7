//! FindCoordinator (key 10): `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json`.
//!
//! Group keys (key type 0): this node leads every `__consumer_offsets` partition, so it is
//! the coordinator of every group; the lookup creates `__consumer_offsets` and loads the
//! group's shard first, as Kafka's does (COORDINATOR_NOT_AVAILABLE while that fails). An
//! empty group id is INVALID_REQUEST, as in Kafka's `KafkaApis.handleFindCoordinatorRequest`.
//!
//! Transaction keys (key type 1): fjord has no transaction coordinator yet, so they answer
//! COORDINATOR_NOT_AVAILABLE, the retriable code Kafka returns while a coordinator is absent.

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::find_coordinator_response::Coordinator;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, BrokerId, FindCoordinatorRequest, FindCoordinatorResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v0..=6, Kafka 4.1's range (v4+ batches keys, KIP-699).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::FindCoordinator, 0, 6);

/// First version answering a batch of keys (KIP-699).
const BATCHED_VERSION_MIN: i16 = 4;

const MESSAGE: &str = "The coordinator is not available.";

/// `key_type` of group coordinators (`CoordinatorType.GROUP`).
const KEY_TYPE_GROUP: i8 = 0;

/// One lookup's answer: `Ok(())` = this node, else (code, message).
fn lookup(ctx: &BrokerContext, key_type: i8, key: &str) -> Result<(), (i16, String)> {
    if key_type != KEY_TYPE_GROUP {
        return Err((
            ErrorCode::CoordinatorNotAvailable.code(),
            MESSAGE.to_owned(),
        ));
    }
    if key.is_empty() {
        return Err((
            ErrorCode::InvalidRequest.code(),
            "The group id must not be empty.".to_owned(),
        ));
    }
    ctx.groups
        .read(ctx, key, |_| ())
        .map_err(|error| (error.code(), error.to_string()))
}

/// Answers this node for group keys, COORDINATOR_NOT_AVAILABLE for transaction keys.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let (host, port) = ctx.advertised_endpoint();
    let node = BrokerId(ctx.config.node_id);
    if header.api_version >= BATCHED_VERSION_MIN {
        let coordinators = request
            .coordinator_keys
            .into_iter()
            .map(|key| {
                let found = lookup(ctx, request.key_type, &key);
                let coordinator = Coordinator::default().with_key(key);
                match found {
                    Ok(()) => coordinator
                        .with_node_id(node)
                        .with_host(str_bytes(&host))
                        .with_port(port),
                    Err((code, message)) => coordinator
                        .with_node_id(BrokerId(-1))
                        .with_port(-1)
                        .with_error_code(code)
                        .with_error_message(Some(str_bytes(&message))),
                }
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    // v0 has no key type: it is always a group.
    let key_type = if header.api_version == 0 {
        KEY_TYPE_GROUP
    } else {
        request.key_type
    };
    match lookup(ctx, key_type, &request.key) {
        Ok(()) => FindCoordinatorResponse::default()
            .with_node_id(node)
            .with_host(str_bytes(&host))
            .with_port(port),
        Err((code, message)) => {
            let response = FindCoordinatorResponse::default()
                .with_error_code(code)
                .with_node_id(BrokerId(-1))
                .with_port(-1);
            // v0 has no error message.
            if header.api_version >= 1 {
                response.with_error_message(Some(str_bytes(&message)))
            } else {
                response
            }
        }
    }
}
