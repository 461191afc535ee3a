#!/usr/bin/env bash
# Starts a throwaway Redis for the redisfleet tests, benchmarks and the fleet
# example: Debian's redis-server, loopback only, no persistence.
#   scripts/redis.sh start   install redis-server if missing, start it, wait for PONG
#   scripts/redis.sh stop    stop the instance started by this script
# Port: RETRYSCOPE_REDIS_PORT, default 6390 (not 6379, so it never meets a
# Redis the machine already runs). Tests read RETRYSCOPE_REDIS_ADDR, default
# 127.0.0.1:6390.
set -euo pipefail
port=${RETRYSCOPE_REDIS_PORT:-6390}
cache=${RETRYSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/retryscope}
pidfile=$cache/redis-$port.pid
logfile=$cache/redis-$port.log

install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  echo "installing Debian's redis-server" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # The package may start a system instance on 6379; ours is separate.
}

up() { [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; }

start() {
  install
  if up; then echo "redis already answering on 127.0.0.1:$port" >&2; return 0; fi
  mkdir -p "$cache"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --daemonize yes --pidfile "$pidfile" --logfile "$logfile" --dir "$cache"
  for _ in $(seq 1 100); do
    if up; then echo "redis up on 127.0.0.1:$port (RETRYSCOPE_REDIS_ADDR=127.0.0.1:$port)" >&2; return 0; fi
    sleep 0.1
  done
  echo "redis did not answer PONG on 127.0.0.1:$port; log: $logfile" >&2
  tail -20 "$logfile" >&2 || true
  return 1
}

stop() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
