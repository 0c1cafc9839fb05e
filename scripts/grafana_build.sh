#!/usr/bin/env bash
# Build a real Grafana server from its Go module, once per version, for the end-to-end tests.
#
# No package registry ships a Grafana server, so it is built from source fetched as a Go module
# through the ordinary Go toolchain and the default module proxy. Grafana's release tags are not
# valid module versions (no /vNN suffix), so the version is a pinned pseudo-version; `go install
# pkg@version` is refused because Grafana's go.mod has replace directives, hence the build runs inside
# a writable copy of the module with GOWORK=off (its go.work names nested modules the zip lacks).
#
# The result is cached outside the repository, keyed by version:
#   $GRAFANA_CACHE/bin/grafana   the server binary
#   $GRAFANA_CACHE/home/         the homepath (conf/defaults.ini, public/emails, core plugin.json files)
# Only the first run pays the download and the build; later runs print the cached paths at once.
# Progress and each step's wall time go to stderr and to $GRAFANA_CACHE/timings.txt; the last line on
# stdout is the binary path.
#
# Environment: GRAFANA_MODULE_VERSION (pseudo-version), GRAFANA_BUILD_JOBS (go build -p, default 2),
# GO (toolchain, default /usr/local/go/bin/go or the one on PATH).
set -euo pipefail

# The module proxy here serves one pseudo-version of github.com/grafana/grafana: commit 81d85ce8028d
# on main, 2023-06-09, package.json "10.0.0-preview" (the one github.com/grafana/grok requires). The
# version list, queries by commit and every other pseudo-version tried (2021-2026, including ones
# other projects require) are refused with "403 This module version is not available", so no 11.x
# or 12.x release commit can be fetched.
GRAFANA_MODULE="github.com/grafana/grafana"
GRAFANA_MODULE_VERSION="${GRAFANA_MODULE_VERSION:-v1.9.2-0.20230609164553-81d85ce8028d}"
# Wire generates pkg/server/wire_gen.go, which trees before 2025-07 do not commit. v0.7.0: the
# golang.org/x/tools of v0.6.0 and older no longer compiles with current Go ("invalid array length").
WIRE_VERSION="v0.7.0"
JOBS="${GRAFANA_BUILD_JOBS:-2}"
GO="${GO:-$(command -v /usr/local/go/bin/go || command -v go)}"
GRAFANA_CACHE="${GRAFANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudsql-cos-ts/grafana/$GRAFANA_MODULE_VERSION}"
BINARY="$GRAFANA_CACHE/bin/grafana"
HOME_DIR="$GRAFANA_CACHE/home"
TIMINGS="$GRAFANA_CACHE/timings.txt"

export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local

progress() { printf '[grafana_build %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Run one named step, print and record its wall time.
timed() {
  local name="$1" began=$SECONDS
  shift
  progress "$name ..."
  "$@"
  local took=$((SECONDS - began))
  progress "$name done in ${took}s"
  printf '%s\t%ss\t%s\n' "$(date -u +%FT%TZ)" "$took" "$name" >> "$TIMINGS"
}

module_dir() {
  "$GO" mod download -json "$GRAFANA_MODULE@$GRAFANA_MODULE_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

copy_writable_tree() {
  local source
  source="$(module_dir)"
  [[ -n "$source" && -f "$source/go.mod" ]] || { progress "module download failed"; return 1; }
  rm -rf "$HOME_DIR.partial"
  cp -r "$source" "$HOME_DIR.partial"
  chmod -R u+w "$HOME_DIR.partial"
}

download_dependencies() {
  (cd "$HOME_DIR.partial" && "$GO" mod download)
}

generate_wire() {
  if [[ -f "$HOME_DIR.partial/pkg/server/wire_gen.go" ]]; then
    progress "pkg/server/wire_gen.go is committed in this tree"
    return
  fi
  (cd "$HOME_DIR.partial" && nice -n 10 "$GO" run "github.com/google/wire/cmd/wire@$WIRE_VERSION" \
    gen -tags oss ./pkg/server)
}

# The version Grafana reports (/api/health, GF_VERSION for plugins) is set at link time as Grafana's
# own build does; without it the binary calls itself 9.2.0.
link_flags() {
  local version
  version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$HOME_DIR.partial/package.json")"
  echo "-X main.version=$version -X main.commit=${GRAFANA_MODULE_VERSION##*-}"
}

# cgo stays on: this tree's only SQLite driver is mattn/go-sqlite3, which needs it.
compile_server() {
  mkdir -p "$GRAFANA_CACHE/bin"
  (cd "$HOME_DIR.partial" && CGO_ENABLED=1 nice -n 10 "$GO" build -p "$JOBS" -trimpath \
    -ldflags "$(link_flags)" -o "$BINARY.partial" ./pkg/cmd/grafana)
  mv "$BINARY.partial" "$BINARY"
}

main() {
  if [[ -x "$BINARY" && -f "$HOME_DIR/conf/defaults.ini" ]]; then
    progress "cached: $BINARY ($GRAFANA_MODULE_VERSION)"
    echo "$BINARY"
    return
  fi
  mkdir -p "$GRAFANA_CACHE"
  progress "building Grafana $GRAFANA_MODULE@$GRAFANA_MODULE_VERSION into $GRAFANA_CACHE (first run only)"
  local began=$SECONDS
  timed "download the Grafana module and copy it to a writable tree" copy_writable_tree
  timed "download its dependencies" download_dependencies
  timed "generate Wire dependency injection" generate_wire
  timed "compile ./pkg/cmd/grafana (go build -p $JOBS)" compile_server
  rm -rf "$HOME_DIR"
  mv "$HOME_DIR.partial" "$HOME_DIR"
  progress "first build finished in $((SECONDS - began))s: $BINARY"
  echo "$BINARY"
}

main "$@"
