#!/bin/sh
# Grafana runs this file (gpx_cloudsql_cos_ts_linux_amd64 or _linux_arm64: it picks the one named
# after its own platform) with no arguments, no PATH and no HOME, from its own working directory.
# It hands over to the self-contained backend of that platform next to it; `exec` keeps one
# process, so Grafana's signals and kill reach Python directly.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
platform=${0##*gpx_cloudsql_cos_ts_}
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$here/backend/$platform/gpx_cloudsql_cos_ts" "$@"
