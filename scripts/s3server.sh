#!/usr/bin/env bash
# Build (once) and print the path of the S3-compatible test server used by tests/storage.
# The server is gofakes3, built from its Go module with the ordinary Go toolchain; the binary is
# cached under .cache/s3server/ (gitignored). Usage: scripts/s3server.sh [path|run ARGS...]
set -euo pipefail
VERSION="v1.2.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.cache/s3server/$VERSION"
BIN="$BIN_DIR/gofakes3"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$BIN" ]]; then
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" GOFLAGS=-buildvcs=false "$GO" install "github.com/johannesboyne/gofakes3/cmd/gofakes3@$VERSION" >&2
fi
case "${1:-path}" in
  path) echo "$BIN" ;;
  run) shift; exec "$BIN" "$@" ;;
  *) echo "usage: $0 [path|run ARGS...]" >&2; exit 2 ;;
esac
