"""The embedded default engine: DuckDB, sandboxed, one cursor per query.

Sandbox: users with editor rights type SQL, so the connection may read only what the plugin opens
for it. ``allowed_directories`` (the plugin cache, where sources are ingested, and local source
folders) is set before ``enable_external_access=false``, and ``lock_configuration`` stops a query
from ``SET``-ting it back; extensions are never installed or loaded at query time. The dialect
layer additionally admits only read statements, because the DuckDB sandbox alone still allows e.g.
``ATTACH ':memory:'``.

Each query gets its own cursor (its own DuckDB connection on the shared database), so temporary
views and registered intermediate results of concurrent panels never meet, and cancelling one
query interrupts only its cursor.

Closing (the datasource's settings changed, or the plugin stops) interrupts the queries still
running and closes the database when the last of them has let go of its cursor: DuckDB refuses to
close a connection that is busy, and that refusal used to escape into the request that replaced the
instance, or end the plugin with a traceback at shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken, stopped_error
from cloudsql_cos_ts.engines.base import ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.engines.duckdb.enrich import register_functions
from cloudsql_cos_ts.engines.duckdb.enriched import LookupTables, enriched_view, register_key_functions
from cloudsql_cos_ts.engines.duckdb.sidefiles import SIDE_COLUMNS, side_files
from cloudsql_cos_ts.engines.duckdb.source import SourceRelations
from cloudsql_cos_ts.enrichment.data import load
from cloudsql_cos_ts.enrichment.view import columns_read, enriches, source_relations
from cloudsql_cos_ts.errors import (
    BadRequest,
    DownstreamError,
    InternalError,
    PluginError,
)
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate
from cloudsql_cos_ts.flowlogs.schema import FLOW_ENRICHED, FLOW_FLAT, RELATIONS, SOURCE, quote_identifier
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles

if TYPE_CHECKING:
    from cloudsql_cos_ts.engines.duckdb.external import ExternalSources
    from cloudsql_cos_ts.engines.duckdb.source import DuckDBSource

_BATCH_ROWS = 65_536
SPILL_PER_MEMORY = 4
_RECONFIGURED = "the datasource was reconfigured (or the plugin is stopping) while this query {when}: run it again"
_USER_ERRORS = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.NotImplementedException,
    duckdb.TypeMismatchException,
    duckdb.OutOfRangeException,
    duckdb.ConstraintException,
    duckdb.SyntaxException,
)


class DuckDBEngine:
    """Runs read-only DuckDB SQL over the datasource's sources and earlier results."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        *,
        threads: int,
        memory_limit: str,
        query_timeout_s: float,
        temp_directory: str,
        allowed_directories: tuple[str, ...] = (),
        source: DuckDBSource | None = None,
        external: ExternalSources | None = None,
        enrichment: EnrichmentFiles | None = None,
    ) -> None:
        self._source = source
        self._external = external
        self._enrichment = enrichment or EnrichmentFiles()
        self._timeout_s = query_timeout_s
        self._lock = threading.Lock()
        self._running: set[duckdb.DuckDBPyConnection] = set()  # cursors of queries not yet finished
        self._closing = False
        self._conn = duckdb.connect(
            ":memory:",
            config={
                "threads": threads,
                "memory_limit": memory_limit,
                "temp_directory": temp_directory,
                "max_temp_directory_size": spill_limit(memory_limit),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
            },
        )
        sources = [s for s in (source, external) if s is not None]
        dirs = sorted({temp_directory, *allowed_directories, *(d for s in sources for d in s.allowed_directories)})
        self._conn.execute("SET allowed_directories = ?", [dirs])
        # Warm queries open the same ingest-cache Parquet files again and again: keep their footers.
        self._conn.execute("SET parquet_metadata_cache = true")
        register_functions(self._conn, self._enrichment)
        register_key_functions(self._conn)
        self._lookups = LookupTables()
        self._conn.execute("SET enable_external_access = false")
        self._conn.execute("SET lock_configuration = true")

    def execute(self, request: ExecutionRequest) -> ExecutionResult:
        with self._cursor(request) as cursor:
            relations = self._prepare(cursor, request)
            table, truncated = self._run(cursor, request)
            return ExecutionResult(
                table=table,
                truncated=truncated,
                stats=dict(relations.stats),
                damaged=relations.damaged,
                notices=relations.notices,
            )

    def explain(self, request: ExecutionRequest) -> str:
        """DuckDB's plan of the statement over the views a run builds, bound to an empty file of the ingest
        entries' layout: the plan has the run's shape (scans, filters, joins), nothing is listed or downloaded."""
        with self._cursor(request) as cursor:
            self._prepare(cursor, request, plan_only=True)
            rows = cursor.execute(f"EXPLAIN {request.sql}").fetchall()
        return "\n".join(str(row[-1]).rstrip() for row in rows)

    def estimate(self, request: ExecutionRequest) -> SourceEstimate:
        """What ``execute`` would read from the configured source and the ``cos://`` locations, from listings."""
        found = SourceEstimate()
        if self._external is not None:
            for ref, scan in request.external.items():
                if ref.relation not in request.schema_only:
                    found = found.plus(self._external.estimate(ref, scan, request.cancel))
        wanted = request.referenced - {name.upper() for name in request.tables}
        wanted, schema_only = source_relations(wanted - {ref.relation for ref in request.external}, request.schema_only)
        if self._source is not None and wanted - schema_only:
            found = found.plus(self._source.estimate(request.source_scan(), wanted - schema_only, request.cancel))
        return found

    @contextmanager
    def _cursor(self, request: ExecutionRequest) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one statement that ``request.cancel`` interrupts; DuckDB's errors become ours."""
        if request.cancel.is_cancelled():
            raise stopped_error(request.cancel, self._timeout_s)
        cursor = self._open_cursor()
        release = request.cancel.on_cancel(cursor.interrupt)
        try:
            yield cursor
        except duckdb.InterruptException:
            if self._closing and not request.cancel.is_cancelled():
                raise DownstreamError(_RECONFIGURED.format(when="ran")) from None
            raise stopped_error(request.cancel, self._timeout_s) from None
        except PluginError:
            raise
        except duckdb.PermissionException as exc:
            raise BadRequest(
                f"not allowed: {_first_line(exc)} (queries may read only the configured sources)"
            ) from None
        except _USER_ERRORS as exc:
            raise BadRequest(f"SQL error: {_message(exc)}") from None
        except duckdb.OutOfMemoryException:
            raise DownstreamError(
                "the query needs more memory than the datasource's memory limit allows; narrow the time range, "
                "aggregate more, or raise memoryLimit"
            ) from None
        except duckdb.IOException as exc:
            raise DownstreamError(f"reading the data failed: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            raise InternalError(f"the DuckDB engine failed: {_first_line(exc)}") from None
        finally:
            release()
            self._close_cursor(cursor)

    def _prepare(
        self, cursor: duckdb.DuckDBPyConnection, request: ExecutionRequest, *, plan_only: bool = False
    ) -> SourceRelations:
        """Register earlier results and the (pruned) source views this statement reads.

        Every relation the statement names must be one registered here: DuckDB's own catalog
        (system views, other schemas) is never reachable from user SQL, whatever the dialect
        guard above lets through.
        """
        for name, table in request.tables.items():
            cursor.register(name, table)
        if enriches(request.sql):  # a user's enrichment file that cannot be used: this query's 400, named
            load(self._enrichment)
        external = self._externals(cursor, request, plan_only)
        wanted = request.referenced - {name.upper() for name in request.tables} - set(external.views)
        enriched = FLOW_ENRICHED in wanted  # a view over FLOW_FLAT, added below
        flat_named = FLOW_FLAT in wanted
        wanted, schema_only = source_relations(wanted, request.schema_only)
        if not wanted:
            return external
        if self._source is None:
            raise _unknown_relations(wanted, available=set(request.tables), has_source=False)
        relations = self._source.relations(
            request.source_scan(), frozenset(wanted), request.cancel, schema_only=schema_only, plan_only=plan_only
        )
        unknown = wanted - set(relations.views)
        if unknown:
            raise _unknown_relations(unknown, available={*request.tables, *RELATIONS}, has_source=True)
        if enriched:
            data = load(self._enrichment)
            columns, flat = columns_read(request.sql), relations.flat
            if flat is not None and flat.paths and relations.cache is not None and columns & set(SIDE_COLUMNS):
                sides = side_files(cursor, relations.cache, flat.files, data, request.cancel)
                relations.views[FLOW_ENRICHED] = flat.enriched_sql(sides, SIDE_COLUMNS)
                if not flat_named:  # the copies hold FLOW_FLAT's rows: binding its view too costs a statement
                    del relations.views[FLOW_FLAT]
            else:  # no entries (a schema question) or no enriched column read
                self._lookups.ensure(cursor, data)
                relations.views[FLOW_ENRICHED] = enriched_view(quote_identifier(FLOW_FLAT), columns)
        for name, body in relations.views.items():
            cursor.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(name)} AS {body}")
        relations.damaged += external.damaged
        return relations

    def _externals(
        self, cursor: duckdb.DuckDBPyConnection, request: ExecutionRequest, plan_only: bool
    ) -> SourceRelations:
        """Register the statement's ``cos://… STORED AS`` relations (``external.py``): their views, and the
        objects they had to leave out as damaged."""
        registered = SourceRelations(views={})
        for ref, scan in request.external.items():
            if self._external is None:
                raise BadRequest("this engine cannot read cos://… STORED AS locations")
            only_columns = ref.relation in request.schema_only
            found = self._external.relation(ref, scan, request.cancel, schema_only=only_columns, plan_only=plan_only)
            registered.views[ref.relation] = found.views[SOURCE]
            registered.damaged += found.damaged
            cursor.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(ref.relation)} AS {found.views[SOURCE]}")
        return registered

    def _run(self, cursor: duckdb.DuckDBPyConnection, request: ExecutionRequest) -> tuple[pa.Table, bool]:
        """The result, cut at the row limit and checked against the query's memory as each batch arrives;
        batches go to ``request.sink`` when it is given, so the result is never gathered here."""
        reader = cursor.sql(request.sql)
        if reader is None:  # a statement without a result set (the dialect layer should prevent this)
            raise BadRequest("the statement returned no result set; only read queries can run")
        batches: list[pa.RecordBatch] = []
        rows = nbytes = 0
        if request.memory is not None:  # before DuckDB builds the first batch
            request.memory.expect(len(reader.columns), min(_BATCH_ROWS, request.row_limit), request.cancel)
        stream = reader.to_arrow_reader(_BATCH_ROWS)
        sink = request.sink
        for whole in stream:
            cut = rows + whole.num_rows > request.row_limit
            batch = whole.slice(0, request.row_limit - rows) if cut else whole
            del whole
            nbytes += batch.nbytes
            if request.memory is not None:  # refuse an oversized answer before holding all of it
                request.memory.cover(nbytes, streamed=None if sink is None else sink.held_bytes + batch.nbytes)
            if sink is None:
                batches.append(batch)
            else:
                sink.add(batch)
            rows += batch.num_rows
            del batch  # a sink's batch is encoded: the next one comes while this one is let go
            if cut:
                stream.close()  # DuckDB lets go of the rest of the result now, not when the cursor closes
                return pa.Table.from_batches(batches, schema=stream.schema), True
        return pa.Table.from_batches(batches, schema=stream.schema), False

    def health(self, cancel: CancelToken) -> str:
        cursor = self._open_cursor()
        try:
            version = cursor.execute("SELECT version()").fetchone()
        finally:
            self._close_cursor(cursor)
        return f"DuckDB {version[0] if version else duckdb.__version__} (embedded)"

    def close(self) -> None:
        """Stop the running queries; the database closes as the last of them ends (or now, if none runs)."""
        with self._lock:
            self._closing = True
            for cursor in self._running:
                cursor.interrupt()
            if not self._running:
                self._conn.close()

    def _open_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._closing:  # a request that still held the replaced instance
                raise DownstreamError(_RECONFIGURED.format(when="started"))
            cursor = self._conn.cursor()
            self._running.add(cursor)
            return cursor

    def _close_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.close()
        with self._lock:
            self._running.discard(cursor)
            if self._closing and not self._running:
                self._conn.close()


