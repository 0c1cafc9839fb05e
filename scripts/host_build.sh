#!/usr/bin/env bash
# Builds the Grafana-less host (tests/host, its own Go module) into build/host/grafana-less-host
# and prints that path as the last stdout line. Nothing is rebuilt when the binary is newer than
# every source file; the first build downloads the module's dependencies (all permissively
# licensed: grafana-plugin-sdk-go and dataplane/sdata Apache-2.0, go-plugin MPL-2.0, go.yaml.in/yaml/v3
# MIT/Apache-2.0).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SRC="$REPO/tests/host"
OUT="$REPO/build/host/grafana-less-host"
GO="$(command -v go || echo /usr/local/go/bin/go)"
if [[ ! -x "$OUT" ]] || [[ -n "$(find "$SRC" \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$OUT" -print -quit)" ]]; then
  step "Grafana-less host (tests/host)"
  mkdir -p "$(dirname "$OUT")"
  (cd "$SRC" && GOTOOLCHAIN=local "$GO" build -buildvcs=false -o "$OUT" .) >&2
fi
echo "$OUT"
