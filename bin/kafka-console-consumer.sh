#!/usr/bin/env bash
# Print records from a topic, like Kafka's kafka-console-consumer.sh (same flags, output and exit codes): runs `fjord console-consumer`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" console-consumer "$@"
