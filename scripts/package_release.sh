#!/usr/bin/env bash
# Zip dist/ the way Grafana's plugin installer expects: <id>-<version>.zip whose single top folder
# is the plugin id. Written to build/release/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The version as the build stamped it into dist/plugin.json (the root copy holds a placeholder).
version="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$REPO/dist/plugin.json")"
out="$REPO/build/release"
stage="$out/stage"
rm -rf "$stage" && mkdir -p "$stage"
cp -a "$REPO/dist" "$stage/$PLUGIN_ID"
rm -f "$out/$PLUGIN_ID-$version.zip"
(cd "$stage" && "$PY" -m zipfile -c "$out/$PLUGIN_ID-$version.zip" "$PLUGIN_ID")
rm -rf "$stage"
step "release: build/release/$PLUGIN_ID-$version.zip ($(du -h "$out/$PLUGIN_ID-$version.zip" | cut -f1))"
