#!/usr/bin/env bash
# README command 1: build the plugin, generate sample VPC flow logs, start the built plugin exactly as
# Grafana would (dist/ executable, go-plugin environment, gRPC over its socket), run the bundled
# dashboard's variables, six panels and alert query through QueryData, print the results and write
# one PNG per panel into out/main-job/<timestamp>/.
#
# Options are passed to the Python part (python -m cloudsql_cos_ts.cli.main_job --help), e.g.
#   bash scripts/main_job.sh --hours 2 --vnics 3 --out /tmp/demo
# Environment:
#   GRAFANA_BIN, GRAFANA_HOME  a Grafana server binary and its home folder: also start Grafana with the
#                              plugin, the sample datasource, the dashboard and the alert rule provisioned
#   MAIN_JOB_SKIP_BUILD=1      use the existing dist/ (tests set it after building once)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [[ "${MAIN_JOB_SKIP_BUILD:-}" == "1" && -x "$REPO/dist/${EXECUTABLE}_linux_amd64" ]]; then
  ensure_venv
else
  bash "$REPO/scripts/build.sh"
fi
arch="$(uname -m)"; [[ "$arch" == "aarch64" ]] && goarch=arm64 || goarch=amd64
executable="$REPO/dist/${EXECUTABLE}_linux_${goarch}"
out="$REPO/out/main-job/$(date -u +%Y%m%dT%H%M%SZ)"
grafana=()
if [[ -n "${GRAFANA_BIN:-}" ]]; then
  grafana=(--grafana-bin "$GRAFANA_BIN" --grafana-home "${GRAFANA_HOME:?set GRAFANA_HOME with GRAFANA_BIN}")
fi
step "main job (output: $out unless --out is given)"
"$PY" -m cloudsql_cos_ts.cli.main_job --out "$out" --executable "$executable" \
  --dashboard "$REPO/content/dashboards/vpc-flow-logs.json" \
  --alert "$REPO/content/provisioning/alerting/rejected-connections.yaml" \
  "${grafana[@]}" "$@"
