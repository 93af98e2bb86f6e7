//! Typed configuration errors. The `Display` texts follow Kafka's `ConfigException` wording
//! (`org.apache.kafka.common.config.ConfigException`) so operators recognise them.

use std::path::PathBuf;

/// What is wrong with a configuration, a properties file or a data directory.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A `\u` escape not followed by four hex digits (JDK: `Malformed \uxxxx encoding.`).
    #[error("Malformed \\uxxxx encoding on line {line}.")]
    MalformedUnicodeEscape {
        /// 1-based line where the logical line starts.
        line: usize,
    },
    /// A value that does not parse or does not pass its validator
    /// (Kafka: `Invalid value <v> for configuration <k>: <reason>`).
    #[error("Invalid value {value} for configuration {name}: {reason}")]
    InvalidValue {
        /// The configuration key.
        name: String,
        /// The offending value as written.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A required key with no default (Kafka: `Missing required configuration "k" which has no
    /// default value.`).
    #[error("Missing required configuration \"{name}\" which has no default value.")]
    Missing {
        /// The configuration key.
        name: String,
    },
    /// A start-up cross-check between keys failed (Kafka's `require(...)` checks in
    /// `KafkaConfig.validateValues`); the text is Kafka's.
    #[error("{0}")]
    Requirement(String),
    /// A topic-level key that Kafka's `LogConfig` does not know
    /// (Kafka: `InvalidConfigurationException: Unknown topic config name: k`).
    #[error("Unknown topic config name: {name}")]
    UnknownTopicConfig {
        /// The configuration key.
        name: String,
    },
    /// An `--override` argument without `=` (Kafka: `Invalid command line properties: ...`).
    #[error("Invalid command line properties: {0}")]
    InvalidOverride(String),
    /// `kafka-storage.sh format` on a configuration without `process.roles` (Kafka's
    /// `StorageTool.runFormatCommand`).
    #[error(
        "The kafka configuration file appears to be for a legacy cluster. Formatting is only supported for clusters in KRaft mode."
    )]
    FormatLegacyConfig,
    /// The `-t` cluster id is not a Kafka UUID (Kafka's `Formatter`).
    #[error("Cluster ID string {cluster_id} does not appear to be a valid UUID: {reason}")]
    InvalidClusterId {
        /// The given text.
        cluster_id: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A directory already has `meta.properties` and `--ignore-formatted` was not given
    /// (Kafka's `Formatter.doFormat`).
    #[error(
        "Log directory {dir} is already formatted. Use --ignore-formatted to ignore this directory and format the others."
    )]
    AlreadyFormatted {
        /// The first formatted directory.
        dir: String,
    },
    /// `--standalone` on a node without the controller role (Kafka's `StorageTool`).
    #[error("You cannot use --standalone on a broker node.")]
    StandaloneOnBroker,
    /// `--standalone` with a static quorum configured (Kafka's `Formatter`).
    #[error(
        "You cannot specify controller.quorum.voters and format the node with --initial-controllers or --standalone. If you want to use dynamic quorum, please remove controller.quorum.voters and specify controller.quorum.bootstrap.servers instead."
    )]
    StandaloneWithStaticVoters,
    /// A KRaft start-up on a directory that was never formatted (Kafka's `KafkaRaftServer`).
    #[error(
        "No `meta.properties` found in {dir} (have you run `kafka-storage.sh` to format the directory?)"
    )]
    NotFormatted {
        /// The directory.
        dir: String,
    },
    /// Two directories (or a directory and the expected id) disagree on the cluster id
    /// (Kafka's `MetaPropertiesEnsemble.verify`).
    #[error("Invalid cluster.id in: {path}. Expected {expected}, but read {found}")]
    ClusterIdMismatch {
        /// The `meta.properties` file.
        path: String,
        /// The cluster id seen first.
        expected: String,
        /// The cluster id in this file.
        found: String,
    },
    /// A directory belongs to another node (Kafka's `MetaPropertiesEnsemble.verify`).
    #[error(
        "Stored node id {stored} doesn't match previous node id {expected} in {path}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories."
    )]
    NodeIdMismatch {
        /// The `meta.properties` file.
        path: String,
        /// The node id in this file.
        stored: i32,
        /// The configured node id.
        expected: i32,
    },
    /// A KRaft node whose directories are formatted for ZooKeeper mode (v0).
    #[error(
        "The kafka configuration file appears to be for a cluster in KRaft mode, but the directories are formatted for legacy mode."
    )]
    LegacyFormattedDirectories,
}

impl ConfigError {
    /// Shorthand for [`ConfigError::InvalidValue`].
    pub fn invalid(name: &str, value: &str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}
