"""The Data Engine engine against the local fake of the v3 API, the S3 test server and a local IAM.

Values are compared with the DuckDB engine over the same generated flow logs; errors, rate limits,
cancellation and timeouts are driven through the fake's knobs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.base import Engine, ExecutionRequest
from cloudsql_cos_ts.engines.dataengine.api import DataEngineApi
from cloudsql_cos_ts.engines.dataengine.engine import DataEngineEngine
from cloudsql_cos_ts.engines.dataengine.relations import source_relations
from cloudsql_cos_ts.engines.dataengine.waiting import Backoff
from cloudsql_cos_ts.engines.registry import create_engine
from cloudsql_cos_ts.errors import BadRequest, DownstreamError, DownstreamTimeout, PluginError, QueryCancelled
from cloudsql_cos_ts.macros import DestSpec
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.locations import CosLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.storage.iam import BearerTokens
from cloudsql_cos_ts.timerange import TimeRange
from tests.engines.dataengine_fake import CRN, FakeDataEngine
from tests.engines.dataengine_fixtures import FROM_MS, HMAC, SECURE, TO_MS, Lab
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_SECRET

RANGE = TimeRange(FROM_MS, TO_MS)
QUICK = Backoff(first_s=0.05, factor=2.0, max_s=0.2)


@pytest.fixture(scope="module")
def engine(lab_data: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    created = create_engine(lab_data.settings(), PluginSettings(cache_dir=tmp_path_factory.mktemp("de")))
    yield created
    created.close()


@pytest.fixture(scope="module")
def duck(lab_data: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    json_data = json.dumps({"source": str(lab_data.local_copy)}).encode()
    settings = parse_datasource_settings(uid="d", name="d", last_updated_ms=1, json_data=json_data, secure={})
    created = create_engine(settings, PluginSettings(cache_dir=tmp_path_factory.mktemp("duck")))
    yield created
    created.close()


def quick_engine(lab: Lab, *, query_timeout_s: float = 30, tries: int = 3) -> DataEngineEngine:
    """The engine with short rate-limit waits (the factory's are seconds long)."""
    settings = lab.settings()
    destination, source = settings.destination, settings.source
    assert isinstance(destination, CosLocation) and isinstance(source, CosLocation)
    tokens = BearerTokens(settings.credentials)
    return DataEngineEngine(
        api=DataEngineApi(lab.service.url, CRN, tokens.token, rate_limit_tries=tries, rate_limit_backoff=QUICK),
        destination=destination,
        credentials=settings.credentials,
        source_relations=source_relations(source, "flowlogs"),
        query_timeout_s=query_timeout_s,
        on_close=tokens.close,
    )


def request(
    sql: str, *, dialect: str = "spark", cancel: CancelToken | None = None, row_limit: int = 10_000, **extra: Any
) -> ExecutionRequest:
    translation = translate(sql, dialect=dialect)
    return ExecutionRequest(
        sql=translation.sql, time_range=RANGE, cancel=cancel or CancelToken(), row_limit=row_limit,
        referenced=translation.referenced, **extra,
    )


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Rows made comparable: DuckDB sums integers as decimals (Spark: BIGINT); times as naive UTC."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    return [tuple(plain(v) for v in row.values()) for row in table.to_pylist()]


def requests_of(service: FakeDataEngine, method: str) -> list[str]:
    return [path for m, path in service.requests if m == method]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT target_port, COUNT(*) AS n, SUM(bytes_from_initiator) AS sent FROM FLOW_FLAT "
        "GROUP BY target_port ORDER BY target_port",
        "SELECT `vnic-id` AS vnic, `hour`, COUNT(*) AS objects, SUM(number_of_flow_logs) AS records FROM FLOW "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT action, direction, MIN(start_time) AS first, MAX(connection_start_time) AS last FROM FLOW_FLAT f "
        "GROUP BY f.action, f.direction ORDER BY action, direction",
        "SELECT COUNT(*) AS n FROM __SOURCE",
    ],
    ids=["flat", "flow-partitions", "strings-and-times", "source"],
)
def test_values_equal_duckdb(engine: Engine, duck: Engine, sql: str) -> None:
    on_service = engine.execute(request(sql)).table
    on_duck = duck.execute(request(sql, dialect="duckdb")).table
    assert on_service.column_names == on_duck.column_names
    assert rows(on_service) == rows(on_duck)
    assert on_service.num_rows > 0


def test_the_job_writes_into_the_destination_and_the_result_is_read_from_its_location(
    engine: Engine, lab: Lab
) -> None:
    result = engine.execute(request("SELECT 1 AS one"))
    job = lab.service.jobs[result.stats["job_id"]]
    assert job.statement.endswith(f"INTO cos://us-south/{BUCKET}/results/ STORED AS PARQUET")
    assert job.resultset_location == f"cos://us-south/{BUCKET}/results/jobid={job.job_id}/"
    assert result.table.to_pylist() == [{"one": 1}] and result.written is None
    assert result.stats["rows_returned"] == 1


