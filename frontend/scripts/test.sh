#!/usr/bin/env bash
# Frontend tests: build (when inputs changed), dist checks, vitest unit/component tests, then the
# browser specs in Debian's chromium. Ends with "frontend: N passed, N failed"; non-zero on failure.
# The real-backend specs run the Grafana-less host on dist/: they need the plugin executable there
# (scripts/build.sh), the repository's .venv (sample flow logs) and Go (scripts/host_build.sh builds
# the host when it is missing or stale); scripts/test.sh provides all three before calling this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUTPUT_DIR="$FRONTEND_DIR/.test-output"
CHROMIUM=/usr/bin/chromium
started=$SECONDS

# dist/ is stale when any build input (sources, config, lock file, root documents) is newer than it.
build_needed() {
  local module="$DIST_DIR/module.js"
  [[ -f "$module" ]] || return 0
  [[ -f "$DIST_DIR/LICENSE" && -f "$DIST_DIR/plugin.json" ]] || return 0
  [[ -n "$(find "$FRONTEND_DIR/src" "$FRONTEND_DIR/package-lock.json" "$FRONTEND_DIR/webpack.config.js" \
    "$FRONTEND_DIR/grafanaExternals.js" "$REPO_ROOT/plugin.json" "$REPO_ROOT/setup.cfg" \
    "$REPO_ROOT/README.md" "$REPO_ROOT/CHANGELOG.md" "$REPO_ROOT/LICENSE" \
    -newer "$module" -print -quit 2>/dev/null)" ]]
}

ensure_chromium() {
  if [[ ! -x "$CHROMIUM" ]]; then
    echo "frontend: installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
}

COMPAT_MAJORS=(11 13)

# The other Grafana majors' packages (compat.sh, the React 19 browser pass) install while lint and
# vitest use the CPU: npm ci mostly waits on the network and the disk (about 50 s in CI, serially).
install_compat_modules() {
  local major pids=() rc=0
  for major in "${COMPAT_MAJORS[@]}"; do
    ensure_compat_modules "$major" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || rc=1
  done
  return "$rc"
}

timed "npm ci (when the lock file changed)" ensure_node_modules
if build_needed; then
  timed "build (type-check, webpack)" bash "$FRONTEND_DIR/scripts/build.sh"
fi
rm -rf "$OUTPUT_DIR"
mkdir -p "$OUTPUT_DIR"
cd "$FRONTEND_DIR"

status=0
timed "npm ci of the compat packages (in the background)" install_compat_modules >"$OUTPUT_DIR/compat-install.log" 2>&1 &
compat_install=$!

lint_failed=0
echo "frontend: lint (eslint)"
timed "lint" npx --no-install eslint . || { status=1; lint_failed=1; }

echo "frontend: build output checks"
timed "build output checks" node scripts/check-dist.mjs || status=1

echo "frontend: unit and component tests (vitest)"
timed "vitest" npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$OUTPUT_DIR/vitest.json" \
  || status=1

compat_installed=0
wait "$compat_install" || compat_installed=$?
cat "$OUTPUT_DIR/compat-install.log"
echo "frontend: against Grafana 11.6 (React 18) and 13.2 (React 19) packages: type-check and unit tests"
if [[ "$compat_installed" -eq 0 ]]; then
  bash "$FRONTEND_DIR/scripts/compat.sh" "${COMPAT_MAJORS[@]}" || status=1
else
  status=1
fi

echo "frontend: browser tests, React 18 and 19 (playwright-core + $CHROMIUM; real backend: Grafana-less host on dist/)"
ensure_chromium
timed "browser tests" node e2e/run.mjs || status=1

# Sum the result files (lint counts as one test); a stage that crashed before writing its file
# counts as one failure.
summary="$(node --input-type=module -e '
  import { existsSync, readFileSync } from "node:fs";
  const [dir, lintFailed] = process.argv.slice(1);
  const read = (name) => (existsSync(`${dir}/${name}`) ? JSON.parse(readFileSync(`${dir}/${name}`, "utf8")) : null);
  const vitest = (name) => {
    const json = read(name);
    return json && { passed: json.numPassedTests, failed: json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0) };
  };
  const stages = [
    { passed: lintFailed === "1" ? 0 : 1, failed: Number(lintFailed) },
    vitest("vitest.json"),
    vitest("vitest-grafana-11.json"),
    vitest("vitest-grafana-13.json"),
    read("dist-results.json"),
    read("browser-results.json"),
  ];
  const passed = stages.reduce((sum, s) => sum + (s ? s.passed : 0), 0);
  const failed = stages.reduce((sum, s) => sum + (s ? s.failed : 1), 0);
  console.log(`${passed} ${failed}`);
' "$OUTPUT_DIR" "$lint_failed")"
read -r passed failed <<<"$summary"
if [[ "$failed" -gt 0 ]]; then
  status=1
fi
echo "frontend: screenshots in $OUTPUT_DIR/screenshots ($((SECONDS - started)) s)"
echo "frontend: $passed passed, $failed failed"
exit "$status"
