#!/usr/bin/env bash
# Delete records before the offsets in --offset-json-file, like Kafka's kafka-delete-records.sh (same flags, output and exit codes): runs `fjord delete-records`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" delete-records "$@"
