#!/usr/bin/env bash
# Print topic:partition:offset for the selected partitions, like Kafka's kafka-get-offsets.sh (same flags, output and exit codes): runs `fjord get-offsets`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" get-offsets "$@"
