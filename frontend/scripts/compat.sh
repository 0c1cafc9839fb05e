#!/usr/bin/env bash
# Type-checks src/ and runs the unit tests against the @grafana/* packages (and React) of other
# Grafana majors than the main one (12.4, React 18): compat/grafana-11 (11.6, React 18) and
# compat/grafana-13 (13.2, React 19). Usage: compat.sh [major ...] (default: 11 13).
# vitest writes .test-output/vitest-grafana-<major>.json for test.sh's summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node_modules
majors=("$@")
if [[ ${#majors[@]} -eq 0 ]]; then
  majors=(11 13)
fi
OUTPUT_DIR="$FRONTEND_DIR/.test-output"
mkdir -p "$OUTPUT_DIR"
cd "$FRONTEND_DIR"
status=0
for major in "${majors[@]}"; do
  ensure_compat_modules "$major"
done

# tsc runs on one core: the majors' type-checks run side by side, each printing its own output after.
echo "frontend: type-check against Grafana ${majors[*]} (tsc -p compat/grafana-<major>)"
pids=()
for major in "${majors[@]}"; do
  timed "Grafana $major: type-check" npx --no-install tsc --noEmit -p "compat/grafana-$major/tsconfig.json" \
    >"$OUTPUT_DIR/tsc-grafana-$major.log" 2>&1 &
  pids+=("$!")
done
for index in "${!majors[@]}"; do
  wait "${pids[$index]}" || status=1
  cat "$OUTPUT_DIR/tsc-grafana-${majors[$index]}.log"
done

for major in "${majors[@]}"; do
  echo "frontend: Grafana $major: unit and component tests (vitest; the files that load a swapped package)"
  GRAFANA_MAJOR="$major" timed "Grafana $major: vitest" npx --no-install vitest run -c vitest.compat.mts \
    --reporter=dot --reporter=json --outputFile.json="$OUTPUT_DIR/vitest-grafana-$major.json" || status=1
done
exit "$status"
