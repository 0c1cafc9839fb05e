"""``SparkEngine``: the plugin's SQL (translated to Spark SQL) on a Spark Connect server.

Per query: lease a session, tag the operation, register the relations the SQL reads as temporary
views (the pruned flow-log views, ``$__source_prev`` results from Arrow, ``DESCRIBE(x)`` tables),
collect at most ``row_limit + 1`` rows as Arrow, drop the views. A result later queries of the
request read is checkpointed first and handed to them inside Spark (``spark/handoff.py``). Grafana's
cancel and the query timeout interrupt the tagged operation on the server (``interruptTag``), so Spark stops working,
not just the plugin waiting.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken, stopped_error
from cloudsql_cos_ts.dialect.describe import DESCRIBED_PREFIX
from cloudsql_cos_ts.engines.base import ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.engines.spark.client import DataFrame, Pyspark, Session
from cloudsql_cos_ts.engines.spark.describe import describe_table
from cloudsql_cos_ts.engines.spark.enrich import ensure_functions, has_functions
from cloudsql_cos_ts.engines.spark.errors import map_spark_error
from cloudsql_cos_ts.engines.spark.external import SparkExternalSources
from cloudsql_cos_ts.engines.spark.handoff import Handoff, collect_kept
from cloudsql_cos_ts.engines.spark.sessions import SessionPool
from cloudsql_cos_ts.engines.spark.source import SparkSource
from cloudsql_cos_ts.enrichment.data import load
from cloudsql_cos_ts.enrichment.view import enriched_select, enriches, functions_used, source_relations
from cloudsql_cos_ts.errors import BadRequest, PluginError
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate
from cloudsql_cos_ts.flowlogs.schema import FLOW_ENRICHED, FLOW_FLAT
from cloudsql_cos_ts.frames.coerce import to_time
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles


class SparkEngine:
    """Runs Spark SQL through Spark Connect; one session pool per datasource instance."""

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        *,
        pyspark: Pyspark,
        open_session: Callable[[], Session],
        url: str,
        query_timeout_s: float,
        source: SparkSource | None = None,
        external: SparkExternalSources | None = None,
        session_conf: Mapping[str, str] | None = None,
        enrichment: EnrichmentFiles | None = None,
    ) -> None:
        self._pyspark = pyspark
        self._pool = SessionPool(open_session, session_conf or {})  # the datasource's S3A settings
        self._address = urlsplit(url.split("/;", 1)[0]).netloc  # for messages: never the token
        self._timeout_s = query_timeout_s
        self._source = source
        self._external = external
        self._enrichment = enrichment or EnrichmentFiles()
        self._handoff = Handoff()

    def execute(self, request: ExecutionRequest) -> ExecutionResult:
        if request.cancel.is_cancelled():
            raise stopped_error(request.cancel, self._timeout_s)
        calls = functions_used(request.sql) if enriches(request.sql) else frozenset()
        holders = self._handoff.holds(list(request.tables.values())) if request.tables else set()
        with self._watched(request.cancel, calls, holders) as session:
            began = time.monotonic()
            views = _Views()
            try:
                collected, stored = self._run(session, request, views, kept=True)
            except Exception:
                if not views.held or request.cancel.is_cancelled():
                    raise
                views = _Views()  # reading a kept input failed: the inputs are sent as without the hand-off
                views.stats["kept_inputs_failed"] = 1
                collected, stored = self._run(session, request, views, kept=False)
            truncated = collected.num_rows > request.row_limit
            table = _plain_arrow(collected.slice(0, request.row_limit) if truncated else collected)
            if request.chained and stored is None:
                views.stats["checkpoint_failed"] = 1
            elif stored is not None and not truncated and _null_count(table) == _null_count(collected):
                self._handoff.keep(table, session, stored)  # the same rows as the table (no time became null)
        stats = {**views.stats, "ms_spark": round((time.monotonic() - began) * 1000, 1)}
        return ExecutionResult(table=table, truncated=truncated, stats=stats, notices=tuple(views.notices))

    def _run(
        self, session: Session, request: ExecutionRequest, views: _Views, *, kept: bool
    ) -> tuple[pa.Table, DataFrame | None]:
        """The statement's rows (at most one beyond the limit) and, for a chained query, their checkpoint
        (None when Spark could not keep them); ``views`` gathers what was registered, dropped afterwards."""
        try:
            self._register(session, request, views, kept=kept)
            frame = session.sql(request.sql).limit(request.row_limit + 1)
            return collect_kept(frame, session, request.cancel) if request.chained else (frame.toArrow(), None)
        finally:
            for view in views.names:
                with suppress(Exception):
                    session.catalog.dropTempView(view)

    def explain(self, request: ExecutionRequest) -> str:
        """Spark's explain string of the statement's DataFrame over the pruned hour folders a run reads: the
        server lists them to plan the file scan (the schema is given), reads no object and collects nothing."""
        with self._watched(request.cancel) as session:
            views = _Views()
            try:
                self._register(session, request, views, plan_only=True)
                # pyspark's DataFrame.explain prints exactly this string; the client gives no public getter.
                return str(session.sql(request.sql)._explain_string(extended=True))
            finally:
                for view in views.names:
                    with suppress(Exception):
                        session.catalog.dropTempView(view)

    def estimate(self, request: ExecutionRequest) -> SourceEstimate:
        """What ``execute`` would have Spark read, from the listings (Spark keeps no ingest cache)."""
        found = SourceEstimate()
        if self._external is not None:
            for ref, scan in request.external.items():
                found = found.plus(self._external.estimate(ref, scan, request.cancel))
        wanted = request.referenced - {name.upper() for name in request.tables}
        wanted, _ = source_relations(wanted - {ref.relation for ref in request.external}, frozenset())
        if self._source is not None and wanted:
            found = found.plus(self._source.estimate(request.source_scan(), wanted, request.cancel))
        return found

    def _register(
        self, session: Session, request: ExecutionRequest, views: _Views, *, plan_only: bool = False, kept: bool = False
    ) -> None:
        """Into ``views``: temporary views for every relation the SQL reads that Spark does not know by itself
        (for a plan, without the budget check: planning reads nothing), ``$__source_prev`` inputs from their
        checkpoints where ``kept`` and the hand-off has one in ``session``."""
        if enriches(request.sql):
            ensure_functions(session, load(self._enrichment), functions_used(request.sql))
        for name, table in request.tables.items():
            stored = self._handoff.take(table, session) if kept else None
            if stored is not None:
                views.held.append(stored)  # its view reads the checkpoint, released with the last reference
                views.stats["inputs_kept_in_spark"] = views.stats.get("inputs_kept_in_spark", 0) + 1
            views.add(session.createDataFrame(table) if stored is None else stored, name)
        described = {
            name.removeprefix(DESCRIBED_PREFIX) for name in request.referenced if name.startswith(DESCRIBED_PREFIX)
        }
        for ref, scan in request.external.items():  # cos://… STORED AS, within the datasource's locations
            if self._external is None:
                raise BadRequest("this engine cannot read cos://… STORED AS locations")
            views.add(self._external.frame(session, ref, scan, request.cancel, plan_only=plan_only), ref.relation)
        wanted = (request.referenced | described) - {name.upper() for name in request.tables}
        wanted -= {ref.relation for ref in request.external}
        enriched = FLOW_ENRICHED in wanted  # a view over FLOW_FLAT, added below
        wanted, _ = source_relations(wanted, frozenset())
        if self._source is not None and wanted:
            relations = self._source.relations(
                session, request.source_scan(), frozenset(wanted), request.cancel, plan_only=plan_only
            )
            for name, frame in relations.frames.items():
                views.add(frame, name)
            views.stats.update(relations.stats)
            views.notices += relations.notices
            if enriched and FLOW_FLAT in relations.frames:
                views.add(session.sql(enriched_select(FLOW_FLAT)), FLOW_ENRICHED)
        for name in sorted(described):
            views.add(
                session.createDataFrame(describe_table(session.sql(f"SELECT * FROM `{name}`"))), DESCRIBED_PREFIX + name
            )

    @contextmanager
    def _watched(
        self, cancel: CancelToken, calls: frozenset[str] = frozenset(), holders: set[Session] | None = None
    ) -> Iterator[Session]:
        """A leased session whose operations ``cancel`` interrupts (one of ``holders``, which keep the query's
        inputs, or one where the enrichment functions ``calls`` already ran, if one is idle); Spark's errors
        become ours."""
        tag = f"cloudsql-cos-ts-{uuid.uuid4().hex}"
        held = holders or set()
        prefer = (
            (lambda session: session in held or (bool(calls) and has_functions(session, calls)))
            if calls or held
            else None
        )
        try:
            with self._pool.lease(prefer) as session:
                session.addTag(tag)
                release = cancel.on_cancel(lambda: _interrupt(session, tag))
                try:
                    yield session
                finally:
                    release()
                    session.removeTag(tag)
        except PluginError:
            raise
        except Exception as exc:
            raise map_spark_error(exc, self._pyspark, cancel, self._timeout_s, self._address) from None

    def health(self, cancel: CancelToken) -> str:
        with self._watched(cancel) as session:
            session.sql("SELECT 1").toArrow()
            version = session.version
        return f"Spark {version} (Spark Connect at {self._address})"

    def close(self) -> None:
        self._pool.close()


class _Views:
    """The temporary views one query registered (dropped afterwards), its source statistics and notices."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.held: list[DataFrame] = []  # checkpoints the views read: kept alive until the views are dropped
        self.stats: dict[str, int | float] = {}
        self.notices: list[str] = []

    def add(self, frame: DataFrame, name: str) -> None:
        frame.createOrReplaceTempView(name)
        self.names.append(name)


def _interrupt(session: Session, tag: str) -> None:
    """Runs on the cancelling thread; a failed interrupt must not break the cancellation of others."""
    with suppress(Exception):
        session.interruptTag(tag)


def _null_count(table: pa.Table) -> int:
    return sum(column.null_count for column in table.columns)


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Spark's Arrow without its field metadata, timestamps in nanoseconds.

    Spark sends ``timestamp[us, UTC]``; Grafana reads nanoseconds (values outside that range become
    null, as for DuckDB results). Spark's ``SPARK::metadata::json`` field metadata is internal.
    """
    columns = [
        to_time(column.combine_chunks()) if pa.types.is_timestamp(column.type) else column for column in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)
