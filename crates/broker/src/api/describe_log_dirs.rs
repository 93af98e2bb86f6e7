//! DescribeLogDirs (key 35): `DescribeLogDirsRequest.json` / `DescribeLogDirsResponse.json`.
//!
//! One result per `log.dirs` entry (Kafka `ReplicaManager.describeLogDirs`): its partitions
//! with their sizes in bytes (`offset_lag` 0: this node is the leader, no future replicas),
//! and from v4 the file system's total and usable bytes (KIP-827). An offline directory answers
//! KAFKA_STORAGE_ERROR. `topics = null` describes every partition.

use std::collections::BTreeMap;
use std::path::Path;

use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DescribeLogDirsRequest, DescribeLogDirsResponse, TopicName,
};
use fjord_protocol::{ApiSpec, ErrorCode};

use super::{BrokerContext, str_bytes};

/// v1..=4, Kafka 4.1's range (v0 removed by KIP-896).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeLogDirs, 1, 4);

/// `(total, usable)` bytes of the file system holding `dir`, or `(-1, -1)` if unknown.
fn space(dir: &Path) -> (i64, i64) {
    match nix::sys::statvfs::statvfs(dir) {
        Ok(stat) => {
            let fragment = stat.fragment_size() as i64;
            (
                (stat.blocks() as i64).saturating_mul(fragment),
                (stat.blocks_available() as i64).saturating_mul(fragment),
            )
        }
        Err(_) => (-1, -1),
    }
}

/// Describes each log directory.
pub async fn handle(
    ctx: &BrokerContext,
    _header: &RequestHeader,
    request: DescribeLogDirsRequest,
) -> DescribeLogDirsResponse {
    let wanted: Option<BTreeMap<String, Vec<i32>>> = request.topics.map(|topics| {
        topics
            .into_iter()
            .map(|t| (t.topic.0.as_str().to_owned(), t.partitions))
            .collect()
    });
    let results = ctx
        .replicas
        .describe_log_dirs()
        .into_iter()
        .map(|dir| {
            let (total, usable) = space(&dir.path);
            let result = DescribeLogDirsResult::default()
                .with_log_dir(str_bytes(&dir.path.to_string_lossy()))
                .with_total_bytes(total)
                .with_usable_bytes(usable);
            if dir.offline {
                return result.with_error_code(ErrorCode::KafkaStorageError.code());
            }
            let mut topics: BTreeMap<String, Vec<DescribeLogDirsPartition>> = BTreeMap::new();
            for (tp, size) in dir.partitions {
                let included = wanted.as_ref().is_none_or(|w| {
                    w.get(&tp.topic)
                        .is_some_and(|ps| ps.contains(&tp.partition))
                });
                if included {
                    topics.entry(tp.topic.clone()).or_default().push(
                        DescribeLogDirsPartition::default()
                            .with_partition_index(tp.partition)
                            .with_partition_size(i64::try_from(size).unwrap_or(i64::MAX))
                            .with_offset_lag(0)
                            .with_is_future_key(false),
                    );
                }
            }
            result.with_topics(
                topics
                    .into_iter()
                    .map(|(name, partitions)| {
                        DescribeLogDirsTopic::default()
                            .with_name(TopicName(str_bytes(&name)))
                            .with_partitions(partitions)
                    })
                    .collect(),
            )
        })
        .collect();
    DescribeLogDirsResponse::default().with_results(results)
}
