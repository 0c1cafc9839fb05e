# Shared by build.sh and test.sh: paths and the "install from the lock file when needed" step.
FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$FRONTEND_DIR/.." && pwd)"
DIST_DIR="$REPO_ROOT/dist"
export FRONTEND_DIR REPO_ROOT DIST_DIR

# npm ci wipes node_modules, so run it only when node_modules is missing or was installed from a
# different package-lock.json (the hash of the lock file used is kept inside node_modules).
install_from_lock() {
  local dir="$1" label="$2"
  local stamp="$dir/node_modules/.installed-lock-sha256"
  local wanted
  wanted="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    return 0
  fi
  echo "frontend: installing $label from its package-lock.json (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$wanted" >"$stamp"
}

ensure_node_modules() {
  install_from_lock "$FRONTEND_DIR" "the frontend packages"
}

# The packages of another Grafana major (compat/grafana-<major>: @grafana/*, React), for compat.sh
# and the browser run on that major.
ensure_compat_modules() {
  install_from_lock "$FRONTEND_DIR/compat/grafana-$1" "the Grafana $1 packages"
}

# `timed <label> <command...>`: runs the command and prints its wall time and CPU time (user + system
# of its processes, from bash's `times` taken in this shell: a command substitution would be a
# subshell with children of its own), so a CI log tells where the frontend's minutes go. Returns
# the command's status.
timed() {
  local label="$1"
  shift
  local began=$EPOCHREALTIME rc=0 before after
  before="$(mktemp)" after="$(mktemp)"
  times >"$before"
  "$@" || rc=$?
  times >"$after"
  awk -v label="$label" -v wall="$(awk -v a="$began" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" '
    function seconds(text, parts) { split(text, parts, /[ms]/); return parts[1] * 60 + parts[2] }
    FNR == 2 { cpu[FILENAME == ARGV[1]] = seconds($1) + seconds($2) }
    END { printf "frontend: time: %s: %.1f s wall, %.1f CPU-s\n", label, wall, cpu[0] - cpu[1] }
  ' "$before" "$after"
  rm -f "$before" "$after"
  return "$rc"
}
