#!/usr/bin/env bash
# Freeze the backend with PyInstaller into one self-contained folder, then prune it.
#   bash scripts/bundle.sh PYTHON OUT
# PYTHON is an interpreter whose environment was installed from requirements.lock; OUT is the
# bundle folder to write (replaced). It runs on the build machine for its own architecture
# (build_backend.sh) and, unchanged, inside the arm64 root file system under emulation
# (build_arm64.sh), so both executables come from the same commands and the same lock.
set -euo pipefail
python="$1"
out="$2"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name=gpx_cloudsql_cos_ts
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The Spark Connect client is not frozen in: it is the optional Spark client bundle
# (bundle_spark_client.sh), imported from its own folder when a data source uses the Spark engine. It
# runs on this bundle's interpreter, so what it imports from outside itself (standard library,
# protobuf's well-known types, ...) is frozen in by name, and its own modules are left out.
hidden="$(cd / && PYTHONDONTWRITEBYTECODE=1 "$python" "$src/packaging/spark_client_imports.py" hidden)"
excluded="$(cd / && PYTHONDONTWRITEBYTECODE=1 "$python" "$src/packaging/spark_client_imports.py" excluded)"
spark_client=()
for module in $hidden; do spark_client+=(--hidden-import "$module"); done
for module in $excluded; do spark_client+=(--exclude-module "$module"); done
# The native document decoder (scripts/build_native.sh) goes in as a binary, so its shared libraries
# (libsimdjson) are collected with it.
[[ -f "$src/plugin/cloudsql_cos_ts/flowlogs/libflowdecode.so" ]] || { echo "bundle.sh: build the native decoder first (scripts/build_native.sh)" >&2; exit 1; }
# PYTHONPATH: the hooks that collect the plugin's data files import it before --paths applies (the
# arm64 environment has only the locked packages, not the project installed).
# --debug noarchive: the modules are byte-code files in runtime/ instead of a compressed archive in the
# executable, which every start would read and decompress before the handshake. The additional hooks
# folder replaces three of PyInstaller's run-time hooks that delay the start (the folder says why).
(cd "$src" && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$src/plugin" "$python" -m PyInstaller --noconfirm --log-level WARN --onedir \
  --name "$name" --contents-directory runtime --debug noarchive --additional-hooks-dir "$src/packaging/pyinstaller" \
  --distpath "$work/dist" --workpath "$work/work" --specpath "$work" --paths "$src/plugin" \
  --collect-submodules cloudsql_cos_ts --collect-data cloudsql_cos_ts --collect-submodules sqlglot \
  --collect-submodules grpc_health \
  --add-binary "$src/plugin/cloudsql_cos_ts/flowlogs/libflowdecode.so:cloudsql_cos_ts/flowlogs" \
  --collect-data ibm_botocore --collect-data ibm_boto3 --collect-submodules ibm_botocore \
  --collect-submodules ibm_boto3 --collect-submodules ibm_s3transfer \
  --exclude-module matplotlib --exclude-module tkinter --exclude-module pytest --exclude-module hypothesis \
  --exclude-module grpc_tools --exclude-module pyarrow.flight --exclude-module pyarrow._flight \
  "${spark_client[@]}" \
  --exclude-module pyarrow.cuda --exclude-module pyarrow._s3fs \
  --exclude-module setuptools --exclude-module _distutils_hack --exclude-module numpy.distutils \
  --exclude-module readline \
  packaging/entry.py)
# readline is excluded: its extension links GNU readline (GPL-3), which the plugin may not ship, and a
# plugin never reads a terminal.
# setuptools is excluded above: nothing the plugin runs imports it, and with it bundled PyInstaller's
# runtime hook for it imports it on every start, before our code (a large part of the handshake time).
# Build-time files of pyarrow (C++ headers, Cython sources), its Flight RPC and S3 libraries
# (unused: COS is read with ibm-cos-sdk; pyarrow.fs reports S3 as not built when _s3fs is absent;
# libarrow_substrait stays: every pyarrow module links it), and the copies of libarrow_python*
# under names no module loads (the extensions load them by their soname, *.so.<major>).
runtime="$work/dist/$name/runtime"
rm -rf "$runtime/pyarrow/include" "$runtime"/pyarrow/libarrow_flight.so* "$runtime"/pyarrow/libarrow_python_flight.so* \
  "$runtime"/pyarrow/libarrow_s3.so* "$runtime"/pyarrow/libarrow_python*.so "$runtime"/pyarrow/libarrow_python*.so.*.*
# PyInstaller also links some libraries into runtime/ (libarrow*, numpy's OpenBLAS). Every link
# goes: a dangling one makes Grafana refuse to start ("stat …: no such file or directory"), zip
# tools store a link's target a second time (140 MB), and signing refuses links. The extension
# modules find these libraries next to themselves (their RPATH is $ORIGIN), not through the links.
find "$runtime" -type l -delete
# Symbol tables are for debuggers. The vendored folders of auditwheel (*.libs, e.g. numpy's
# OpenBLAS) stay as shipped: stripping them breaks the libraries that patchelf rewrote.
find "$runtime" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0 |
  xargs -0 strip --strip-unneeded
find "$runtime" \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' \) -delete
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$work/dist/$name" "$out"
