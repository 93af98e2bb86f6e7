//! The network layer: listeners, per-connection tasks, connection limits.
//!
//! ```text
//! listener (one per `listeners` entry)
//!   └─ accept → ConnectionLimits::try_acquire (max.connections, max.connections.per.ip)
//!        └─ connection task: reader ──(bounded queue of pending replies)──▶ writer
//!             each request is handled on its own task; the writer awaits replies in
//!             request order, so pipelined responses leave in the order requests came in.
//!             Fetched records go from the segment file to the socket with sendfile(2)
//!             (`send`).
//! ```

mod connection;
mod limits;
mod listener;
mod send;

pub use limits::{ConnectionLimits, ConnectionPermit};
pub use listener::{Shutdown, spawn_listener};
