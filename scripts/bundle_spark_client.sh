#!/usr/bin/env bash
# Build the optional Spark client bundle: the Spark Connect client and what only it needs, as a plain
# folder of installed packages that the plugin's frozen Python adds to its import path when a data
# source uses the Spark engine (settings: spark_client in grafana.ini, docs/engines.md).
#   bash scripts/bundle_spark_client.sh PYTHON OUT
# PYTHON is an interpreter whose environment was installed from requirements.lock (the same one
# bundle.sh freezes, so the client's packages and the bundle's numpy, pyarrow, grpcio and protobuf
# come from one lock); OUT is the folder to write (replaced). Like bundle.sh it runs natively for
# amd64 and, unchanged, inside the arm64 root file system under emulation.
# Why a separate bundle: these packages are about 16 MB of the zip (docs/packaging.md has the
# figures) and the default DuckDB engine never loads them.
set -euo pipefail
python="$1"
out="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The distributions only the Spark engine needs (packaging/spark_client.txt).
distributions="$(grep -v '^#' "$(dirname "${BASH_SOURCE[0]}")/../packaging/spark_client.txt")"
# shellcheck disable=SC2086 # one argument per distribution
"$python" - "$work/site" $distributions <<'EOF'
"""Copy each distribution's installed files (its RECORD) into the target folder."""
import importlib.metadata
import shutil
import sys
from pathlib import Path

target = Path(sys.argv[1])
for name in sys.argv[2:]:
    dist = importlib.metadata.distribution(name)
    for file in dist.files or []:
        source = Path(file.locate())
        if file.parts[0] == ".." or "__pycache__" in file.parts or not source.is_file():
            continue  # scripts outside site-packages, stale byte code
        destination = target / file
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
EOF
site="$work/site"
# pyspark's server side (jars, launch scripts, example data, the worker archives of a local JVM) and
# pandas' own test suite: files no module imports. pyspark's Python packages all stay (its connect
# client imports from ml, pandas-on-Spark and testing helpers).
rm -rf "$site"/pyspark/{jars,bin,sbin,examples,data,licenses,python} "$site/pandas/tests"
find "$site" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0 | xargs -0 -r strip --strip-unneeded
find "$site" \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.pyi' \) -delete
# Byte code compiled now, checked by hash and not by time stamp: the launcher forbids writing it at
# run time (a signed plugin folder must stay unmodified) and a zip does not keep time stamps exactly.
"$python" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$site" >/dev/null
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$site" "$out"
