#!/usr/bin/env bash
# Kafka's zookeeper-server-start.sh on fjord:
#   zookeeper-server-start.sh [-daemon] zookeeper.properties
# Runs fjord's ZooKeeper stand-in (docs/design/zookeeper-mode.md): it answers ZooKeeper's
# four-letter words and registers fjord's ZooKeeper-mode broker; it is not Apache ZooKeeper.
# With -daemon it runs in the background, output to $LOG_DIR/zookeeper.out (as Kafka's).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi
daemon=()
if [[ "$1" == "-daemon" ]]; then
  daemon=(-daemon -name zookeeper)
  shift
fi
exec "$(dirname "${BASH_SOURCE[0]}")/fjord-run-class.sh" "${daemon[@]}" zookeeper-server-start "$@"
