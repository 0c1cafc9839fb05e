#!/usr/bin/env bash
# Type-checks the frontend and builds dist/module.js (+ map, img/, plugin.json with its version and
# date filled in, the plugin page's README, CHANGELOG and LICENSE).
# Never removes anything else from dist/: the backend build writes its executable there too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node_modules
cd "$FRONTEND_DIR"
echo "frontend: type-check"
npx --no-install tsc --noEmit -p .
echo "frontend: production build into $DIST_DIR"
# An older build wrote dist/LICENSE as a folder; the copy of the LICENSE file cannot replace a folder.
rm -rf "$DIST_DIR/LICENSE"
npx --no-install webpack --mode production --stats errors-warnings
ls -l "$DIST_DIR/module.js"
