"""What ingest entries' Parquet footers tell the views: whether rows of objects modified before a cutoff may be
there, and whether the entries hold the parsed capture end (``decode.CAPTURE_END_TS``).

Why: the ``FLOW`` and ``FLOW_FLAT`` views leave out the rows of objects modified before a query's
pruning cutoff, so an entry that an earlier query filled with older objects answers like a fresh one
(``engines/duckdb/views.py``). Nearly always no entry holds such a row, yet DuckDB evaluates that
predicate on every row of every warm query and decodes a column no panel asks for. The entry writer
records the column's row-group minimum (``assemble.STATISTICS_COLUMNS``), so the footer tells whether
any row can fail the predicate, and a view states it only when one can. Entry files are written once
under a new name and never changed, so each footer is read once (the key includes the file's size and
modification time all the same); a footer that cannot tell counts as "may hold such rows".

Entries and lake parts written before the parsed capture end existed lack that column, and one scan over
files that differ in it fails in DuckDB, so a view reads it only when every entry of the scan has it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cloudsql_cos_ts.flowlogs.decode import CAPTURE_END_TS, LAST_MODIFIED

_FOOTERS_KEPT = 4096
_NO_ROWS = datetime.max


@dataclass(frozen=True)
class _Footer:
    oldest: datetime | None  # the earliest ``LAST_MODIFIED`` (``_NO_ROWS`` without rows); None: cannot tell
    typed_end: bool  # whether the entry has the parsed capture end column


_UNREADABLE = _Footer(None, False)


def modified_before(paths: Sequence[Path], cutoff: datetime) -> bool:
    """Whether any entry in ``paths`` may hold a row of an object last modified before ``cutoff`` (UTC)."""
    naive = cutoff.astimezone(UTC).replace(tzinfo=None)
    for path in paths:
        oldest = _footer_of(path).oldest
        if oldest is None or oldest < naive:
            return True
    return False


def typed_end(paths: Sequence[Path]) -> bool:
    """Whether every entry in ``paths`` has the parsed capture end column (``decode.CAPTURE_END_TS``)."""
    return all(_footer_of(path).typed_end for path in paths)


def _footer_of(path: Path) -> _Footer:
    try:
        stat = os.stat(path)
    except OSError:
        return _UNREADABLE
    return _footer(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=_FOOTERS_KEPT)
def _footer(path: str, mtime_ns: int, size: int) -> _Footer:
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return _UNREADABLE
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    return _Footer(_oldest_modified(meta, names), CAPTURE_END_TS in names)


def _oldest_modified(meta: pq.FileMetaData, names: list[str]) -> datetime | None:
    if LAST_MODIFIED not in names:
        return None
    column = names.index(LAST_MODIFIED)
    oldest = _NO_ROWS
    for group in range(meta.num_row_groups):
        chunk = meta.row_group(group)
        if chunk.num_rows == 0:
            continue
        stats = chunk.column(column).statistics
        if stats is None or not stats.has_min_max or not stats.has_null_count or stats.null_count:
            return None
        if not isinstance(stats.min, datetime):
            return None
        least = stats.min if stats.min.tzinfo is None else stats.min.astimezone(UTC).replace(tzinfo=None)
        oldest = min(oldest, least)
    return oldest
