//! Access control: argon2id password hashes, server-side sessions behind an `HttpOnly;
//! SameSite=Strict` cookie, and a per-session CSRF token that every state-changing request
//! must echo in the `X-CSRF-Token` header (OWASP "synchronizer token" pattern). Viewers may
//! only use safe methods (GET/HEAD).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ConsoleError;
use crate::server::AppState;
use crate::store::Role;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "fjord_session";
/// Header carrying the CSRF token on changes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session unused for this long is forgotten.
pub const SESSION_IDLE_MAX: Duration = Duration::from_secs(12 * 3600);
/// Live sessions kept; the least recently used is dropped beyond this.
pub const SESSIONS_MAX: usize = 1024;

/// Failed logins for one user name before further attempts are refused.
pub const LOGIN_FAILURES_MAX: u32 = 5;
/// How long a user name stays locked after [`LOGIN_FAILURES_MAX`] failures.
pub const LOGIN_LOCKOUT: Duration = Duration::from_secs(60);
/// User names whose failures are tracked; the oldest entries are dropped beyond this.
pub const LOGIN_TRACKED_MAX: usize = 4096;

/// Counts failed logins per user name to slow down password guessing.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Whether `user` may try now (fewer than the maximum failures in the lockout window).
    pub fn allows(&self, user: &str) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(user).is_none_or(|(count, last)| {
            *count < LOGIN_FAILURES_MAX || last.elapsed() >= LOGIN_LOCKOUT
        })
    }

    /// Records a failure for `user`.
    pub fn failed(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, last)| last.elapsed() < LOGIN_LOCKOUT);
        if map.len() >= LOGIN_TRACKED_MAX {
            map.clear();
        }
        let entry = map.entry(user.to_owned()).or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
    }

    /// Forgets the failures of `user` after a successful login.
    pub fn succeeded(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(user);
    }
}

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user: String,
    /// The user's role at login.
    pub role: Role,
    /// The token state-changing requests must send in `X-CSRF-Token`.
    pub csrf: String,
    last_used: Instant,
}

/// Live sessions by cookie token.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `user`; returns the cookie token and the session.
    pub fn open(&self, user: &str, role: Role) -> (String, Session) {
        let token = random_token();
        let session = Session {
            user: user.to_owned(),
            role,
            csrf: random_token(),
            last_used: Instant::now(),
        };
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.last_used.elapsed() < SESSION_IDLE_MAX);
        if map.len() >= SESSIONS_MAX
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(token.clone(), session.clone());
        (token, session)
    }

    /// The live session for `token`, refreshing its idle timer.
    pub fn get(&self, token: &str) -> Option<Session> {
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(token)?;
        if session.last_used.elapsed() >= SESSION_IDLE_MAX {
            map.remove(token);
            return None;
        }
        session.last_used = Instant::now();
        Some(session.clone())
    }

    /// Ends the session for `token`.
    pub fn close(&self, token: &str) {
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(token);
    }
}

/// 256 random bits as hex, from the thread's CSPRNG (ChaCha seeded by the OS).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A readable random password (for the generated first admin).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 20] = rand::random();
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// argon2id PHC string for `password` with a fresh 16-byte salt.
pub fn hash_password(password: &str) -> Result<String, ConsoleError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| ConsoleError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ConsoleError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The session token from the `Cookie` header(s), if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/")
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Middleware on `/api/*` (except login): a session is required (401); on state-changing
/// methods, the CSRF header must match the session's token (403) and the role must be admin
/// (403). The session is put in the request's extensions for handlers.
pub async fn require_session(
    State(state): State<std::sync::Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Result<Response, ConsoleError> {
    let session = session_token(request.headers())
        .and_then(|token| state.sessions.get(&token))
        .ok_or(ConsoleError::Unauthenticated)?;
    if !is_safe(request.method()) {
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
            return Err(ConsoleError::Csrf);
        }
        let is_logout = request.uri().path() == "/api/logout";
        if session.role != Role::Admin && !is_logout {
            return Err(ConsoleError::Forbidden {
                role: session.role.name(),
            });
        }
    }
    request.extensions_mut().insert(session);
    Ok(next.run(request).await)
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_verify_only_the_right_password() {
        let hash = hash_password("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("s3cret"));
        assert!(verify_password("s3cret", &hash));
        assert!(!verify_password("s3cret ", &hash));
        assert!(!verify_password("s3cret", "not a hash"));
        assert_ne!(hash, hash_password("s3cret").unwrap(), "salts differ");
    }

    #[test]
    fn cookie_is_found_among_others_and_is_httponly_strict() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; fjord_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc"));
        let cookie = session_cookie("abc");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    }

    #[test]
    fn five_failures_lock_a_user_name_and_success_clears_it() {
        let throttle = LoginThrottle::default();
        for _ in 0..LOGIN_FAILURES_MAX {
            assert!(throttle.allows("ann"));
            throttle.failed("ann");
        }
        assert!(!throttle.allows("ann"));
        assert!(throttle.allows("bob"), "other users are not affected");
        throttle.succeeded("ann");
        assert!(throttle.allows("ann"));
    }

    #[test]
    fn sessions_open_get_close() {
        let sessions = Sessions::default();
        let (token, session) = sessions.open("ann", Role::Viewer);
        assert_eq!(token.len(), 64);
        assert_ne!(token, session.csrf);
        assert_eq!(sessions.get(&token).unwrap().user, "ann");
        sessions.close(&token);
        assert!(sessions.get(&token).is_none());
    }
}
