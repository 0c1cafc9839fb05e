"""W1 cold panels only: each panel against a fresh plugin with an empty ingest cache, optionally beside a baseline.

Usage: ``.venv/bin/python bench/w1_cold.py [--data DIR] [--panels P2,P4] [--reps N] [--baseline COMMAND]
[--baseline-data DIR] [--raw]``.

The cold scan is what the number of objects drives (listing, reading, decoding each object), and
``w1_dashboard.py`` measures it only next to the warm, raw and Parquet phases, which make a run
long. This runs just the cold panels, ``--reps`` times each (median), and with ``--baseline``
(a plugin executable, e.g. an earlier build or a wrapper that starts an earlier source tree) runs
the baseline's cold panel right after each of the plugin's, so both see the same machine load: the
figures come side by side in one run, with the CPU ratio. ``--baseline-data`` gives the baseline
another data set (e.g. one written by an earlier generator, to compare a new set's cost with the
old one's figures). ``--raw`` also runs plain DuckDB's ``read_json`` over the same files (``w1_raw``)
right after each cold panel and prints issue 19's goal line (cold CPU <= 0.30x raw), without the warm
and Parquet phases that make ``w1_dashboard.py`` long. The plugin under test is the source tree,
or ``CLOUDSQL_PLUGIN_EXECUTABLE`` as for the tests. CPU seconds are the plugin process's own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from w1_cost import Cost, median
from w1_dashboard import COLD_CPU_GOAL_RATIO, Plugin, run_panel
from w1_panels import dashboard, ensure_data, translated_sql
from w1_raw import RawDuckDB, flow_flat_view

from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS

EXECUTABLE_VARIABLE = "CLOUDSQL_PLUGIN_EXECUTABLE"  # read by tests/plugin_host.py when a plugin starts


@contextmanager
def executable(command: str | None) -> Iterator[None]:
    """Plugins started inside run ``command`` (None: the plugin under test, unchanged)."""
    if command is None:
        yield
        return
    before = os.environ.get(EXECUTABLE_VARIABLE)
    os.environ[EXECUTABLE_VARIABLE] = command
    try:
        yield
    finally:
        if before is None:
            del os.environ[EXECUTABLE_VARIABLE]
        else:
            os.environ[EXECUTABLE_VARIABLE] = before


def cold(data: Path, scratch: Path, panel_name: str, command: str | None) -> tuple[Cost, float]:
    """One panel over ``data`` on a fresh plugin process with an empty ingest cache, and the CPU seconds the
    plugin spent starting before it (not part of the panel's cost: see ``Plugin._settled``)."""
    panel = next(p for p in dashboard(ensure_data(data)) if p.name == panel_name)
    with executable(command):
        plugin = Plugin(data, scratch)
    try:
        return plugin.timed(panel)[0], plugin.startup_cpu
    finally:
        plugin.stop()


def raw(data: Path, panel_name: str) -> Cost:
    """One panel in plain DuckDB over the gzip files (the engine's thread count), in this process."""
    panels = [p for p in dashboard(ensure_data(data)) if p.name == panel_name]
    sql = translated_sql(panels, data, data.parent / "w1-unused-destination")
    duck = RawDuckDB(flow_flat_view(data), threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    try:
        return run_panel(duck, panels[0], sql)[0]
    finally:
        duck.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--panels", default="P2,P4", help="comma-separated panel names (P1 to P6)")
    parser.add_argument("--reps", type=int, default=1, choices=range(1, 10))
    parser.add_argument("--baseline", help="a plugin executable to run beside each cold panel")
    parser.add_argument("--baseline-data", type=Path, help="the baseline's data set (default: --data)")
    parser.add_argument("--raw", action="store_true", help="also plain DuckDB read_json per panel, and the ratio")
    args = parser.parse_args()
    data, names = args.data.resolve(), args.panels.split(",")
    baseline_data = (args.baseline_data or args.data).resolve()
    known = {p.name for p in dashboard(ensure_data(data))}
    if unknown := set(names) - known:
        parser.error(f"unknown panels {sorted(unknown)}; known: {sorted(known)}")
    load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="w1-cold-"))
    runs: dict[tuple[str, str], list[Cost]] = {}
    startups: list[float] = []
    try:
        for _ in range(args.reps):
            for name in names:
                panel_cost, startup = cold(data, scratch, name, None)
                runs.setdefault((name, "plugin"), []).append(panel_cost)
                startups.append(startup)
                if args.baseline:
                    panel_cost, _ = cold(baseline_data, scratch, name, args.baseline)
                    runs.setdefault((name, "baseline"), []).append(panel_cost)
                if args.raw:
                    runs.setdefault((name, "raw"), []).append(raw(data, name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}; median of {args.reps}")
    print(f"plugin over {data}" + (f"; baseline {args.baseline} over {baseline_data}" if args.baseline else ""))
    print(f"each plugin measured once started (start-up CPU median {statistics.median(startups):.2f} s, not counted)")
    print(
        "panel  cold s  cold cpu"
        + ("  baseline s  baseline cpu  cpu ratio" if args.baseline else "")
        + ("  raw s  raw cpu  cold/raw cpu" if args.raw else "")
    )
    for name in names:
        mine = median(runs[name, "plugin"])
        line = f"{name:<5}  {mine.wall:6.2f}  {mine.cpu:8.2f}"
        if args.baseline:
            base = median(runs[name, "baseline"])
            line += f"  {base.wall:10.2f}  {base.cpu:12.2f}  {mine.cpu / base.cpu:9.2f}"
        if args.raw:
            plain = median(runs[name, "raw"])
            line += f"  {plain.wall:5.2f}  {plain.cpu:7.2f}  {mine.cpu / plain.cpu:12.2f}"
        print(line)
    if args.raw:
        worst = max(median(runs[n, "plugin"]).cpu / median(runs[n, "raw"]).cpu for n in names)
        verdict = "MET" if worst <= COLD_CPU_GOAL_RATIO else "NOT MET"
        print(f"goal cold CPU <= {COLD_CPU_GOAL_RATIO}x raw (worst panel): {worst:.2f}x -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
