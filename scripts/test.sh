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
step "Python tests (unit, protocol, engine, language, conformance) against dist/"
export CLOUDSQL_PLUGIN_EXECUTABLE="$REPO/dist/${EXECUTABLE}_linux_amd64"
status=0
"$VENV/bin/pytest" -q -p no:cacheprovider "$@" || status=$?
step "frontend tests (unit + real browser)"
bash "$REPO/frontend/scripts/test.sh" || status=$?
exit "$status"
