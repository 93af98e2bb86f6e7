//! fjord-console: the built-in web console (what EFAK/Kafka-Eagle gives Kafka users) and the
//! `/metrics` endpoint, served by axum. It speaks only the Kafka protocol to the cluster
//! (through `fjord-client` and librdkafka), so `fjord console --bootstrap-server …` works
//! against any Kafka-compatible cluster; the broker embeds the same server and passes it a
//! metrics renderer.
//!
//! # Layout
//! - [`server`]: [`ConsoleServer`] (bind with next-free-port, router, security headers),
//!   [`server::AppState`].
//! - [`config`]: [`ConsoleConfig`], `console.listeners` parsing.
//! - [`auth`]: argon2 passwords, sessions (HttpOnly, SameSite=Strict cookie), CSRF, roles.
//! - [`store`]: users, alert rules and history in `console.json` (atomic replace).
//! - [`api`]: the JSON API under `/api`.
//! - [`kafka`]: the cluster connection (admin client, librdkafka producer) and lag math.
//! - [`sampler`]: 1-hour ring buffers of throughput and lag, polled every few seconds.
//! - [`alerts`]: alert rules and their sans-IO evaluation; [`webhook`]: JSON POST delivery.
//! - [`assets`]: the embedded single-page UI (vanilla JS + CSS, charts on `<canvas>`).

pub mod alerts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod config;
pub mod error;
pub mod kafka;
pub mod sampler;
pub mod server;
pub mod store;
pub mod webhook;

pub use config::{ConsoleConfig, MetricsRender, parse_listener};
pub use error::ConsoleError;
pub use server::ConsoleServer;
