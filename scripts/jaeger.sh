#!/usr/bin/env bash
# Builds (once, cached) and starts a Jaeger v2 bound to 127.0.0.1 only.
#   scripts/jaeger.sh build   build the binary into the cache if missing, print its path
#   scripts/jaeger.sh start   build if needed, start it in the background, wait until healthy
#   scripts/jaeger.sh stop    stop the instance started by this script
# Jaeger v1.76.0 is built from the Go module proxy in its own tools module
# (tools/jaeger): its go.mod has a replace directive, so `go install` refuses it,
# and its dependencies clash with this module's otel versions.
# A cold build takes about 9 minutes and makes a ~116 MiB binary.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=v1.76.0
cache=${RETRYSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/retryscope}
bin=$cache/jaeger-$version
pidfile=$cache/jaeger.pid
logfile=$cache/jaeger.log

build() {
  if [ ! -x "$bin" ]; then
    mkdir -p "$cache"
    echo "building jaeger $version into $bin (cold: about 9 minutes)" >&2
    (cd "$here/tools/jaeger" && go build -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

healthy() { curl -fsS -o /dev/null http://127.0.0.1:13133/status 2>/dev/null; }

start() {
  build >/dev/null
  if healthy; then echo "jaeger already running" >&2; return 0; fi
  nohup "$bin" --config "$here/tools/jaeger/config.yaml" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 150); do
    if healthy; then echo "jaeger $version up: OTLP http://127.0.0.1:4318, query http://127.0.0.1:16686" >&2; return 0; fi
    sleep 0.2
  done
  echo "jaeger did not become healthy; log: $logfile" >&2
  tail -20 "$logfile" >&2
  return 1
}

stop() {
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-start}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 build|start|stop" >&2; exit 2 ;;
esac
