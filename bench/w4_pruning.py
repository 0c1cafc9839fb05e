"""W4: partition pruning — objects read and time for 1 h / 24 h / 7 d over a generated 7-day set.

Usage: ``.venv/bin/python bench/w4_pruning.py [--data DIR] [--vnics N] [--records-per-object N]``.
Generates the set once (kept in ``DIR``), then for each range ending at the end of the data (as a
Grafana "last 1 h / 24 h / 7 d" panel would ask) runs a cold pass (empty ingest cache) and a warm
pass, and counts COUNT(*) over FLOW_FLAT for the range through DuckDB. A mid-data 1 h range is also
shown, where the one-hour margin after the range costs an extra hour. Goal: 1 h reads <= 1/20 of 24 h.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.timerange import TimeRange

DATA_END = datetime(2026, 11, 20, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def run_range(data: Path, cache_dir: Path, label: str, start: datetime, end: datetime) -> list[str]:
    settings = DatasourceSettings(uid="w4", name="w4", last_updated_ms=0, source=LocalLocation(data))
    row = [label]
    for phase in ("cold", "warm"):
        source = build_duckdb_source(settings, PluginSettings(cache_dir=cache_dir))
        assert source is not None
        began = time.monotonic()
        scan = SourceScan(TimeRange(_ms(start), _ms(end)))  # what a panel's $__timeFilter asks for
        relations = source.relations(scan, frozenset({FLOW_FLAT}), CancelToken())
        count = duckdb.sql(
            f"SELECT count(*) FROM ({relations.views[FLOW_FLAT]}) WHERE TRY_CAST(start_time AS TIMESTAMP) "
            f"BETWEEN TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' AND TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
        ).fetchall()[0]
        seconds = time.monotonic() - began
        s = relations.stats
        if phase == "cold":
            row += [str(s["objects_listed"]), str(s["objects_read"]), str(s["list_calls"]), f"{seconds:.2f}"]
        else:
            row += [str(s["objects_read"]), f"{seconds:.2f}", str(count[0] if count else 0)]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w4-flowlogs")
    parser.add_argument("--vnics", type=int, default=10)
    parser.add_argument("--records-per-object", type=int, default=50)
    args = parser.parse_args()
    if not (args.data / "ibm_vpc_flowlogs_v1").is_dir():
        summary = generate(args.data, vnics=args.vnics, start=DATA_END - timedelta(days=7), end=DATA_END,
                           records_per_object=args.records_per_object, progress=True)
        print(f"generated {summary.objects} objects, {summary.records} records in {summary.seconds:.1f} s",
              file=sys.stderr)
    ranges = [
        ("last 1 h", DATA_END - timedelta(hours=1), DATA_END),
        ("last 24 h", DATA_END - timedelta(hours=24), DATA_END),
        ("last 7 d", DATA_END - timedelta(days=7), DATA_END),
        ("1 h mid-data", DATA_END - timedelta(hours=50, minutes=30), DATA_END - timedelta(hours=49, minutes=30)),
    ]
    header = ["range", "listed", "read (cold)", "list calls", "cold s", "read (warm)", "warm s", "records"]
    rows = []
    for label, start, end in ranges:
        cache_dir = Path(tempfile.mkdtemp(prefix="w4-cache-"))
        try:
            rows.append(run_range(args.data, cache_dir, label, start, end))
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)))
    read_1h, read_24h = int(rows[0][2]), int(rows[1][2])
    print(f"1 h / 24 h objects read: {read_1h}/{read_24h} = {read_1h / read_24h:.3f} (goal <= 0.050)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
