# Shared helpers for the project scripts (sourced, not run).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
PY="$VENV/bin/python"
PLUGIN_ID="ibm-cloudsqlcos-datasource"
EXECUTABLE="gpx_cloudsql_cos_ts"
# The interpreter the venv is built from: CPython 3.11 (the version the wheels are pinned for).
BASE_PYTHON="${CLOUDSQL_BASE_PYTHON:-$(command -v python3.11 || command -v python3)}"

step() { printf '\n==> %s\n' "$*" >&2; }

# Create/refresh the venv when the lock file, setup.cfg or pyproject.toml changed since the last
# install. Every package comes from requirements.lock, checked against its hashes (scripts/lock.sh
# writes it); the project itself is installed editable without dependencies and without build
# isolation, so nothing outside the lock is downloaded. `pip check` proves the set is consistent.
ensure_venv() {
  local stamp="$VENV/.installed" want
  want="$(cat "$REPO/setup.cfg" "$REPO/pyproject.toml" "$REPO/requirements.lock" | sha256sum | cut -d' ' -f1)"
  if [[ -x "$PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  step "Python environment (.venv, from requirements.lock)"
  [[ -x "$PY" ]] || "$BASE_PYTHON" -m venv "$VENV"
  local pip=("$PY" -m pip --quiet --disable-pip-version-check)
  "${pip[@]}" install --upgrade pip==25.3
  "${pip[@]}" install --require-hashes --no-deps -r "$REPO/requirements.lock"
  "${pip[@]}" install --no-deps --no-build-isolation -e "$REPO"
  "$PY" -m pip check
  echo "$want" > "$stamp"
}
