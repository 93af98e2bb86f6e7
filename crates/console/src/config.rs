//! [`ConsoleConfig`]: what the console serves, where, and against which cluster.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ConsoleError;

/// Renders the Prometheus exposition served at `GET /metrics` (the embedded broker passes one).
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// The console's default listener (`console.listeners` default; EFAK's port).
pub const LISTENER_DEFAULT: &str = "http://127.0.0.1:8048";

/// How many ports after the configured one are tried when it is taken.
pub const BIND_TRIES_MAX: u16 = 20;

/// The state file's name in a standalone console's `--data-dir`.
pub const STATE_FILE_NAME: &str = "console.json";

/// The sampler's default period.
pub const SAMPLE_INTERVAL_DEFAULT: Duration = Duration::from_secs(5);

/// Settings of one console.
#[derive(Clone)]
pub struct ConsoleConfig {
    /// Address to listen on; if its port is taken, the next free one (up to
    /// [`BIND_TRIES_MAX`] later) is used, unless `exact_port`.
    pub listen: SocketAddr,
    /// Fail instead of trying later ports.
    pub exact_port: bool,
    /// Kafka `bootstrap.servers` of the cluster to show.
    pub bootstrap_servers: String,
    /// The JSON file holding users, alert rules and alert history.
    pub state_file: PathBuf,
    /// `console.admin.password`: the `admin` user's password, set (or reset) at start. Required
    /// to listen on a non-loopback address.
    pub admin_password: Option<String>,
    /// Renders `/metrics`; `None` answers 404 there (standalone console).
    pub metrics: Option<MetricsRender>,
    /// How often the sampler polls the cluster.
    pub sample_interval: Duration,
}

impl std::fmt::Debug for ConsoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleConfig")
            .field("listen", &self.listen)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("state_file", &self.state_file)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<set>"),
            )
            .field("metrics", &self.metrics.is_some())
            .field("sample_interval", &self.sample_interval)
            .finish()
    }
}

impl ConsoleConfig {
    /// A loopback console for `bootstrap_servers` keeping its state in
    /// `data_dir/`[`STATE_FILE_NAME`].
    pub fn new(bootstrap_servers: &str, data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8048)),
            exact_port: false,
            bootstrap_servers: bootstrap_servers.to_owned(),
            state_file: data_dir.join(STATE_FILE_NAME),
            admin_password: None,
            metrics: None,
            sample_interval: SAMPLE_INTERVAL_DEFAULT,
        }
    }
}

/// Parses a `console.listeners` entry, `http://HOST:PORT` (`HOST` an IP address or
/// `localhost`; the scheme may be left out).
pub fn parse_listener(entry: &str) -> Result<SocketAddr, ConsoleError> {
    let bad = || ConsoleError::BadListener(entry.to_owned());
    let rest = entry.trim();
    let rest = rest.strip_prefix("http://").unwrap_or(rest);
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::IpAddr::from([127, 0, 0, 1]),
        "" => std::net::IpAddr::from([0, 0, 0, 0]),
        other => other.parse().map_err(|_| bad())?,
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_with_and_without_scheme() {
        assert_eq!(
            parse_listener(LISTENER_DEFAULT).unwrap(),
            "127.0.0.1:8048".parse().unwrap()
        );
        assert_eq!(
            parse_listener("localhost:9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            parse_listener("http://[::1]:1/").unwrap(),
            "[::1]:1".parse().unwrap()
        );
        assert!(matches!(
            parse_listener("https://x"),
            Err(ConsoleError::BadListener(_))
        ));
    }
}
