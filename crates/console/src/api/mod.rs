//! The JSON API under `/api`. Every route but `POST /api/login` goes through
//! [`crate::auth::require_session`]; changes need an admin session and the CSRF header.
//!
//! - [`session`]: login, logout, current session, users.
//! - [`cluster`]: overview and charts.
//! - [`topics`]: list, describe, create, delete, add partitions, configs.
//! - [`messages`]: the message browser and test producer.
//! - [`groups`]: consumer groups, lag, offset reset.
//! - [`alerts`]: alert rules, states and history.

pub mod alerts;
pub mod cluster;
pub mod groups;
pub mod messages;
pub mod session;
pub mod topics;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};

use crate::server::AppState;

/// The `/api` routes.
pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let protected = Router::new()
        .route("/api/session", get(session::current))
        .route("/api/logout", post(session::logout))
        .route(
            "/api/users",
            get(session::list_users).post(session::create_user),
        )
        .route("/api/users/{name}", delete(session::delete_user))
        .route("/api/overview", get(cluster::overview))
        .route("/api/charts", get(cluster::charts))
        .route("/api/topics", get(topics::list).post(topics::create))
        .route(
            "/api/topics/{name}",
            get(topics::describe).delete(topics::remove),
        )
        .route(
            "/api/topics/{name}/partitions",
            post(topics::add_partitions),
        )
        .route("/api/topics/{name}/configs", post(topics::alter_configs))
        .route(
            "/api/topics/{name}/messages",
            get(messages::browse).post(messages::produce),
        )
        .route("/api/groups", get(groups::list))
        .route("/api/groups/{id}", get(groups::describe))
        .route("/api/groups/{id}/reset", post(groups::reset_offsets))
        .route("/api/alerts", get(alerts::overview))
        .route("/api/alerts/rules", post(alerts::create_rule))
        .route("/api/alerts/rules/{id}", delete(alerts::delete_rule))
        .route_layer(from_fn_with_state(state, crate::auth::require_session));
    Router::new()
        .route("/api/login", post(session::login))
        .merge(protected)
}
