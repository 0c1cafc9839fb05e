#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs what is missing (venv, npm packages, Debian
# chromium, Go modules), builds dist/, checks lint and types, runs every test against the built plugin.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_venv
step "lint (ruff) and types (mypy)"
"$VENV/bin/ruff" check plugin tests scripts packaging bench
"$VENV/bin/mypy"
bash "$REPO/scripts/build.sh"
step "real Grafana server for tests/e2e (built once from its Go module, then cached)"
bash "$REPO/scripts/grafana_build.sh"
step "Python tests (all of tests/: unit, protocol, language, engines with a real Spark, conformance with Grafana's Go SDK, e2e with a real Grafana) against dist/"
export CLOUDSQL_PLUGIN_EXECUTABLE="$REPO/dist/${EXECUTABLE}_linux_amd64"
status=0
"$VENV/bin/pytest" -q -p no:cacheprovider "$@" || status=$?
step "frontend tests (unit + real browser)"
bash "$REPO/frontend/scripts/test.sh" || status=$?
exit "$status"
