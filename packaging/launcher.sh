#!/bin/sh
# Grafana runs this file (gpx_cloudsql_cos_ts_linux_amd64) with no arguments, no PATH and no HOME,
# from its own working directory. It hands over to the self-contained backend next to it; `exec`
# keeps one process, so Grafana's signals and kill reach Python directly.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$here/backend/gpx_cloudsql_cos_ts" "$@"
