//! FindCoordinator (key 10): `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json`.
//!
//! The group and transaction coordinators are not part of this broker yet, so every lookup
//! answers COORDINATOR_NOT_AVAILABLE, the retriable code Kafka returns while a coordinator is
//! loading or absent. This keeps clients that set `group.id` but only `assign()` partitions
//! (librdkafka always looks up its coordinator) connected instead of having the connection
//! closed for an unserved API.

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

/// Answers COORDINATOR_NOT_AVAILABLE for every key.
pub async fn handle(
    _ctx: &BrokerContext,
    header: &RequestHeader,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let code = ErrorCode::CoordinatorNotAvailable.code();
    if header.api_version >= BATCHED_VERSION_MIN {
        let coordinators = request
            .coordinator_keys
            .into_iter()
            .map(|key| {
                Coordinator::default()
                    .with_key(key)
                    .with_node_id(BrokerId(-1))
                    .with_port(-1)
                    .with_error_code(code)
                    .with_error_message(Some(str_bytes(MESSAGE)))
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    FindCoordinatorResponse::default()
        .with_error_code(code)
        .with_error_message(Some(str_bytes(MESSAGE)))
        .with_node_id(BrokerId(-1))
        .with_port(-1)
}
