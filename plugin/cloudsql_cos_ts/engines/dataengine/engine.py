"""``DataEngineEngine``: the plugin's SQL as jobs of an IBM Data Engine (SQL Query) compatible service.

Per query: bind the relations the SQL reads to COS (``relations.py``, ``inputs.py``,
``statement.py``), submit the job with ``INTO <destination> STORED AS PARQUET`` (or the query's
``$__dest``), poll it with a growing interval until it is over, then read the result objects
through the storage layer. Grafana's cancel and the query timeout end the wait at once and ask the
service to stop the job. Health lists recent jobs: it never starts one (jobs cost money).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken, stopped_error
from cloudsql_cos_ts.engines.base import ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.engines.dataengine.api import DataEngineApi, Job
from cloudsql_cos_ts.engines.dataengine.inputs import ResultBook, StoredResult, upload_input
from cloudsql_cos_ts.engines.dataengine.relations import stored
from cloudsql_cos_ts.engines.dataengine.results import read_result
from cloudsql_cos_ts.engines.dataengine.statement import bind_relations, ibm_target, with_target
from cloudsql_cos_ts.engines.dataengine.waiting import Backoff, Interrupted, pause
from cloudsql_cos_ts.errors import BadRequest, DownstreamTimeout
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate, inexact
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation, parse_location
from cloudsql_cos_ts.storage.results import result_location

POLL_BACKOFF = Backoff(first_s=0.2, factor=1.5, max_s=2.0)
RESULT_FORMAT = "parquet"  # keeps the result's column types (IBM's default, CSV, does not)
_FINISHED = ("completed", "failed")
_MESSAGE_LIMIT = 2000


class DataEngineEngine:
    """Runs Spark SQL as Data Engine jobs; results are written below ``destination`` by the service."""

    name = "dataengine"
    dialect = "spark"

    def __init__(
        self,
        *,
        api: DataEngineApi,
        destination: CosLocation,
        credentials: Credentials,
        source_relations: dict[str, str],
        query_timeout_s: float,
        on_close: Callable[[], None] = lambda: None,
        poll_backoff: Backoff = POLL_BACKOFF,
    ) -> None:
        self._api = api
        self._destination = destination
        self._credentials = credentials
        self._source_relations = source_relations
        self._timeout_s = query_timeout_s
        self._on_close = on_close
        self._poll = poll_backoff
        self._book = ResultBook()

    def execute(self, request: ExecutionRequest) -> ExecutionResult:
        if request.cancel.is_cancelled():
            raise stopped_error(request.cancel, self._timeout_s)
        began = time.monotonic()
        try:
            statement, fmt = self._statement(request)
            job = self._run(statement, request.cancel)
            stored = StoredResult(job.resultset_location, job.resultset_format or fmt)
            table, truncated = self._read(stored, request)
        except Interrupted:
            raise stopped_error(request.cancel, self._timeout_s) from None
        if not truncated:
            self._book.remember(table, stored)
        stats = {"job_id": job.job_id, "ms_dataengine": round((time.monotonic() - began) * 1000, 1)}
        if job.rows_returned is not None:
            stats["rows_returned"] = job.rows_returned
        written = stored.url if request.dest is not None else None
        return ExecutionResult(table=table, truncated=truncated, stats=stats, written=written)

    def estimate(self, request: ExecutionRequest) -> SourceEstimate:
        return inexact("the Data Engine service lists and reads the objects itself and reports nothing before a job")

    def explain(self, request: ExecutionRequest) -> str:
        raise BadRequest("plans are not available for the Data Engine engine: its service plans the job itself")

    def _statement(self, request: ExecutionRequest) -> tuple[str, str]:
        """The job's statement and result format: relations bound to COS, ``INTO`` the target."""
        bodies = dict(self._source_relations)
        for name, table in request.tables.items():
            bodies[name.upper()] = self._input(table).relation()
        for ref in request.external:  # IBM's own clause: the service reads the location itself
            bodies[ref.relation] = f"(SELECT * FROM {stored(ref.url, ref.format)})"
        sql = bind_relations(request.sql, bodies)
        if request.dest is None:
            return with_target(sql, self._destination.describe(), RESULT_FORMAT), RESULT_FORMAT
        if request.dest.location is not None:  # IBM's INTO cos://…, checked against the datasource's locations
            return ibm_target(sql, request.dest), request.dest.format
        target = result_location(self._destination, request.dest.suffix)
        return with_target(sql, target.describe(), request.dest.format), request.dest.format

    def _read(self, stored: StoredResult, request: ExecutionRequest) -> tuple[pa.Table, bool]:
        """The job's result objects: in the destination's bucket, so through the destination's endpoint."""
        endpoint = self._destination.endpoint
        location = parse_location(stored.url, field="resultset_location", endpoint_override=endpoint)
        return read_result(location, stored.format, self._credentials, request.row_limit, request.cancel)

    def _input(self, table: pa.Table) -> StoredResult:
        return self._book.lookup(table) or upload_input(table, self._destination, self._credentials)

    def _run(self, statement: str, cancel: CancelToken) -> Job:
        """Submit and wait; a job left unfinished (cancel, timeout, error) is asked to stop."""
        job_id = self._api.submit(statement, cancel)
        finished = False
        try:
            job = self._wait(job_id, cancel)
            finished = True
        finally:
            if not finished:
                self._api.stop(job_id)
        if job.status == "failed":
            reason = job.error_message or job.error or "the service gave no reason"
            if len(reason) > _MESSAGE_LIMIT:
                reason = reason[:_MESSAGE_LIMIT] + " …"
            raise BadRequest(f"the Data Engine job {job_id} failed: {reason}")
        if not job.resultset_location:
            raise BadRequest(f"the Data Engine job {job_id} completed without a result location")
        return job

    def _wait(self, job_id: str, cancel: CancelToken) -> Job:
        """Poll until the job is over, at most the query timeout (the token's deadline usually ends it first)."""
        deadline = time.monotonic() + self._timeout_s
        delays = self._poll.delays()
        while True:
            job = self._api.job(job_id, cancel)
            if job.status in _FINISHED:
                return job
            left = deadline - time.monotonic()
            if left <= 0:
                raise DownstreamTimeout(
                    f"the Data Engine job {job_id} did not finish within the query timeout ({self._timeout_s:g} s) "
                    "and was stopped; narrow the time range or raise the timeout in the datasource settings"
                )
            pause(cancel, min(next(delays), left))

    def health(self, cancel: CancelToken) -> str:
        try:
            jobs = self._api.recent_jobs(cancel)
        except Interrupted:
            raise DownstreamTimeout(f"the Data Engine API at {self._api.host} did not answer in time") from None
        return (
            f"IBM Data Engine API at {self._api.host} ({len(jobs)} recent jobs on the instance); "
            f"results go to {self._destination.describe()}"
        )

    def close(self) -> None:
        self._on_close()
