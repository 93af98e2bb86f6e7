#!/usr/bin/env bash
# Kafka's zookeeper-server-stop.sh on fjord: sends SIGTERM (or $SIGNAL) to every fjord
# ZooKeeper stand-in on this machine, found by pattern over the process list as Kafka's script
# does (it greps for QuorumPeerMain). Prints "No zookeeper server to stop" and exits 1 when none
# runs. Unlike Kafka's script it then waits (up to 10 s) for them to exit.
SIGNAL=${SIGNAL:-TERM}
PIDS=$(ps axww -o pid=,args= | grep -E '[f]jord zookeeper-server-start' | awk '{print $1}')
if [ -z "$PIDS" ]; then
  echo "No zookeeper server to stop"
  exit 1
fi
# shellcheck disable=SC2086
kill -s "$SIGNAL" $PIDS
for _ in $(seq 1 100); do
  alive=""
  for pid in $PIDS; do
    # A zombie (state Z) has exited; only its parent can reap it.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    if [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]; then alive="$alive $pid"; fi
  done
  [ -z "$alive" ] && exit 0
  sleep 0.1
done
echo "fjord ZooKeeper stand-in(s)$alive did not stop within 10s" >&2
exit 1
