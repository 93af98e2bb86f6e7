#!/usr/bin/env bash
# Consumer throughput test, like Kafka's kafka-consumer-perf-test.sh (same flags, output and exit codes): runs `fjord perf consumer`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" perf consumer "$@"
