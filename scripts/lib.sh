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

# What a backend bundle is built from: the plugin's sources and data files, the packaging, the pins
# and the build commands. A bundle whose stamp holds this hash is up to date, for every architecture.
backend_inputs_hash() {
  (cd "$REPO" && find plugin packaging native -type f -not -path '*/__pycache__/*' -not -path '*.egg-info/*' \
    -not -name '*.so' -print0 | sort -z | xargs -0 cat
    cat setup.cfg requirements.lock scripts/bundle.sh scripts/build_native.sh) | sha256sum | cut -d' ' -f1
}

# What the optional Spark client bundle is built from: the bundle's inputs (the same lock and client
# list) and its own script.
spark_client_inputs_hash() {
  echo "$(backend_inputs_hash) $(sha256sum "$REPO/scripts/bundle_spark_client.sh" | cut -c1-16)"
}

# Build something slow only when its inputs changed: `rebuild_unless_current WHAT FOLDER STAMP HASH
# COMMAND...` runs COMMAND (which writes FOLDER, or a file) unless it exists and the file STAMP holds HASH,
# the hash of everything FOLDER is built from; then it writes HASH to STAMP. The stamp goes first, so
# a build that stops half-way is redone the next time.
rebuild_unless_current() {
  local what="$1" folder="$2" stamp="$3" hash="$4"
  shift 4
  if [[ -e "$folder" && "$(cat "$stamp" 2>/dev/null)" == "$hash" ]]; then
    step "$what: up to date"
    return
  fi
  step "$what"
  rm -f "$stamp"
  "$@"
  mkdir -p "$(dirname "$stamp")"
  echo "$hash" > "$stamp"
}

# The launcher Grafana starts on one platform: DIST/gpx_cloudsql_cos_ts_<platform>, which runs the
# bundle DIST/backend/<platform>/ (packaging/launcher.sh reads the platform from its own name).
install_launcher() {
  install -m 0755 "$REPO/packaging/launcher.sh" "$1/${EXECUTABLE}_$2"
}

# Make this amd64 machine run arm64 programs: qemu-user registered with the kernel's binfmt_misc,
# so an arm64 executable (or a chroot full of them) starts like a native one, emulated. Installs
# the Debian packages (and debootstrap, for build_arm64.sh) when they are missing.
ensure_arm64_emulation() {
  step "arm64 emulation (qemu-user, binfmt_misc)"
  if ! command -v debootstrap >/dev/null || [[ ! -x /usr/bin/qemu-aarch64-static ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap qemu-user-static binfmt-support >/dev/null
  fi
  [[ -e /proc/sys/fs/binfmt_misc/register ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable qemu-aarch64
  # Flag F: the kernel opened the emulator when it was registered, so it also runs inside a chroot.
  grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64
  grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64
}

# What running the plugin from the source tree needs: the venv and the native document decoder.
ensure_venv() {
  install_venv
  ensure_native
}

# Create/refresh the venv when the lock file, setup.cfg or pyproject.toml changed since the last
# install. Every package comes from requirements.lock, checked against its hashes (scripts/lock.sh
# writes it); the project itself is installed editable without dependencies and without build
# isolation, so nothing outside the lock is downloaded. `pip check` proves the set is consistent.
install_venv() {
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

# The native document decoder next to the module that loads it (scripts/build_native.sh), rebuilt when
# its source or build command changed. Part of ensure_venv: the plugin runs from the source tree too
# (tests, benchmarks), and without it every object would be decoded by the slower reference reader.
ensure_native() {
  rebuild_unless_current "native document decoder (native/flowdecode.cpp)" \
    "$REPO/plugin/cloudsql_cos_ts/flowlogs/libflowdecode.so" "$REPO/build/native.stamp" \
    "$(cat "$REPO/native/flowdecode.cpp" "$REPO/scripts/build_native.sh" | sha256sum | cut -d' ' -f1)" \
    bash "$REPO/scripts/build_native.sh"
}
