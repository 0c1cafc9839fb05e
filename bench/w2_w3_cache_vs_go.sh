#!/usr/bin/env bash
# W2 and W3: the Python plugin's result-cache hit path against a minimal plugin on Grafana's Go SDK and
# against grpcio's own floor (bench/grpc_floor.py: the same server stack, a handler doing no work),
# and the plugin again on grpcio's default experiments (the baseline of server/grpc_core.py), all
# started and driven by the same Go client (go-plugin, like Grafana). Prints figures; not a test.
#   bash bench/w2_w3_cache_vs_go.sh [W2 calls, default 2000] [W3 calls, default 5]
# Go modules come from the local module cache (the conformance harness uses the same versions).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOPROXY=off
(cd "$repo/bench/goplugin" && go build -o "$work/goplugin" ./server && go build -o "$work/client" ./client)
"$work/client" \
  -go-plugin "$work/goplugin" \
  -python "$repo/.venv/bin/python" \
  -pythonpath "$repo/plugin" \
  -floor "$repo/bench/grpc_floor.py" \
  -cache-dir "$work/cache" \
  -calls "${1:-2000}" \
  -big-calls "${2:-5}"
