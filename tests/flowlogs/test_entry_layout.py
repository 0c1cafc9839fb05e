"""Entries carry the capture end parsed once, compressed for where they live, and old entries still answer.

The reference for every answer is DuckDB parsing ``capture_end_time``'s text on each row, which is what the
views did before the parsed column existed and still do over entries written without it: entries of both
layouts, alone and mixed in one scan, must keep exactly the same rows, empty and unparseable times included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.views import flow_flat_sql
from cloudsql_cos_ts.flowlogs.assemble import LAKE_CODEC, LOCAL_CODEC, rewrite
from cloudsql_cos_ts.flowlogs.decode import (
    CAPTURE_END_TS,
    ENTRY_SCHEMA,
    KEY,
    LAST_MODIFIED,
    RECORD_INDEX,
    UNTYPED_END_SCHEMA,
    is_entry_layout,
)
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

HOUR = datetime(2026, 2, 1, 10, tzinfo=UTC)
MODIFIED = datetime(2026, 2, 1, 12)
CUTOFF = datetime(2026, 1, 1, tzinfo=UTC)
TEXT_END = "timezone('UTC', TRY_CAST(capture_end_time AS TIMESTAMPTZ))"
# capture_end_time as real objects hold it: RFC 3339 in UTC or with an offset, empty, missing, no time at all.
END_TIMES = [
    "2026-02-01T10:05:00Z",
    "2026-02-01T10:20:00.5Z",
    "2026-02-01T11:10:00+01:00",
    "2026-02-01 10:40:00",
    "",
    None,
    "not a time",
]


def _span(start: datetime, end: datetime) -> TimeRange:
    return TimeRange(int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def _query(sql: str) -> list[tuple[object, ...]]:
    """On a connection of its own: a result left open on DuckDB's default one fails later tests' ``duckdb.sql``."""
    with duckdb.connect() as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An hour's entry built by the ingest cache from generated objects."""
    tmp_path = tmp_path_factory.mktemp("layout")
    generate(tmp_path / "src", vnics=1, start=HOUR, end=HOUR + timedelta(hours=1), records_per_object=3)
    store = LocalStore(tmp_path / "src")
    span = _span(HOUR, HOUR + timedelta(hours=1))
    listed = list_range(store, "", span, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{tmp_path}/src/")
    objects = listed.prune().listed[HOUR]
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    group_dir = cache.group_dir(store, "", "h")
    return cache.entry_for(store, group_dir, listed=objects, needed=objects, cancel=CancelToken(), stats=IngestStats())


def _codecs(path: Path) -> set[str]:
    meta = pq.read_metadata(path)
    return {
        meta.row_group(g).column(c).compression for g in range(meta.num_row_groups) for c in range(meta.num_columns)
    }


def test_local_entries_are_snappy_and_a_rewrite_takes_the_lake_codec(built: Path, tmp_path: Path) -> None:
    assert _codecs(built) == {LOCAL_CODEC.upper()}
    part = tmp_path / "part.parquet"
    rewrite(built, part, LAKE_CODEC)
    assert _codecs(part) == {LAKE_CODEC.upper()}
    assert pq.read_table(part).equals(pq.read_table(built))  # same rows in the same order: side files pair by place


def test_the_parsed_end_is_the_views_parse_of_the_text(built: Path) -> None:
    assert pq.read_schema(built).equals(ENTRY_SCHEMA)
    counts = _query(
        f"SELECT count(*), count({CAPTURE_END_TS}), count(*) FILTER ({CAPTURE_END_TS} IS DISTINCT FROM {TEXT_END}) "
        f"FROM read_parquet('{built}')"
    )
    rows, parsed, differing = counts[0]
    assert rows == parsed and differing == 0 and parsed != 0


def _old_entry(path: Path) -> Path:
    """An entry in the layout before the parsed end: one object per end time, its first record."""
    rows = [
        {
            KEY: f"k/{i}",
            RECORD_INDEX: 1,
            LAST_MODIFIED: MODIFIED,
            "capture_start_time": None if i % 3 == 0 else datetime(2026, 2, 1, 10, 5 * i),
            "capture_end_time": end,
            "start_time": "2026-02-01T10:00:00Z",
        }
        for i, end in enumerate(END_TIMES)
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=UNTYPED_END_SCHEMA), path)
    return path


@pytest.fixture
def layouts(tmp_path: Path) -> tuple[Path, Path]:
    """The same rows in the old layout and copied into the current one (as a rebuild from it would)."""
    old = _old_entry(tmp_path / "old.parquet")
    new = tmp_path / "new.parquet"
    rewrite(old, new, LOCAL_CODEC)
    return old, new


def test_a_copy_of_an_old_entry_gets_the_parsed_end(layouts: tuple[Path, Path]) -> None:
    old, new = layouts
    assert is_entry_layout(pq.read_schema(old)) and is_entry_layout(pq.read_schema(new))
    parsed = _query(f"SELECT {TEXT_END} FROM read_parquet('{old}')")
    assert _query(f"SELECT {CAPTURE_END_TS} FROM read_parquet('{new}')") == parsed
    assert sum(moment is None for (moment,) in parsed) == 3  # empty, missing, not a time


WINDOWS = [
    _span(datetime(2026, 2, 1, 10, 0, tzinfo=UTC), datetime(2026, 2, 1, 10, 6, tzinfo=UTC)),
    _span(datetime(2026, 2, 1, 10, 12, tzinfo=UTC), datetime(2026, 2, 1, 10, 21, tzinfo=UTC)),
    _span(datetime(2026, 2, 1, 10, 30, tzinfo=UTC), datetime(2026, 2, 1, 11, 0, tzinfo=UTC)),
    _span(datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)),
]


@pytest.mark.parametrize("window", WINDOWS, ids=["first", "middle", "late", "none"])
@pytest.mark.parametrize("order", ["old", "new", "old+new", "new+old"])
def test_window_filters_keep_the_same_rows_over_either_layout(
    layouts: tuple[Path, Path], window: TimeRange, order: str
) -> None:
    old, new = layouts
    files = {"old": old, "new": new}
    paths = [files[name] for name in order.split("+")]
    sql = flow_flat_sql(paths, CUTOFF, window)
    assert (CAPTURE_END_TS in sql) is (order == "new")  # read only when every entry has it
    kept = _query(f"SELECT capture_end_time FROM ({sql}) ORDER BY ALL")
    reference = _query(f"SELECT capture_end_time FROM ({flow_flat_sql([old], CUTOFF, window)}) ORDER BY ALL")
    assert kept == sorted(reference * len(paths))
