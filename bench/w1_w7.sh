#!/usr/bin/env bash
# W7 and W1 side by side in one run (issue 19): the memory of big answers (with the default settings, then
# with room for them under an explicit process budget), then W1's cold CPU against raw DuckDB read_json and
# the warm dashboard against plain DuckDB over one Parquet file. Each part is bounded in time.
# Usage: bash bench/w1_w7.sh [DATA_DIR]   (W1's set is generated into DATA_DIR the first time)
set -u
cd "$(dirname "$0")"
data="${1:-${TMPDIR:-/tmp}/w1-flowlogs}"
py=../.venv/bin/python
timeout 900 "$py" w7_memory.py --data "$data" --concurrency 1,5,20
timeout 900 "$py" w7_memory.py --data "$data" --concurrency 1,5,20 --json-data '{"queryMemoryLimitMB": 8000}' \
  --answer-memory-mb 6000
timeout 2400 "$py" w1_dashboard.py --data "$data" --cold-reps 1 --warm-reps 5
