#!/usr/bin/env bash
# Measures a client's instructions and L1 instruction-cache misses per
# request on the in-memory success path (BenchmarkOverheadInMemory), with
# cachegrind's cache simulation: the difference between a run of N2 and one
# of N1 requests, divided by N2-N1, so that start-up and warm-up cancel out.
# The load of the machine does not move these counts; see "The instruction
# cache, line by line" in benchmarks/README.md for what they explain.
#   scripts/icache.sh [client ...]   default: bare retryablehttp retryscope-no-correlation retryscope
# Environment: ICACHE_I1 (cachegrind's --I1, default 32768,8,64: a 32 KiB
# 8-way cache of 64-byte lines), ICACHE_N1 and ICACHE_N2 (default 20000 and
# 60000 requests). Installs Debian's valgrind if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
i1=${ICACHE_I1:-32768,8,64}
n1=${ICACHE_N1:-20000}
n2=${ICACHE_N2:-60000}
clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(bare retryablehttp retryscope-no-correlation retryscope)

if ! command -v valgrind >/dev/null; then
  echo "installing Debian's valgrind" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

bin=$(mktemp -d)/benchmarks.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./benchmarks

# counts CLIENT N: "instructions misses" of one run of N requests. Go's
# preemption signals are off (callgrind and cachegrind mishandle them in
# some versions) and so is the collector, whose share follows the bytes
# allocated rather than the code run. One P (-test.cpu 1): with two, the
# idle one spins looking for work for as long as valgrind's serialised
# threads let it, and the instruction counts moved by hundreds of
# thousands a request between runs (negative differences included).
counts() {
  (cd benchmarks && GODEBUG=asyncpreemptoff=1 GOGC=off valgrind --tool=cachegrind --cache-sim=yes \
    --I1="$i1" --cachegrind-out-file=/dev/null "$bin" -test.run '^$' \
    -test.cpu 1 -test.bench "OverheadInMemory\$/^$1\$" -test.benchtime "$2x" 2>&1) |
    awk -v c="$1" '$1 ~ "^BenchmarkOverheadInMemory/" c "(-[0-9]+)?$" {ran=1}
      /I +refs:/ {gsub(",", "", $4); i=$4} /I1 +misses:/ {gsub(",", "", $4); m=$4}
      END {if (ran) print i, m}'
}

printf '%-28s %14s %18s\n' client "instr/request" "L1i misses/request"
for c in "${clients[@]}"; do
  read -r ia ma <<<"$(counts "$c" "$n1")"
  read -r ib mb <<<"$(counts "$c" "$n2")"
  if [ -z "$ia" ] || [ -z "$ib" ]; then
    echo "$c: no counts (is it a client of BenchmarkOverheadInMemory? does --I1=$i1 give" \
      "cachegrind a power-of-two number of sets, size / (ways * line)?)" >&2
    exit 1
  fi
  d=$((n2 - n1))
  printf '%-28s %14d %18d\n' "$c" $(((ib - ia) / d)) $(((mb - ma) / d))
done
