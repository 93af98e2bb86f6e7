#!/usr/bin/env bash
# The project's test command (README line 2). Installs what the tests need when it is missing,
# then checks crate layering and runs every Rust test (unit, property, crash and integration
# tests against real fjord processes) with cargo-nextest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

python3 scripts/check-layers.py
cargo nextest run --workspace --no-fail-fast "$@"
