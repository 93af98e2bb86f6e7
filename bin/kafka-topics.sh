#!/usr/bin/env bash
# Create, delete, describe, or change a topic, like Kafka's kafka-topics.sh (same flags, output and exit codes): runs `fjord topics`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" topics "$@"
