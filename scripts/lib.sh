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

# Create/refresh the venv when setup.cfg or pyproject.toml changed since the last install.
ensure_venv() {
  local stamp="$VENV/.installed" want
  want="$(cat "$REPO/setup.cfg" "$REPO/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [[ -x "$PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  step "Python environment (.venv, pinned dependencies)"
  [[ -x "$PY" ]] || "$BASE_PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
  "$PY" -m pip install --quiet --disable-pip-version-check -e "$REPO[dev]"
  echo "$want" > "$stamp"
}