def test_row_limit_cuts_the_result(engine: Engine) -> None:
    result = engine.execute(request("SELECT id FROM VALUES (0), (1), (2), (3), (4) AS t(id) ORDER BY id", row_limit=3))
    assert result.truncated and result.table.column("id").to_pylist() == [0, 1, 2]


def test_a_failed_job_is_a_400_with_the_services_message(engine: Engine, lab: Lab) -> None:
    lab.service.fail_next = "Table or view not found: flowz"
    with pytest.raises(BadRequest, match="failed: Table or view not found: flowz"):
        engine.execute(request("SELECT 1 AS one"))


def test_sql_the_service_cannot_run_is_a_400_naming_the_problem(engine: Engine) -> None:
    with pytest.raises(BadRequest, match="no_such_column"):
        engine.execute(request("SELECT no_such_column FROM FLOW_FLAT"))


def test_describe_is_refused_with_a_hint(engine: Engine) -> None:
    with pytest.raises(BadRequest, match="DESCRIBE is not available on the dataengine engine"):
        engine.execute(request("DESCRIBE(FLOW_FLAT)"))


def test_too_many_jobs_is_retried_with_backoff(lab: Lab) -> None:
    engine = quick_engine(lab, tries=3)
    lab.service.too_many_jobs = 2
    try:
        assert engine.execute(request("SELECT 7 AS seven")).table.to_pylist() == [{"seven": 7}]
    finally:
        engine.close()
    assert len(requests_of(lab.service, "POST")) == 3


def test_too_many_jobs_after_the_last_try_is_a_clear_502(lab: Lab) -> None:
    engine = quick_engine(lab, tries=3)
    lab.service.too_many_jobs = 10
    try:
        with pytest.raises(DownstreamError) as raised:
            engine.execute(request("SELECT 7 AS seven"))
    finally:
        engine.close()
    assert raised.value.status == 502
    assert "maximum number of query jobs (HTTP 429" in raised.value.message
    assert "refused after 3 tries" in raised.value.message
    assert len(requests_of(lab.service, "POST")) == 3


def test_cancel_stops_the_wait_within_a_second_and_deletes_the_job(engine: Engine, lab: Lab) -> None:
    lab.service.hang = True
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            engine.execute(request("SELECT 1 AS one", cancel=cancel))
        except PluginError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not any(j.status == "running" for j in lab.service.jobs.values() if not j.stopped.is_set()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)
    cancelled_at = time.monotonic()
    cancel.cancel()
    worker.join(5)
    assert time.monotonic() - cancelled_at < 1.0
    assert isinstance(outcome[0], QueryCancelled)
    assert len(requests_of(lab.service, "DELETE")) == 1


def test_query_timeout_is_a_504_and_deletes_the_job(lab: Lab) -> None:
    engine = quick_engine(lab, query_timeout_s=0.5)
    lab.service.hang = True
    started = time.monotonic()
    try:
        with pytest.raises(DownstreamTimeout, match=r"query timeout \(0.5 s\)"):
            engine.execute(request("SELECT 1 AS one"))
    finally:
        engine.close()
    assert time.monotonic() - started < 2.0
    assert len(requests_of(lab.service, "DELETE")) == 1


def test_a_refused_api_key_is_reported_without_the_key(lab: Lab, tmp_path: Path) -> None:
    bad_key = "wrong-api-key-secret-value"
    settings = lab.settings(secure={**SECURE, "apiKey": bad_key})
    engine = create_engine(settings, PluginSettings(cache_dir=tmp_path))
    try:
        with pytest.raises(DownstreamError) as raised:
            engine.execute(request("SELECT 1 AS one"))
        with pytest.raises(DownstreamError) as in_health:
            engine.health(CancelToken(5))
    finally:
        engine.close()
    for error in (raised.value, in_health.value):
        assert "refused by IAM (HTTP 400, BXNIM0415E)" in error.message
        assert bad_key not in error.message
    assert not lab.service.requests, "no API call without a token"


