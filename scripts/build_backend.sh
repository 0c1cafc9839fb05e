#!/usr/bin/env bash
# Build the backend of this machine's architecture into dist/: the PyInstaller bundle
# (dist/backend/linux_<arch>/, the Python runtime included, see bundle.sh) and the launcher Grafana
# executes (dist/gpx_cloudsql_cos_ts_linux_<arch>), and the optional Spark client bundle
# (build/spark-client/linux_<arch>/, see bundle_spark_client.sh). Rebuilds only when the Python
# sources, the pins or the packaging changed. The arm64 backend of an amd64 machine: build_arm64.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_venv
case "$(uname -m)" in
  x86_64) platform=linux_amd64 ;;
  aarch64) platform=linux_arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
freeze_backend() {
  # dist/backend/ held the amd64 bundle itself before there was one folder per platform.
  rm -rf "$REPO/dist/backend/runtime" "$REPO/dist/backend/$EXECUTABLE"
  mkdir -p "$REPO/build"
  TMPDIR="$REPO/build" bash "$REPO/scripts/bundle.sh" "$PY" "$REPO/dist/backend/$platform"
}
rebuild_unless_current "backend bundle ($platform, PyInstaller one-folder)" "$REPO/dist/backend/$platform" \
  "$REPO/build/backend.stamp" "$(backend_inputs_hash)" freeze_backend
# The optional Spark client bundle, outside dist/ (it is not part of the plugin folder).
client="$REPO/build/spark-client/$platform"
rebuild_unless_current "Spark client bundle ($platform, optional)" "$client" "$client.stamp" \
  "$(spark_client_inputs_hash)" env TMPDIR="$REPO/build" bash "$REPO/scripts/bundle_spark_client.sh" "$PY" "$client"
install_launcher "$REPO/dist" "$platform"
# The dashboards plugin.json "includes" lists, next to it as Grafana expects.
mkdir -p "$REPO/dist/dashboards"
cp "$REPO"/content/dashboards/*.json "$REPO/dist/dashboards/"
