"""Wide ranges: CPU seconds of the plugin process for ranges of decades over two hours of flow logs.

Usage: ``.venv/bin/python bench/wide_ranges.py [--plugin-path DIR] [--repeat N]``.

Generates two hours of flow logs for two vNICs (2026-05-08 00:00-02:00 UTC), starts the plugin as
Grafana would (``tests/plugin_host.py``; ``--plugin-path`` runs another checkout's ``plugin/``
folder, e.g. ``git archive <commit> plugin | tar -x -C /tmp/old`` for a before/after comparison) with
the result cache off, and for each case prints the answer's status and the plugin process's CPU
seconds (user + system, psutil) and wall seconds for one QueryData call:

* a count over an empty century (1926 to the day before the data), and a century ending at the data;
* ten years ending at the data;
* a ``$__timeGroup(start_time, '1s', 0)`` fill over ten years (more buckets than the row limit).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context

DATA_END = datetime(2026, 5, 8, 2, tzinfo=UTC)
DATA_START = DATA_END - timedelta(hours=2)
COUNT_SQL = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilter(string)"
FILL_SQL = (
    "SELECT $__timeGroup(start_time, '1s', 0) AS time, count(*) AS n FROM FLOW_FLAT "
    "WHERE $__timeFilter(string) GROUP BY 1"
)
CASES = [
    ("empty century 1926 -> data - 1 d", COUNT_SQL, datetime(1926, 1, 1, tzinfo=UTC), DATA_START - timedelta(days=1)),
    ("century 1926 -> data end", COUNT_SQL, datetime(1926, 1, 1, tzinfo=UTC), DATA_END),
    ("ten years -> data end", COUNT_SQL, DATA_END - timedelta(days=3653), DATA_END),
    ("1 s fill over ten years", FILL_SQL, DATA_END - timedelta(days=3653), DATA_END),
]


def ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def measured(process: psutil.Process, call: Callable[[], pb.DataResponse]) -> tuple[pb.DataResponse, float, float]:
    cpu, wall = cpu_seconds(process), time.monotonic()
    answer = call()
    return answer, cpu_seconds(process) - cpu, time.monotonic() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin-path", type=Path, help="a plugin/ folder to run instead of this checkout's")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="wide-ranges-"))
    generate(scratch / "data", vnics=2, start=DATA_START, end=DATA_END, records_per_object=5)
    env = {"PYTHONPATH": str(args.plugin_path)} if args.plugin_path else {}
    plugin = PluginProcess(cache_dir=scratch / "cache", extra_env=env).start()
    try:
        process = psutil.Process(plugin.process.pid if plugin.process else 0)
        context = datasource_context(
            {"source": str(scratch / "data"), "cacheTtlSeconds": 0, "queryTimeoutSeconds": 120}, uid="wide"
        )
        plugin.query(data_query("W", {"rawSql": COUNT_SQL, "timeColumn": "start_time"}), context=context)  # warm-up
        print(f"{'case':36} {'status':>6} {'cpu s':>7} {'wall s':>7}  answer")
        for label, sql, start, end in CASES:
            for _ in range(args.repeat):
                query = data_query("A", {"rawSql": sql, "timeColumn": "start_time"}, from_ms=ms(start), to_ms=ms(end))
                answer, cpu, wall = measured(
                    process, lambda q=query: plugin.query(q, context=context, timeout=150)["A"]  # type: ignore[misc]
                )
                print(f"{label:36} {answer.status:>6} {cpu:7.2f} {wall:7.2f}  {json.dumps(answer.error[:70])}")
    finally:
        plugin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