def spill_limit(memory_limit: str) -> str:
    """How much DuckDB may spill to its temp folder: SPILL_PER_MEMORY times its memory limit ("4GB" -> "16GB").

    Why: DuckDB's own default is 90% of the free disk, which the ingest and result caches share below the
    plugin's cache folder; a query that needs more is answered with the out-of-memory error that says
    what to narrow, instead of filling the disk under Grafana. ``memory_limit`` is validated by the
    settings (a number and KB, MB, GB or TB).
    """
    number, unit = memory_limit[:-2], memory_limit[-2:]
    return f"{float(number) * SPILL_PER_MEMORY:g}{unit}"


def _unknown_relations(names: set[str] | frozenset[str], *, available: set[str], has_source: bool) -> BadRequest:
    listed = ", ".join(sorted(names))
    if not has_source:
        return BadRequest(
            f"no table {listed}: this datasource has no source configured; set its source (cos://… or a folder) "
            "to query FLOW, FLOW_FLAT and $__source"
        )
    shown = ", ".join(sorted(n for n in available if not n.startswith("__"))) or "none"
    return BadRequest(f"no table {listed}; the tables here are {shown}, $__source and $__source_prev(RefId)")


def _message(exc: BaseException, limit: int = 2000) -> str:
    """The engine's message in full (DuckDB puts the error position on its later lines)."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + " …"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
