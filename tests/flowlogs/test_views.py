"""FLOW / FLOW_FLAT / __SOURCE relations: columns and types via DESCRIBE, content, empty ranges."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_COLUMNS, FLOW_FLAT, FLOW_FLAT_COLUMNS, SOURCE
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.timerange import TimeRange

ALL = frozenset({FLOW, FLOW_FLAT, SOURCE})


def _views(folder: Path, cache: Path, start: datetime, end: datetime, fmt: str = "flowlogs") -> dict[str, str]:
    settings = DatasourceSettings(uid="v", name="v", last_updated_ms=0, source=LocalLocation(folder),
                                  source_format=fmt)  # type: ignore[arg-type]
    source = build_duckdb_source(settings, PluginSettings(cache_dir=cache))
    assert source is not None
    time_range = TimeRange(int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    return source.relations(SourceScan(time_range), ALL, CancelToken()).views


def _describe(body: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in duckdb.sql(f"DESCRIBE ({body})").fetchall()]


@pytest.mark.parametrize("empty_range", [False, True])
def test_columns_and_types(day_set: tuple[Path, GenerationSummary], tmp_path: Path, empty_range: bool) -> None:
    folder, summary = day_set
    start = summary.start - timedelta(days=30) if empty_range else summary.start
    views = _views(folder, tmp_path, start, start + timedelta(hours=1))
    assert _describe(views[FLOW_FLAT]) == list(FLOW_FLAT_COLUMNS)
    assert _describe(views[FLOW]) == list(FLOW_COLUMNS)
    assert views[SOURCE] == views[FLOW]
    count = duckdb.sql(f"SELECT count(*) FROM ({views[FLOW_FLAT]})").fetchall()[0][0]
    assert (count == 0) == empty_range


def test_only_referenced_views_are_built(day_set: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    folder, summary = day_set
    settings = DatasourceSettings(uid="v", name="v", last_updated_ms=0, source=LocalLocation(folder))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path))
    assert source is not None
    time_range = TimeRange(int(summary.start.timestamp() * 1000), int(summary.end.timestamp() * 1000))
    assert set(source.relations(SourceScan(time_range), frozenset({FLOW_FLAT}), CancelToken()).views) == {FLOW_FLAT}
    assert source.relations(SourceScan(time_range), frozenset({"OTHER"}), CancelToken()).views == {}


def test_flow_rows_match_objects_including_empty_ones(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    summary = generate(tmp_path / "src", vnics=3, start=start, end=start + timedelta(hours=12), records_per_object=1)
    assert summary.empty_objects > 0
    views = _views(tmp_path / "src", tmp_path / "cache", start, start + timedelta(hours=12))
    objects, empty, records, miscounted = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE len(flow_logs) = 0), sum(len(flow_logs)), "
        f"count(*) FILTER (WHERE number_of_flow_logs <> len(flow_logs)) FROM ({views[FLOW]})"
    ).fetchall()[0]
    documents = [json.loads(gzip.decompress(p.read_bytes())) for p in (tmp_path / "src").rglob("*.gz")]
    assert (objects, empty, records) == (summary.objects, summary.empty_objects, summary.records)
    assert miscounted == sum(d["number_of_flow_logs"] != len(d["flow_logs"]) for d in documents)
    flat = duckdb.sql(f"SELECT count(*) FROM ({views[FLOW_FLAT]})").fetchall()[0][0]
    assert flat == summary.records


def test_times_keep_their_text(day_set: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    folder, summary = day_set
    views = _views(folder, tmp_path, summary.start, summary.end)
    row = duckdb.sql(
        f"SELECT start_time, capture_end_time, capture_start_time, connection_start_time FROM ({views[FLOW_FLAT]}) "
        "LIMIT 1"
    ).fetchall()[0]
    assert row[0].endswith("Z") and row[1].endswith("Z")
    assert isinstance(row[2], datetime) and isinstance(row[3], datetime)


def test_plain_file_source(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,a\n2,b\n")
    (folder / "b.csv").write_text("x,y\n3,c\n")
    views = _views(folder, tmp_path / "cache", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC),
                   fmt="csv")
    assert set(views) == {SOURCE}
    assert duckdb.sql(f"SELECT sum(x) FROM ({views[SOURCE]})").fetchall()[0][0] == 6
