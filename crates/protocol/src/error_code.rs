//! Kafka's error codes, as numbered in `org.apache.kafka.common.protocol.Errors` (the
//! "Error Codes" table of the Kafka protocol guide). Error codes are protocol: append only,
//! never renumber.

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// A Kafka error code. Only the codes fjord produces or must recognise are listed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i16)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant = $code, )*
        }

        impl ErrorCode {
            /// The numeric wire value.
            pub const fn code(self) -> i16 {
                self as i16
            }

            /// Looks up a wire value; `None` for codes this enum does not list.
            pub fn from_code(code: i16) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant), )*
                    _ => None,
                }
            }

            /// Kafka's constant name (`Errors.name()`), for logs and messages.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => stringify!($variant), )*
                }
            }
        }
    };
}

error_codes! {
    /// The server experienced an unexpected error.
    UnknownServerError = -1,
    /// No error.
    None = 0,
    /// The requested offset is not within the range of offsets the server holds.
    OffsetOutOfRange = 1,
    /// The message's CRC does not match its contents, or the batch is otherwise malformed.
    CorruptMessage = 2,
    /// This server does not host this topic-partition.
    UnknownTopicOrPartition = 3,
    /// The requested fetch size is invalid.
    InvalidFetchSize = 4,
    /// There is no leader for this topic-partition.
    LeaderNotAvailable = 5,
    /// This server is not the leader or follower of this partition.
    NotLeaderOrFollower = 6,
    /// The request timed out.
    RequestTimedOut = 7,
    /// The broker is not available.
    BrokerNotAvailable = 8,
    /// The replica is not available.
    ReplicaNotAvailable = 9,
    /// The request included a message larger than the server accepts.
    MessageTooLarge = 10,
    /// The server disconnected before a response was received.
    NetworkException = 13,
    /// The coordinator is not available.
    CoordinatorNotAvailable = 15,
    /// The request attempted an operation on an invalid topic.
    InvalidTopicException = 17,
    /// The request included a message batch larger than the configured segment size.
    RecordListTooLarge = 18,
    /// Fewer in-sync replicas than required.
    NotEnoughReplicas = 19,
    /// The produce request specified an invalid value for required acks.
    InvalidRequiredAcks = 21,
    /// Topic authorization failed.
    TopicAuthorizationFailed = 29,
    /// Cluster authorization failed.
    ClusterAuthorizationFailed = 31,
    /// The timestamp of the message is out of acceptable range.
    InvalidTimestamp = 32,
    /// The broker does not support the requested SASL mechanism.
    UnsupportedSaslMechanism = 33,
    /// The version of the API is not supported.
    UnsupportedVersion = 35,
    /// The topic already exists.
    TopicAlreadyExists = 36,
    /// The number of partitions is below 1.
    InvalidPartitions = 37,
    /// The replication factor is below 1 or larger than the number of available brokers.
    InvalidReplicationFactor = 38,
    /// The replica assignment is invalid.
    InvalidReplicaAssignment = 39,
    /// The configuration is invalid.
    InvalidConfig = 40,
    /// This is not the correct controller for this cluster.
    NotController = 41,
    /// The request is malformed or otherwise invalid.
    InvalidRequest = 42,
    /// The request parameters do not satisfy the configured policy.
    PolicyViolation = 44,
    /// The broker received an out of order sequence number.
    OutOfOrderSequenceNumber = 45,
    /// The broker received a duplicate sequence number.
    DuplicateSequenceNumber = 46,
    /// The producer's epoch is older than the broker's (fenced by a newer producer).
    InvalidProducerEpoch = 47,
    /// The producer attempted a transactional operation in an invalid state.
    InvalidTxnState = 48,
    /// The producer id is not known to the transaction coordinator.
    InvalidProducerIdMapping = 49,
    /// The transaction timeout is larger than the maximum value allowed by the broker.
    InvalidTransactionTimeout = 50,
    /// Security features are disabled.
    SecurityDisabled = 54,
    /// Disk error when trying to access the log file on disk.
    KafkaStorageError = 56,
    /// The user-specified log directory is not found in the broker config.
    LogDirNotFound = 57,
    /// The broker could not locate the producer metadata for this producer id.
    UnknownProducerId = 59,
    /// The fetch session id was not found.
    FetchSessionIdNotFound = 70,
    /// The fetch session epoch is invalid.
    InvalidFetchSessionEpoch = 71,
    /// Topic deletion is disabled (`delete.topic.enable=false`).
    TopicDeletionDisabled = 73,
    /// The leader epoch in the request is older than the broker's.
    FencedLeaderEpoch = 74,
    /// The leader epoch in the request is newer than the broker's.
    UnknownLeaderEpoch = 75,
    /// The requesting client does not support the compression type of the topic.
    UnsupportedCompressionType = 76,
    /// The leader high watermark has not caught up.
    OffsetNotAvailable = 78,
    /// This record (or batch) has failed the validation on the broker.
    InvalidRecord = 87,
    /// A request illegally referred to a resource that does not exist.
    ResourceNotFound = 91,
    /// A request illegally referred to the same resource twice.
    DuplicateResource = 92,
    /// Requested credential would not meet criteria for acceptability.
    UnacceptableCredential = 93,
    /// The topic id is not known to the broker.
    UnknownTopicId = 100,
    /// The fetch session encountered inconsistent topic id usage.
    InconsistentTopicId = 103,
}

impl From<ErrorCode> for i16 {
    fn from(code: ErrorCode) -> Self {
        code.code()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_kafka_errors_table() {
        // Spot checks against org.apache.kafka.common.protocol.Errors.
        assert_eq!(ErrorCode::CorruptMessage.code(), 2);
        assert_eq!(ErrorCode::UnknownTopicOrPartition.code(), 3);
        assert_eq!(ErrorCode::MessageTooLarge.code(), 10);
        assert_eq!(ErrorCode::UnsupportedVersion.code(), 35);
        assert_eq!(ErrorCode::InvalidReplicationFactor.code(), 38);
        assert_eq!(ErrorCode::InvalidRecord.code(), 87);
        assert_eq!(
            ErrorCode::from_code(36),
            Some(ErrorCode::TopicAlreadyExists)
        );
        assert_eq!(ErrorCode::from_code(9999), None);
    }
}
