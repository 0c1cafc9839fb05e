"""A local HTTP fake of the IBM Data Engine (SQL Query) REST API v3, for the dataengine engine's tests.

IBM withdrew SQL Query / Data Engine on 2025-01-18 (deprovisioned with its data); no real service is
left to test against. This fake answers the calls the engine makes, the way the v3 API did:

* ``POST /v3/sql_jobs?instance_crn=…`` ``{"statement": …}`` -> 201 ``{"job_id", "status": "queued"}``;
  a statement that does not parse -> 400 ``{"errors": [{"code": "bad_request", "message"}]}``;
* ``GET /v3/sql_jobs/{id}`` -> the job (``status`` queued/running/completed/failed, ``resultset_location``,
  ``resultset_format``, ``rows_returned``, ``error``, ``error_message``);
* ``GET /v3/sql_jobs?type=batch`` -> ``{"jobs": [...]}``; ``DELETE /v3/sql_jobs/{id}`` -> 204 (stops it);
* a wrong bearer token -> 401, a wrong ``instance_crn`` -> 404.

A job runs its statement on DuckDB: the trailing ``INTO cos://… STORED AS …`` is cut off, the rest is
translated from Spark SQL with the project's own dialect layer, whose ``cos://… STORED AS …`` references
are loaded from the S3 test server (Hive ``name=value`` folders become columns, JSON is read as
Spark's reader would: no timestamp inference). The result is written as two part objects plus
a ``_SUCCESS`` marker below ``<target>/jobid=<id>/`` on the same server. Knobs: ``too_many_jobs`` (answer the
next N submits with 429), ``fail_next`` (the next job fails with this message), ``hang`` (jobs run
until DELETEd). ``requests`` records every call (method, path) for assertions.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.dialect.model import ExternalRef
from cloudsql_cos_ts.errors import PluginError
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import parse_location
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.factory import open_store
from cloudsql_cos_ts.storage.results import ResultFormat, encode_table

TOKEN = "token-1"  # what tests/storage/conftest.py's IAM endpoint issues for the good key
CRN = "crn:v1:bluemix:public:sql-query:us-south:a/0123456789abcdef::instance-0001"
_INTO = re.compile(r"\s+INTO\s+(cos://\S+)\s+STORED\s+AS\s+(\w+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Plan:
    """What a submitted job will do: DuckDB SQL over the loaded references, written below ``target``."""

    sql: str
    refs: tuple[ExternalRef, ...]
    target: str
    fmt: str
    failure: str | None  # fail with this message instead


@dataclass
class FakeJob:
    job_id: str
    statement: str
    status: str = "queued"
    resultset_location: str = ""
    resultset_format: str = ""
    rows_returned: int | None = None
    error: str = ""
    error_message: str = ""
    stopped: threading.Event = field(default_factory=threading.Event)

    def body(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id, "status": self.status, "statement": self.statement,
            "resultset_location": self.resultset_location or None,
            "resultset_format": self.resultset_format or None,
            "rows_returned": self.rows_returned,
            "error": self.error or None,
            "error_message": self.error_message or None,
        }


class FakeDataEngine:
    """The fake service; ``url`` is its API URL, COS is the S3 test server at ``s3_endpoint``."""

    def __init__(self, s3_endpoint: str, cos_credentials: Credentials) -> None:
        self.s3_endpoint = s3_endpoint
        self.cos_credentials = cos_credentials
        self.jobs: dict[str, FakeJob] = {}
        self.requests: list[tuple[str, str]] = []
        self.too_many_jobs = 0
        self.fail_next: str | None = None
        self.hang = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeDataEngine:
        self._thread.start()
        return self

    def stop(self) -> None:
        for job in list(self.jobs.values()):
            job.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.too_many_jobs, self.fail_next, self.hang = 0, None, False

    def statements(self) -> list[str]:
        return [job.statement for job in self.jobs.values()]

    # --- the API ---------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        with self._lock:
            self.requests.append((method, parts.path))
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, _error("unauthorized", "The token is not valid")
        if query.get("instance_crn") != [CRN]:
            return 404, _error("not_found", "No Data Engine instance with this CRN")
        segments = [s for s in parts.path.split("/") if s]
        if segments[:2] != ["v3", "sql_jobs"] or len(segments) > 3:
            return 404, _error("not_found", f"no route {parts.path}")
        job_id = segments[2] if len(segments) == 3 else None
        if method == "POST" and job_id is None:
            return self._submit(json.loads(body or b"{}").get("statement", ""))
        job = self.jobs.get(job_id or "")
        if method == "GET" and job_id is None:
            return 200, {"jobs": [{"job_id": j.job_id, "status": j.status} for j in self.jobs.values()]}
        if job is None:
            return 404, _error("not_found", f"no job {job_id}")
        if method == "GET":
            return 200, job.body()
        if method == "DELETE":
            job.stopped.set()
            return 204, {}
        return 405, _error("method_not_allowed", method)

    def _submit(self, statement: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.too_many_jobs > 0:
                self.too_many_jobs -= 1
                return 429, _error(
                    "too_many_requests", "This instance is currently running its maximum number of query jobs"
                )
            failure, self.fail_next = self.fail_next, None
        into = _INTO.search(statement)
        if into is None:
            return 400, _error("bad_request", "The statement needs INTO <cos url> STORED AS <format>")
        try:
            translation = translate(statement[: into.start()], dialect="duckdb")
        except PluginError as exc:
            return 400, _error("bad_request", exc.message)
        job = FakeJob(job_id=uuid.uuid4().hex, statement=statement)
        self.jobs[job.job_id] = job
        plan = _Plan(translation.sql, translation.external, into.group(1), into.group(2).lower(), failure)
        threading.Thread(target=self._run, args=(job, plan), daemon=True).start()
        return 201, {"job_id": job.job_id, "status": "queued"}

    # --- running a job ---------------------------------------------------------------------------------

    def _run(self, job: FakeJob, plan: _Plan) -> None:
        job.status = "running"
        if self.hang:
            job.stopped.wait(60)
            job.status, job.error, job.error_message = "failed", "job_cancelled", "The job was cancelled"
            return
        try:
            if plan.failure is not None:
                raise RuntimeError(plan.failure)
            with duckdb.connect(":memory:") as connection:
                for ref in plan.refs:
                    connection.register(ref.relation, self._read(ref.url, ref.format))
                table = connection.sql(plan.sql).to_arrow_table()
            job.resultset_location = self._write(table, plan.target, plan.fmt, job.job_id)
            job.resultset_format, job.rows_returned = plan.fmt, table.num_rows
            job.status = "completed"
        except Exception as exc:
            job.status, job.error, job.error_message = "failed", "SQL execution failed", str(exc).splitlines()[0]

    def _store(self, url: str) -> tuple[ObjectStore, str]:
        return open_store(parse_location(url, field="url", endpoint_override=self.s3_endpoint), self.cos_credentials)

    def _read(self, url: str, fmt: str) -> pa.Table:
        store, prefix = self._store(url)
        tables = []
        for obj in store.list(prefix).objects:
            name = obj.key.rsplit("/", 1)[-1]
            if obj.size == 0 or name.startswith("_"):
                continue
            data, _ = store.get(obj.key)
            table = _decode(data, fmt)
            for column, value in _hive_columns(obj.key.removeprefix(prefix)):
                table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
            tables.append(table)
        return pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})

    def _write(self, table: pa.Table, target: str, fmt: str, job_id: str) -> str:
        store, prefix = self._store(target)
        folder = f"{prefix}jobid={job_id}/"
        half = (table.num_rows + 1) // 2
        for number, part in enumerate((table.slice(0, half), table.slice(half))):
            store.put(f"{folder}part-{number:05d}-{job_id}.{fmt}", encode_table(part, _result_format(fmt)))
        # Spark's marker is empty; one byte here, because the S3 test server answers an empty PUT in a way that
        # stalls the next request on the same connection for the client's read timeout.
        store.put(f"{folder}_SUCCESS", b"\n")
        return f"{target.rstrip('/')}/jobid={job_id}/"


def _result_format(fmt: str) -> ResultFormat:
    formats: dict[str, ResultFormat] = {"csv": "csv", "parquet": "parquet", "json": "json"}
    return formats[fmt]


def _decode(data: bytes, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(pa.py_buffer(data))
    if fmt == "csv":
        return pa_csv.read_csv(pa.py_buffer(data))
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()
    try:
        rows = [json.loads(text)]
    except json.JSONDecodeError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return pa.Table.from_pylist(rows)  # strings stay strings, as Spark's JSON reader infers them


def _hive_columns(relative_key: str) -> Iterator[tuple[str, str]]:
    for segment in relative_key.split("/")[:-1]:
        name, sep, value = segment.partition("=")
        if sep:
            yield name, unquote(value)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}]}


def _handler(service: FakeDataEngine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = service.answer(self.command, self.path, headers, body)
            data = json.dumps(answer).encode() if status != 204 else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
