"""W6: Spark (``local[2]``) runs the dashboard's six panels over the W1 set — raw JSON objects vs the flow lake.

Usage: ``.venv/bin/python bench/w6_spark_lake.py [--data DIR] [--lake DIR] [--raw-runs 1] [--lake-runs 3]
[--panels P1,P3] [--spark-url sc://… | --spark-state DIR]`` (``--raw-runs 0``: the lake side alone, e.g. to
compare two trees of the plugin; ``--spark-state``: the started server's state folder, kept afterwards with
its logs, where a failure's cause on the server side is written).
The W1 set (10 vNICs x 7 days, generated once into ``DIR``) is read by one Spark Connect server
(``scripts/spark_connect.sh``, started and stopped here unless ``--spark-url`` is given) through the
whole QueryData pipeline in-process (``tests/engines/inprocess.py``, result cache skipped):

* **raw** — the datasource reads the gzip JSON objects (Spark lists and decodes every object);
* **lake** — the same datasource with a lake location: its days are compacted first (``--lake``,
  reused when its manifests match), and Spark reads each settled day's Parquet part instead.

Each panel: wall seconds and CPU seconds (this process, which runs the plugin's pipeline, plus the
Spark server's JVM when the bench started it: other work shares the machine, CPU does not swing with
it); the first run apart (JVM warm-up, listing) and the median of the others (raw panels take
minutes each, so raw runs once by default), raw and lake side by side, each panel's runs of both sides
one after the other so a change in the machine's load hits both; whether the answers are equal. Goal
(issue 20): every panel <= 2 s over the lake and >= 5x faster than raw.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from w1_cost import Cost, median, own_cpu, process_cpu
from w1_dashboard import canonical, compare
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
CORES = os.cpu_count() or 1
STATS = (
    "ms_listing",
    "ms_spark",
    "hour_folders_read",
    "lake_parts",
    "lake_bytes",
    "inputs_kept_in_spark",
    "checkpoint_failed",
    "kept_inputs_failed",
)
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


def spark_pid(state: Path) -> int | None:
    """The Spark Connect server's JVM (its pid file in the state folder), to count its CPU."""
    found = sorted(state.glob("*.pid"))
    return int(found[0].read_text().strip()) if found else None


def cpu_now(jvm: int | None) -> float:
    """CPU seconds of this process (the plugin's pipeline) and of the Spark server, if it is ours."""
    return own_cpu() + (process_cpu(jvm) if jvm is not None else 0.0)


def run_panel(plugin: InProcessPlugin, panel: Panel, jvm: int | None) -> tuple[Cost, dict[str, Answer]]:
    queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
    began, cpu = time.perf_counter(), cpu_now(jvm)
    answers = plugin.run(*queries, timeout_s=PANEL_TIMEOUT_S)
    took = Cost(time.perf_counter() - began, cpu_now(jvm) - cpu)
    bad = {ref: answer.error for ref, answer in answers.items() if answer.status != 200}
    if bad:
        raise SystemExit(f"{panel.name} failed: {bad}")
    return took, answers


def rows(answer: Answer) -> list[tuple[Any, ...]]:
    return [tuple(map(canonical, row.values())) for frame in answer.frames for row in frame.to_pylist()]


def source_stats(answer: Answer) -> dict[str, Any]:
    """What the engine's source reported for the answer: listing time, Spark's time, folders and parts read, and
    the `$__source_prev` inputs read inside Spark."""
    if not answer.frames:
        return {}
    meta = json.loads((answer.frames[0].schema.metadata or {}).get(b"meta", b"{}"))
    source = meta.get("custom", {}).get("source", {})
    return {key: source[key] for key in STATS if key in source}


def measure(
    plugins: dict[str, InProcessPlugin], panels: list[Panel], runs: dict[str, int], jvm: int | None
) -> dict[str, Any]:
    times: dict[tuple[str, str], list[Cost]] = {}
    answers: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    last: dict[str, Answer] = {}
    for panel in panels:
        for side, plugin in plugins.items():
            for _ in range(runs[side]):
                took, got = run_panel(plugin, panel, jvm)
                last[side] = got[panel.queries[-1].ref]
                times.setdefault((panel.name, side), []).append(took)
                answers[panel.name, side] = rows(got[panel.queries[-1].ref])
        walls = [(s, round(t.wall, 2), round(t.cpu, 2)) for (n, s), v in times.items() if n == panel.name for t in v]
        print(f"{panel.name} (side, wall s, cpu s): {walls}", flush=True)
        for side in plugins:
            print(f"  {side}: {source_stats(last[side])}", flush=True)
    return {"times": times, "answers": answers}


