"""W6: Spark (``local[2]``) runs the dashboard's six panels over the W1 set — raw JSON objects vs the flow lake.

Usage: ``.venv/bin/python bench/w6_spark_lake.py [--data DIR] [--lake DIR] [--raw-runs 1] [--lake-runs 3]
[--spark-url sc://…]``.
The W1 set (10 vNICs x 7 days, generated once into ``DIR``) is read by one Spark Connect server
(``scripts/spark_connect.sh``, started and stopped here unless ``--spark-url`` is given) through the
whole QueryData pipeline in-process (``tests/engines/inprocess.py``, result cache skipped):

* **raw** — the datasource reads the gzip JSON objects (Spark lists and decodes every object);
* **lake** — the same datasource with a lake location: its days are compacted first (``--lake``,
  reused when its manifests match), and Spark reads each settled day's Parquet part instead.

Each panel: the first run apart (JVM warm-up, listing) and the median of the others (raw panels take
minutes each, so raw runs once by default), raw and lake side by side, each panel's runs of both sides
one after the other so a change in the machine's load hits both; whether the answers are equal. Goal
(issue 20): every panel <= 2 s over the lake and >= 5x faster than raw.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from w1_dashboard import canonical
from w1_panels import DATA_END, DATA_START, RANGE, Panel, dashboard, ensure_data

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import RawSource, compact_range
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import force_utc
from tests.engines.inprocess import Answer, InProcessPlugin
from tests.plugin_host import data_query

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "spark_connect.sh"
PANEL_GOAL_S = 2.0
SPEEDUP_GOAL = 5.0
COMPACT_CACHE_BYTES = 8 * 1024**3  # the plugin's default ingest cache size
PANEL_TIMEOUT_S = 1800  # the datasource's query timeout too (raw panels exceed the default)


def compact(data: Path, lake: Path, scratch: Path) -> float:
    """The W1 days into the lake at ``lake`` (days already current are skipped): wall seconds."""
    began = time.perf_counter()
    raw = RawSource(LocalStore(data), "", context=f"{data}/")
    target = open_lake(LocalLocation(lake), LocalLocation(data), Credentials())
    cache = IngestCache(scratch / "compact-cache", COMPACT_CACHE_BYTES)
    last = (DATA_END - timedelta(days=1)).date()  # the range ends at a midnight
    results = compact_range(raw, target, DATA_START.date(), last, cache=cache, cancel=CancelToken())
    print(f"lake: {[(str(r.day), r.status) for r in results]}", flush=True)
    return time.perf_counter() - began


def run_panel(plugin: InProcessPlugin, panel: Panel) -> tuple[float, dict[str, Answer]]:
    queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
    began = time.perf_counter()
    answers = plugin.run(*queries, timeout_s=PANEL_TIMEOUT_S)
    took = time.perf_counter() - began
    bad = {ref: answer.error for ref, answer in answers.items() if answer.status != 200}
    if bad:
        raise SystemExit(f"{panel.name} failed: {bad}")
    return took, answers


def rows(answer: Answer) -> list[str]:
    return sorted(repr(tuple(map(canonical, row.values()))) for frame in answer.frames for row in frame.to_pylist())


def measure(plugins: dict[str, InProcessPlugin], panels: list[Panel], runs: dict[str, int]) -> dict[str, Any]:
    times: dict[tuple[str, str], list[float]] = {}
    answers: dict[tuple[str, str], list[str]] = {}
    for panel in panels:
        for side, plugin in plugins.items():
            for _ in range(runs[side]):
                took, got = run_panel(plugin, panel)
                times.setdefault((panel.name, side), []).append(took)
                answers[panel.name, side] = rows(got[panel.queries[-1].ref])
        print(f"{panel.name}: {[(s, round(t, 2)) for (n, s), v in times.items() if n == panel.name for t in v]}")
    return {"times": times, "answers": answers}


def report(figures: dict[str, Any], panels: list[Panel], sides: list[str]) -> bool:
    times, answers = figures["times"], figures["answers"]
    header = ["panel", *(f"{s} first s" for s in sides), *(f"{s} median s" for s in sides)]
    if len(sides) == 2:
        header += ["raw/lake", "same answer"]
    print("  ".join(header))
    met = True
    for panel in panels:
        first = [times[panel.name, s][0] for s in sides]
        warm = [statistics.median(times[panel.name, s][1:] or times[panel.name, s]) for s in sides]
        cells = [panel.name, *(f"{t:.2f}" for t in first), *(f"{t:.2f}" for t in warm)]
        if len(sides) == 2:
            same = answers[panel.name, "raw"] == answers[panel.name, "lake"]
            cells += [f"{warm[0] / warm[1]:.1f}", "yes" if same else "NO"]
            met = met and same and warm[1] <= PANEL_GOAL_S and warm[0] / warm[1] >= SPEEDUP_GOAL
        print("  ".join(cells))
    if len(sides) == 2:
        print(
            f"goal every panel <= {PANEL_GOAL_S} s over the lake and >= {SPEEDUP_GOAL}x raw: "
            f"{'MET' if met else 'NOT MET'}"
        )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--lake", type=Path, default=None, help="the lake folder (no lake side without it)")
    parser.add_argument("--raw-runs", type=int, default=1, choices=range(1, 10))
    parser.add_argument("--lake-runs", type=int, default=3, choices=range(1, 10))
    parser.add_argument("--spark-url", default="")
    args = parser.parse_args()
    force_utc()
    data = args.data.resolve()
    panels = dashboard(ensure_data(data))
    scratch = Path(tempfile.mkdtemp(prefix="w6-"))
    url, state = args.spark_url, scratch / "spark"
    if not url:
        url = subprocess.run([str(SCRIPT), "start", str(state)], check=True, capture_output=True, text=True)
        url = url.stdout.strip().splitlines()[-1]
    load_before = os.getloadavg()
    try:
        source = {
            "source": str(data),
            "destination": str(scratch / "dest"),
            "engine": "spark",
            "sparkUrl": url,
            "queryTimeoutSeconds": PANEL_TIMEOUT_S,
        }
        plugins = {"raw": InProcessPlugin(source, scratch / "raw", "w6-raw")}
        if args.lake is not None:
            print(f"compaction: {compact(data, args.lake.resolve(), scratch):.1f} s", flush=True)
            folder = str(args.lake.resolve())
            lake = {**source, "lakeLocation": folder, "allowedLocations": [folder]}
            plugins["lake"] = InProcessPlugin(lake, scratch / "lake", "w6-lake")
        figures = measure(plugins, panels, {"raw": args.raw_runs, "lake": args.lake_runs})
        for plugin in plugins.values():
            plugin.close()
    finally:
        if not args.spark_url:
            subprocess.run([str(SCRIPT), "stop", str(state)], check=False, capture_output=True)
    print(f"load average (1 min) before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if report(figures, panels, list(plugins)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
