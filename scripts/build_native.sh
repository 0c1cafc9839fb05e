#!/usr/bin/env bash
# Build the native document decoder: native/flowdecode.cpp into OUT, the shared library that
# plugin/cloudsql_cos_ts/flowlogs/native.py loads (default: next to that module).
#   bash scripts/build_native.sh [OUT [G++ FLAGS...]]
# Extra flags come last (tests/flowlogs/test_native_sanitized.py builds a copy with the sanitizers).
# simdjson (Apache-2.0) parses and libdeflate (MIT) inflates, both from Debian's packages, installed
# here when missing. libdeflate is linked in. libsimdjson.so is collected into the bundle by
# PyInstaller as the library's dependency, at the top of runtime/, two folders above the library
# (runtime/cloudsql_cos_ts/flowlogs/): the run path says so, so a machine without simdjson loads
# the bundle's copy. Standalone (no lib.sh): build_arm64.sh runs it inside the arm64 root file
# system, whose package list already holds both.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$src/plugin/cloudsql_cos_ts/flowlogs/libflowdecode.so}"
extra=("${@:2}")
if [[ ! -e /usr/include/simdjson.h || ! -e /usr/include/libdeflate.h ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsimdjson-dev libdeflate-dev >/dev/null
fi
g++ -O2 -std=c++17 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -Wl,-rpath,'$ORIGIN/../..' \
  "${extra[@]}" -o "$out.partial" "$src/native/flowdecode.cpp" -lsimdjson -l:libdeflate.a
mv "$out.partial" "$out"
