"""Whether ingest entries may hold rows of objects modified before a cutoff, from their Parquet footers.

Why: the ``FLOW`` and ``FLOW_FLAT`` views leave out the rows of objects modified before a query's
pruning cutoff, so an entry that an earlier query filled with older objects answers like a fresh one
(``engines/duckdb/views.py``). Nearly always no entry holds such a row, yet DuckDB evaluates that
predicate on every row of every warm query and decodes a column no panel asks for. The entry writer
records the column's row-group minimum (``assemble.STATISTICS_COLUMNS``), so the footer tells whether
any row can fail the predicate, and a view states it only when one can. Entry files are written once
under a new name and never changed, so each footer is read once (the key includes the file's size and
modification time all the same); a footer that cannot tell counts as "may hold such rows".
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cloudsql_cos_ts.flowlogs.decode import LAST_MODIFIED

_FOOTERS_KEPT = 4096
_NO_ROWS = datetime.max


def modified_before(paths: Sequence[Path], cutoff: datetime) -> bool:
    """Whether any entry in ``paths`` may hold a row of an object last modified before ``cutoff`` (UTC)."""
    naive = cutoff.astimezone(UTC).replace(tzinfo=None)
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            return True
        oldest = _oldest_modified(str(path), stat.st_mtime_ns, stat.st_size)
        if oldest is None or oldest < naive:
            return True
    return False


@functools.lru_cache(maxsize=_FOOTERS_KEPT)
def _oldest_modified(path: str, mtime_ns: int, size: int) -> datetime | None:
    """The entry's earliest ``LAST_MODIFIED`` (``_NO_ROWS`` without rows); None when the footer cannot tell."""
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return None
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
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
