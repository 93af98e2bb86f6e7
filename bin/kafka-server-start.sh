#!/usr/bin/env bash
# Starts a fjord server, like Kafka's kafka-server-start.sh:
#   kafka-server-start.sh [-daemon] server.properties [--override property=value]*
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi
daemon=()
if [[ "$1" == "-daemon" ]]; then
  daemon=(-daemon)
  shift
fi
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" "${daemon[@]}" server start "$@"
