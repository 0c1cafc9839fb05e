"""The six dashboard panels' latency on Spark (Spark Connect) vs embedded DuckDB, same data.

Run: .venv/bin/python bench/spark_vs_duckdb.py [--vnics 4] [--hours 24] [--runs 3] [--spark-url sc://…]
Without --spark-url a local server is started with scripts/spark_connect.sh (and stopped after).
Each panel goes through the whole QueryData pipeline in-process (tests/engines/inprocess.py) with
the result cache skipped; the first run of each panel (cold: ingest for DuckDB, JVM warm-up and
file listing for Spark) is shown apart from the median of the following runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cloudsql_cos_ts.flowlogs.generator import generate  # noqa: E402
from cloudsql_cos_ts.timerange import force_utc  # noqa: E402
from tests.dashboard.shipped import load_queries  # noqa: E402
from tests.engines.inprocess import InProcessPlugin  # noqa: E402
from tests.plugin_host import data_query  # noqa: E402

START = datetime(2024, 5, 6, tzinfo=UTC)
PANELS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "P1": [("A", "P1", {})],
    "P2": [("A", "P2", {"format": "table", "timeColumn": "start_time"})],
    "P3": [("A", "P3A", {"getResult": False}),
           ("B", "P3B", {"format": "time_series", "timeColumn": "tt", "metricsColumn": "action"})],
    "P4": [("A", "P4", {})],
    "P5": [("A", "P5", {})],
    "P6": [("A", "P6", {})],
}


def timed_runs(plugin: InProcessPlugin, queries: list[Any], runs: int) -> tuple[float, float]:
    """(first run, median of the others) in milliseconds; fails loudly on an error answer."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        answers = plugin.run(*queries)
        times.append((time.perf_counter() - began) * 1000)
        bad = {ref: a.error for ref, a in answers.items() if a.status != 200}
        if bad:
            raise SystemExit(f"a panel failed: {bad}")
    return times[0], statistics.median(times[1:] or times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vnics", type=int, default=4)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spark-url", default="")
    args = parser.parse_args()
    force_utc()
    work = Path(tempfile.mkdtemp(prefix="spark-vs-duckdb-"))
    end = START + timedelta(hours=args.hours)
    summary = generate(work / "data", vnics=args.vnics, start=START, end=end, records_per_object=40, seed=7)
    print(f"data: {summary.objects} objects, {summary.records} records, {args.hours} h, {args.vnics} vNICs")
    script = REPO / "scripts" / "spark_connect.sh"
    url = args.spark_url
    if not url:
        url = subprocess.run([str(script), "start", str(work / "spark")], check=True, capture_output=True,
                             text=True).stdout.strip().splitlines()[-1]
    try:
        source = {"source": str(work / "data"), "destination": str(work / "dest")}
        duck = InProcessPlugin(source, work / "c1", "duck")
        spark = InProcessPlugin({**source, "engine": "spark", "sparkUrl": url}, work / "c2", "spark")
        text = load_queries()
        print(f"{'panel':6} {'duckdb first':>13} {'duckdb warm':>12} {'spark first':>12} {'spark warm':>11}")
        for panel, parts in PANELS.items():
            queries = [
                data_query(ref, {"rawSql": text[name].replace("${target_ip}", summary.scanned_target), **model},
                           from_ms=int(START.timestamp() * 1000), to_ms=int(end.timestamp() * 1000))
                for ref, name, model in parts
            ]
            d_first, d_warm = timed_runs(duck, queries, args.runs)
            s_first, s_warm = timed_runs(spark, queries, args.runs)
            print(f"{panel:6} {d_first:>11.0f}ms {d_warm:>10.0f}ms {s_first:>10.0f}ms {s_warm:>9.0f}ms")
        duck.close()
        spark.close()
    finally:
        if not args.spark_url:
            subprocess.run([str(script), "stop", str(work / "spark")], check=False, capture_output=True)


if __name__ == "__main__":
    main()
