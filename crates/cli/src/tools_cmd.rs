//! Kafka's client-side tools (`fjord topics`, `fjord consumer-groups`, `fjord perf producer`,
//! …): argv is forwarded untouched to `fjord_tools`, which parses it with Kafka's flag names
//! and returns Kafka's exit code. Intercepted before the main clap tree so a tool's bad flag
//! exits 1 with the tool's own usage, as Kafka's scripts do.

use std::ffi::OsString;
use std::process::ExitCode;

/// `fjord perf producer|consumer` (design brief) map to the tool names of Kafka's scripts.
fn tool_name(first: &str, second: Option<&str>) -> Option<(&'static str, usize)> {
    match (first, second) {
        ("perf", Some("producer")) => Some(("producer-perf-test", 2)),
        ("perf", Some("consumer")) => Some(("consumer-perf-test", 2)),
        _ => fjord_tools::TOOL_NAMES
            .iter()
            .find(|name| **name == first)
            .map(|name| (*name, 1)),
    }
}

/// Runs the tool named by `argv[1]` (and `argv[2]` for `perf`), or `None` if it names none.
pub fn maybe_run(argv: &[OsString]) -> Option<ExitCode> {
    let first = argv.get(1)?.to_str()?;
    let second = argv.get(2).and_then(|s| s.to_str());
    let (tool, consumed) = tool_name(first, second)?;
    let rest: Vec<OsString> = argv.iter().skip(1 + consumed).cloned().collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let code = runtime.block_on(async {
        let mut output = fjord_tools::Output::stdio();
        fjord_tools::run_tool(tool, rest, &mut output).await
    });
    Some(ExitCode::from(code))
}
