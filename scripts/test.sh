#!/usr/bin/env bash
# The project's test command (README line 2). Installs what the tests need when it is missing,
# then: checks crate layering, runs every Rust test (unit, property, crash and in-process broker
# tests) with cargo-nextest, and runs the interop suite (tests/interop) that drives a real
# `fjord server start` process with confluent-kafka, kafka-python and kcat.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
if ! python3 -c "import confluent_kafka, kafka, pytest, pytest_timeout, snappy, lz4, zstandard, aiokafka, playwright, prometheus_client" 2>/dev/null; then
  python3 -m pip install -q --disable-pip-version-check -r tests/interop/requirements.txt
fi
# kcat from Debian links librdkafka 2.0.2: the old-client interop tests need it.
if ! command -v kcat >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat
fi
# kafkajs for tests/interop/test_kafkajs.py (Node.js and npm come with the machine).
if command -v npm >/dev/null 2>&1 && [ ! -d tests/interop/kafkajs/node_modules/kafkajs ]; then
  (cd tests/interop/kafkajs && npm ci --no-audit --no-fund --silent)
fi

python3 scripts/check-layers.py
# Workspace lints (no unwrap/expect outside tests, no unsafe outside the two audited modules…) only
# bind when clippy runs.
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo nextest run --workspace --no-fail-fast "$@"

cargo build -p fjord-cli
FJORD_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/fjord" python3 -m pytest tests/interop -q --timeout 180 -p no:cacheprovider
