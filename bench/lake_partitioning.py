"""Which lake partitioning serves the dashboard: one part per day, per day and hour, or per day and vNIC.

Usage: ``.venv/bin/python bench/lake_partitioning.py [--data DIR] [--work DIR] [--reps N]``.

The W1 week (10 vNICs, 7 days) is compacted into a local lake with ``compact_range`` (its cost is
printed too: cold, then the resumed run that finds every day current). Each day's part is then cut
into 24 hour files and into one file per vNIC, and the six panels' engine SQL (the plugin's own
translation, as W1's raw baseline runs it) runs over each layout with the views the DuckDB engine
builds over ingest entries. The layouts are interleaved in every repetition so they share the load;
CPU seconds are this process's own. A finer layout only pays if the panels prune by it; the files a
cold reader must fetch (one GET each) are printed beside the CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from w1_cost import Cost, median, own_cpu
from w1_dashboard import run_panel
from w1_panels import DATA_END, DATA_START, RANGE, dashboard, ensure_data, translated_sql
from w1_raw import RawDuckDB

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.views import flow_flat_sql, flow_sql
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import RawSource, compact_range
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.flowlogs.pruning import modified_cutoff
from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.local import LocalStore

Split = Callable[[pa.Table], list[pa.Table]]


def by_column(name: str) -> Split:
    def split(table: pa.Table) -> list[pa.Table]:
        column = table.column(name)
        return [table.filter(pc.equal(column, value)) for value in pc.unique(column).to_pylist()]

    return split


LAYOUTS: dict[str, Split | None] = {"day": None, "day+hour": by_column("hour"), "day+vNIC": by_column("vnic-id")}


def compact_week(data: Path, work: Path) -> tuple[list[Path], Cost, Cost]:
    """The week's day parts, the cold compaction's cost, and the resumed run's (every day current)."""
    lake_dir = work / "lake"
    lake_dir.mkdir(parents=True, exist_ok=True)
    lake = open_lake(LocalLocation(lake_dir), LocalLocation(data), Credentials())
    raw = RawSource(LocalStore(data), "", f"{data}/")
    costs = []
    for run in ("cold", "resumed"):
        cache = IngestCache(work / f"cache-{run}", 1 << 34)
        wall, cpu = time.perf_counter(), own_cpu()
        results = compact_range(
            raw, lake, DATA_START.date(), (DATA_END - timedelta(days=1)).date(), cache=cache, cancel=CancelToken()
        )
        costs.append(Cost(time.perf_counter() - wall, own_cpu() - cpu))
        print(f"compaction {run}: {[r.status for r in results]}", file=sys.stderr)
    return [lake_dir / r.part for r in results], costs[0], costs[1]


def layout_files(parts: list[Path], work: Path, name: str, split: Split | None) -> list[Path]:
    if split is None:
        return parts
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for part in parts:
        for n, piece in enumerate(split(pq.read_table(part))):
            path = folder / f"{part.stem}-{n:03d}.parquet"
            pq.write_table(piece, path, compression="zstd")
            files.append(path)
    return files


def views(files: list[Path]) -> str:
    cutoff = modified_cutoff(RANGE)
    return (
        f"CREATE OR REPLACE VIEW FLOW_FLAT AS {flow_flat_sql(files, cutoff)}; "
        f"CREATE OR REPLACE VIEW FLOW AS {flow_sql(files, cutoff)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "lake-partitioning")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    data, work = args.data.resolve(), args.work.resolve()
    panels = dashboard(ensure_data(data))
    sql = translated_sql(panels, data, work / "unused-destination")
    load_before = os.getloadavg()[0]
    parts, cold, resumed = compact_week(data, work)
    files = {name: layout_files(parts, work, name, split) for name, split in LAYOUTS.items()}
    engines = {name: RawDuckDB(views(paths), DEFAULT_THREADS, DEFAULT_MEMORY_LIMIT) for name, paths in files.items()}
    runs: dict[tuple[str, str], list[Cost]] = {}
    try:
        for _ in range(args.reps):
            for panel in panels:
                for name, engine in engines.items():
                    runs.setdefault((name, panel.name), []).append(run_panel(engine, panel, sql)[0])
    finally:
        for engine in engines.values():
            engine.close()
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; {args.reps} reps, medians")
    print(f"compaction of 7 days: cold {cold.wall:.1f} s wall, {cold.cpu:.1f} s CPU; resumed {resumed.wall:.2f} s wall")
    print(f"{'panel':6} " + " ".join(f"{name + ' CPU s':>16}" for name in LAYOUTS) + "  ratios to day (CPU)")
    for panel in panels:
        cpu = {name: median(runs[name, panel.name]).cpu for name in LAYOUTS}
        ratios = " ".join(f"{cpu[name] / cpu['day']:.2f}" for name in LAYOUTS if name != "day")
        print(f"{panel.name:6} " + " ".join(f"{cpu[name]:16.3f}" for name in LAYOUTS) + f"  {ratios}")
    totals = {name: sum(median(runs[name, p.name]).cpu for p in panels) for name in LAYOUTS}
    spreads = {
        name: max(sum(r[i].cpu for (n, _), r in runs.items() if n == name) for i in range(args.reps))
        - min(sum(r[i].cpu for (n, _), r in runs.items() if n == name) for i in range(args.reps))
        for name in LAYOUTS
    }
    print("total  " + " ".join(f"{totals[name]:16.3f}" for name in LAYOUTS))
    print("spread " + " ".join(f"{spreads[name]:16.3f}" for name in LAYOUTS) + "  (max - min dashboard CPU)")
    print("files  " + " ".join(f"{len(files[name]):16d}" for name in LAYOUTS) + "  (GETs of a cold reader)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
