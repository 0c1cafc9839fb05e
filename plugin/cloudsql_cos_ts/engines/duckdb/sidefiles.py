"""``FLOW_ENRICHED``'s rows for each file ``FLOW_FLAT`` reads (an ingest entry, or a span standing in for a run of
them, ``flowlogs/spans.py``): an enriched copy of the file beside it.

Why: joining every row of a panel's flows to a table of answers by address cost about as much as the
panel's own grouping. Ingest entries (and the lake parts taken as entries) are immutable, so the
answers of an entry's rows never change while the lookup data do not: the first enriched query that
reads an entry computes them once and writes the entry's columns, in its row order, with the answers
beside them, and every query then reads those copies alone like ``FLOW_FLAT`` reads entries
(``views.FlatRead.enriched_sql``). Reading entry and answers side by side instead (a ``POSITIONAL
JOIN``) runs on one thread, so enriched panels took longer than plain ones on a machine with cores to
spare. The answers are the enrichment functions' own (``enrichment/functions.py``), each called once
per distinct value of an entry's column, so no SQL re-implementation can drift from them. DuckDB
writes the file (its own Parquet layout reads back faster than pyarrow's), and the copy keeps whatever
columns its entry has (entries written before a column was added lack it in the copy as well).

A copy is the entry's companion in the ingest cache (counted in its size, evicted with it) and is
named by the lookup data's identity, so a changed user file or a new bundled release is never answered
from an old file. It is written to a temp file and renamed, so a reader never sees half of one; the
queries of a process that need copies at once wait for one build.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.views import sql_string
from cloudsql_cos_ts.enrichment.data import EnrichmentData
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS
from cloudsql_cos_ts.enrichment.view import CALLS
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.schema import ENRICHED_COLUMNS

SIDE_COLUMNS = tuple(name for name, _ in ENRICHED_COLUMNS)
_FUNCTIONS = {function.name: function for function in FUNCTIONS}
_ARGUMENTS = sorted({column for _, columns in CALLS.values() for column in columns})
_BUILDING = threading.Lock()  # builds are rare (once per entry); one at a time keeps any from running twice
_POLL_S = 0.1  # how often a query waiting for another's build looks at its own cancel token


def side_files(
    cursor: duckdb.DuckDBPyConnection,
    cache: IngestCache,
    entries: Sequence[Path],
    data: EnrichmentData,
    cancel: CancelToken,
) -> list[Path]:
    """Each entry's enriched copy for ``data``, built where missing (written through ``cursor``, which
    ``cancel`` interrupts). Raises DuckDB's ``InterruptException`` when ``cancel`` fires, so the engine
    reports it as it reports any stopped statement."""
    sides = [cache.companion_path(entry, f"enriched-{data.identity[:16]}") for entry in entries]
    missing = [(entry, side) for entry, side in zip(entries, sides, strict=True) if not side.exists()]
    if missing:
        if _build(cursor, missing, data, cancel):  # the new bytes count in the cache's budget: evict as after an ingest
            cache.evict(protect=entries)
        if cancel.is_cancelled():
            raise duckdb.InterruptException("the query was stopped while its enriched entry copies were written")
    return sides


def _build(
    cursor: duckdb.DuckDBPyConnection, missing: list[tuple[Path, Path]], data: EnrichmentData, cancel: CancelToken
) -> bool:
    """Write the copies still missing once the lock is held, until ``cancel`` fires; whether any was
    written here."""
    while not _BUILDING.acquire(timeout=_POLL_S):
        if cancel.is_cancelled():
            return False
    built = False
    try:
        for entry, side in missing:
            if cancel.is_cancelled():
                break
            if side.exists():  # another query built it while this one waited
                continue
            temp = side.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{side.name}")
            cursor.register("__enrich_side", side_table(pq.read_table(entry, columns=_ARGUMENTS), data))
            try:
                cursor.execute(
                    f"COPY (SELECT * FROM read_parquet({sql_string(str(entry))}) POSITIONAL JOIN __enrich_side) "
                    f"TO {sql_string(str(temp))} (FORMAT parquet)"
                )
                os.replace(temp, side)
                built = True
            finally:
                cursor.unregister("__enrich_side")
                temp.unlink(missing_ok=True)
    finally:
        _BUILDING.release()
    return built


def side_table(rows: pa.Table, data: EnrichmentData) -> pa.Table:
    """The enriched columns of ``rows`` (every row, in order: the pairing is by position over the whole
    entry, its damaged-object markers too), each from its function over the column's distinct values."""
    encoded = {name: rows[name].combine_chunks().dictionary_encode() for name in _ARGUMENTS}
    columns = []
    for name, kind in ENRICHED_COLUMNS:
        function, arguments = CALLS[name]
        if len(arguments) == 1:
            values = encoded[arguments[0]]
            answer = _FUNCTIONS[function].evaluate(data, (values.dictionary,)).take(values.indices)
        else:
            answer = _FUNCTIONS[function].evaluate(data, [rows[column].combine_chunks() for column in arguments])
        columns.append(answer.cast(pa.int64() if kind == "BIGINT" else pa.string()))
    return pa.table(columns, names=list(SIDE_COLUMNS))
