#!/usr/bin/env bash
# Describe or alter topic and broker configs, like Kafka's kafka-configs.sh (same flags, output and exit codes): runs `fjord configs`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" configs "$@"
