"""``FLOW_ENRICHED``'s answers for each ingest entry, in a file beside it in the entry's row order.

Why: joining every row of a panel's flows to a table of answers by address cost about as much as the
panel's own grouping. Ingest entries (and the lake parts taken as entries) are immutable, so the
answers of an entry's rows never change while the lookup data do not: the first enriched query that
reads an entry computes them once and writes them next to it, row for row, and every query then reads
entry and side file side by side (``POSITIONAL JOIN``, ``views.FlatRead.beside_sql``) with no join on
the address at all.

A side file is the entry's companion in the ingest cache (counted in its size, evicted with it) and is
named by the lookup data's identity, so a changed user file or a new bundled release is never answered
from an old file. It is written to a temp file and renamed, so a reader never sees half of one; the
queries of a process that need the same side file at once wait for one build.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb

from cloudsql_cos_ts.engines.duckdb.enriched import enriched_view
from cloudsql_cos_ts.engines.duckdb.views import file_list, sql_string
from cloudsql_cos_ts.enrichment.data import EnrichmentData
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.schema import ENRICHED_COLUMNS

SIDE_COLUMNS = tuple(name for name, _ in ENRICHED_COLUMNS)
_ROW = "__enrich_row"
# builds of different side files rarely meet; a few striped locks keep the same file from being built twice
_LOCKS = tuple(threading.Lock() for _ in range(16))


def side_files(
    cursor: duckdb.DuckDBPyConnection, cache: IngestCache, entries: Sequence[Path], data: EnrichmentData
) -> list[Path]:
    """Each entry's side file for ``data``, built where missing (the lookup tables of ``data`` must be
    loaded on ``cursor``'s database: ``enriched.LookupTables``)."""
    sides = [cache.companion_path(entry, f"enrich-{data.identity[:16]}") for entry in entries]
    built = [_build(cursor, entry, side) for entry, side in zip(entries, sides, strict=True) if not side.exists()]
    if any(built):  # the new bytes count in the cache's budget: evict as after an ingest
        cache.evict(protect=entries)
    return sides


def _build(cursor: duckdb.DuckDBPyConnection, entry: Path, side: Path) -> bool:
    """Write ``side`` for ``entry`` unless another query did meanwhile; whether this one wrote it."""
    with _LOCKS[hash(side) % len(_LOCKS)]:
        if side.exists():
            return False
        temp = side.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{side.name}")
        try:
            cursor.execute(f"COPY ({answers_sql(entry)}) TO {sql_string(str(temp))} (FORMAT parquet)")
            os.replace(temp, side)
        finally:
            temp.unlink(missing_ok=True)
    return True


def answers_sql(entry: Path) -> str:
    """The enriched columns of every row of ``entry``, in its row order (its damaged-object markers too:
    the pairing is by position over the whole file)."""
    rows = (
        f"(SELECT file_row_number AS {_ROW}, initiator_ip, target_ip, target_port, transport_protocol "
        f"FROM read_parquet({file_list([entry])}, file_row_number = true))"
    )
    view = enriched_view(rows, frozenset(SIDE_COLUMNS))
    return f"SELECT {', '.join(SIDE_COLUMNS)} FROM ({view}) ORDER BY {_ROW}"
