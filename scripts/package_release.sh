#!/usr/bin/env bash
# Zip dist/ the way Grafana's plugin installer expects, plus the optional Spark client:
#   <id>-<version>.<os>_<arch>.zip   one per platform whose launcher is in dist/: the frontend,
#                                    plugin.json, the docs and that platform's launcher and backend
#                                    bundle only (the small download most users want);
#   <id>-<version>.zip               with more than one platform built: every platform's launcher and
#                                    bundle in the one plugin folder, so the same zip installs on any of
#                                    them (Grafana starts the executable named after its own platform);
#   <id>-spark-client-<version>.<os>_<arch>.zip   the optional Spark client bundle of each platform
#                                    built into build/spark-client/ (bundle_spark_client.sh), unpacked
#                                    outside the plugin folder and named by spark_client in grafana.ini.
# Each zip has one top folder (the plugin id; <id>-spark-client for the client) and keeps file modes.
#   bash scripts/package_release.sh [DIST [OUT]]     (defaults: dist/ and build/release/)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dist="$(realpath -m "${1:-$REPO/dist}")"
out="$(realpath -m "${2:-$REPO/build/release}")"
spark_client="$REPO/build/spark-client"
# The version as the build stamped it into dist/plugin.json (the root copy holds a placeholder).
version="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$dist/plugin.json")"
stage="$out/stage"
mkdir -p "$out"
rm -f "$out/$PLUGIN_ID"-*.zip

# Zip the folder $stage/$1 into $out/$2 (hard links in the stage: it is only read, nothing is copied).
zip_stage() {
  (cd "$stage" && "$PY" -m zipfile -c "$out/$2" "$1")
  rm -rf "$stage"
  step "release: ${out#"$REPO"/}/$2 ($(du -h "$out/$2" | cut -f1))"
}

# The plugin folder with the launchers and bundles of the platforms given, zipped as $1.
plugin_zip() {
  local name="$1" platform
  shift
  rm -rf "$stage" && mkdir -p "$stage/$PLUGIN_ID/backend"
  find "$dist" -mindepth 1 -maxdepth 1 -not -name backend -not -name "${EXECUTABLE}_linux_*" \
    -exec cp -al {} "$stage/$PLUGIN_ID/" \;
  for platform in "$@"; do
    cp -al "$dist/${EXECUTABLE}_$platform" "$stage/$PLUGIN_ID/"
    cp -al "$dist/backend/$platform" "$stage/$PLUGIN_ID/backend/"
  done
  zip_stage "$PLUGIN_ID" "$name"
}

platforms=()
for launcher in "$dist/${EXECUTABLE}"_linux_*; do
  platforms+=("${launcher##*/"${EXECUTABLE}"_}")
done
for platform in "${platforms[@]}"; do
  plugin_zip "$PLUGIN_ID-$version.$platform.zip" "$platform"
done
if ((${#platforms[@]} > 1)); then
  plugin_zip "$PLUGIN_ID-$version.zip" "${platforms[@]}"
fi
for folder in "$spark_client"/linux_*; do
  [[ -d "$folder" ]] || continue
  rm -rf "$stage" && mkdir -p "$stage/$PLUGIN_ID-spark-client"
  cp -al "$folder" "$stage/$PLUGIN_ID-spark-client/"
  zip_stage "$PLUGIN_ID-spark-client" "$PLUGIN_ID-spark-client-$version.${folder##*/}.zip"
done
