//! Per-item controller errors, each carrying its Kafka error code.
//!
//! Codes are Kafka's `org.apache.kafka.common.protocol.Errors`; messages are the ones Kafka's
//! `ReplicationControlManager`, `ConfigurationControlManager` and `StripedReplicaPlacer` put
//! in the response, so clients print what they would print against Kafka. The broker maps these
//! to wire responses in one place per API (it reads [`ControllerError::code`] and the
//! `Display` text).

/// Kafka error codes produced by the controller (values of Kafka `Errors`).
pub mod codes {
    /// UNKNOWN_TOPIC_OR_PARTITION.
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    /// INVALID_TOPIC_EXCEPTION.
    pub const INVALID_TOPIC_EXCEPTION: i16 = 17;
    /// TOPIC_ALREADY_EXISTS.
    pub const TOPIC_ALREADY_EXISTS: i16 = 36;
    /// INVALID_PARTITIONS.
    pub const INVALID_PARTITIONS: i16 = 37;
    /// INVALID_REPLICATION_FACTOR.
    pub const INVALID_REPLICATION_FACTOR: i16 = 38;
    /// INVALID_REPLICA_ASSIGNMENT.
    pub const INVALID_REPLICA_ASSIGNMENT: i16 = 39;
    /// INVALID_CONFIG.
    pub const INVALID_CONFIG: i16 = 40;
    /// INVALID_REQUEST.
    pub const INVALID_REQUEST: i16 = 42;
    /// UNSUPPORTED_SASL_MECHANISM.
    pub const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
    /// POLICY_VIOLATION.
    pub const POLICY_VIOLATION: i16 = 44;
    /// RESOURCE_NOT_FOUND.
    pub const RESOURCE_NOT_FOUND: i16 = 91;
    /// DUPLICATE_RESOURCE.
    pub const DUPLICATE_RESOURCE: i16 = 92;
    /// UNACCEPTABLE_CREDENTIAL.
    pub const UNACCEPTABLE_CREDENTIAL: i16 = 93;
    /// UNKNOWN_TOPIC_ID.
    pub const UNKNOWN_TOPIC_ID: i16 = 100;
    /// BROKER_ID_NOT_REGISTERED.
    pub const BROKER_ID_NOT_REGISTERED: i16 = 102;
}

/// Kafka's default message for UNKNOWN_TOPIC_OR_PARTITION (`Errors.UNKNOWN_TOPIC_OR_PARTITION`).
pub const UNKNOWN_TOPIC_OR_PARTITION_MESSAGE: &str =
    "This server does not host this topic-partition.";
/// Kafka's default message for UNKNOWN_TOPIC_ID (`Errors.UNKNOWN_TOPIC_ID`).
pub const UNKNOWN_TOPIC_ID_MESSAGE: &str = "This server does not host this topic ID.";

/// Why one item (topic, resource) of an admin request was refused. The request's other items
/// are unaffected; a refused item contributes no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControllerError {
    /// The topic name is illegal or collides with an existing topic (`Topic.validate`).
    #[error("{0}")]
    InvalidTopic(String),
    /// A topic of that name exists.
    #[error("Topic '{0}' already exists.")]
    TopicAlreadyExists(String),
    /// The partition count is invalid or not an increase.
    #[error("{0}")]
    InvalidPartitions(String),
    /// The replication factor is invalid or cannot be met.
    #[error("{0}")]
    InvalidReplicationFactor(String),
    /// A manual replica assignment is invalid.
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    /// A config key or value is invalid.
    #[error("{0}")]
    InvalidConfig(String),
    /// The request itself is malformed (duplicates, inconsistent fields).
    #[error("{0}")]
    InvalidRequest(String),
    /// A limit of the controller refused the request.
    #[error("{0}")]
    PolicyViolation(String),
    /// No topic of that name (or no such partition).
    #[error("{0}")]
    UnknownTopicOrPartition(String),
    /// No topic of that id.
    #[error("{0}")]
    UnknownTopicId(String),
    /// A broker config resource names a node that is not registered.
    #[error("{0}")]
    BrokerIdNotRegistered(String),
    /// A SCRAM mechanism id is not SCRAM-SHA-256/512.
    #[error("{0}")]
    UnsupportedSaslMechanism(String),
    /// A credential to delete does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// A user appears twice in one AlterUserScramCredentials request.
    #[error("{0}")]
    DuplicateResource(String),
    /// A SCRAM credential is refused (empty user, iterations out of range).
    #[error("{0}")]
    UnacceptableCredential(String),
}

impl ControllerError {
    /// The Kafka error code for the response.
    pub fn code(&self) -> i16 {
        match self {
            Self::InvalidTopic(_) => codes::INVALID_TOPIC_EXCEPTION,
            Self::TopicAlreadyExists(_) => codes::TOPIC_ALREADY_EXISTS,
            Self::InvalidPartitions(_) => codes::INVALID_PARTITIONS,
            Self::InvalidReplicationFactor(_) => codes::INVALID_REPLICATION_FACTOR,
            Self::InvalidReplicaAssignment(_) => codes::INVALID_REPLICA_ASSIGNMENT,
            Self::InvalidConfig(_) => codes::INVALID_CONFIG,
            Self::InvalidRequest(_) => codes::INVALID_REQUEST,
            Self::PolicyViolation(_) => codes::POLICY_VIOLATION,
            Self::UnknownTopicOrPartition(_) => codes::UNKNOWN_TOPIC_OR_PARTITION,
            Self::UnknownTopicId(_) => codes::UNKNOWN_TOPIC_ID,
            Self::BrokerIdNotRegistered(_) => codes::BROKER_ID_NOT_REGISTERED,
            Self::UnsupportedSaslMechanism(_) => codes::UNSUPPORTED_SASL_MECHANISM,
            Self::ResourceNotFound(_) => codes::RESOURCE_NOT_FOUND,
            Self::DuplicateResource(_) => codes::DUPLICATE_RESOURCE,
            Self::UnacceptableCredential(_) => codes::UNACCEPTABLE_CREDENTIAL,
        }
    }

    /// UNKNOWN_TOPIC_OR_PARTITION with Kafka's default message.
    pub fn unknown_topic() -> Self {
        Self::UnknownTopicOrPartition(UNKNOWN_TOPIC_OR_PARTITION_MESSAGE.to_string())
    }

    /// UNKNOWN_TOPIC_ID with Kafka's default message.
    pub fn unknown_topic_id() -> Self {
        Self::UnknownTopicId(UNKNOWN_TOPIC_ID_MESSAGE.to_string())
    }
}
