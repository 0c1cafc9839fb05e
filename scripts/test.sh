#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs what is missing (venv, npm packages, Debian
# chromium, Go modules, the S3A jars for Spark), builds dist/ and the Grafana-less host, checks lint
# and types, runs every test against the built plugin.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_venv
step "lint (ruff) and types (mypy)"
"$VENV/bin/ruff" check plugin tests scripts packaging bench
"$VENV/bin/mypy"
bash "$REPO/scripts/build.sh"
step "Grafana-less host (tests/host: Grafana's plugin loading, provisioning and HTTP API, built from the SDK)"
bash "$REPO/scripts/host_build.sh" >/dev/null
step "S3A jars for the Spark Connect server (scripts/spark_jars.sh: once, then cached)"
bash "$REPO/scripts/spark_jars.sh" >/dev/null
step "Python tests (all of tests/: unit, protocol, language, engines with a real Spark, conformance with Grafana's Go SDK, dist/ in the Grafana-less host) against dist/"
export CLOUDSQL_PLUGIN_EXECUTABLE="$REPO/dist/${EXECUTABLE}_linux_amd64"
status=0
"$VENV/bin/pytest" -q -p no:cacheprovider --durations=20 "$@" || status=$?
step "frontend tests (unit + real browser)"
bash "$REPO/frontend/scripts/test.sh" || status=$?
exit "$status"
