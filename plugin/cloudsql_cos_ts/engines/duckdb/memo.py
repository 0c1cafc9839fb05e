"""The answers of every address an engine's ingest entries hold, kept as one DuckDB table per engine.

Why: looking the distinct addresses of a query up in the range tables costs a second read of the
flows and a probe of the half-million ASN ranges on every query, which made ``FLOW_ENRICHED`` several
times the same question by raw columns. Ingest entries are immutable (named by their content), so the
addresses of an entry are looked up once, when a query first reads it, and kept here with their
answers; ``FLOW_ENRICHED`` is then the flows joined to this table by address. Queries over entries
seen before do no look-up at all.

The table is bounded: when it would hold more than ``limit`` addresses (or remember more than
``ENTRY_LIMIT`` entries), a new, empty table starts with the entries of the query at hand; a query
whose own entries hold more than ``limit`` addresses looks its addresses up itself, as without the
memo. New lookup data (a user's file changed) starts a new table too. A table that a running query
still reads is dropped only after that query ends.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cloudsql_cos_ts.engines.duckdb.enriched import ANSWERS, address_answers
from cloudsql_cos_ts.engines.duckdb.views import file_list
from cloudsql_cos_ts.enrichment.data import EnrichmentData

ADDRESS_LIMIT = 250_000
ENTRY_LIMIT = 100_000


@dataclass(eq=False)
class _Table:
    name: str
    data: EnrichmentData
    entries: set[str] = field(default_factory=set)  # the entries whose addresses the table holds
    addresses: int = 0
    readers: int = 0  # running queries that joined it


class AddressMemo:
    """One engine's table of address answers, grown by the entries its queries read."""

    def __init__(self, limit: int = ADDRESS_LIMIT) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._current: _Table | None = None
        self._retired: list[_Table] = []
        self._numbers = itertools.count()

    @contextmanager
    def answers(
        self, cursor: duckdb.DuckDBPyConnection, data: EnrichmentData, entries: Sequence[Path]
    ) -> Iterator[str | None]:
        """The name of a table answering every address of ``entries`` while the block runs, or None
        when they hold more addresses than the bound (the query looks them up itself)."""
        table = self._hold(cursor, data, entries)
        try:
            yield table.name if table is not None else None
        finally:
            if table is not None:
                with self._lock:
                    table.readers -= 1

    def addresses(self) -> int:
        """How many addresses the current table holds."""
        with self._lock:
            return self._current.addresses if self._current is not None else 0

    def _hold(self, cursor: duckdb.DuckDBPyConnection, data: EnrichmentData, entries: Sequence[Path]) -> _Table | None:
        with self._lock:
            self._drop_unread(cursor)
            table = self._current
            if table is None or table.data is not data:
                table = self._start(cursor, data)
            new = sorted({str(path) for path in entries} - table.entries)
            if new:
                self._absorb(cursor, table, new)
                if table.addresses > self._limit or len(table.entries) > ENTRY_LIMIT:
                    table = self._start(cursor, data)
                    self._absorb(cursor, table, sorted({str(path) for path in entries}))
                    if table.addresses > self._limit:
                        self._start(cursor, data)
                        return None
            table.readers += 1
            return table

    def _start(self, cursor: duckdb.DuckDBPyConnection, data: EnrichmentData) -> _Table:
        """A new, empty current table; the old one is dropped once no query reads it."""
        if self._current is not None:
            self._retired.append(self._current)
        table = self._current = _Table(f"__enrich_memo_{next(self._numbers)}", data)
        none = "SELECT CAST(NULL AS VARCHAR) AS ip WHERE false"
        cursor.execute(f"CREATE TABLE {table.name} AS {address_answers(none, ANSWERS)}")
        self._drop_unread(cursor)
        return table

    @staticmethod
    def _absorb(cursor: duckdb.DuckDBPyConnection, table: _Table, entries: list[str]) -> None:
        """Add the answers of the addresses of ``entries`` that the table does not hold yet."""
        files = f"read_parquet({file_list(entries)})"
        new = (
            f"SELECT DISTINCT ip FROM (SELECT unnest([initiator_ip, target_ip]) AS ip FROM {files}) "
            f"WHERE ip IS NOT NULL AND ip NOT IN (SELECT ip FROM {table.name})"
        )
        added = cursor.execute(f"INSERT INTO {table.name} {address_answers(new, ANSWERS)}").fetchone()
        table.addresses += int(added[0]) if added else 0
        table.entries.update(entries)

    def _drop_unread(self, cursor: duckdb.DuckDBPyConnection) -> None:
        for table in [t for t in self._retired if t.readers == 0]:
            cursor.execute(f"DROP TABLE IF EXISTS {table.name}")
            self._retired.remove(table)
