//! InitProducerId (key 22): `InitProducerIdRequest.json` / `InitProducerIdResponse.json`.
//!
//! Idempotent producers (KIP-98) with no `transactional_id` get a fresh producer id and epoch
//! 0, exactly as Kafka's `TransactionCoordinator.handleInitProducerId` does for a null
//! transactional id ("always blindly accept the request and return a new producerId"); the
//! v3+ `producer_id`/`producer_epoch` fields (KIP-360 epoch bumps) only matter for
//! transactional ids and are ignored here as Kafka ignores them. Ids come from the
//! [`ProducerIdAllocator`], whose persisted block high-water mark keeps them unique across
//! restarts.
//!
//! Transactional ids: fjord has no transaction coordinator, so the answer is
//! COORDINATOR_NOT_AVAILABLE — what Kafka returns while no coordinator can serve the id (e.g.
//! `__transaction_state` cannot be created), and what our FindCoordinator already answers for
//! transaction keys. It is retriable and says what is true; TRANSACTIONAL_ID_AUTHORIZATION_FAILED
//! would blame ACLs and be fatal, NOT_COORDINATOR would send the client to look up a coordinator
//! that does not exist. An empty transactional id is INVALID_REQUEST, as in Kafka.
//!
//! [`ProducerIdAllocator`]: fjord_storage::ProducerIdAllocator

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProducerId,
};
use fjord_protocol::{ApiSpec, ErrorCode};
use fjord_storage::StorageError;

use super::BrokerContext;

/// v0..=5: Kafka 4.1 serves v0..=6, but v6 exists for two-phase commit (KIP-939), which needs
/// the transaction coordinator fjord lacks.
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::InitProducerId, 0, 5);

/// Why InitProducerId failed.
#[derive(Debug, thiserror::Error)]
enum InitProducerIdError {
    #[error("transactional id must not be empty")]
    EmptyTransactionalId,
    #[error("no transaction coordinator is available for transactional id {0:?}")]
    NoTransactionCoordinator(String),
    #[error("producer id allocation failed: {0}")]
    Allocation(#[from] StorageError),
}

/// The one place InitProducerId maps errors to wire codes.
fn error_code(error: &InitProducerIdError) -> ErrorCode {
    match error {
        InitProducerIdError::EmptyTransactionalId => ErrorCode::InvalidRequest,
        InitProducerIdError::NoTransactionCoordinator(_) => ErrorCode::CoordinatorNotAvailable,
        // The block file could not be written (disk full, I/O error) or the broker's id range
        // is used up: a server-side failure the client cannot fix.
        InitProducerIdError::Allocation(_) => ErrorCode::UnknownServerError,
    }
}

/// Allocates a producer id for an idempotent producer.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    match init(ctx, &request) {
        Ok(producer_id) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(producer_id))
            .with_producer_epoch(0),
        Err(error) => {
            tracing::debug!(%error, "InitProducerId refused");
            InitProducerIdResponse::default()
                .with_error_code(error_code(&error).code())
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1)
        }
    }
}

fn init(ctx: &BrokerContext, request: &InitProducerIdRequest) -> Result<i64, InitProducerIdError> {
    match request.transactional_id.as_ref().map(|id| id.0.as_str()) {
        None => {}
        Some("") => return Err(InitProducerIdError::EmptyTransactionalId),
        Some(id) => return Err(InitProducerIdError::NoTransactionCoordinator(id.to_owned())),
    }
    let mut allocator = ctx
        .producer_ids
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(allocator.allocate()?)
}
