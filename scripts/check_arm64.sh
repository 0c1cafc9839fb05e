#!/usr/bin/env bash
# The arm64 executable run for real, emulated by qemu-user on this amd64 machine:
#   bash scripts/check_arm64.sh
# The tests below start dist/gpx_cloudsql_cos_ts_linux_arm64 the way Grafana does (go-plugin's
# environment, handshake on stdout, gRPC over the unix socket) and go through Grafana's own Go SDK
# in the conformance harness: CheckHealth, queries, the dashboard's P3 panel and the shipped alert
# query over generated flow logs, with their frames decoded by the SDK and the dataplane readers,
# then Shutdown. The real-format objects of tests/real_objects are queried too, the alert query's
# shape included (decoded by the bundle's arm64 native decoder, which must load with the bundle's own
# simdjson: only the C library and zlib come from the host), and the optional Spark client bundle of
# arm64 (loaded for a Spark data source, left alone by DuckDB, its absence explained). Emulation is several times slower than native: a few minutes. The release
# script runs this check; the test command does not (docs/packaging.md says why).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
launcher="$REPO/dist/${EXECUTABLE}_linux_arm64"
[[ -x "$launcher" ]] || { echo "$launcher is not built: run bash scripts/build_arm64.sh" >&2; exit 1; }
ensure_venv
ensure_arm64_emulation
# What an arm64 Debian or Ubuntu host has and the bundle does not carry: the C library (the loader
# /lib/ld-linux-aarch64.so.1, libc) and zlib, which PyInstaller's bootloader links. Debian's multiarch
# installs them beside the amd64 ones, so the executable runs unchanged, as on an arm64 machine.
if [[ ! -e /lib/aarch64-linux-gnu/libc.so.6 || ! -e /lib/aarch64-linux-gnu/libz.so.1 ]]; then
  step "arm64 C library and zlib (Debian multiarch: libc6:arm64, zlib1g:arm64)"
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove libc6:arm64 zlib1g:arm64 >/dev/null
fi
started=$SECONDS
step "arm64 executable under emulation: protocol, flow-log and alert queries, frames decoded by the Go SDK"
cd "$REPO"
CLOUDSQL_RELEASE_PLATFORMS=linux_arm64 CLOUDSQL_PLUGIN_EXECUTABLE="$launcher" timeout 900 "$VENV/bin/pytest" -q -p no:cacheprovider \
  tests/release/test_release_package.py::test_backend_is_built_for_its_platform \
  tests/release/test_release_package.py::test_backend_ships_the_native_decoder_with_its_libraries \
  "tests/conformance/test_conformance.py::test_conformance" \
  "tests/conformance/test_conformance.py::test_harness_reports_exactly_the_expected_checks" \
  tests/conformance/test_flowlog_frames.py tests/real_objects/test_empty_times.py tests/real_objects/test_ibm_names.py \
  tests/release/test_spark_client.py
step "arm64 check passed in $((SECONDS - started)) s"
