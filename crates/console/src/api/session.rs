//! Login, logout, the current session, and user management (admins only for changes).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{self, Session};
use crate::error::{ApiResult, ConsoleError};
use crate::server::AppState;
use crate::store::{Role, User};

/// `POST /api/login` body.
#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/login`: checks the password and sets the session cookie; the body carries the
/// CSRF token the page must send on changes. JSON only (a cross-site HTML form cannot send
/// `application/json`, and the cookie is `SameSite=Strict`).
pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(login): Json<Login>,
) -> ApiResult<Response> {
    if !state.login_throttle.allows(&login.username) {
        return Err(ConsoleError::TooManyAttempts);
    }
    let user = state.with_state(|s| s.users.iter().find(|u| u.name == login.username).cloned());
    let password = login.password;
    let verified = match user {
        Some(user) => {
            let hash = user.password_hash.clone();
            let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
                .await
                .unwrap_or(false);
            ok.then_some(user)
        }
        None => {
            // Spend the same time as a real check so user names cannot be probed by timing.
            let _ = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await;
            None
        }
    };
    let Some(user) = verified else {
        state.login_throttle.failed(&login.username);
        return Err(ConsoleError::BadCredentials);
    };
    state.login_throttle.succeeded(&user.name);
    let (token, session) = state.sessions.open(&user.name, user.role);
    Ok((
        [(header::SET_COOKIE, auth::session_cookie(&token))],
        Json(session_json(&session)),
    )
        .into_response())
}

fn session_json(session: &Session) -> Value {
    json!({ "user": session.user, "role": session.role.name(), "csrf": session.csrf })
}

/// `GET /api/session`: who is logged in, and the CSRF token (for a reloaded page).
pub async fn current(Extension(session): Extension<Session>) -> Json<Value> {
    Json(session_json(&session))
}

/// `POST /api/logout`.
pub async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = auth::session_token(&headers) {
        state.sessions.close(&token);
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::cleared_cookie())],
    )
        .into_response()
}

/// `GET /api/users`: names and roles (never hashes).
pub async fn list_users(State(state): State<Arc<AppState>>) -> Json<Value> {
    let users: Vec<Value> = state.with_state(|s| {
        s.users
            .iter()
            .map(|u| json!({ "name": u.name, "role": u.role.name() }))
            .collect()
    });
    Json(json!({ "users": users }))
}

/// `POST /api/users` body.
#[derive(Debug, Deserialize)]
pub struct NewUser {
    name: String,
    password: String,
    role: Role,
}

/// Shortest password accepted for a new user.
pub const PASSWORD_CHARS_MIN: usize = 8;

/// `POST /api/users`: creates or replaces a user.
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    Json(user): Json<NewUser>,
) -> ApiResult<StatusCode> {
    let name = user.name.trim().to_owned();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ConsoleError::BadRequest(
            "user names are 1-64 characters of letters, digits, '.', '_' or '-'".to_owned(),
        ));
    }
    if user.password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(ConsoleError::BadRequest(format!(
            "passwords need at least {PASSWORD_CHARS_MIN} characters"
        )));
    }
    let password = user.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ConsoleError::Hash(e.to_string()))??;
    state.update_state(|s| {
        s.users.retain(|u| u.name != name);
        s.users.push(User {
            name,
            role: user.role,
            password_hash: hash,
        });
        Ok(())
    })?;
    Ok(StatusCode::CREATED)
}

/// `DELETE /api/users/{name}`: the last admin cannot be removed.
pub async fn delete_user(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.update_state(|s| {
        let before = s.users.len();
        s.users.retain(|u| u.name != name);
        if s.users.len() == before {
            return Err(ConsoleError::NotFound(format!("no user {name}")));
        }
        if !s.users.iter().any(|u| u.role == Role::Admin) {
            return Err(ConsoleError::Conflict(
                "the last admin cannot be removed".to_owned(),
            ));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}
