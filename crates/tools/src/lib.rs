//! fjord-tools: Kafka's command-line tools as library functions (each a clap `Args` struct and
//! an async `run`), wired into the `fjord` binary by `crates/cli`.
