#!/usr/bin/env bash
# Producer throughput and latency test, like Kafka's kafka-producer-perf-test.sh (same flags, output and exit codes): runs `fjord perf producer`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" perf producer "$@"
