"""DuckDB ``SELECT`` bodies for ``FLOW`` and ``FLOW_FLAT`` over ingest-cache entries.

Every view has an explicit column list with explicit types (see ``schema.py``), so a range with no
object still yields a relation with the right columns. Rows of objects modified before the pruning
cutoff are filtered out, which makes a view's content depend only on the objects that exist, not on
which objects earlier queries happened to ingest into the same entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cloudsql_cos_ts.flowlogs.decode import (
    CAPTURE_END_TS,
    CONNECTION_START_TS,
    DAMAGED,
    KEY,
    LAST_MODIFIED,
    RECORD_INDEX,
)
from cloudsql_cos_ts.flowlogs.entry_footer import modified_before, typed_end
from cloudsql_cos_ts.flowlogs.schema import (
    FLOW_COLUMNS,
    FLOW_FLAT_COLUMNS,
    RECORD_MEMBERS,
    RECORD_STRUCT,
    Column,
    quote_identifier,
)
from cloudsql_cos_ts.timerange import TimeRange

q = quote_identifier


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_list(paths: Sequence[Path | str]) -> str:
    return "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"


def empty_relation(columns: Sequence[Column]) -> str:
    """Zero rows with the given names and types."""
    return "SELECT " + ", ".join(f"CAST(NULL AS {kind}) AS {q(name)}" for name, kind in columns) + " WHERE false"


def _timestamp(moment: datetime) -> str:
    return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _kept_cutoff(paths: Sequence[Path], cutoff: datetime) -> datetime | None:
    """``cutoff`` when an entry may hold rows of objects modified before it, else None: the predicate
    would keep every row, and DuckDB would still test it on each (``flowlogs/entry_footer.py``)."""
    return cutoff if modified_before(paths, cutoff) else None


def _capture_end(paths: Sequence[Path]) -> str:
    """The capture end as a timestamp: the column parsed at ingest when every entry has it, else the text
    parsed on every row (entries written before the column; ``decode.with_capture_end`` parses alike)."""
    if typed_end(paths):
        return q(CAPTURE_END_TS)
    return f"timezone('UTC', TRY_CAST({q('capture_end_time')} AS TIMESTAMPTZ))"


def _where(paths: Sequence[Path], cutoff: datetime, window: TimeRange | None) -> str:
    """The entries' rows of objects modified since ``cutoff`` (and, with ``window``, whose capture window
    overlaps it: ``flowlogs/scan.py``), without the rows marking damaged objects."""
    where = f"{q(RECORD_INDEX)} IS DISTINCT FROM {DAMAGED}"
    if (kept := _kept_cutoff(paths, cutoff)) is not None:
        where = f"{q(LAST_MODIFIED)} >= {_timestamp(kept)} AND {where}"
    if window is not None:  # a header without one of the times counts as a window of one moment
        start, end = q("capture_start_time"), _capture_end(paths)
        where += (
            f" AND coalesce({start}, {end}) <= {_timestamp(window.end)}"
            f" AND coalesce({end}, {start}) >= {_timestamp(window.start)}"
        )
    return where


def _source(paths: Sequence[Path], cutoff: datetime, window: TimeRange | None) -> str:
    """The entries' rows that ``_where`` keeps."""
    return f"read_parquet({file_list(paths)}) WHERE {_where(paths, cutoff, window)}"


def _flat_select() -> str:
    return ", ".join(
        f"{q(CONNECTION_START_TS)} AS {q(name)}" if name == "connection_start_time" else q(name)
        for name, _ in FLOW_FLAT_COLUMNS
    )


def flow_flat_sql(
    paths: Sequence[Path],
    cutoff: datetime,
    window: TimeRange | None = None,
    extra_columns: Sequence[str] = (),
) -> str:
    """One row per record, columns exactly as ``FLOW_FLAT_COLUMNS`` (then ``extra_columns``, which the
    files of ``paths`` hold beside the entry's own)."""
    if not paths:
        return empty_relation(FLOW_FLAT_COLUMNS)
    select = ", ".join([_flat_select(), *(q(name) for name in extra_columns)])
    return f"SELECT {select} FROM {_source(paths, cutoff, window)} AND {q(RECORD_INDEX)} IS NOT NULL"


@dataclass(frozen=True)
class FlatRead:
    """What ``FLOW_FLAT`` reads: the entries, and the rows of them it keeps."""

    paths: tuple[Path, ...]
    cutoff: datetime
    window: TimeRange | None
    # The files holding the entries' records in their order, when spans stand in for runs of settled
    # entries (``flowlogs/spans.py``); empty: the entries themselves.
    reads: tuple[Path, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        """What ``FLOW_FLAT`` scans: the spans and entries of ``reads``, else the entries."""
        return self.reads or self.paths

    def flat_sql(self) -> str:
        return flow_flat_sql(self.files, self.cutoff, self.window)

    def enriched_sql(self, copies: Sequence[Path], enriched_columns: Sequence[str]) -> str:
        """``FLOW_FLAT``'s rows with ``enriched_columns``, read from ``copies``: one file per entry holding
        its columns and rows, in its order, with the enriched columns beside them."""
        return flow_flat_sql(copies, self.cutoff, self.window, enriched_columns)


def flow_sql(paths: Sequence[Path], cutoff: datetime, window: TimeRange | None = None) -> str:
    """One row per object, ``flow_logs`` rebuilt in record order; columns as ``FLOW_COLUMNS``."""
    if not paths:
        return empty_relation(FLOW_COLUMNS)
    members = ", ".join(f"{q(name)} := {q(name)}" for name, _ in RECORD_MEMBERS)
    records = (
        f"CAST(coalesce(list(struct_pack({members}) ORDER BY {q(RECORD_INDEX)}) "
        f"FILTER (WHERE {q(RECORD_INDEX)} IS NOT NULL), []) AS {RECORD_STRUCT}[])"
    )
    select = []
    for name, kind in FLOW_COLUMNS:
        if name == "flow_logs":
            select.append(f"{records} AS flow_logs")
        elif name == "capture_end_time":
            select.append(f"timezone('UTC', CAST(any_value({q(name)}) AS TIMESTAMPTZ)) AS {q(name)}")
        else:
            select.append(f"CAST(any_value({q(name)}) AS {kind}) AS {q(name)}")
    return f"SELECT {', '.join(select)} FROM {_source(paths, cutoff, window)} GROUP BY {q(KEY)}"
