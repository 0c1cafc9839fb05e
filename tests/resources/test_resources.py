"""Resource endpoints the editors call, over real gRPC: status codes and JSON bodies per the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudsql_cos_ts import __version__
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT_COLUMNS
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.dashboard.shipped import load_queries
from tests.plugin_host import PluginProcess, datasource_context

RANGE = {"from": 1714953600000, "to": 1714975200000}  # 2024-05-06 00:00 .. 06:00 UTC


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> pb.PluginContext:
    folder: Path = tmp_path_factory.mktemp("resources")
    return datasource_context({"source": str(folder)}, uid="resources")


def test_health_and_macros(plugin: PluginProcess) -> None:
    assert plugin.call_resource("health") == (200, {"status": "ok", "version": __version__})
    status, body = plugin.call_resource("macros")
    assert status == 200 and set(body) == {"macros", "functions"}
    names = {entry["name"] for entry in body["macros"]}
    assert {"$__source", "$__source_prev", "$__dest", "$__timeFilter", "$__timeFilterColumn"} <= names
    for entry in body["macros"] + body["functions"]:
        assert set(entry) == {"name", "signature", "description", "example"} and all(entry.values())
    assert "TS_SEGMENT_BY_TIME" in {entry["name"] for entry in body["functions"]}


def test_schema_lists_the_views_with_types(plugin: PluginProcess) -> None:
    status, body = plugin.call_resource("schema")
    assert status == 200
    relations = {r["name"]: r["columns"] for r in body["relations"]}
    assert set(relations) == {"FLOW", "FLOW_FLAT", "FLOW_ENRICHED"}
    assert relations["FLOW_FLAT"] == [{"name": n, "type": t} for n, t in FLOW_FLAT_COLUMNS]


def test_expand_the_dashboards_p2_query(plugin: PluginProcess, context: pb.PluginContext) -> None:
    sql = load_queries()["P2"].replace("${target_ip}", "10.240.0.4")
    request = {"query": {"refId": "A", "rawSql": sql, "timeColumn": "start_time"}, "range": RANGE, "intervalMs": 60000}
    status, body = plugin.call_resource("expand", "POST", json.dumps(request).encode(), context)
    assert status == 200, body
    assert set(body) == {"sql", "expandedSql"}
    assert "$__" not in body["expandedSql"]
    assert body["expandedSql"].endswith(
        "WHERE (to_timestamp(start_time) >= to_timestamp('2024-05-06T00:00:00.000Z') AND "
        "to_timestamp(start_time) <= to_timestamp('2024-05-06T06:00:00.000Z'))"
    )
    assert 'target_ip = "10.240.0.4"' in body["expandedSql"] and "target_ip = '10.240.0.4'" in body["sql"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the request body is not valid JSON"),
        (b"[1, 2]", "the request body must be a JSON object"),
        (json.dumps({"range": RANGE}).encode(), 'expand needs "query": the query model as the editor saves it'),
        (json.dumps({"query": {"rawSql": "SELECT 1"}}).encode(), 'expand needs "range": {"from": <epoch ms>'),
        *(
            (
                json.dumps({"query": {"rawSql": "SELECT 1"}, "range": {"from": start, "to": 1}}).encode(),
                "range.from and range.to must be epoch milliseconds (finite numbers)",
            )
            for start in ("a", float("nan"), float("inf"))  # int() of NaN and Infinity was a 500
        ),
        (
            json.dumps({"query": {"rawSql": "SELECT $__nope(x)"}, "range": RANGE}).encode(),
            "unknown macro $__nope at line 1, column 8",
        ),
    ],
)
def test_expand_bad_bodies_are_400_with_a_message(
    plugin: PluginProcess, context: pb.PluginContext, body: bytes, error: str
) -> None:
    status, answer = plugin.call_resource("expand", "POST", body, context)
    assert status == 400
    assert set(answer) == {"error"} and answer["error"].startswith(error)


def test_unknown_path_is_404_and_wrong_method_405(plugin: PluginProcess) -> None:
    status, body = plugin.call_resource("nothing/here")
    assert status == 404
    assert body["error"] == "no resource GET nothing/here"
    assert {"GET health", "GET macros", "GET schema", "POST expand"} <= set(body["routes"])
    status, body = plugin.call_resource("expand", "GET")
    assert status == 405 and body["error"] == "no resource GET expand"
