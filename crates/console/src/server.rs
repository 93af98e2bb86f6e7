//! [`ConsoleServer`]: binds the listener (next free port when the configured one is taken),
//! prepares users, builds the axum router and runs the sampler.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::{self, Sessions};
use crate::config::{BIND_TRIES_MAX, ConsoleConfig};
use crate::error::ConsoleError;
use crate::kafka::Cluster;
use crate::sampler::{self, Samples};
use crate::store::{ConsoleState, Role, StateFile, User};

/// Shared state of the HTTP handlers and the sampler.
#[derive(Debug)]
pub struct AppState {
    /// The configuration.
    pub config: ConsoleConfig,
    /// The cluster, for request handlers.
    pub cluster: Cluster,
    /// Live sessions.
    pub sessions: Sessions,
    /// Failed-login counts.
    pub login_throttle: crate::auth::LoginThrottle,
    /// Sampled time series and alert states.
    pub samples: Mutex<Samples>,
    state_file: StateFile,
    persisted: Mutex<ConsoleState>,
}

impl AppState {
    /// Loads the state file and prepares users (see [`ConsoleServer::start`]). Returns the
    /// state and the generated admin password, if one was generated.
    pub fn new(config: ConsoleConfig) -> Result<(Arc<Self>, Option<String>), ConsoleError> {
        let state_file = StateFile::at(&config.state_file);
        let mut persisted = state_file.load()?;
        let generated = prepare_admin(&config, &mut persisted)?;
        state_file.save(&persisted)?;
        let cluster = Cluster::new(&config.bootstrap_servers, "fjord-console")?;
        let samples = Mutex::new(Samples::new(config.sample_interval));
        Ok((
            Arc::new(Self {
                config,
                cluster,
                sessions: Sessions::default(),
                login_throttle: crate::auth::LoginThrottle::default(),
                samples,
                state_file,
                persisted: Mutex::new(persisted),
            }),
            generated,
        ))
    }

    /// Reads the persisted state.
    pub fn with_state<T>(&self, read: impl FnOnce(&ConsoleState) -> T) -> T {
        read(&self.persisted.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Changes the persisted state and writes it to disk; on a write failure the change is
    /// rolled back so memory and disk agree.
    pub fn update_state<T>(
        &self,
        change: impl FnOnce(&mut ConsoleState) -> Result<T, ConsoleError>,
    ) -> Result<T, ConsoleError> {
        let mut guard = self.persisted.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = guard.clone();
        let out = change(&mut next)?;
        self.state_file.save(&next)?;
        *guard = next;
        Ok(out)
    }
}

/// Applies the admin-password rules: a configured password (re)sets user `admin`; without
/// one, a non-loopback listener is refused, and a first start on loopback creates `admin`
/// with a random password, returned so the caller prints it once.
fn prepare_admin(
    config: &ConsoleConfig,
    state: &mut ConsoleState,
) -> Result<Option<String>, ConsoleError> {
    if let Some(password) = &config.admin_password {
        let keep = state.users.iter().any(|u| {
            u.name == "admin"
                && u.role == Role::Admin
                && auth::verify_password(password, &u.password_hash)
        });
        if !keep {
            let hash = auth::hash_password(password)?;
            state.users.retain(|u| u.name != "admin");
            state.users.push(User {
                name: "admin".to_owned(),
                role: Role::Admin,
                password_hash: hash,
            });
        }
        return Ok(None);
    }
    if !config.listen.ip().is_loopback() {
        return Err(ConsoleError::InsecureBind {
            addr: config.listen,
        });
    }
    if state.users.is_empty() {
        let password = auth::random_password();
        state.users.push(User {
            name: "admin".to_owned(),
            role: Role::Admin,
            password_hash: auth::hash_password(&password)?,
        });
        return Ok(Some(password));
    }
    Ok(None)
}

/// The full router over `state` (exposed for in-process tests with `tower::ServiceExt`).
pub fn router(state: Arc<AppState>) -> Router {
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    Router::new()
        .route("/", get(crate::assets::index))
        .route("/static/{*path}", get(crate::assets::static_file))
        .route("/metrics", get(metrics))
        .merge(crate::api::routes(state.clone()))
        .fallback(not_found)
        .with_state(state)
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ))
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The OpenMetrics content type (OpenMetrics 1.0 §"Overall structure").
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Prometheus text format 0.0.4 content type (Prometheus "Exposition formats").
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The content type of an exposition: OpenMetrics ends with `# EOF`, the 0.0.4 text format
/// has no terminator.
pub fn exposition_content_type(text: &str) -> &'static str {
    if text.trim_end().ends_with("# EOF") {
        OPENMETRICS_CONTENT_TYPE
    } else {
        PROMETHEUS_TEXT_CONTENT_TYPE
    }
}

