//! DescribeLogDirs (`DescribeLogDirsRequest.json`, KIP-113; totals from v4, KIP-827): the log
//! directories of one broker with the size of every partition replica they hold, as
//! `Admin.describeLogDirs` / `kafka-log-dirs.sh` report them.

use fjord_protocol::kafka_protocol::messages::DescribeLogDirsRequest;

use super::AdminClient;
use crate::error::{ClientError, check_code};
use crate::types::TopicPartition;

/// One partition replica in a log directory (`ReplicaInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirReplica {
    /// The partition.
    pub partition: TopicPartition,
    /// Bytes on disk.
    pub size_bytes: i64,
    /// How far a future replica lags (0 for current replicas).
    pub offset_lag: i64,
}

/// One log directory of a broker (`LogDirDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirDescription {
    /// The directory path as the broker names it.
    pub path: String,
    /// The directory's error code (0 = online; KAFKA_STORAGE_ERROR 56 when offline).
    pub error_code: i16,
    /// Filesystem size in bytes (v4+, KIP-827); `None` when not reported (-1).
    pub total_bytes: Option<i64>,
    /// Free bytes usable by the broker (v4+, KIP-827); `None` when not reported (-1).
    pub usable_bytes: Option<i64>,
    /// The replicas in this directory.
    pub replicas: Vec<LogDirReplica>,
}

impl AdminClient {
    /// Describes every log directory of broker `node_id` with all its replicas (a null topic
    /// list asks for all, per the request schema).
    pub async fn describe_log_dirs(
        &mut self,
        node_id: i32,
    ) -> Result<Vec<LogDirDescription>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("describeLogDirs", timeout, async {
            let mut request = DescribeLogDirsRequest::default();
            request.topics = None;
            let response = self.send_to(Some(node_id), &request).await?;
            check_code(response.error_code, None)?;
            Ok(response
                .results
                .iter()
                .map(|dir| LogDirDescription {
                    path: dir.log_dir.to_string(),
                    error_code: dir.error_code,
                    total_bytes: (dir.total_bytes >= 0).then_some(dir.total_bytes),
                    usable_bytes: (dir.usable_bytes >= 0).then_some(dir.usable_bytes),
                    replicas: dir
                        .topics
                        .iter()
                        .flat_map(|topic| {
                            topic.partitions.iter().map(|p| LogDirReplica {
                                partition: TopicPartition {
                                    topic: topic.name.0.to_string(),
                                    partition: p.partition_index,
                                },
                                size_bytes: p.partition_size,
                                offset_lag: p.offset_lag,
                            })
                        })
                        .collect(),
                })
                .collect())
        })
        .await
    }
}
