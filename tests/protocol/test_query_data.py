"""QueryData over the real socket: per-query answers, chaining, limits, cancellation, concurrency."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa
import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta

SLOW_SQL = "SELECT count(*) AS n FROM range(100000000000) a"


@pytest.mark.parametrize(
    ("model", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        ({"rawSql": ""}, 400, "the query is empty"),
        ({"rawSql": "   \n"}, 400, "the query is empty"),
        ({"rawSql": 42}, 400, "rawSql must be a string"),
        ({"rawSql": "SELECT 1", "format": "pie"}, 400, "format must be"),
        ({"rawSql": "SELEC nonsense"}, 400, "not allowed"),
        ({"rawSql": "SELECT nope FROM range(1)"}, 400, "nope"),
        ({"rawSql": "SELECT $__bogus"}, 400, "$__timeFilter"),
        ({"rawSql": "SELECT * FROM $__source"}, 400, "source"),
        ({"rawSql": "SELECT 1 AS x", "unknownKey": {"deep": [1]}}, 200, ""),
    ],
)
def test_each_bad_query_fails_alone(
    plugin: PluginProcess, model: dict[str, Any] | bytes, status: int, message: str
) -> None:
    answers = plugin.query(data_query("OK", {"rawSql": "SELECT 42 AS answer"}), data_query("X", model))
    assert set(answers) == {"OK", "X"}
    assert answers["OK"].status == 200 and decode_frames(answers["OK"])[0].column("answer").to_pylist() == [42]
    assert answers["X"].status == status
    assert message in answers["X"].error
    if status >= 400:
        assert answers["X"].errorSource == "downstream" and not answers["X"].frames


def test_success_has_status_200_arrow_format_and_executed_sql(plugin: PluginProcess) -> None:
    answer = plugin.query(data_query("A", {"rawSql": 'SELECT "x" AS s'}))["A"]
    assert (answer.status, answer.format, answer.error) == (200, pb.ARROW, "")
    (table,) = decode_frames(answer)
    assert frame_meta(table)["executedQueryString"] == "SELECT 'x' AS s"
    assert table.schema.metadata[b"refId"] == b"A"


def test_chained_queries_read_earlier_results(plugin: PluginProcess) -> None:
    answers = plugin.query(
        data_query("B", {"rawSql": "SELECT sum(v) AS total FROM $__source_prev(A)"}),
        data_query("A", {"rawSql": "SELECT range AS v FROM range(5)", "getResult": False}),
    )
    assert answers["A"].status == 200 and not answers["A"].frames
    assert decode_frames(answers["B"])[0].column("total").to_pylist() == [10]


@pytest.mark.parametrize(
    ("queries", "failing", "message"),
    [
        ({"A": "SELECT * FROM $__source_prev(B)", "B": "SELECT * FROM $__source_prev(A)"}, {"A", "B"}, "cycle"),
        ({"A": "SELECT * FROM $__source_prev(Z)"}, {"A"}, "Z"),
        ({"A": "SELECT nope", "B": "SELECT * FROM $__source_prev(A)"}, {"A", "B"}, ""),
    ],
)
def test_broken_chains_name_the_refids(
    plugin: PluginProcess, queries: dict[str, str], failing: set[str], message: str
) -> None:
    answers = plugin.query(
        *(data_query(ref, {"rawSql": sql}) for ref, sql in queries.items()),
        data_query("C", {"rawSql": "SELECT 1 AS one"}),
    )
    assert answers["C"].status == 200
    assert {ref for ref, a in answers.items() if a.status == 400} == failing
    assert all(message in answers[ref].error for ref in failing)


def test_hidden_query_is_answered_without_decode_frames(plugin: PluginProcess) -> None:
    answer = plugin.query(data_query("H", {"rawSql": "SELECT 1", "hide": True}))["H"]
    assert answer.status == 200 and not answer.frames


def test_row_limit_from_grafana_config_truncates_with_a_warning(plugin: PluginProcess) -> None:
    context = datasource_context(grafana_config={"GF_SQL_ROW_LIMIT": "7"})
    answer = plugin.query(data_query("A", {"rawSql": "SELECT range AS n FROM range(100)"}), context=context)["A"]
    (table,) = decode_frames(answer)
    assert table.num_rows == 7
    (notice,) = frame_meta(table)["notices"]
    assert notice["severity"] == "warning" and "cut at 7 rows" in notice["text"]


def test_datasource_timeout_stops_the_query_within_a_second(plugin: PluginProcess) -> None:
    context = datasource_context({"queryTimeoutSeconds": 1}, uid="short-timeout")
    started = time.monotonic()
    answer = plugin.query(data_query("A", {"rawSql": SLOW_SQL}), context=context)["A"]
    assert time.monotonic() - started < 2.5
    assert answer.status == 504 and "query timeout (1 s)" in answer.error


def _stopped_count(plugin: PluginProcess) -> float:
    """Queries answered as stopped by Grafana: 499 (cancelled) or 504 (Grafana's deadline passed)."""
    name = "cloudsql_cos_ts_queries_total"
    return plugin.metric(name, status="499") + plugin.metric(name, status="504")


def test_grafana_cancellation_interrupts_the_engine_within_a_second(plugin: PluginProcess) -> None:
    before = _stopped_count(plugin)
    request = pb.QueryDataRequest(pluginContext=datasource_context(), queries=[data_query("A", {"rawSql": SLOW_SQL})])
    try:  # the plugin's own deadline timer may answer 504 just before the client gives up
        answer = plugin.data.QueryData(request, timeout=0.5).responses["A"]
        assert answer.status == 504 and "time limit" in answer.error
    except grpc.RpcError as raised:
        assert raised.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    cancelled_at = time.monotonic()
    while _stopped_count(plugin) == before and time.monotonic() - cancelled_at < 5:
        time.sleep(0.02)
    assert _stopped_count(plugin) == before + 1, "the interrupted query was never answered as cancelled"
    assert time.monotonic() - cancelled_at < 1.0
    assert plugin.query(data_query("B", {"rawSql": "SELECT 1 AS one"}))["B"].status == 200


def test_alerting_requests_get_alertable_decode_frames(plugin: PluginProcess) -> None:
    sql = (
        "SELECT * FROM VALUES (TIMESTAMP '2024-05-06 10:00:00', \"10.0.0.1\", 5), "
        "(TIMESTAMP '2024-05-06 10:05:00', \"10.0.0.2\", 7) AS t(time, target_ip, rejected)"
    )
    answers = plugin.query(
        data_query("A", {"rawSql": sql, "format": "time_series"}),
        data_query("B", {"rawSql": "SELECT true AS flag"}),
        headers={"FromAlert": "true"},
    )
    tables = decode_frames(answers["A"])
    assert [json.loads(t.schema.field("rejected").metadata[b"labels"]) for t in tables] == [
        {"target_ip": "10.0.0.1"},
        {"target_ip": "10.0.0.2"},
    ]
    assert all(not t.schema.field("time").nullable and t.schema.field("rejected").type == pa.float64() for t in tables)
    assert answers["B"].status == 400 and "alerting needs" in answers["B"].error


def test_settings_errors_answer_every_query(plugin: PluginProcess) -> None:
    context = datasource_context({"rowLimit": -5}, uid="bad-settings")
    answers = plugin.query(
        data_query("A", {"rawSql": "SELECT 1"}), data_query("B", {"rawSql": "SELECT 2"}), context=context
    )
    assert {a.status for a in answers.values()} == {400}
    assert all("rowLimit must be between" in a.error for a in answers.values())


def test_settings_change_rebuilds_the_instance(plugin: PluginProcess) -> None:
    first = datasource_context({"rowLimit": 2}, uid="versioned", version=1)
    second = datasource_context({"rowLimit": 3}, uid="versioned", version=2)
    sql = {"rawSql": "SELECT range AS n FROM range(10)"}
    assert decode_frames(plugin.query(data_query("A", sql), context=first)["A"])[0].num_rows == 2
    assert decode_frames(plugin.query(data_query("A", sql), context=second)["A"])[0].num_rows == 3


def test_fifty_concurrent_calls_all_succeed(plugin: PluginProcess) -> None:
    def one(i: int) -> int:
        answer = plugin.query(data_query("A", {"rawSql": f"SELECT {i} AS i, count(*) AS n FROM range(10000)"}))["A"]
        assert answer.status == 200, answer.error
        return int(decode_frames(answer)[0].column("i")[0].as_py())

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert sorted(pool.map(one, range(50))) == list(range(50))


def test_request_without_datasource_settings_is_a_400(plugin: PluginProcess) -> None:
    request = pb.QueryDataRequest(
        pluginContext=pb.PluginContext(orgId=1), queries=[data_query("A", {"rawSql": "SELECT 1"})]
    )
    answer = plugin.data.QueryData(request, timeout=30).responses["A"]
    assert answer.status == 400 and "no datasource settings" in answer.error


def test_metrics_count_answered_queries(plugin: PluginProcess) -> None:
    plugin.query(data_query("A", {"rawSql": "SELECT 1"}))
    text = plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=30).metrics.prometheus.decode()
    assert 'cloudsql_cos_ts_queries_total{engine="duckdb",status="200"}' in text


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata"])
def test_sql_runs_in_utc_whatever_the_host_zone(tmp_path: Path, zone: str) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache", extra_env={"TZ": zone}).start()
    try:
        sql = 'SELECT to_timestamp("2024-05-06T10:00:00Z") AS z, to_timestamp("2024-05-06T12:00:00+02:00") AS offset'
        (table,) = decode_frames(plugin.query(data_query("A", {"rawSql": sql}))["A"])
        expected = 1714989600 * 10**9
        assert [table.column(c).cast(pa.int64())[0].as_py() for c in ("z", "offset")] == [expected, expected]
    finally:
        plugin.stop()


