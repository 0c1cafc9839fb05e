#!/usr/bin/env bash
# Zip dist/ the way Grafana's plugin installer expects, one archive per platform:
# <id>-<version>.<os>_<arch>.zip, whose single top folder is the plugin id, holding the frontend,
# plugin.json and the docs, and that platform's launcher and backend bundle only (a zip with every
# platform would be twice the download for everyone; docs/packaging.md has the sizes). One zip per
# platform whose launcher is in dist/.
#   bash scripts/package_release.sh [DIST [OUT]]     (defaults: dist/ and build/release/)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dist="$(realpath -m "${1:-$REPO/dist}")"
out="$(realpath -m "${2:-$REPO/build/release}")"
# The version as the build stamped it into dist/plugin.json (the root copy holds a placeholder).
version="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$dist/plugin.json")"
mkdir -p "$out"
rm -f "$out/$PLUGIN_ID"-*.zip
for launcher in "$dist/${EXECUTABLE}"_linux_*; do
  platform="${launcher##*/"${EXECUTABLE}"_}"
  stage="$out/stage"
  rm -rf "$stage" && mkdir -p "$stage/$PLUGIN_ID/backend"
  # Hard links: the stage is only read by the zip tool, so nothing is copied.
  find "$dist" -mindepth 1 -maxdepth 1 -not -name backend -not -name "${EXECUTABLE}_linux_*" \
    -exec cp -al {} "$stage/$PLUGIN_ID/" \;
  cp -al "$launcher" "$stage/$PLUGIN_ID/"
  cp -al "$dist/backend/$platform" "$stage/$PLUGIN_ID/backend/"
  zip="$out/$PLUGIN_ID-$version.$platform.zip"
  (cd "$stage" && "$PY" -m zipfile -c "$zip" "$PLUGIN_ID")
  rm -rf "$stage"
  step "release: ${zip#"$REPO"/} ($(du -h "$zip" | cut -f1))"
done
