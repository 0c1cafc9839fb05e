"""W1: the dashboard's six panels over ~1M flow-log records — cold, warm ingest cache, raw DuckDB.

Usage: ``.venv/bin/python bench/w1_dashboard.py [--data DIR] [--cold-reps N] [--warm-reps N]``.
Generates the set once (kept in ``DIR``: 10 vNICs x 7 days, ~1.08M records), then in one run:

* **cold** — each panel alone against a fresh plugin process with an empty ingest cache (the panel
  pays listing, download, parse and the cache write), then the whole dashboard once on an empty cache
  panel after panel (only the first panel ingests);
* **warm** — the same plugin again: each panel on its own (median of the repetitions) and the six
  panels sent at once as Grafana does when the dashboard loads (median wall time);
* **raw** — plain DuckDB, same version and thread count, running the same translated SQL over the
  gzip files directly (``w1_raw``);
* **parquet** — the engine's limit: plain DuckDB running the same SQL over one Parquet file of the
  same ``FLOW_FLAT`` rows (written once next to the data set; median of the warm repetitions).

The plugin runs as Grafana starts it (``tests/plugin_host.py``) and is measured once its start-up work
is done (``Plugin._settled``), with the datasource's result cache off (``cacheTtlSeconds`` 0): every
answer must say it was not served from the result cache (the bench stops otherwise), and the objects
the warm runs downloaded are counted and printed (0: the warm figures are the engine over the ingest
cache, nothing else). Goals: warm dashboard < 0.5 s and cold <= 1.2x raw (issue 3); cold CPU <= 0.30x
raw and the warm dashboard <= 1.2x the Parquet baseline (issue 19). Each figure is wall seconds and
CPU seconds (``w1_cost``): other work may share the machine, so the load average is printed and the
verdicts are given for both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from w1_cost import ZERO, Cost, median, own_cpu, process_cpu
from w1_panels import RANGE, Panel, dashboard, datasource_json, ensure_data, translated_sql
from w1_raw import RawDuckDB, flow_flat_view, parquet_copy, parquet_view

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS
from tests.plugin_host import PluginProcess, data_query, datasource_context

WARM_GOAL_S = 0.5
COLD_GOAL_RATIO = 1.2
COLD_CPU_GOAL_RATIO = 0.30
PARQUET_GOAL_RATIO = 1.2
REQUEST_TIMEOUT_S = 600
CORES = os.cpu_count() or 1
SETTLE_QUIET_S = 0.25
SETTLE_TIMEOUT_S = 30


@dataclass
class Figures:
    cold: dict[str, list[Cost]] = field(default_factory=dict)
    warm: dict[str, list[Cost]] = field(default_factory=dict)
    raw: dict[str, Cost] = field(default_factory=dict)
    parquet: dict[str, Cost] = field(default_factory=dict)
    cold_dashboard: Cost = ZERO
    warm_dashboard: list[Cost] = field(default_factory=list)
    same_answer: dict[str, str] = field(default_factory=dict)
    warm_downloads: int = 0


class Plugin:
    """One plugin process over the data set, with its own (initially empty) cache directory."""

    def __init__(self, data: Path | str, scratch: Path, secure: dict[str, str] | None = None, **settings: Any) -> None:
        """``data``: a local folder or a ``cos://`` location (``secure`` and ``settings`` say how to reach it)."""
        self.scratch = Path(tempfile.mkdtemp(prefix="w1-plugin-", dir=scratch))
        json_data = {**datasource_json(data, self.scratch / "results"), **settings}
        self.context = datasource_context(json_data, secure, uid="w1")
        self.process = PluginProcess(cache_dir=self.scratch / "cache").start()
        assert self.process.process is not None
        self.pid = self.process.process.pid
        self.downloads: list[int] = []  # flow-log objects each answered query downloaded
        self.startup_cpu = self._settled()

    def _settled(self) -> float:
        """The plugin's CPU seconds once its start-up work (the warm-up thread) is done, waited for.

        Grafana starts its plugins with the server, long before a user opens a dashboard, so a first panel
        meets a plugin that has loaded the query pipeline's modules and opened its result cache. Measured
        from the handshake instead, a cold panel also paid that (about 0.3 CPU-s), which raw DuckDB, already
        imported in this process, does not. Settled means no CPU tick for ``SETTLE_QUIET_S``.
        """
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        spent = process_cpu(self.pid)
        while time.monotonic() < deadline:
            time.sleep(SETTLE_QUIET_S)
            now = process_cpu(self.pid)
            if now - spent < 0.02:
                return now
            spent = now
        raise RuntimeError(f"the plugin was still busy {SETTLE_TIMEOUT_S} s after it started")

    def run(self, panel: Panel) -> dict[str, pb.DataResponse]:
        queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
        answers = self.process.data.QueryData(
            pb.QueryDataRequest(pluginContext=self.context, queries=queries), timeout=REQUEST_TIMEOUT_S
        ).responses
        for ref, answer in answers.items():
            if answer.status != 200:
                raise RuntimeError(f"{panel.name} query {ref} failed ({answer.status}): {answer.error}")
            custom = frame_meta(answer).get("custom", {})
            if custom.get("cache", {}).get("hit"):
                raise RuntimeError(f"{panel.name} query {ref} was served by the result cache: W1 measures the engine")
            self.downloads.append(int(custom.get("source", {}).get("objects_read", 0)))
        return dict(answers)

    def timed(self, *panels: Panel) -> tuple[Cost, list[dict[str, pb.DataResponse]]]:
        """The panels sent at once (as a dashboard load does) and the plugin's wall and CPU cost."""
        wall, cpu = time.perf_counter(), process_cpu(self.pid)
        with ThreadPoolExecutor(len(panels)) as pool:
            answers = list(pool.map(self.run, panels))
        return Cost(time.perf_counter() - wall, process_cpu(self.pid) - cpu), answers

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


