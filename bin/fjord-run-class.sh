#!/usr/bin/env bash
# Shared by fjord's bin/ wrappers (the role of Kafka's kafka-run-class.sh): finds the fjord
# binary and runs it with the given arguments.
#
# Search order: $FJORD_BIN; target/release/fjord and target/debug/fjord in this checkout; `fjord`
# on PATH. When none exists it builds one with `cargo build --release -p fjord-cli` and says so.
#
# Daemon mode (first argument -daemon, as kafka-run-class.sh): runs in the background with nohup,
# output to $LOG_DIR/server.log ($LOG_DIR defaults to <install dir>/logs), and returns at once.
# `-daemon -name NAME` writes $LOG_DIR/NAME.out instead (kafka-run-class.sh's DAEMON_NAME, used by
# zookeeper-server-start.sh for logs/zookeeper.out).
set -euo pipefail

base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

find_fjord() {
  if [[ -n "${FJORD_BIN:-}" ]]; then
    if [[ -x "$FJORD_BIN" ]]; then echo "$FJORD_BIN"; return 0; fi
    echo "FJORD_BIN=$FJORD_BIN is not an executable file" >&2
    return 1
  fi
  local candidate
  for candidate in "$base_dir/target/release/fjord" "$base_dir/target/debug/fjord"; do
    if [[ -x "$candidate" ]]; then echo "$candidate"; return 0; fi
  done
  if command -v fjord >/dev/null 2>&1; then command -v fjord; return 0; fi
  echo "No fjord binary found; building it with: cargo build --release -p fjord-cli" >&2
  (cd "$base_dir" && cargo build --release -p fjord-cli >&2)
  echo "$base_dir/target/release/fjord"
}

daemon_mode=false
daemon_out=server.log
if [[ "${1:-}" == "-daemon" ]]; then
  daemon_mode=true
  shift
  if [[ "${1:-}" == "-name" && -n "${2:-}" ]]; then
    daemon_out="$2.out"
    shift 2
  fi
fi

fjord_bin="$(find_fjord)"

if [[ "$daemon_mode" == true ]]; then
  log_dir="${LOG_DIR:-$base_dir/logs}"
  mkdir -p "$log_dir"
  nohup "$fjord_bin" "$@" >"$log_dir/$daemon_out" 2>&1 </dev/null &
  exit 0
fi
exec "$fjord_bin" "$@"
