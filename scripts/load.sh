#!/usr/bin/env bash
# Load figures for the notes: wrk against a sandbox on loopback, each figure next
# to a reference run (GET /_sandbox/health) of the same process in the same run,
# because these machines are noisy. Needs wrk (apt-get install wrk).
#   scripts/load.sh [duration]     e.g. scripts/load.sh 8s
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-6s}
bin=$(mktemp -d)/sandbox
go build -o "$bin" ./cmd/sandbox
port=18780
data=$(mktemp -d)
cleanup() { kill "${pid:-}" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

start() { # start ARGS...: run the sandbox and wait for health
  "$bin" --addr 127.0.0.1:$port --log-level error "$@" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/_sandbox/health" >/dev/null && return; sleep 0.05; done
  echo "sandbox did not start" >&2; exit 1
}
rate() { wrk -t2 -c32 -d"$dur" --latency "$@" | awk '/Requests\/sec/ {r=$2} /99%/ {p=$2} END {printf "%8.0f req/s  p99 %s\n", r, p}'; }
post_lua=$(mktemp)
cat >"$post_lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic YnJva2VyOg=="
wrk.body = '{"data": {"procuringEntity": {"name": "x", "identifier": {"scheme": "UA-EDR", "id": "1"}}, "tender": {"tenderPeriod": {"startDate": "2026-12-01"}}, "budget": {"id": "1", "description": "d", "amount": 1}, "classification": {"scheme": "ДК021", "id": "03111000-2", "description": "d"}}}'
LUA
base=http://127.0.0.1:$port
p1=$base/prozorro/api/2.3/plans/c1000000000040008000000000000001

for backend in memory data; do
  if [ $backend = memory ]; then start --memory --scenario ci-minimal; else start --data "$data/sandbox.db" --scenario ci-minimal; fi
  echo "== $backend"
  printf 'reference  GET /_sandbox/health        '; rate "$base/_sandbox/health"
  printf 'GET plan by id                        '; rate "$p1"
  printf 'POST plan                             '; rate -s "$post_lua" "$base/prozorro/api/2.3/plans"
  printf 'GET plans page (limit=100)            '; rate "$base/prozorro/api/2.3/plans?limit=100"
  kill $pid; wait $pid 2>/dev/null || true
done
