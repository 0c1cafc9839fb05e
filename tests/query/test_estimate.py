"""The ``estimate`` and ``plan`` endpoints' contract over real gRPC, and budgets as the query meets them.

The datasource reads the hand-made objects (``tests/real_objects``): what the estimate counts there
is checked against the answers in ``tests/flowlogs/test_estimate.py``; here the shape of the
answers, the budget they report, refusals that carry the estimate, the cases the listing cannot
tell (plain files, the Data Engine service), and plans made without reading a single object.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context
from tests.real_objects.cases import CASES, write
from tests.real_objects.serving import FROM_MS, TO_MS

COUNT_SQL = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)"
KEYS = {
    "objects", "bytes", "listedObjects", "partitionsPruned", "ingestCache", "resultCached", "oldest", "newest",
    "budget", "exact", "engine", "elapsedMs", "notes",
}  # fmt: skip
DATA_ENGINE = {
    "engine": "dataengine",
    "dataEngineInstanceCrn": "crn:v1:test:dataengine",
    "dataEngineApiUrl": "http://127.0.0.1:9",
    "source": "cos://us-south/bucket/flows/",
    "destination": "cos://us-south/bucket/results/",
    "cosEndpoint": "http://127.0.0.1:9",
    "authType": "hmac",
}
DATA_ENGINE_SECURE = {"apiKey": "key", "hmacAccessKeyId": "id", "hmacSecretAccessKey": "secret"}


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PluginProcess, Path]]:
    root = tmp_path_factory.mktemp("estimate-contract")
    write(root / "bucket")
    (root / "files").mkdir()
    (root / "files" / "rows.json").write_text('{"a": 1}\n')
    process = PluginProcess(cache_dir=root / "cache").start()
    yield process, root
    process.stop()


def ask(
    bucket: tuple[PluginProcess, Path], path: str, body: dict[str, Any], context: pb.PluginContext | None = None
) -> tuple[int, dict[str, Any]]:
    process, root = bucket
    context = context or datasource_context({"source": str(root / "bucket")}, uid="contract")
    return process.call_resource(path, "POST", json.dumps(body).encode(), context)


def body(sql: str = COUNT_SQL, **extra: Any) -> dict[str, Any]:
    return {"query": {"refId": "A", "rawSql": sql, "format": "table"}, "range": {"from": FROM_MS, "to": TO_MS}, **extra}


def test_estimate_answers_the_contract_and_reads_nothing(bucket: tuple[PluginProcess, Path]) -> None:
    before = bucket[0].metric("cloudsql_cos_ts_source_objects_total")
    status, answer = ask(bucket, "estimate", body())
    assert status == 200 and set(answer) == KEYS
    readable = [case for case in CASES if not case.damaged]
    assert (answer["objects"], answer["bytes"]) == (len(readable), sum(len(case.body) for case in readable))
    assert answer["exact"] and answer["engine"] == "duckdb" and isinstance(answer["elapsedMs"], int)
    assert answer["ingestCache"] == {"objects": 0, "bytes": 0} and not answer["resultCached"]
    assert answer["oldest"].endswith("Z") and answer["budget"]["kind"] == "query"
    assert bucket[0].metric("cloudsql_cos_ts_source_objects_total") == before  # no query ran


@pytest.mark.parametrize(
    ("settings", "alert", "budget", "named"),
    [
        ({"queryLimitObjects": 3}, False, {"kind": "query", "maxObjects": 3, "maxBytes": None}, "queryLimitObjects"),
        ({"alertLimitObjects": 3}, True, {"kind": "alert", "maxObjects": 3, "maxBytes": 2048 << 20},
         "alertLimitObjects"),
        ({"queryLimitMB": 0.001}, False, {"kind": "query", "maxObjects": None, "maxBytes": 1048}, "queryLimitMB"),
    ],
)  # fmt: skip
def test_budgets_refuse_with_the_estimate_in_the_message(
    bucket: tuple[PluginProcess, Path], settings: dict[str, Any], alert: bool, budget: dict[str, Any], named: str
) -> None:
    process, root = bucket
    context = datasource_context({"source": str(root / "bucket"), **settings}, uid=f"budget-{named}")
    status, estimate = ask(bucket, "estimate", body(fromAlert=alert), context)
    assert status == 200 and estimate["budget"] == {**budget, "exceeded": True}
    query = data_query("A", {"rawSql": COUNT_SQL, "format": "table"}, from_ms=FROM_MS, to_ms=TO_MS)
    answer = process.query(query, context=context, headers={"FromAlert": "true"} if alert else {})["A"]
    assert answer.status == 400 and answer.errorSource == "downstream"
    assert f"the query would read {estimate['objects']} flow-log objects" in answer.error
    assert f"(setting {named})" in answer.error and "narrow it" in answer.error
    assert answer.error in estimate["notes"]  # the estimate says it, word for word, before the run


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (body("DROP TABLE FLOW_FLAT"), "statements are not allowed"),
        ({"query": {"rawSql": COUNT_SQL}}, "range"),
        ({"query": {"rawSql": COUNT_SQL}, "range": {"from": "yesterday", "to": TO_MS}}, "epoch milliseconds"),
        (body(fromAlert="yes"), "fromAlert"),
    ],
)
def test_bad_bodies_are_400(bucket: tuple[PluginProcess, Path], payload: dict[str, Any], error: str) -> None:
    for path in ("estimate", "plan"):
        status, answer = ask(bucket, path, payload)
        assert status == 400 and error in answer["error"], (path, answer)


def test_what_a_listing_cannot_tell_is_inexact(bucket: tuple[PluginProcess, Path]) -> None:
    files = datasource_context({"source": str(bucket[1] / "files"), "sourceFormat": "json"}, uid="plain-files")
    status, answer = ask(bucket, "estimate", body("SELECT count(*) FROM $__source"), files)
    assert status == 200 and not answer["exact"] and "JSON files are read whole" in answer["notes"][0]
    data_engine = datasource_context(DATA_ENGINE, DATA_ENGINE_SECURE, uid="data-engine")
    status, answer = ask(bucket, "estimate", body(), data_engine)
    assert status == 200 and not answer["exact"] and answer["engine"] == "dataengine"
    assert "the Data Engine service lists and reads the objects itself" in answer["notes"][0]
    status, answer = ask(bucket, "plan", body(), data_engine)
    assert status == 400 and "plans are not available for the Data Engine engine" in answer["error"]


def test_duckdb_plans_without_reading(bucket: tuple[PluginProcess, Path]) -> None:
    before = bucket[0].metric("cloudsql_cos_ts_source_objects_total")
    sql = "SELECT target_ip, count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string) GROUP BY 1"
    status, answer = ask(bucket, "plan", body(sql))
    assert status == 200 and answer["engine"] == "duckdb"
    assert "Hash Group By" in answer["plan"] and "Parquet" in answer["plan"], answer["plan"]
    assert bucket[0].metric("cloudsql_cos_ts_source_objects_total") == before


def test_a_listing_that_does_not_answer_in_time_is_inexact(
    bucket: tuple[PluginProcess, Path], silent_endpoint: str
) -> None:
    """The editor asks on every edit: a hung COS endpoint gives an inexact estimate at the deadline, never a hang."""
    json_data = {"source": "cos://us-south/flows/x/", "cosEndpoint": silent_endpoint, "authType": "none",
                 "allowAnonymous": True}
    started = time.monotonic()
    status, answer = ask(bucket, "estimate", body(), datasource_context(json_data, uid="silent-listing"))
    assert status == 200 and not answer["exact"], answer
    assert (answer["objects"], answer["bytes"]) == (0, 0)
    assert "took longer than 5 s" in " ".join(answer["notes"]), answer["notes"]
    assert 4.5 <= time.monotonic() - started < 9
