"""W1 warm: where the dashboard's CPU goes beyond the engine, next to the Parquet baseline (issue 19).

Usage: ``.venv/bin/python bench/w1_warm_steps.py [--data DIR] [--cache DIR] [--reps N]``.

The six panels of W1 (``w1_panels``) run through the plugin's own query pipeline in this process
(``tests/engines/inprocess.py``: macros, dialect, listing and pruning, the engine, shaping and
encoding; no gRPC), one after another, ``--reps`` times over a warm ingest cache (``--cache`` keeps
it between runs, so the cold fill is paid once). Each panel's CPU is this process's CPU (all
threads, DuckDB's included) while it runs, so the figures hold on a shared machine; the steps are
the CPU spent inside the listed pipeline functions. Then plain DuckDB runs the same translated SQL
over one Parquet file of the same rows (``w1_raw``), the engine's limit; printed side by side with
the ratio. Between the two, the statements the plugin's engine ran, with the source views it built for
each (over the ingest entries), run again in a plain DuckDB with the same settings: what is left between
that column and the one-file baseline is the entries themselves (their files, layout and view filters),
what is between it and the plugin is the plugin's own work around DuckDB. Both DuckDB columns count their
``FLOW_FLAT`` rows first, so the baseline is shown to hold the same rows, and write P3 A's result as a
Parquet file as the plugin does for its ``INTO $__dest(parquet)``. Run it at two commits
(``<other checkout>/bench/w1_warm_steps.py``) to compare a change.
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
from cloudsql_cos_ts.flowlogs.spans import MERGER
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


Statement = tuple[str, dict[str, str]]  # engine SQL, and the source views (name -> SELECT body) it ran over


def record_statements(into: list[Statement]) -> Callable[[], None]:
    """Append each statement the engine prepares, with its source views, to ``into``; returns the undo."""
    original: Callable[..., Any] = DuckDBEngine._prepare

    def recording(engine: DuckDBEngine, cursor: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        relations = original(engine, cursor, request, *args, **kwargs)
        into.append((request.sql, dict(relations.views)))
        return relations

    def undo() -> None:
        DuckDBEngine._prepare = original  # type: ignore[method-assign]

    DuckDBEngine._prepare = recording  # type: ignore[method-assign,assignment]
    return undo


def median_ms(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def plugin_cpu(
    data: Path, cache: Path, panels: list[Panel], reps: int
) -> tuple[dict[str, float], dict[str, float], dict[str, list[Statement]]]:
    """Each panel's median CPU milliseconds, each step's milliseconds per dashboard, and each panel's
    statements as the engine ran them."""
    plugin = InProcessPlugin(datasource_json(data, cache / "results"), cache, uid="w1")
    samples: dict[str, list[float]] = {}
    spent: dict[str, float] = {}
    executed: dict[str, list[Statement]] = {}
    try:

        def run(panel: Panel) -> float:
            queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
            began = time.process_time()
            for ref, answer in plugin.run(*queries).items():
                if answer.status != 200:
                    raise SystemExit(f"{panel.name} {ref} failed: {answer.error}")
            return time.process_time() - began

        for _ in range(2):  # fills the ingest cache, then asks for the spans of the warm days (flowlogs/spans.py)
            for panel in panels:
                run(panel)
            MERGER.wait()
        for panel in panels:
            undo = record_statements(executed.setdefault(panel.name, []))
            try:
                run(panel)
            finally:
                undo()
        count_cpu(spent)
        for _ in range(reps):
            for panel in panels:
                samples.setdefault(panel.name, []).append(run(panel))
    finally:
        plugin.close()
    return median_ms(samples), {label: ms * 1000 / reps for label, ms in spent.items()}, executed


def plain_cpu(
    duck: RawDuckDB, panels: list[Panel], reps: int, statement: Callable[[str, str], Statement]
) -> tuple[dict[str, float], int]:
    """Each panel's median CPU milliseconds in a plain DuckDB, ``statement(panel, ref)`` giving the SQL and
    the views it runs over; and the ``FLOW_FLAT`` rows those views hold."""
    samples: dict[str, list[float]] = {}
    try:
        sql, views = statement(panels[-1].name, panels[-1].queries[0].ref)
        rows = duck.run("SELECT count(*) AS n FROM FLOW_FLAT", {}, views)[0].column("n")[0].as_py()
        for rep in range(reps + 1):  # the first pass brings the files into the caches
            for panel in panels:
                previous: dict[str, Any] = {}
                cpu = 0.0
                for query in panel.queries:
                    sql, views = statement(panel.name, query.ref)
                    previous[query.ref], cost = duck.run(sql, previous, views, store=query.stores_result)
                    cpu += cost.cpu
                if rep:
                    samples.setdefault(panel.name, []).append(cpu)
    finally:
        duck.close()
    return median_ms(samples), rows


def parquet_cpu(data: Path, panels: list[Panel], reps: int) -> tuple[dict[str, float], int]:
    sql = translated_sql(panels, data, data.parent / "w1-unused-destination")
    path = parquet_copy(data, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    baseline = RawDuckDB(parquet_view(path), threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    return plain_cpu(baseline, panels, reps, lambda name, ref: (sql[name, ref], {}))


def entries_cpu(executed: dict[str, list[Statement]], panels: list[Panel], reps: int) -> tuple[dict[str, float], int]:
    refs = {(panel.name, query.ref): i for panel in panels for i, query in enumerate(panel.queries)}
    duck = RawDuckDB(None, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    return plain_cpu(duck, panels, reps, lambda name, ref: executed[name][refs[name, ref]])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--cache", type=Path, default=None, help="ingest cache folder kept between runs")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    panels = dashboard(ensure_data(args.data))
    cache = args.cache or Path(tempfile.mkdtemp(prefix="w1-warm-"))
    load = os.getloadavg()[0]
    plugin, steps, executed = plugin_cpu(args.data.resolve(), cache, panels, args.reps)
    entries, entry_rows = entries_cpu(executed, panels, args.reps)
    parquet, parquet_rows = parquet_cpu(args.data.resolve(), panels, args.reps)
    after = os.getloadavg()[0]
    print(f"load average {load:.1f} -> {after:.1f} on {os.cpu_count()} cores; CPU ms, median of {args.reps}:")
    print(f"FLOW_FLAT rows: entries {entry_rows:,}, parquet {parquet_rows:,}")
    print(f"{'panel':<10}{'plugin':>10}{'entries':>10}{'parquet':>10}{'ratio':>8}{'entries/parquet':>17}")
    columns = {panel.name: (plugin[panel.name], entries[panel.name], parquet[panel.name]) for panel in panels}
    columns["dashboard"] = (sum(plugin.values()), sum(entries.values()), sum(parquet.values()))
    for name, (ours, plain, limit) in columns.items():
        print(f"{name:<10}{ours:>10.1f}{plain:>10.1f}{limit:>10.1f}{ours / limit:>8.2f}{plain / limit:>17.2f}")
    print("steps, CPU ms per dashboard (all panels once):")
    for label, ms in steps.items():
        print(f"  {label:<32}{ms:>8.1f}")


if __name__ == "__main__":
    main()