def frame_meta(answer: pb.DataResponse) -> dict[str, Any]:
    """The first frame's ``meta`` (empty for an answer without frames, e.g. P3's A)."""
    if not answer.frames:
        return {}
    metadata = pa.ipc.open_file(pa.py_buffer(answer.frames[0])).schema.metadata or {}
    meta: dict[str, Any] = json.loads(metadata.get(b"meta", b"{}"))
    return meta


def canonical(value: Any) -> Any:
    """A value in a form both result kinds share: numbers as floats, times as epoch milliseconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return float(round(moment.timestamp() * 1000))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return value


def frame_rows(answer: pb.DataResponse) -> list[tuple[Any, ...]]:
    """The answer's rows, each prefixed with its frame's label values (one frame per series)."""
    rows: list[tuple[Any, ...]] = []
    for frame in answer.frames:
        table = pa.ipc.open_file(pa.py_buffer(frame)).read_all()
        labels = [json.loads(f.metadata[b"labels"]) for f in table.schema if f.metadata and b"labels" in f.metadata]
        prefix = tuple(labels[0].values()) if labels else ()
        rows += [prefix + tuple(map(canonical, r.values())) for r in table.to_pylist()]
    return rows


def table_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(map(canonical, r.values())) for r in table.to_pylist()]


def compare(got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> str:
    """ "yes", "ties" when only rows tied at a LIMIT cut differ (same counts), else "NO"."""
    if sorted(map(repr, got)) == sorted(map(repr, expected)):
        return "yes"

    def numbers(rows: list[tuple[Any, ...]]) -> list[str]:
        return sorted(repr(tuple(v for v in row if isinstance(v, float))) for row in rows)

    return "ties" if numbers(got) == numbers(expected) else "NO"


def measure(data: Path, scratch: Path, panels: list[Panel], cold_reps: int, warm_reps: int) -> Figures:
    figures = Figures()
    for _ in range(cold_reps):
        for panel in panels:
            plugin = Plugin(data, scratch)
            try:
                figures.cold.setdefault(panel.name, []).append(plugin.timed(panel)[0])
            finally:
                plugin.stop()
    plugin = Plugin(data, scratch)
    try:
        answers: dict[str, dict[str, pb.DataResponse]] = {}
        for panel in panels:
            cost, (answers[panel.name],) = plugin.timed(panel)
            figures.cold_dashboard += cost
        plugin.downloads.clear()
        for _ in range(warm_reps):
            for panel in panels:
                figures.warm.setdefault(panel.name, []).append(plugin.timed(panel)[0])
            figures.warm_dashboard.append(plugin.timed(*panels)[0])
        figures.warm_downloads = sum(plugin.downloads)
    finally:
        plugin.stop()
    measure_raw(data, panels, answers, figures)
    measure_parquet(data, panels, figures, warm_reps)
    return figures


def measure_raw(
    data: Path, panels: list[Panel], plugin_answers: dict[str, dict[str, pb.DataResponse]], figures: Figures
) -> None:
    """Raw DuckDB per panel, and whether its last query's rows equal the plugin's answer."""
    sql = translated_sql(panels, data, data.parent / "w1-unused-destination")
    raw = RawDuckDB(flow_flat_view(data), threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    try:
        for panel in panels:
            figures.raw[panel.name], previous = run_panel(raw, panel, sql)
            last = panel.queries[-1].ref
            got = frame_rows(plugin_answers[panel.name][last])
            figures.same_answer[panel.name] = compare(got, table_rows(previous[last]))
    finally:
        raw.close()


def measure_parquet(data: Path, panels: list[Panel], figures: Figures, reps: int) -> None:
    """Plain DuckDB over one Parquet file of the same rows: each panel's median over ``reps`` warm runs."""
    sql = translated_sql(panels, data, data.parent / "w1-unused-destination")
    path = parquet_copy(data, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    baseline = RawDuckDB(parquet_view(path), threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
    try:
        for panel in panels:
            run_panel(baseline, panel, sql)  # the file's footer and pages into the caches
            figures.parquet[panel.name] = median([run_panel(baseline, panel, sql)[0] for _ in range(reps)])
    finally:
        baseline.close()


def run_panel(duck: RawDuckDB, panel: Panel, sql: dict[tuple[str, str], str]) -> tuple[Cost, dict[str, pa.Table]]:
    """A panel's queries in order (B reads A as ``$__source_prev``): their summed cost and their results."""
    previous: dict[str, pa.Table] = {}
    total = ZERO
    for query in panel.queries:
        previous[query.ref], cost = duck.run(sql[panel.name, query.ref], previous, store=query.stores_result)
        total += cost
    return total, previous


def _cells(cost: Cost | None, digits: int) -> list[str]:
    return ["", ""] if cost is None else [f"{cost.wall:.{digits}f}", f"{cost.cpu:.{digits}f}"]


def _ratio(top: Cost, bottom: Cost) -> list[str]:
    return [f"{top.wall / bottom.wall:.2f}", f"{top.cpu / bottom.cpu:.2f}" if bottom.cpu else "-"]


def table(figures: Figures, panels: list[Panel]) -> list[list[str]]:
    """Rows: per panel, then the dashboard one after another and all at once."""
    rows = []
    for panel in panels:
        cold, raw = median(figures.cold[panel.name]), figures.raw[panel.name]
        warm, parquet = median(figures.warm[panel.name]), figures.parquet[panel.name]
        rows.append(
            [
                panel.name,
                *_cells(cold, 2),
                *_cells(warm, 3),
                *_cells(raw, 2),
                *_cells(parquet, 3),
                *_ratio(cold, raw),
                *_ratio(warm, parquet),
                figures.same_answer[panel.name],
            ]
        )
    raw_total = sum(figures.raw.values(), ZERO)
    warm_total = sum((median(v) for v in figures.warm.values()), ZERO)
    parquet_total = sum(figures.parquet.values(), ZERO)
    rows.append(
        [
            "dashboard, one after another",
            *_cells(figures.cold_dashboard, 2),
            *_cells(warm_total, 3),
            *_cells(raw_total, 2),
            *_cells(parquet_total, 3),
            *_ratio(figures.cold_dashboard, raw_total),
            *_ratio(warm_total, parquet_total),
            "",
        ]
    )
    rows.append(["dashboard, six panels at once", "", "", *_cells(median(figures.warm_dashboard), 3), *[""] * 9])
    return rows


def report(figures: Figures, panels: list[Panel]) -> bool:
    header = [
        "panel",
        "cold s",
        "cold cpu",
        "warm s",
        "warm cpu",
        "raw s",
        "raw cpu",
        "parquet s",
        "parquet cpu",
        "cold/raw s",
        "cold/raw cpu",
        "warm/parquet s",
        "warm/parquet cpu",
        "same answer",
    ]
    rows = table(figures, panels)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    warm = median(figures.warm_dashboard)
    reading = [p.name for p in panels if p.name != "P1"]  # P1 is DESCRIBE: raw DuckDB reads no data for it
    worst_wall = max(median(figures.cold[n]).wall / figures.raw[n].wall for n in reading)
    worst_cpu = max(median(figures.cold[n]).cpu / figures.raw[n].cpu for n in reading)
    verdict = {True: "MET", False: "NOT MET"}
    print(
        f"goal warm, six panels at once < {WARM_GOAL_S} s: wall {warm.wall:.3f} s -> {verdict[warm.wall < WARM_GOAL_S]}"
        f"; CPU {warm.cpu:.3f} s / {CORES} cores = {warm.cpu / CORES:.3f} s on an idle machine (estimate) -> "
        f"{verdict[warm.cpu / CORES < WARM_GOAL_S]}"
    )
    print(
        f"goal cold <= {COLD_GOAL_RATIO}x raw (worst data-reading panel): wall {worst_wall:.2f}x -> "
        f"{verdict[worst_wall <= COLD_GOAL_RATIO]}; CPU {worst_cpu:.2f}x -> {verdict[worst_cpu <= COLD_GOAL_RATIO]}"
    )
    warm_total = sum((median(v) for v in figures.warm.values()), ZERO)
    parquet_total = sum(figures.parquet.values(), ZERO)
    limit_wall, limit_cpu = warm_total.wall / parquet_total.wall, warm_total.cpu / parquet_total.cpu
    print(
        f"goal cold CPU <= {COLD_CPU_GOAL_RATIO}x raw (worst data-reading panel): {worst_cpu:.2f}x -> "
        f"{verdict[worst_cpu <= COLD_CPU_GOAL_RATIO]}"
    )
    print(
        f"goal warm dashboard (one after another) <= {PARQUET_GOAL_RATIO}x the Parquet baseline: wall "
        f"{limit_wall:.2f}x -> {verdict[limit_wall <= PARQUET_GOAL_RATIO]}; CPU {limit_cpu:.2f}x -> "
        f"{verdict[limit_cpu <= PARQUET_GOAL_RATIO]}"
    )
    return warm.wall < WARM_GOAL_S and worst_wall <= COLD_GOAL_RATIO and "NO" not in figures.same_answer.values()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--cold-reps", type=int, default=1, choices=range(1, 10), help="cold passes per panel")
    parser.add_argument("--warm-reps", type=int, default=5)
    args = parser.parse_args()
    panels = dashboard(ensure_data(args.data))
    scratch = Path(tempfile.mkdtemp(prefix="w1-"))
    load_before, cpu_before = os.getloadavg(), own_cpu()
    try:
        figures = measure(args.data.resolve(), scratch, panels, args.cold_reps, args.warm_reps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    every = {"cold": figures.cold, "warm": figures.warm, "warm_dashboard": {"at once": figures.warm_dashboard}}
    walls = {
        phase: {name: [round(c.wall, 3) for c in costs] for name, costs in by.items()} for phase, by in every.items()
    }
    print("all repetitions (wall s):", json.dumps(walls))
    print(
        f"load average (1 min) before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} on {CORES} CPUs; "
        f"bench process CPU {own_cpu() - cpu_before:.1f} s"
    )
    print(f"warm runs: no answer from the result cache; flow-log objects downloaded: {figures.warm_downloads}")
    met = report(figures, panels)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
