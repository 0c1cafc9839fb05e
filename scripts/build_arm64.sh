#!/usr/bin/env bash
# Build the linux/arm64 backend on an amd64 machine: dist/backend/linux_arm64/, the launcher
# dist/gpx_cloudsql_cos_ts_linux_arm64 and the optional Spark client bundle build/spark-client/linux_arm64/.
#   bash scripts/build_arm64.sh [DIST]      (DIST: the plugin folder to write into, default dist/)
# PyInstaller cannot cross-build: it freezes the interpreter that runs it, with that machine's
# shared libraries. So the build runs on arm64 for real, emulated: a Debian 12 arm64 root file
# system (debootstrap) whose programs the kernel hands to qemu-user (binfmt_misc), its own CPython
# 3.11 (the version the lock is compiled for), the packages of requirements.lock installed with
# --require-hashes (the lock's hashes cover the aarch64 wheels), and scripts/bundle.sh, the same
# PyInstaller commands as the amd64 build. Everything slow is cached under build/arm64/: the root
# file system (by its package list), the wheels and the installed packages (by the lock's hash),
# and the bundle (by the same inputs as the amd64 one). First build: docs/packaging.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dist="$(realpath -m "${1:-$REPO/dist}")"
[[ "$(uname -m)" == x86_64 ]] || { echo "build_arm64.sh builds on amd64; on arm64 run build_backend.sh" >&2; exit 1; }
started=$SECONDS
cache="$REPO/build/arm64"
rootfs="$cache/rootfs"
# CPython 3.11 and its shared library (PyInstaller bundles libpython), binutils (PyInstaller reads
# the binaries' dependencies with objdump; bundle.sh strips them), and what build_native.sh compiles
# the native document decoder with (g++, simdjson, libdeflate).
ROOTFS_PACKAGES="python3.11,libpython3.11,binutils,g++,libsimdjson-dev,libdeflate-dev"
SUITE=bookworm
ensure_venv

# Run a command in the arm64 tree with a clean environment (the host's pip settings stay out).
in_arm64() {
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

ensure_arm64_emulation

make_rootfs() {
  # The Debian mirror this machine's apt already uses.
  mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  [[ -n "$mirror" ]] || mirror="$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list)"
  rm -rf "$rootfs" "$cache/rootfs.new"
  mkdir -p "$cache"
  debootstrap --arch=arm64 --foreign --variant=minbase --include="$ROOTFS_PACKAGES" "$SUITE" "$cache/rootfs.new" "$mirror" >/dev/null
  chroot "$cache/rootfs.new" /debootstrap/debootstrap --second-stage >/dev/null
  mv "$cache/rootfs.new" "$rootfs"
}
rebuild_unless_current "arm64 root file system (Debian $SUITE: download, then unpack under emulation; minutes)" "$rootfs" "$cache/rootfs.stamp" \
  "$SUITE $ROOTFS_PACKAGES" make_rootfs

lock_hash="$(sha256sum "$REPO/requirements.lock" | cut -c1-16)"
install_packages() {
  wheels="$cache/wheels-$lock_hash"
  step "arm64 packages: download the lock's aarch64 files (hash-checked) into ${wheels#"$REPO"/}"
  rm -rf "$cache"/wheels-*.partial
  if [[ ! -d "$wheels" ]]; then
    # Every glibc baseline the tree's glibc (2.36) can load.
    platforms=(--platform manylinux2014_aarch64)
    for minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${minor}_aarch64"); done
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes --prefer-binary \
      "${platforms[@]}" --python-version 3.11 --implementation cp --abi cp311 \
      -d "$wheels.partial" -r "$REPO/requirements.lock"
    # pip itself, the version ensure_venv installs (the lock holds what pip installs, not pip).
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps -d "$wheels.partial" pip==25.3
    find "$cache" -maxdepth 1 -name 'wheels-*' -not -name "wheels-$lock_hash*" -exec rm -rf {} +
    mv "$wheels.partial" "$wheels"
  fi
  step "arm64 packages: install under emulation (--require-hashes, then pip check; the first time takes long)"
  rm -rf "$rootfs/opt/venv" "$rootfs/tmp/wheels"
  cp -al "$wheels" "$rootfs/tmp/wheels"
  cp "$REPO/requirements.lock" "$rootfs/tmp/requirements.lock"
  pip_wheel="$(cd "$wheels" && ls pip-25.3-*.whl)"
  in_arm64 python3.11 -m venv --without-pip /opt/venv
  in_arm64 /opt/venv/bin/python "/tmp/wheels/$pip_wheel/pip" install --quiet --no-index "/tmp/wheels/$pip_wheel"
  in_arm64 /opt/venv/bin/python -m pip install --quiet --disable-pip-version-check --no-index \
    --find-links /tmp/wheels --require-hashes --no-deps -r /tmp/requirements.lock
  in_arm64 /opt/venv/bin/python -m pip check
  rm -rf "$rootfs/tmp/wheels" "$rootfs/tmp/requirements.lock"
}
# The installed packages' stamp lives in their folder: a new root file system drops it with them.
rebuild_unless_current "arm64 packages (requirements.lock $lock_hash)" "$rootfs/opt/venv" "$rootfs/opt/venv/.lock" \
  "$lock_hash" install_packages

freeze_backend() {
  rm -rf "$rootfs/src" "$rootfs/tmp/bundle"
  mkdir -p "$rootfs/src/scripts"
  cp -a "$REPO/plugin" "$REPO/packaging" "$REPO/native" "$rootfs/src/"
  cp "$REPO/scripts/bundle.sh" "$REPO/scripts/build_native.sh" "$rootfs/src/scripts/"
  find "$rootfs/src" \( -name __pycache__ -prune -o -name '*.so' \) -exec rm -rf {} +
  in_arm64 bash /src/scripts/build_native.sh
  in_arm64 bash /src/scripts/bundle.sh /opt/venv/bin/python /tmp/bundle
  rm -rf "$dist/backend/linux_arm64" "$rootfs/src"
  mkdir -p "$dist/backend"
  mv "$rootfs/tmp/bundle" "$dist/backend/linux_arm64"
}
rebuild_unless_current "arm64 backend bundle (PyInstaller under emulation)" "$dist/backend/linux_arm64" \
  "$cache/backend.stamp" "$(backend_inputs_hash)" freeze_backend
client="$REPO/build/spark-client/linux_arm64"
bundle_spark_client() {
  rm -rf "$rootfs/src" "$rootfs/tmp/spark-client"
  mkdir -p "$rootfs/src/scripts" "$rootfs/src/packaging"
  cp "$REPO/scripts/bundle_spark_client.sh" "$rootfs/src/scripts/"
  cp "$REPO/packaging/spark_client.txt" "$rootfs/src/packaging/"
  in_arm64 bash /src/scripts/bundle_spark_client.sh /opt/venv/bin/python /tmp/spark-client
  rm -rf "$client" "$rootfs/src"
  mkdir -p "$(dirname "$client")"
  mv "$rootfs/tmp/spark-client" "$client"
}
rebuild_unless_current "arm64 Spark client bundle (optional; under emulation)" "$client" "$client.stamp" \
  "$(spark_client_inputs_hash)" bundle_spark_client
install_launcher "$dist" linux_arm64
step "arm64 backend: ${dist#"$REPO"/}/${EXECUTABLE}_linux_arm64 ($(du -sh "$dist/backend/linux_arm64" | cut -f1), $((SECONDS - started)) s)"
