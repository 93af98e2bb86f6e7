#!/usr/bin/env bash
# Kafka's kafka-storage.sh on fjord: random-uuid | format -t ID -c CONFIG [--ignore-formatted]
# [--standalone] | info -c CONFIG.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" storage "$@"
