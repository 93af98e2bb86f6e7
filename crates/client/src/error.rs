//! Typed client errors. The `Display` texts follow the Java client's exception messages where a
//! Kafka user knows them (`TimeoutException: Timed out waiting for a node assignment. Call: …`,
//! `TopicExistsException: Topic 't' already exists.`), so the tools can print them verbatim.

use std::net::SocketAddr;

use fjord_protocol::ErrorCode;

/// What can go wrong talking to a Kafka-compatible cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No broker answered within the call's deadline. The wording is the Java admin client's
    /// (`KafkaAdminClient`: "Timed out waiting for a node assignment. Call: createTopics").
    #[error("Timed out waiting for a node assignment. Call: {call}")]
    NodeAssignmentTimeout {
        /// The admin call, in Java's camelCase naming (`createTopics`, `listTopics`…).
        call: &'static str,
    },
    /// A broker accepted the connection but did not answer within the request timeout.
    #[error("Timed out waiting for a response to {api} from {addr} after {timeout_ms} ms")]
    RequestTimeout {
        /// The API that was called.
        api: &'static str,
        /// The broker address.
        addr: SocketAddr,
        /// The timeout that expired.
        timeout_ms: u64,
    },
    /// The bootstrap server string cannot be resolved to any address.
    #[error("Couldn't resolve server {server} from bootstrap.servers as DNS resolution failed")]
    Resolve {
        /// The `host:port` as given.
        server: String,
    },
    /// A `bootstrap.servers` entry is not `host:port`.
    #[error("Invalid url in bootstrap.servers: {server}")]
    InvalidBootstrap {
        /// The entry as given.
        server: String,
    },
    /// A socket error on an established connection.
    #[error("connection to {addr} failed: {source}")]
    Io {
        /// The broker address.
        addr: SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A frame that cannot be encoded or decoded (a protocol bug on one side).
    #[error("protocol error on {api}: {detail}")]
    Protocol {
        /// The API being encoded or decoded.
        api: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// The response's correlation id does not match the request (Kafka's
    /// `CorrelationIdMismatchException` / `IllegalStateException`).
    #[error("Correlation id for response ({got}) does not match request ({expected})")]
    CorrelationMismatch {
        /// The id we sent.
        expected: i32,
        /// The id the broker answered with.
        got: i32,
    },
    /// The broker serves no version of an API we can speak (Java's
    /// `UnsupportedVersionException`).
    #[error("The node does not support {api}")]
    UnsupportedApi {
        /// The API's name.
        api: &'static str,
    },
    /// The broker answered with a Kafka error code.
    #[error("{message}")]
    Kafka {
        /// The error code.
        code: i16,
        /// The broker's error message when it sent one, else Kafka's default text for the code.
        message: String,
    },
    /// The request is invalid before it is sent (checked client-side as the Java admin does).
    #[error("{0}")]
    InvalidRequest(String),
}

impl ClientError {
    /// Builds a [`ClientError::Kafka`] from a response's error code and optional message.
    pub fn from_code(code: i16, message: Option<&str>) -> Self {
        let message = match message {
            Some(text) if !text.is_empty() => text.to_owned(),
            _ => default_message(code).to_owned(),
        };
        Self::Kafka { code, message }
    }

    /// The Kafka error code, when the broker sent one.
    pub fn code(&self) -> Option<i16> {
        match self {
            Self::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Turns a response error code into `Ok(())` or a [`ClientError::Kafka`].
pub fn check_code(code: i16, message: Option<&str>) -> Result<(), ClientError> {
    if code == 0 {
        Ok(())
    } else {
        Err(ClientError::from_code(code, message))
    }
}

/// Kafka's default exception message per error code (`org.apache.kafka.common.protocol.Errors`,
/// the third constructor argument), used when a broker sends no `error_message`.
pub fn default_message(code: i16) -> &'static str {
    if let Some(text) = group_error_message(code) {
        return text;
    }
    match ErrorCode::from_code(code) {
        Some(ErrorCode::UnknownTopicOrPartition) => {
            "This server does not host this topic-partition."
        }
        Some(ErrorCode::TopicAlreadyExists) => "Topic with this name already exists.",
        Some(ErrorCode::InvalidPartitions) => "Number of partitions is below 1.",
        Some(ErrorCode::InvalidReplicationFactor) => {
            "Replication factor is below 1 or larger than the number of available brokers."
        }
        Some(ErrorCode::InvalidConfig) => "Configuration is invalid.",
        Some(ErrorCode::InvalidTopicException) => {
            "The request attempted to perform an operation on an invalid topic."
        }
        Some(ErrorCode::OffsetOutOfRange) => {
            "The requested offset is not within the range of offsets maintained by the server."
        }
        Some(ErrorCode::NotLeaderOrFollower) => {
            "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."
        }
        Some(ErrorCode::UnsupportedVersion) => "The version of API is not supported.",
        Some(ErrorCode::InvalidRequest) => {
            "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."
        }
        Some(ErrorCode::PolicyViolation) => {
            "Request parameters do not satisfy the configured policy."
        }
        Some(ErrorCode::TopicDeletionDisabled) => "Topic deletion is disabled.",
        Some(ErrorCode::RequestTimedOut) => "The request timed out.",
        Some(ErrorCode::UnknownServerError) => {
            "The server experienced an unexpected error when processing the request."
        }
        Some(other) => other.name(),
        None => "Unknown error code",
    }
}

/// Kafka's default messages for the group-coordinator error codes (`Errors`: 14-16, 22, 24,
/// 25, 27, 30, 68, 69, 86), which `fjord_protocol::ErrorCode` does not name.
fn group_error_message(code: i16) -> Option<&'static str> {
    Some(match code {
        14 => "The coordinator is loading and hence can't process requests.",
        15 => "The coordinator is not available.",
        16 => "This is not the correct coordinator.",
        22 => "Specified group generation id is not valid.",
        24 => "The configured groupId is invalid.",
        25 => "The coordinator is not aware of this member.",
        27 => "The group is rebalancing, so a rejoin is needed.",
        30 => "Group authorization failed.",
        68 => "The group is not empty.",
        69 => "The group id does not exist.",
        86 => "The consumer group is actively subscribed to the topic",
        _ => return None,
    })
}
