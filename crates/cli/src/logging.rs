//! Log output: `tracing` to stderr (the `-daemon` wrapper redirects it to `logs/server.log`).
//! The filter comes from `FJORD_LOG` (`tracing_subscriber::EnvFilter` syntax), default `info`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber once; later calls are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_env("FJORD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
