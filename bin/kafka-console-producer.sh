#!/usr/bin/env bash
# Produce one record per stdin line, like Kafka's kafka-console-producer.sh (same flags, output and exit codes): runs `fjord console-producer`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" console-producer "$@"
