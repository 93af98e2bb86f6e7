#!/usr/bin/env bash
# Installs what bench/run needs, outside the repository (bench/run itself only checks presence):
#   - Redis (Debian redis-server + redis-benchmark)          -> /usr/bin
#   - Python: redis-py (latency client), matplotlib (plots)  -> pip
#   - Tansu with its `dynostore` feature (the memory:// storage engine is behind it), built
#     with cargo under nice (a large build)                   -> $CACHE/tansu-mem/bin/tansu
#   - librdkafka's rdkafka_performance example, linked against the librdkafka that the
#     rdkafka-sys crate already built in target/release      -> $CACHE/bin/rdkafka_performance
#   - inferno (flamegraphs from `perf script`), optional     -> $CACHE/inferno/bin
# Usage: bench/install-peers.sh [--no-tansu] [--no-inferno]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${FJORD_BENCH_CACHE:-/work/cache}
mkdir -p "$CACHE/bin"

want_tansu=1; want_inferno=1
for arg in "$@"; do
  case $arg in
    --no-tansu) want_tansu=0 ;;
    --no-inferno) want_inferno=0 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  apt-get install -y redis-server
fi
python3 -c 'import redis, matplotlib' 2>/dev/null || pip install redis matplotlib

# rdkafka_performance: needs target/release/build/rdkafka-sys-*/out (cargo build --release).
if [ ! -x "$CACHE/bin/rdkafka_performance" ]; then
  cd "$ROOT"
  [ -d target/release/build ] && ls -d target/release/build/rdkafka-sys-*/out >/dev/null 2>&1 \
    || cargo build --release -p fjord-cli
  OUT=$(ls -d target/release/build/rdkafka-sys-*/out | head -1)
  LIBZ=$(ls target/release/build/libz-sys-*/out/lib/libz.a | head -1)
  built=0
  for ZSTD in $(ls -S target/release/build/zstd-sys-*/out/libzstd.a); do
    if gcc -O2 -I"$OUT/src" -o "$CACHE/bin/rdkafka_performance" \
        "$OUT/examples/rdkafka_performance.c" "$OUT/src/librdkafka.a" "$ZSTD" "$LIBZ" \
        -lpthread -lm -ldl; then built=1; break; fi
  done
  [ $built = 1 ] || { echo "could not link rdkafka_performance" >&2; exit 1; }
fi

if [ $want_tansu = 1 ] && [ ! -x "$CACHE/tansu-mem/bin/tansu" ]; then
  CARGO_TARGET_DIR="$CACHE/tansu-target" nice -n 19 \
    cargo install tansu --locked --features dynostore --root "$CACHE/tansu-mem"
fi

if [ $want_inferno = 1 ] && [ ! -x "$CACHE/inferno/bin/inferno-flamegraph" ]; then
  CARGO_TARGET_DIR="$CACHE/inferno-target" nice -n 19 \
    cargo install inferno --locked --root "$CACHE/inferno"
fi
echo "peers ready in $CACHE"
