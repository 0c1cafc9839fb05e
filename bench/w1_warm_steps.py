"""W1 warm: where the dashboard's CPU goes beyond the engine, next to the Parquet baseline (issue 19).

Usage: ``.venv/bin/python bench/w1_warm_steps.py [--data DIR] [--cache DIR] [--reps N] [--moving-range]``.

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
what is between it and the plugin is the plugin's own work around DuckDB. With ``--moving-range`` each repetition
asks for a range one millisecond later than the one before, as a relative range (``Last 7 days``) asks again at
every refresh: the same rows, but the plugin prepares (expands and translates) every query again instead of
taking it from its memo, which the fixed range lets it do; the step "macros and translation" shows what that
costs. Both DuckDB columns count their
``FLOW_FLAT`` rows first, so the baseline is shown to hold the same rows, and write P3 A's result as a
Parquet file as the plugin does for its ``INTO $__dest(parquet)``. Where the plugin read spans
(``flowlogs/spans.py``; merged before the figures, once the cache is warm), the replay also runs with each span's
entries in its place (``days``), in turns with the replay as run, and the bench merges each span once more to show
what the plugin spends on it in the background. Run it at two commits
(``<other checkout>/bench/w1_warm_steps.py``) to compare a change.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from w1_panels import RANGE, Panel, dashboard, datasource_json, ensure_data, translated_sql
from w1_raw import RawDuckDB, parquet_copy, parquet_view

from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource
from cloudsql_cos_ts.flowlogs.spans import MERGER, Spans, merge, span_path
from cloudsql_cos_ts.query.pipeline import QueryPipeline
from cloudsql_cos_ts.query.prepared import PreparedSqlMemo
from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS
from cloudsql_cos_ts.storage import results
from tests.engines.inprocess import InProcessPlugin
from tests.plugin_host import data_query

STEPS: list[tuple[Any, str, str]] = [
    (QueryPipeline, "run", "whole request"),
    (DuckDBEngine, "execute", "engine (views, SQL, Arrow)"),
    (DuckDBEngine, "_run", "  DuckDB runs the SQL"),
    (FlowLogSource, "relations", "  listing, pruning, entries"),
    (PreparedSqlMemo, "get", "  macros and translation"),
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


def record_runs(into: dict[Path, tuple[Path, ...]]) -> Callable[[], None]:
    """Add each run of day entries a query could read as a span to ``into`` (span path -> the run's entries);
    returns the undo."""
    original: Callable[..., Any] = Spans.reads

    def recording(spans: Spans, entries: Any, runs: Any, **kwargs: Any) -> Any:
        for start, stop in runs:
            run = tuple(entries[start:stop])
            into[span_path(spans.folder, run)] = run
        return original(spans, entries, runs, **kwargs)

    def undo() -> None:
        Spans.reads = original  # type: ignore[method-assign]

    Spans.reads = recording  # type: ignore[method-assign,assignment]
    return undo


def merge_costs(runs: Iterable[tuple[Path, ...]]) -> list[tuple[int, int, float, float]]:
    """Merge each run once more, into a temporary folder: its rows, bytes, CPU and wall milliseconds (what the
    plugin spends once in the background when a run of days is first read warm)."""
    costs = []
    with tempfile.TemporaryDirectory(prefix="w1-spans-") as folder:
        for run in sorted(set(runs)):
            span = span_path(Path(folder), run)
            began, wall = time.process_time(), time.monotonic()
            merge(run, span, threading.Event())
            cpu, wall = time.process_time() - began, time.monotonic() - wall
            costs.append((pq.read_metadata(span).num_rows, span.stat().st_size, cpu * 1000, wall * 1000))
    return costs


def median_ms(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def plugin_cpu(
    data: Path, cache: Path, panels: list[Panel], reps: int, *, moving: bool = False
) -> tuple[dict[str, float], dict[str, float], dict[str, list[Statement]]]:
    """Each panel's median CPU milliseconds, each step's milliseconds per dashboard, and each panel's
    statements as the engine ran them; with ``moving``, each timed repetition's range 1 ms later."""
    plugin = InProcessPlugin(datasource_json(data, cache / "results"), cache, uid="w1")
    samples: dict[str, list[float]] = {}
    spent: dict[str, float] = {}
    executed: dict[str, list[Statement]] = {}
    try:

        def run(panel: Panel, shift_ms: int = 0) -> float:
            queries = [
                data_query(q.ref, q.model, from_ms=RANGE.from_ms + shift_ms, to_ms=RANGE.to_ms + shift_ms)
                for q in panel.queries
            ]
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
        for rep in range(reps):
            for panel in panels:
                samples.setdefault(panel.name, []).append(run(panel, rep + 1 if moving else 0))
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


def without_spans(statement: Statement, spans: dict[Path, tuple[Path, ...]]) -> Statement:
    """The statement with its views reading each span's day entries instead of the span."""
    sql, views = statement
    for span, run in spans.items():
        views = {
            name: body.replace(f"'{span}'", ", ".join(f"'{path}'" for path in run)) for name, body in views.items()
        }
    return sql, views


def entries_cpu(
    executed: dict[str, list[Statement]], panels: list[Panel], reps: int, spans: dict[Path, tuple[Path, ...]]
) -> tuple[dict[str, dict[str, float]], int]:
    """Each panel's median CPU milliseconds for the recorded statements in a plain DuckDB, in turns over the
    views as the plugin built them (``entries``: spans where it read them) and with each span's day entries
    in its place (``days``); and the ``FLOW_FLAT`` rows they hold."""
    refs = {(panel.name, query.ref): i for panel in panels for i, query in enumerate(panel.queries)}
    variants: dict[str, Callable[[str, str], Statement]] = {
        "entries": lambda name, ref: executed[name][refs[name, ref]],
        "days": lambda name, ref: without_spans(executed[name][refs[name, ref]], spans),
    }
    samples: dict[str, dict[str, list[float]]] = {label: {} for label in variants}
    rows = 0
    for _ in range(reps):
        for label, statement in variants.items():
            duck = RawDuckDB(None, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
            cpu, rows = plain_cpu(duck, panels, 1, statement)
            for panel, ms in cpu.items():
                samples[label].setdefault(panel, []).append(ms)
    medians = {label: {panel: statistics.median(ms) for panel, ms in per.items()} for label, per in samples.items()}
    return medians, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--cache", type=Path, default=None, help="ingest cache folder kept between runs")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--moving-range", action="store_true", help="each repetition 1 ms later, as a relative range refreshes"
    )
    args = parser.parse_args()
    panels = dashboard(ensure_data(args.data))
    cache = args.cache or Path(tempfile.mkdtemp(prefix="w1-warm-"))
    load = os.getloadavg()[0]
    runs: dict[Path, tuple[Path, ...]] = {}
    undo = record_runs(runs)
    try:
        plugin, steps, executed = plugin_cpu(args.data.resolve(), cache, panels, args.reps, moving=args.moving_range)
    finally:
        undo()
    replayed, entry_rows = entries_cpu(executed, panels, args.reps, runs)
    entries, days = replayed["entries"], replayed["days"]
    parquet, parquet_rows = parquet_cpu(args.data.resolve(), panels, args.reps)
    after = os.getloadavg()[0]
    print(f"load average {load:.1f} -> {after:.1f} on {os.cpu_count()} cores; CPU ms, median of {args.reps}:")
    print(f"FLOW_FLAT rows: entries {entry_rows:,}, parquet {parquet_rows:,}")
    print("entries: the plugin's views in a plain DuckDB (spans where read); days: each span's day entries instead")
    header = f"{'panel':<10}{'plugin':>10}{'entries':>10}{'days':>10}{'parquet':>10}{'ratio':>8}"
    print(f"{header}{'entries/parquet':>17}{'entries/days':>14}")
    names = [panel.name for panel in panels]
    columns = {name: (plugin[name], entries[name], days[name], parquet[name]) for name in names}
    columns["dashboard"] = (sum(plugin.values()), sum(entries.values()), sum(days.values()), sum(parquet.values()))
    for name, (ours, plain, whole, limit) in columns.items():
        row = f"{name:<10}{ours:>10.1f}{plain:>10.1f}{whole:>10.1f}{limit:>10.1f}{ours / limit:>8.2f}"
        print(f"{row}{plain / limit:>17.2f}{plain / whole:>14.2f}")
    print("steps, CPU ms per dashboard (all panels once):")
    for label, ms in steps.items():
        print(f"  {label:<32}{ms:>8.1f}")
    for rows, size, cpu, wall in merge_costs(runs.values()):
        print(
            f"span merge (once, in the background): {rows:,} rows, {size / 1e6:.1f} MB, {cpu:.0f} CPU ms, {wall:.0f} ms"
        )


if __name__ == "__main__":
    main()
