"""Entries' footers say whether a row may predate the pruning cutoff; the views state the cutoff only then.

Entries here are Parquet files in the stored-entry layout with chosen ``LastModified`` values, written
with or without the row-group statistics the ingest writer records, so every answer of the footer is
checked against DuckDB's own reading of the same files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.engines.duckdb.views import flow_flat_sql, flow_sql
from cloudsql_cos_ts.flowlogs.decode import ENTRY_SCHEMA, KEY, LAST_MODIFIED, RECORD_INDEX
from cloudsql_cos_ts.flowlogs.entry_footer import modified_before

CUTOFF = datetime(2026, 3, 1, 11, 59, tzinfo=UTC)
BEFORE, AFTER = CUTOFF - timedelta(hours=2), CUTOFF + timedelta(hours=1)


def _entry(path: Path, modified: list[datetime], *, statistics: bool = True, row_group: int = 2) -> Path:
    """One row per object (its first record) for each ``modified`` time, ``row_group`` rows per group."""
    rows = [
        {KEY: f"{path.stem}/{i}", RECORD_INDEX: 1, LAST_MODIFIED: moment.astimezone(UTC).replace(tzinfo=None)}
        for i, moment in enumerate(modified)
    ]
    table = pa.Table.from_pylist(rows, schema=ENTRY_SCHEMA)
    pq.write_table(table, path, write_statistics=[LAST_MODIFIED] if statistics else False, row_group_size=row_group)
    return path


def _count(sql: str) -> int:
    """On a connection of its own: a result left open on DuckDB's default one fails later tests' ``duckdb.sql``."""
    with duckdb.connect() as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("modified", "statistics", "expected"),
    [
        ([AFTER, AFTER, AFTER], True, False),  # every object is newer: the predicate keeps every row
        ([CUTOFF, AFTER], True, False),  # modified exactly at the cutoff is kept
        ([AFTER, AFTER, BEFORE], True, True),  # an older object in the second row group
        ([], True, False),  # no rows
        ([AFTER], False, True),  # no statistics: the footer cannot tell
    ],
)
def test_footer_answers_as_the_rows_do(
    tmp_path: Path, modified: list[datetime], statistics: bool, expected: bool
) -> None:
    path = _entry(tmp_path / "entry.parquet", modified, statistics=statistics)
    assert modified_before([path], CUTOFF) is expected
    older = f"SELECT count(*) FROM read_parquet('{path}') WHERE {LAST_MODIFIED} < TIMESTAMP '2026-03-01 11:59:00'"
    assert (_count(older) > 0) is (expected and statistics)


def test_any_entry_with_an_older_row_counts_and_a_missing_one_cannot_tell(tmp_path: Path) -> None:
    newer = _entry(tmp_path / "newer.parquet", [AFTER])
    older = _entry(tmp_path / "older.parquet", [BEFORE])
    assert not modified_before([newer, newer], CUTOFF)
    assert modified_before([newer, older], CUTOFF)
    assert modified_before([newer, tmp_path / "gone.parquet"], CUTOFF)


def test_a_file_written_again_is_read_again(tmp_path: Path) -> None:
    path = _entry(tmp_path / "entry.parquet", [AFTER])
    assert not modified_before([path], CUTOFF)
    _entry(path, [BEFORE, AFTER, AFTER])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert modified_before([path], CUTOFF)


@pytest.mark.parametrize("build", [flow_flat_sql, flow_sql], ids=["FLOW_FLAT", "FLOW"])
def test_views_state_the_cutoff_only_when_a_row_can_fail_it(
    tmp_path: Path, build: Callable[[list[Path], datetime], str]
) -> None:
    newer = _entry(tmp_path / "newer.parquet", [AFTER, AFTER])
    older = _entry(tmp_path / "older.parquet", [BEFORE, AFTER])
    lean, guarded = build([newer], CUTOFF), build([newer, older], CUTOFF)
    assert LAST_MODIFIED not in lean
    assert LAST_MODIFIED in guarded
    assert _count(f"SELECT count(*) FROM ({lean})") == 2
    assert _count(f"SELECT count(*) FROM ({guarded})") == 3  # the older object's row left out
