//! OffsetForLeaderEpoch (key 23): `OffsetForLeaderEpochRequest.json` /
//! `OffsetForLeaderEpochResponse.json`.
//!
//! For each partition: the largest epoch ≤ the requested one and the offset where it ended
//! (KIP-101; KIP-279 answers with the epoch actually found, so a follower or consumer can
//! truncate to the right point), via the log's leader-epoch cache
//! (`Log::end_offset_for_epoch`, Kafka `LeaderEpochFileCache.endOffsetFor`). An epoch the
//! cache does not know gives `(-1, -1)` (UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET).
//! `current_leader_epoch` is validated first (KIP-320): older → FENCED_LEADER_EPOCH, newer →
//! UNKNOWN_LEADER_EPOCH.

use fjord_common::TopicPartition;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::BrokerContext;

/// v2..=4, Kafka 4.1's range (v0-1 removed by KIP-896).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::OffsetForLeaderEpoch, 2, 4);

/// Outcome of checking a request's `current_leader_epoch` (KIP-320,
/// Kafka `Partition.checkCurrentLeaderEpoch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochCheck {
    /// No epoch given (-1), or it matches.
    Ok,
    /// The client's epoch is older than the partition's.
    Fenced,
    /// The client's epoch is newer than the partition's (this node lags the metadata).
    Unknown,
}

impl EpochCheck {
    /// The wire code.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Ok => ErrorCode::None,
            Self::Fenced => ErrorCode::FencedLeaderEpoch,
            Self::Unknown => ErrorCode::UnknownLeaderEpoch,
        }
    }
}

/// Compares a request's `current_leader_epoch` with the partition's.
pub fn check_leader_epoch(requested: i32, current: i32) -> EpochCheck {
    if requested < 0 || requested == current {
        EpochCheck::Ok
    } else if requested < current {
        EpochCheck::Fenced
    } else {
        EpochCheck::Unknown
    }
}

fn end_offset(
    ctx: &BrokerContext,
    tp: &TopicPartition,
    current_leader_epoch: i32,
    leader_epoch: i32,
) -> EpochEndOffset {
    let response = EpochEndOffset::default()
        .with_partition(tp.partition)
        .with_leader_epoch(-1)
        .with_end_offset(-1);
    let image = ctx.replicas.image();
    let Some(partition) = image
        .topic(&tp.topic)
        .and_then(|t| t.partitions.get(&tp.partition))
    else {
        return response.with_error_code(ErrorCode::UnknownTopicOrPartition.code());
    };
    let check = check_leader_epoch(current_leader_epoch, partition.leader_epoch);
    if check != EpochCheck::Ok {
        return response.with_error_code(check.code().code());
    }
    let Some(log) = ctx.replicas.log(tp) else {
        return response.with_error_code(ErrorCode::UnknownTopicOrPartition.code());
    };
    let log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (epoch, offset) = log.end_offset_for_epoch(leader_epoch);
    response.with_leader_epoch(epoch).with_end_offset(offset)
}

/// Answers each partition's end offset for the requested epoch.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|p| {
                    let tp = TopicPartition::new(topic.topic.0.as_str(), p.partition);
                    end_offset(ctx, &tp, p.current_leader_epoch, p.leader_epoch)
                })
                .collect();
            OffsetForLeaderTopicResult::default()
                .with_topic(topic.topic)
                .with_partitions(partitions)
        })
        .collect();
    OffsetForLeaderEpochResponse::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kip_320_current_leader_epoch_check() {
        assert_eq!(check_leader_epoch(-1, 5), EpochCheck::Ok);
        assert_eq!(check_leader_epoch(5, 5), EpochCheck::Ok);
        assert_eq!(
            check_leader_epoch(4, 5).code(),
            ErrorCode::FencedLeaderEpoch
        );
        assert_eq!(
            check_leader_epoch(6, 5).code(),
            ErrorCode::UnknownLeaderEpoch
        );
    }
}
