#!/usr/bin/env bash
# Build the complete plugin folder dist/ (backend bundle + launcher + frontend) and the release zip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$REPO/scripts/build_backend.sh"
step "frontend (webpack → dist/module.js)"
bash "$REPO/frontend/scripts/build.sh"
bash "$REPO/scripts/package_release.sh"