/// `GET /metrics`: unauthenticated, as Prometheus scrapes it; 404 without a renderer.
async fn metrics(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> Response {
    match &state.config.metrics {
        Some(render) => {
            let text = render();
            ([(header::CONTENT_TYPE, exposition_content_type(&text))], text).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            "no metrics here: this console runs apart from a broker (fjord console); scrape the broker's console instead",
        )
            .into_response(),
    }
}

/// Binds `config.listen`, or the next free port after it (unless `exact_port` or port 0);
/// when the [`BIND_TRIES_MAX`] ports after it are all taken (many brokers on one test
/// machine), a port the OS picks, so a busy range never stops a broker from starting.
async fn bind(config: &ConsoleConfig) -> Result<TcpListener, ConsoleError> {
    let tries = if config.exact_port || config.listen.port() == 0 {
        0
    } else {
        BIND_TRIES_MAX
    };
    let mut last = None;
    for step in 0..=tries {
        let Some(port) = config.listen.port().checked_add(step) else {
            break;
        };
        let addr = SocketAddr::new(config.listen.ip(), port);
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some(error),
        }
    }
    if tries > 0
        && let Ok(listener) = TcpListener::bind(SocketAddr::new(config.listen.ip(), 0)).await
    {
        return Ok(listener);
    }
    Err(ConsoleError::Bind {
        addr: config.listen,
        tries,
        source: last.unwrap_or_else(|| std::io::Error::other("no port to try")),
    })
}

/// A running console.
#[derive(Debug)]
pub struct ConsoleServer {
    addr: SocketAddr,
    generated_admin_password: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    sampler: JoinHandle<()>,
}

impl ConsoleServer {
    /// Starts the console: prepares users (see `console.admin.password`), binds, serves, and
    /// starts the sampler against the cluster.
    ///
    /// # Errors
    /// A non-loopback address without an admin password, no free port, or an unreadable
    /// state file.
    pub async fn start(config: ConsoleConfig) -> Result<Self, ConsoleError> {
        let (state, generated_admin_password) = AppState::new(config.clone())?;
        let listener = bind(&config).await?;
        let addr = listener.local_addr().map_err(|source| ConsoleError::Bind {
            addr: config.listen,
            tries: 0,
            source,
        })?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "console server stopped");
            }
        });
        let sampler_cluster = Cluster::new(&config.bootstrap_servers, "fjord-console-sampler")?;
        let sampler = tokio::spawn(sampler::run(state, sampler_cluster));
        tracing::info!(url = %format!("http://{addr}/"), "console listening");
        Ok(Self {
            addr,
            generated_admin_password,
            shutdown: Some(shutdown),
            server,
            sampler,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The password generated for `admin` on a first start without `console.admin.password`;
    /// print it once.
    pub fn generated_admin_password(&self) -> Option<&str> {
        self.generated_admin_password.as_deref()
    }

    /// Stops serving (in-flight requests finish) and stops the sampler.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.sampler.abort();
        let _ = (&mut self.server).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_without_password_is_refused_and_first_start_generates_admin() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ConsoleConfig::new("127.0.0.1:1", dir.path().to_path_buf());
        config.listen = "0.0.0.0:8048".parse().unwrap();
        let mut state = ConsoleState::default();
        assert!(matches!(
            prepare_admin(&config, &mut state),
            Err(ConsoleError::InsecureBind { .. })
        ));
        config.listen = "127.0.0.1:8048".parse().unwrap();
        let password = prepare_admin(&config, &mut state).unwrap().unwrap();
        assert!(auth::verify_password(
            &password,
            &state.users[0].password_hash
        ));
        assert_eq!(
            prepare_admin(&config, &mut state).unwrap(),
            None,
            "only on first start"
        );
        config.listen = "0.0.0.0:8048".parse().unwrap();
        config.admin_password = Some("pw".into());
        assert_eq!(prepare_admin(&config, &mut state).unwrap(), None);
        assert_eq!(state.users.len(), 1);
        assert!(auth::verify_password("pw", &state.users[0].password_hash));
    }

    #[tokio::test]
    async fn a_taken_port_moves_to_the_next_free_one() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ConsoleConfig::new("127.0.0.1:1", dir.path().to_path_buf());
        config.listen = taken.local_addr().unwrap();
        let listener = bind(&config).await.unwrap();
        assert!(listener.local_addr().unwrap().port() > config.listen.port());
        config.exact_port = true;
        assert!(matches!(
            bind(&config).await,
            Err(ConsoleError::Bind { .. })
        ));
    }

    #[tokio::test]
    async fn an_exhausted_range_falls_back_to_an_os_port() {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = first.local_addr().unwrap().port();
        // Hold every port of the range that is free; ports others hold are taken anyway.
        let held: Vec<_> = (1..=BIND_TRIES_MAX)
            .filter_map(|step| {
                std::net::TcpListener::bind(("127.0.0.1", base.checked_add(step)?)).ok()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ConsoleConfig::new("127.0.0.1:1", dir.path().to_path_buf());
        config.listen = first.local_addr().unwrap();
        let port = bind(&config).await.unwrap().local_addr().unwrap().port();
        assert!(
            port < base || port > base + BIND_TRIES_MAX,
            "{port} in the taken range"
        );
        drop(held);
    }
}
