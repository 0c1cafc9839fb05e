#!/usr/bin/env bash
# The release: both executables in dist/, the arm64 one checked under emulation, one zip per
# platform in build/release/, and the packaging check on the result. Every release goes through
# here; `bash scripts/build.sh` alone builds this machine's platform (what the test command uses).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$REPO/scripts/build_arm64.sh"
bash "$REPO/scripts/build.sh"
bash "$REPO/scripts/check_arm64.sh"
step "packaging check (both platforms)"
cd "$REPO"
CLOUDSQL_RELEASE_PLATFORMS="linux_amd64 linux_arm64" "$VENV/bin/pytest" -q -p no:cacheprovider tests/release
