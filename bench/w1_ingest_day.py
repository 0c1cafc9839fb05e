"""W1's cold cost per day: CPU of building one day's ingest entry, for plugin source trees side by side.

Usage: ``.venv/bin/python bench/w1_ingest_day.py --data DIR --day 2026-11-14 [--reps N] TREE [TREE ...]``
where each ``TREE`` is a folder holding the plugin's ``cloudsql_cos_ts`` package (``plugin`` of a
checkout, or of an ``git archive`` of an earlier commit).

A cold panel's CPU is mostly this build (listing aside): fetch, gunzip, JSON parsing, flattening
and the Parquet write of every object of the day. Through the plugin (``w1_cold.py``) the figure
also carries process start, the query and gRPC, and swings with the machine's load; here only the
build is timed, in a fresh process per tree and repetition (its own imports), the trees taking
turns so that each sees the same load. The figures are that process's CPU seconds over the build
(all its threads: the day's hours decode on helper threads), for the process's first build and for
the same build again (a long-running plugin's caches and allocator are warm), with the median, the
spread and each tree's median against the first tree's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BUILDS = ("first", "again")  # a fresh process's first build of the day, and the same build once more

_CHILD = """
import json, shutil, sys, tempfile, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

data, day, scratch = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]).replace(tzinfo=UTC), sys.argv[3]
store = LocalStore(data)
span = TimeRange(int(day.timestamp() * 1000), int((day + timedelta(days=1)).timestamp() * 1000) - 1)
listed = list_range(store, "", span, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{data}/").prune()
objects = [o for hour in listed.needed.values() for o in hour]
cpu = []
for _ in range(2):  # a fresh process's first build, then the same build again in the same process
    root = Path(tempfile.mkdtemp(dir=scratch))
    cache, stats = IngestCache(root, 1 << 40), IngestStats()
    group = cache.group_dir(store, "", "day")
    began = time.process_time()
    cache.entry_for(store, group, listed=objects, needed=objects, cancel=CancelToken(), stats=stats)
    cpu.append(time.process_time() - began)
    shutil.rmtree(root)
print(json.dumps({"first": cpu[0], "again": cpu[1], "objects": stats.objects_read, "records": stats.records_decoded}))
"""


def build_day(tree: Path, data: Path, day: str, scratch: Path) -> dict[str, float]:
    """One day's entry built by the plugin in ``tree``, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data), day, str(scratch)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a W1 data set (bench/w1_panels.ensure_data)")
    parser.add_argument("--day", required=True, help="the UTC day to build, YYYY-MM-DD")
    parser.add_argument("--reps", type=int, default=5, choices=range(1, 21))
    parser.add_argument("trees", type=Path, nargs="+", help="folders holding the cloudsql_cos_ts package")
    args = parser.parse_args()
    data, trees = args.data.resolve(), [t.resolve() for t in args.trees]
    load_before = os.getloadavg()[0]
    runs: dict[tuple[Path, str], list[float]] = {}
    shape: dict[Path, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="w1-ingest-day-") as scratch:
        for _ in range(args.reps):
            for tree in trees:
                result = build_day(tree, data, args.day, Path(scratch))
                for build in BUILDS:
                    runs.setdefault((tree, build), []).append(result[build])
                shape[tree] = (result["objects"], result["records"])
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}; {args.reps} reps, turns")
    print(f"day {args.day} of {data}")
    print("tree  objects  records  build  cpu min  cpu median  cpu max  median / first tree's")
    for index, tree in enumerate(trees):
        objects, records = shape[tree]
        for build in BUILDS:
            cpu = runs[tree, build]
            middle, first = statistics.median(cpu), statistics.median(runs[trees[0], build])
            print(
                f"{index:<4}  {objects:7.0f}  {records:7.0f}  {build:<5}  {min(cpu):7.3f}  {middle:10.3f}"
                f"  {max(cpu):7.3f}  {middle / first:21.2f}   {tree}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
