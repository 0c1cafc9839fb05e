# Shared by build.sh and test.sh: paths and the "install from the lock file when needed" step.
FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$FRONTEND_DIR/.." && pwd)"
DIST_DIR="$REPO_ROOT/dist"
export FRONTEND_DIR REPO_ROOT DIST_DIR

# npm ci wipes node_modules, so run it only when node_modules is missing or was installed from a
# different package-lock.json (the hash of the lock file used is kept inside node_modules).
ensure_node_modules() {
  local stamp="$FRONTEND_DIR/node_modules/.installed-lock-sha256"
  local wanted
  wanted="$(sha256sum "$FRONTEND_DIR/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    return 0
  fi
  echo "frontend: installing packages from package-lock.json (npm ci)"
  (cd "$FRONTEND_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$wanted" >"$stamp"
}
