#!/usr/bin/env bash
# Build the backend into dist/: a PyInstaller one-folder bundle (dist/backend/, the Python runtime
# included) and the launcher Grafana executes (dist/gpx_cloudsql_cos_ts_linux_amd64). Rebuilds only
# when the Python sources, the pins or the packaging changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_venv
arch="$(uname -m)"
case "$arch" in
  x86_64) goarch=amd64 ;;
  aarch64) goarch=arm64 ;;
  *) echo "unsupported machine $arch" >&2; exit 1 ;;
esac
stamp="$REPO/build/backend.stamp"
want="$( (cd "$REPO" && find plugin packaging -type f -name '*.py' -o -name '*.sh' | sort | xargs cat; cat setup.cfg requirements.lock scripts/build_backend.sh) | sha256sum | cut -d' ' -f1)"
if [[ -x "$REPO/dist/backend/$EXECUTABLE" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  step "backend bundle up to date"
else
  step "backend bundle (PyInstaller one-folder)"
  rm -rf "$REPO/build/pyinstaller" "$REPO/dist/backend"
  mkdir -p "$REPO/dist"
  (cd "$REPO" && PYTHONDONTWRITEBYTECODE=1 "$PY" -m PyInstaller --noconfirm --log-level WARN --onedir \
    --name "$EXECUTABLE" --contents-directory runtime \
    --distpath "$REPO/build/pyinstaller/dist" --workpath "$REPO/build/pyinstaller/work" \
    --specpath "$REPO/build/pyinstaller" --paths "$REPO/plugin" \
    --collect-submodules cloudsql_cos_ts --collect-data cloudsql_cos_ts --collect-submodules sqlglot \
    --collect-submodules grpc_health \
    --collect-data ibm_botocore --collect-data ibm_boto3 --collect-submodules ibm_botocore \
    --collect-submodules ibm_boto3 --collect-submodules ibm_s3transfer \
    --exclude-module matplotlib --exclude-module tkinter --exclude-module pytest --exclude-module hypothesis \
    --exclude-module grpc_tools --exclude-module pyarrow.flight --exclude-module pyarrow._flight \
    --collect-submodules pyspark.sql.connect --collect-data pyspark.errors \
    --exclude-module pyarrow.cuda --exclude-module pyarrow._s3fs \
    --exclude-module setuptools --exclude-module _distutils_hack --exclude-module numpy.distutils \
    packaging/entry.py)
  # setuptools is excluded above: nothing the plugin runs imports it, and with it bundled PyInstaller's
  # runtime hook for it imports it on every start, before our code (a large part of the handshake time).
  # Build-time files of pyarrow (C++ headers, Cython sources), its Flight RPC and S3 libraries
  # (unused: COS is read with ibm-cos-sdk; pyarrow.fs reports S3 as not built when _s3fs is absent;
  # libarrow_substrait stays: every pyarrow module links it), and the copies of libarrow_python*
  # under names no module loads (the extensions load them by their soname, *.so.<major>).
  runtime="$REPO/build/pyinstaller/dist/$EXECUTABLE/runtime"
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
  mv "$REPO/build/pyinstaller/dist/$EXECUTABLE" "$REPO/dist/backend"
  echo "$want" > "$stamp"
fi
install -m 0755 "$REPO/packaging/launcher.sh" "$REPO/dist/${EXECUTABLE}_linux_${goarch}"
# The dashboards plugin.json "includes" lists, next to it as Grafana expects.
mkdir -p "$REPO/dist/dashboards"
cp "$REPO"/content/dashboards/*.json "$REPO/dist/dashboards/"
