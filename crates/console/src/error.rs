//! [`ConsoleError`]: what can go wrong in the console, and its one mapping to HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fjord_client::ClientError;

/// An error of the console: start-up, state file, authentication, or a Kafka call.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The listen address is not loopback and no admin password was configured.
    #[error(
        "refusing to serve the console on non-loopback address {addr} without an admin password: set console.admin.password (or FJORD_CONSOLE_ADMIN_PASSWORD)"
    )]
    InsecureBind {
        /// The configured address.
        addr: std::net::SocketAddr,
    },
    /// No port from the configured one up to the search limit could be bound.
    #[error("cannot bind the console on {addr} or the {tries} ports after it: {source}")]
    Bind {
        /// The first address tried.
        addr: std::net::SocketAddr,
        /// How many later ports were tried.
        tries: u16,
        /// The last bind error.
        source: std::io::Error,
    },
    /// A `console.listeners` entry that is not `http://host:port`.
    #[error("console listener {0:?} is not of the form http://HOST:PORT")]
    BadListener(String),
    /// The state file could not be read or written.
    #[error("console state file {path}: {source}")]
    State {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("console state file {path} is corrupt: {source}")]
    StateCorrupt {
        /// The file.
        path: std::path::PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Password hashing failed (argon2 parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// No valid session cookie.
    #[error("not logged in")]
    Unauthenticated,
    /// Wrong user name or password.
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed logins for this user name recently.
    #[error("too many failed logins for this user; wait a minute and try again")]
    TooManyAttempts,
    /// The session's role may not do this.
    #[error("the {role} role may only look; changes need an admin")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
    },
    /// The `X-CSRF-Token` header is missing or does not match the session.
    #[error("missing or wrong X-CSRF-Token header")]
    Csrf,
    /// A request the console itself rejects (bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// A resource the console does not know (alert rule, user).
    #[error("{0}")]
    NotFound(String),
    /// A change refused because of the cluster's state (for example resetting the offsets of
    /// a group that has members).
    #[error("{0}")]
    Conflict(String),
    /// A Kafka protocol call failed.
    #[error(transparent)]
    Kafka(#[from] ClientError),
    /// librdkafka (message browser / test producer) failed.
    #[error("kafka client: {0}")]
    Rdkafka(String),
}

impl ConsoleError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } | Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest(_) | Self::BadListener(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            // A Kafka error code is the cluster refusing the request (topic exists, invalid
            // partitions…): the caller can fix it, so 400 with Kafka's message; transport
            // problems are the gateway's.
            Self::Kafka(ClientError::Kafka { .. }) => StatusCode::BAD_REQUEST,
            Self::Kafka(_) | Self::Rdkafka(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "console request failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ConsoleError>;
