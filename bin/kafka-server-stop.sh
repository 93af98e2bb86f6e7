#!/usr/bin/env bash
# Stops every fjord server on this machine (SIGTERM, then waits for a clean exit), like Kafka's
# kafka-server-stop.sh. Prints "No kafka server to stop" and exits 1 when none runs.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" server stop "$@"
