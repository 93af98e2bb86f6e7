//! Kafka's client-side tools (`fjord topics`, `fjord consumer-groups`, `fjord perf producer`,
//! …): argv is forwarded untouched to `fjord_tools`, which parses it with Kafka's flag names
//! and returns Kafka's exit code. Intercepted before the main clap tree so a tool's bad flag
//! exits 1 with the tool's own usage, as Kafka's scripts do.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// `fjord perf e2e-latency`: dispatched here to `fjord_tools::perf::e2e` directly.
const E2E_LATENCY: &str = "e2e-latency";

/// `fjord perf producer|consumer|e2e-latency` (design brief) map to the tool names of Kafka's
/// scripts (`kafka-producer-perf-test.sh`, `kafka-consumer-perf-test.sh`,
/// `kafka-e2e-latency.sh`).
fn tool_name(first: &str, second: Option<&str>) -> Option<(&'static str, usize)> {
    match (first, second) {
        ("perf", Some("producer")) => Some(("producer-perf-test", 2)),
        ("perf", Some("consumer")) => Some(("consumer-perf-test", 2)),
        ("perf", Some("e2e-latency")) => Some((E2E_LATENCY, 2)),
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
        if tool == E2E_LATENCY {
            return e2e_latency(rest, &mut output).await;
        }
        fjord_tools::run_tool(tool, rest, &mut output).await
    });
    Some(ExitCode::from(code))
}

/// `kafka-e2e-latency.sh` arguments: a bad argument prints the usage and exits 1, as Kafka's
/// tool does; `--help` exits 0.
async fn e2e_latency(argv: Vec<OsString>, output: &mut fjord_tools::Output) -> u8 {
    use fjord_tools::perf::e2e::{E2eLatencyArgs, run};
    let full = std::iter::once(OsString::from("kafka-e2e-latency.sh")).chain(argv);
    match E2eLatencyArgs::try_parse_from(full) {
        Ok(args) => run(args, output).await,
        Err(error) => {
            let text = error.render().to_string();
            if error.use_stderr() {
                let _ = write!(output.err, "{text}");
                1
            } else {
                let _ = write!(output.out, "{text}");
                0
            }
        }
    }
}
