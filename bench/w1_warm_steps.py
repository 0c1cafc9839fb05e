"""W1 warm: where the dashboard's CPU goes beyond the engine, next to the Parquet baseline (issue 19).

Usage: ``.venv/bin/python bench/w1_warm_steps.py [--data DIR] [--cache DIR] [--reps N]``.

The six panels of W1 (``w1_panels``) run through the plugin's own query pipeline in this process
(``tests/engines/inprocess.py``: macros, dialect, listing and pruning, the engine, shaping and
encoding; no gRPC), one after another, ``--reps`` times over a warm ingest cache (``--cache`` keeps
it between runs, so the cold fill is paid once). Each panel's CPU is this process's CPU (all
threads, DuckDB's included) while it runs, so the figures hold on a shared machine; the steps are
the CPU spent inside the listed pipeline functions. Then plain DuckDB runs the same translated SQL
over one Parquet file of the same rows (``w1_raw``), the engine's limit; printed side by side with
the ratio. Run it at two commits (``PYTHONPATH=<other checkout>/plugin``) to compare a change.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from w1_panels import RANGE, Panel, dashboard, datasource_json, ensure_data, translated_sql
from w1_raw import RawDuckDB, parquet_copy, parquet_view

from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource
from cloudsql_cos_ts.query.pipeline import QueryPipeline
from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS
from cloudsql_cos_ts.storage import results
from tests.engines.inprocess import InProcessPlugin
from tests.plugin_host import data_query

STEPS: list[tuple[Any, str, str]] = [
    (QueryPipeline, "run", "whole request"),
    (DuckDBEngine, "execute", "engine (views, SQL, Arrow)"),
    (DuckDBEngine, "_run", "  DuckDB runs the SQL"),
    (FlowLogSource, "relations", "  listing, pruning, entries"),
    (results, "write_result", "$__dest write (P3 A)"),
]


def count_cpu(spent: dict[str, float]) -> None:
    """Wrap the STEPS so the process CPU spent inside each is added to ``spent``."""
    for owner, name, label in STEPS:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, _original: Callable[..., Any] = original, _label: str = label, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.process_time() - began

        setattr(owner, name, functools.wraps(original)(timed))


def median_ms(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def plugin_cpu(data: Path, cache: Path, panels: list[Panel], reps: int) -> tuple[dict[str, float], dict[str, float]]:
    """Each panel's median CPU milliseconds, and each step's milliseconds per dashboard."""
    plugin = InProcessPlugin(datasource_json(data, cache / "results"), cache, uid="w1")
    samples: dict[str, list[float]] = {}
    spent: dict[str, float] = {}
    try:

        def run(panel: Panel) -> float:
            queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
            began = time.process_time()
            for ref, answer in plugin.run(*queries).items():
                if answer.status != 200:
                    raise SystemExit(f"{panel.name} {ref} failed: {answer.error}")
            return time.process_time() - began

        for panel in panels:  # fills the ingest cache on the first run with this cache folder
            run(panel)
        count_cpu(spent)
        for _ in range(reps):
            for panel in panels:
                samples.setdefault(panel.name, []).append(run(panel))
    finally:
        plugin.close()
    return median_ms(samples), {label: ms * 1000 / reps for label, ms in spent.items()}


def parquet_cpu(data: Path, panels: list[Panel], reps: int) -> dict[str, float]:
    sql = translated_sql(panels, data, data.parent / "w1-unused-destination")
    path = parquet_copy(data, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    baseline = RawDuckDB(parquet_view(path), threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    samples: dict[str, list[float]] = {}
    try:
        for rep in range(reps + 1):  # the first pass brings the file into the caches
            for panel in panels:
                previous: dict[str, Any] = {}
                cpu = 0.0
                for query in panel.queries:
                    previous[query.ref], cost = baseline.run(sql[panel.name, query.ref], previous)
                    cpu += cost.cpu
                if rep:
                    samples.setdefault(panel.name, []).append(cpu)
    finally:
        baseline.close()
    return median_ms(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--cache", type=Path, default=None, help="ingest cache folder kept between runs")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    panels = dashboard(ensure_data(args.data))
    cache = args.cache or Path(tempfile.mkdtemp(prefix="w1-warm-"))
    load = os.getloadavg()[0]
    plugin, steps = plugin_cpu(args.data.resolve(), cache, panels, args.reps)
    parquet = parquet_cpu(args.data.resolve(), panels, args.reps)
    after = os.getloadavg()[0]
    print(f"load average {load:.1f} -> {after:.1f} on {os.cpu_count()} cores; CPU ms, median of {args.reps}:")
    print(f"{'panel':<10}{'plugin':>10}{'parquet':>10}{'ratio':>8}")
    for panel in panels:
        name = panel.name
        print(f"{name:<10}{plugin[name]:>10.1f}{parquet[name]:>10.1f}{plugin[name] / parquet[name]:>8.2f}")
    total, limit = sum(plugin.values()), sum(parquet.values())
    print(f"{'dashboard':<10}{total:>10.1f}{limit:>10.1f}{total / limit:>8.2f}")
    print("steps, CPU ms per dashboard (all panels once):")
    for label, ms in steps.items():
        print(f"  {label:<32}{ms:>8.1f}")


if __name__ == "__main__":
    main()