def report(figures: dict[str, Any], panels: list[Panel], sides: list[str]) -> bool:
    """Per panel: each side's first wall time, median wall and CPU; the goal by wall and by CPU / cores."""
    times, answers = figures["times"], figures["answers"]
    header = ["panel", *(f"{s} first s" for s in sides), *(f"{s} median s" for s in sides)]
    header += [f"{s} cpu s" for s in sides]
    if len(sides) == 2:
        header += ["raw/lake s", "raw/lake cpu", "same answer"]
    print("  ".join(header))
    met_wall = met_cpu = True
    for panel in panels:
        first = [times[panel.name, s][0].wall for s in sides]
        warm = [median(times[panel.name, s][1:] or times[panel.name, s]) for s in sides]
        cells = [panel.name, *(f"{t:.2f}" for t in first), *(f"{c.wall:.2f}" for c in warm)]
        cells += [f"{c.cpu:.2f}" for c in warm]
        if len(sides) == 2:
            raw, lake = warm
            agree = compare(answers[panel.name, "lake"], answers[panel.name, "raw"])  # "ties": rows tied at a LIMIT
            same = agree != "NO"
            cells += [f"{raw.wall / lake.wall:.1f}", f"{raw.cpu / lake.cpu:.1f}", agree]
            met_wall = met_wall and same and lake.wall <= PANEL_GOAL_S and raw.wall / lake.wall >= SPEEDUP_GOAL
            met_cpu = met_cpu and same and lake.cpu / CORES <= PANEL_GOAL_S and raw.cpu / lake.cpu >= SPEEDUP_GOAL
        print("  ".join(cells))
    if len(sides) == 2:
        verdict = {True: "MET", False: "NOT MET"}
        print(
            f"goal every panel <= {PANEL_GOAL_S} s over the lake and >= {SPEEDUP_GOAL}x raw: wall {verdict[met_wall]}; "
            f"CPU / {CORES} cores (an idle machine, estimate) {verdict[met_cpu]}"
        )
    return met_wall


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--lake", type=Path, default=None, help="the lake folder (no lake side without it)")
    parser.add_argument(
        "--raw-runs", type=int, default=1, choices=range(10), help="0: the lake side alone (raw takes minutes a panel)"
    )
    parser.add_argument("--lake-runs", type=int, default=3, choices=range(1, 10))
    parser.add_argument("--panels", default="P1,P2,P3,P4,P5,P6", help="comma-separated panel names (P1 to P6)")
    parser.add_argument("--spark-url", default="")
    parser.add_argument("--spark-state", type=Path, default=None, help="the started server's folder, kept (logs)")
    args = parser.parse_args()
    force_utc()
    data = args.data.resolve()
    wanted = args.panels.split(",")
    panels = [panel for panel in dashboard(ensure_data(data)) if panel.name in wanted]
    if not panels:
        parser.error(f"no panel among {args.panels}")
    scratch = Path(tempfile.mkdtemp(prefix="w6-"))
    url, state = args.spark_url, (args.spark_state or scratch / "spark").resolve()
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
        plugins = {"raw": InProcessPlugin(source, scratch / "raw", "w6-raw")} if args.raw_runs else {}
        if args.lake is not None:
            print(f"compaction: {compact(data, args.lake.resolve(), scratch):.1f} s", flush=True)
            folder = str(args.lake.resolve())
            lake = {**source, "lakeLocation": folder, "allowedLocations": [folder]}
            plugins["lake"] = InProcessPlugin(lake, scratch / "lake", "w6-lake")
        runs = {"raw": args.raw_runs, "lake": args.lake_runs}
        figures = measure(plugins, panels, runs, None if args.spark_url else spark_pid(state))
        for plugin in plugins.values():
            plugin.close()
    finally:
        if not args.spark_url:
            subprocess.run([str(SCRIPT), "stop", str(state)], check=False, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average (1 min) before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if report(figures, panels, list(plugins)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
