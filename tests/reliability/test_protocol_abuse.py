"""Abuse the real plugin process over its socket: every request is answered or refused cleanly, and it stays up.

Oversized messages (the server accepts up to 64 MiB), thousands of queries in one call, deep JSON,
invalid UTF-8, unknown enum values, no plugin context, undecodable protobuf, and Shutdown sent
several times at once.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context

MIB = 1024 * 1024
MANY_QUERIES = 3_000
MANY_QUERIES_BUDGET_S = 90.0


def _still_serving(plugin: PluginProcess) -> None:
    assert plugin.process is not None and plugin.process.poll() is None, "the plugin process died"
    assert plugin.query(data_query("Z", {"rawSql": "SELECT 42 AS x"}))["Z"].status == 200


def test_a_20_mib_request_is_answered(plugin: PluginProcess) -> None:
    padded = data_query("A", {"rawSql": "SELECT 1 AS x", "editorNotes": "n" * (20 * MIB)})
    assert plugin.query(padded)["A"].status == 200
    _still_serving(plugin)


def test_a_request_over_64_mib_is_refused_as_resource_exhausted(plugin: PluginProcess) -> None:
    huge = data_query("A", {"rawSql": "SELECT 1 AS x", "editorNotes": "n" * (65 * MIB)})
    with pytest.raises(grpc.RpcError) as refused:
        plugin.query(huge)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    _still_serving(plugin)


def test_thousands_of_queries_in_one_request_are_all_answered_in_bounded_time(plugin: PluginProcess) -> None:
    queries = [
        data_query(f"Q{i}", {"rawSql": f"SELECT {i % 50} AS x"} if i % 3 else {"rawSql": "SELECT FROM WHERE"})
        for i in range(MANY_QUERIES)
    ]
    started = time.monotonic()
    answers = plugin.query(*queries, timeout=MANY_QUERIES_BUDGET_S)
    elapsed = time.monotonic() - started
    assert len(answers) == MANY_QUERIES and elapsed < MANY_QUERIES_BUDGET_S
    assert {a.status for ref, a in answers.items() if int(ref[1:]) % 3} == {200}
    assert {a.status for ref, a in answers.items() if int(ref[1:]) % 3 == 0} == {400}
    print(f"{MANY_QUERIES} queries in one request answered in {elapsed:.1f} s")
    _still_serving(plugin)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"rawSql": ' * 100_000 + b'"x"' + b"}" * 100_000, "not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "not valid JSON"),
        (b'{"rawSql": "SELECT \xff\xfe 1"}', "not valid JSON"),
        (b'{"rawSql": "SELECT 1", "format": "graph"}', "format must be"),
        (b'{"rawSql": "SELECT 1", "format": 7}', "format must be"),
        (b'{"rawSql": "SELECT 1", "intervalMs": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    ],
    ids=["deep-objects", "deep-arrays", "invalid-utf8", "unknown-format", "unknown-format-number", "huge-number"],
)
def test_bad_query_json_is_a_400_with_text(plugin: PluginProcess, raw: bytes, message: str) -> None:
    answer = plugin.query(data_query("A", raw), data_query("B", {"rawSql": "SELECT 2 AS y"}))
    assert answer["A"].status == 400 and message in answer["A"].error, answer["A"].error
    assert answer["B"].status == 200, "one bad query must not fail the others"


@pytest.mark.parametrize("json_data", [b"\xff\xfe{", b'{"engine": "duck\xc3\x28db"}', b"[" * 100_000])
def test_bad_json_data_is_a_400_for_queries_and_an_error_for_health(plugin: PluginProcess, json_data: bytes) -> None:
    context = datasource_context(uid=f"bad-json-{len(json_data)}")
    context.dataSourceInstanceSettings.jsonData = json_data
    answer = plugin.query(data_query("A", {"rawSql": "SELECT 1"}), context=context)["A"]
    assert answer.status == 400 and "jsonData is not valid JSON" in answer.error
    health = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), timeout=30)
    assert health.status == pb.CheckHealthResponse.ERROR and "jsonData is not valid JSON" in health.message


def test_unknown_request_format_is_answered_in_arrow(plugin: PluginProcess) -> None:
    request = pb.QueryDataRequest(pluginContext=datasource_context(), queries=[data_query("A", {"rawSql": "SELECT 1"})])
    request.format = 7  # type: ignore[assignment]  # an enum value no Grafana version knows
    answer = plugin.data.QueryData(request, timeout=30).responses["A"]
    assert answer.status == 200 and answer.format == pb.ARROW and answer.frames


def test_missing_plugin_context_is_answered_with_text(plugin: PluginProcess) -> None:
    request = pb.QueryDataRequest(queries=[data_query("A", {"rawSql": "SELECT 1"})])
    answer = plugin.data.QueryData(request, timeout=30).responses["A"]
    assert answer.status == 400 and "no datasource settings" in answer.error
    health = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(), timeout=30)
    assert health.status == pb.CheckHealthResponse.ERROR and health.message
    status, body = plugin.call_resource("cache/clear", "POST", context=pb.PluginContext())
    assert status == 400 and body["error"]
    body_json = json.dumps({"query": {"rawSql": "SELECT 1"}, "range": {"from": 0, "to": 1}}).encode()
    status, body = plugin.call_resource("expand", "POST", body_json, context=pb.PluginContext())
    assert status == 400 and body["error"]
    _still_serving(plugin)


def test_undecodable_protobuf_is_refused_and_the_process_stays_up(plugin: PluginProcess) -> None:
    """A string field holding invalid UTF-8 cannot be parsed; grpc refuses the call, the process carries on."""
    raw_call = plugin.channel.unary_unary(  # type: ignore[union-attr]
        "/pluginv2.Data/QueryData", request_serializer=lambda body: body, response_deserializer=lambda body: body
    )
    query = b"\x0a\x03\xff\xfe\xfd"  # DataQuery.refId = invalid UTF-8
    with pytest.raises(grpc.RpcError) as refused:
        raw_call(b"\x12" + bytes([len(query)]) + query, timeout=30)  # QueryDataRequest.queries = [query]
    assert refused.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT)
    _still_serving(plugin)


def test_repeated_shutdown_exits_once_and_cleanly(tmp_path: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        _still_serving(plugin)

        def shut_down() -> str:
            try:
                plugin.shutdown()
                return "ok"
            except grpc.RpcError as exc:  # the server may already be gone for a late caller
                return exc.code().name

        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = list(pool.map(lambda _: shut_down(), range(3)))
        assert plugin.wait(timeout_s=5) == 0
        assert "ok" in outcomes and set(outcomes) <= {"ok", "UNAVAILABLE", "CANCELLED"}, outcomes
        assert shut_down() == "UNAVAILABLE"
        levels = {record["@level"] for record in plugin.log_records()}
        assert "error" not in levels and "Traceback" not in plugin.stderr()
    finally:
        plugin.stop()
