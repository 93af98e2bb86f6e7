//! Client settings, read from Kafka's client property names (`AdminClientConfig`,
//! `CommonClientConfigs`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::ClientError;

/// Settings for [`crate::AdminClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` entries, tried in order.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`, sent in every request header.
    pub client_id: String,
    /// `request.timeout.ms` (admin default 30000): bound on one request's round trip.
    pub request_timeout: Duration,
    /// `default.api.timeout.ms` (default 60000): bound on one admin call including retries
    /// and waiting for a reachable node.
    pub default_api_timeout: Duration,
    /// `retry.backoff.ms` (default 100): pause between attempts to reach a node.
    pub retry_backoff: Duration,
}

impl ClientConfig {
    /// Kafka's `request.timeout.ms` default for the admin client.
    pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_millis(30_000);
    /// Kafka's `default.api.timeout.ms` default.
    pub const DEFAULT_API_TIMEOUT_DEFAULT: Duration = Duration::from_millis(60_000);
    /// Kafka's `retry.backoff.ms` default.
    pub const RETRY_BACKOFF_DEFAULT: Duration = Duration::from_millis(100);

    /// Settings for `bootstrap` (a comma-separated `bootstrap.servers` value) with Kafka's
    /// defaults.
    pub fn new(bootstrap: &str) -> Self {
        Self {
            bootstrap_servers: split_servers(bootstrap),
            client_id: "fjord-admin".to_owned(),
            request_timeout: Self::REQUEST_TIMEOUT_DEFAULT,
            default_api_timeout: Self::DEFAULT_API_TIMEOUT_DEFAULT,
            retry_backoff: Self::RETRY_BACKOFF_DEFAULT,
        }
    }

    /// Settings from client properties (e.g. a `--command-config` file); unknown keys are
    /// ignored as the Java client only warns about them.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ClientError> {
        let mut config = Self::new(props.get("bootstrap.servers").map_or("", String::as_str));
        if let Some(id) = props.get("client.id") {
            config.client_id = id.clone();
        }
        if let Some(ms) = parse_ms(props, "request.timeout.ms")? {
            config.request_timeout = ms;
        }
        if let Some(ms) = parse_ms(props, "default.api.timeout.ms")? {
            config.default_api_timeout = ms;
        }
        if let Some(ms) = parse_ms(props, "retry.backoff.ms")? {
            config.retry_backoff = ms;
        }
        Ok(config)
    }
}

fn parse_ms(props: &BTreeMap<String, String>, key: &str) -> Result<Option<Duration>, ClientError> {
    props
        .get(key)
        .map(|value| {
            value
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    ClientError::InvalidRequest(format!(
                        "Invalid value {value} for configuration {key}: Not a number of type LONG"
                    ))
                })
        })
        .transpose()
}

fn split_servers(bootstrap: &str) -> Vec<String> {
    bootstrap
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