def test_health_lists_jobs_and_never_submits_one(engine: Engine, lab: Lab) -> None:
    detail = engine.health(CancelToken(5))
    assert detail.startswith("IBM Data Engine API at 127.0.0.1:") and "recent jobs" in detail
    assert requests_of(lab.service, "GET") == ["/v3/sql_jobs"] and not requests_of(lab.service, "POST")


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"dataEngineInstanceCrn": "crn:v1:bluemix:public:sql-query:us-south:a/0::other"}, BadRequest,
         "dataEngineInstanceCrn"),
        ({"dataEngineApiUrl": "http://127.0.0.1:9"}, DownstreamError, "cannot reach the Data Engine API"),
    ],
    ids=["unknown-instance", "unreachable"],
)
def test_health_names_what_is_wrong(
    lab: Lab, tmp_path: Path, changes: dict[str, str], error: type[PluginError], message: str
) -> None:
    engine = create_engine(lab.settings(**changes), PluginSettings(cache_dir=tmp_path))
    try:
        with pytest.raises(error, match=message):
            engine.health(CancelToken(5))
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("changes", "secure", "message"),
    [
        ({"destination": None}, SECURE, "set destination to a cos://"),
        ({"destination": "/tmp/results"}, SECURE, "set destination to a cos://"),
        ({"source": "/tmp/flows"}, SECURE, "source must be a cos:// URL"),
        ({}, {k: v for k, v in SECURE.items() if k != "apiKey"}, "set the IBM Cloud API key"),
        ({"dataEngineApiUrl": "ftp://host"}, SECURE, "dataEngineApiUrl"),
    ],
    ids=["no-destination", "local-destination", "local-source", "no-api-key", "bad-url"],
)
def test_settings_the_service_cannot_use_are_400s(
    lab: Lab, tmp_path: Path, changes: dict[str, Any], secure: dict[str, str], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        create_engine(lab.settings(secure=secure, **changes), PluginSettings(cache_dir=tmp_path))


def test_source_prev_reads_the_earlier_jobs_result_location(engine: Engine, lab: Lab) -> None:
    first = engine.execute(request("SELECT target_port, COUNT(*) AS n FROM FLOW_FLAT GROUP BY target_port"))
    location = lab.service.jobs[first.stats["job_id"]].resultset_location
    second = engine.execute(request(
        "SELECT SUM(n) AS total FROM __PREV_A WHERE target_port > 0", tables={"__PREV_A": first.table}
    ))
    statement = lab.service.jobs[second.stats["job_id"]].statement
    assert f"FROM (SELECT * FROM {location} STORED AS PARQUET) AS __PREV_A" in statement
    assert second.table.column("total").to_pylist() == [sum(first.table.column("n").to_pylist())]


def test_source_prev_of_a_table_the_service_never_stored_is_uploaded_first(engine: Engine, lab: Lab) -> None:
    foreign = pa.table({"v": [1, 2, 3]})  # e.g. from the disk cache, or with fill rows added
    result = engine.execute(request("SELECT SUM(v) AS total FROM __PREV_B", tables={"__PREV_B": foreign}))
    statement = lab.service.jobs[result.stats["job_id"]].statement
    assert f"FROM (SELECT * FROM cos://us-south/{BUCKET}/results/cloudsql-cos-ts-inputs/" in statement
    assert result.table.column("total").to_pylist() == [6]


def test_a_result_cut_at_the_row_limit_is_not_reused_whole(engine: Engine, lab: Lab) -> None:
    cut = engine.execute(request("SELECT id FROM VALUES (0), (1), (2), (3), (4) AS t(id)", row_limit=2))
    chained = engine.execute(request("SELECT COUNT(*) AS n FROM __PREV_A", tables={"__PREV_A": cut.table}))
    assert chained.table.column("n").to_pylist() == [2]


def test_dest_is_written_by_the_service(engine: Engine, lab: Lab) -> None:
    result = engine.execute(request("SELECT 5 AS five", dest=DestSpec(format="csv", suffix="daily/x=1")))
    job = lab.service.jobs[result.stats["job_id"]]
    assert job.statement.endswith(f"INTO cos://us-south/{BUCKET}/results/daily/x=1/ STORED AS CSV")
    assert result.written == job.resultset_location == f"cos://us-south/{BUCKET}/results/daily/x=1/jobid={job.job_id}/"
    assert result.table.column("five").to_pylist() == [5]
    store = CosStore(lab.s3, BUCKET, HMAC)
    keys = [o.key for o in store.list(f"results/daily/x=1/jobid={job.job_id}/").objects]
    assert any(k.endswith(".csv") for k in keys) and any(k.endswith("/_SUCCESS") for k in keys)


def test_no_secret_in_errors(lab: Lab, tmp_path: Path) -> None:
    engine = create_engine(lab.settings(), PluginSettings(cache_dir=tmp_path))
    messages = []
    lab.service.fail_next = "boom"
    for sql in ("SELECT 1 AS one", "SELECT nope FROM FLOW"):
        try:
            engine.execute(request(sql))
        except PluginError as exc:
            messages.append(exc.message)
    engine.close()
    assert len(messages) == 2
    for message in messages:
        for secret in (GOOD_API_KEY, HMAC_SECRET, "token-1", "Bearer"):
            assert secret not in message
