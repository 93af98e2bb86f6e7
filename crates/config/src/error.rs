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
