#!/usr/bin/env bash
# List, describe, reset offsets of and delete consumer groups, like Kafka's kafka-consumer-groups.sh (same flags, output and exit codes): runs `fjord consumer-groups`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" consumer-groups "$@"