def test_metrics_count_queries_rejected_before_they_run(plugin: PluginProcess) -> None:
    def count_400() -> float:
        return plugin.metric("cloudsql_cos_ts_queries_total", status="400")

    before = count_400()
    plugin.query(data_query("A", b"{not json"), data_query("B", {"rawSql": ""}))
    plugin.query(data_query("C", {"rawSql": "SELECT 1"}), context=datasource_context({"rowLimit": -1}, uid="bad"))
    assert count_400() == before + 3


def test_time_windows_are_bounded_by_the_datasource_row_limit(plugin: PluginProcess) -> None:
    """Two observations 9 minutes apart make 10 one-minute windows: over a row limit of 5, within one of 20."""
    sql = (
        "WITH s AS (SELECT ts FROM (SELECT timestamp_millis(ms) AS at, x FROM VALUES (0, 1.0), (540000, 2.0) "
        'AS o(ms, x)) USING TIME_SERIES_FORMAT(timetick="at", value="x") IN ts) '
        "SELECT TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, PT1M, PT1M))) AS (tt, n) FROM s"
    )
    small = datasource_context({"rowLimit": 5}, uid="ts-rows-5")
    refused = plugin.query(data_query("A", {"rawSql": sql}), context=small)["A"]
    assert "TS_SEGMENT_BY_TIME(ts, window, step): a series would have more than 5 windows" in refused.error
    large = datasource_context({"rowLimit": 20}, uid="ts-rows-20")
    answered = plugin.query(data_query("A", {"rawSql": sql}), context=large)["A"]
    assert answered.status == 200, answered.error
    assert decode_frames(answered)[0].sort_by("tt").column("n").to_pylist() == [1.0, *[0.0] * 8, 1.0]
