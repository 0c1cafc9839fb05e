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
mkdir -p "$FRONTEND_DIR/.test-output"
cd "$FRONTEND_DIR"
status=0
for major in "${majors[@]}"; do
  ensure_compat_modules "$major"
  echo "frontend: Grafana $major: type-check (tsc -p compat/grafana-$major)"
  npx --no-install tsc --noEmit -p "compat/grafana-$major/tsconfig.json" || status=1
  echo "frontend: Grafana $major: unit and component tests (vitest)"
  GRAFANA_MAJOR="$major" npx --no-install vitest run -c vitest.compat.mts --reporter=dot --reporter=json \
    --outputFile.json="$FRONTEND_DIR/.test-output/vitest-grafana-$major.json" || status=1
done
exit "$status"
