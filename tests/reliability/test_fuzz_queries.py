"""Fuzz QueryData's handler with any query model and protocol fields: every refId gets a 200 or a 4xx with text.

A 500 is a bug of ours (the pipeline says so in the message), and an exception escaping the
handler would fail every refId of the panel; neither may happen for any input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS
from tests.modes import FUZZ, FUZZ_SLOW_HANDLER
from tests.plugin_host import datasource_context
from tests.reliability.flows import flow_context
from tests.reliability.json_inputs import TEXT, json_bytes, poisoned
from tests.reliability.servicers import Servicers
from tests.unit.test_lexer_properties import CODE, MACRO_TEXT, PROTECTED, SQLISH

MACRO_CALLS = st.sampled_from(
    [
        "$__timeFilter",
        "$__timeFilter(string)",
        "$__timeFilterColumn(start_time, timestamp)",
        "$__timeGroup(start_time, $__interval, previous)",
        "$__timeGroupAlias(start_time, 1m, 0)",
        "$__unixEpochFilter(epoch)",
        "$__timeFrom()",
        "$__timeTo()",
        "$__source_prev(B)",
        "$__source_prev(A)",
        "INTO $__dest(csv, x/y)",
        "$__dest(parquet, ../x)",
    ]
)
RUNNABLE = st.sampled_from(
    [
        "SELECT $__timeFrom() AS a, $__timeTo() AS b, $__interval_ms AS i, '$__interval' AS s",
        "SELECT $__unixEpochFrom() AS a, $__unixEpochTo() AS b",
        "SELECT $__timeGroupAlias(t, $__interval, previous), 1.5 AS v FROM (SELECT $__timeFrom() AS t) "
        "WHERE $__timeFilterColumn(t) GROUP BY 1",
        "SELECT $__timeGroup(t, 1h, 0) AS time, count(*) AS n FROM (SELECT $__timeTo() AS t) GROUP BY 1",
        # a DECIMAL(2,1) column filled with a number; buckets from the fuzzed range and interval (once an OOM)
        "SELECT $__timeGroup(t, $__interval, 0) AS time, 1.5 AS v FROM (SELECT $__timeFrom() AS t) GROUP BY 1",
        "SELECT * FROM $__source_prev(A)",
        "SELECT x FROM (VALUES (1)) v(x) WHERE $__timeFilter",
    ]
)
SQL = st.one_of(
    poisoned(RUNNABLE),
    SQLISH,
    st.lists(st.one_of(PROTECTED, CODE, MACRO_TEXT, MACRO_CALLS), max_size=10).map(" ".join),
    st.sampled_from(["SELECT 1 AS x", "SELECT range AS n FROM range(3)", "VALUES (1, 'a')"]),
)
QUERY_FIELDS = {
    "rawSql": SQL,
    "queryText": SQL,
    "format": st.sampled_from(["table", "time_series", 0, 1, "timeseries", "logs", -1, 2]),
    "timeColumn": TEXT,
    "metricsColumn": TEXT,
    "getResult": st.booleans(),
    "hide": st.booleans(),
    "intervalMs": st.integers(),
    "maxDataPoints": st.integers(),
    "cacheTtlSeconds": st.integers(),
    "refId": TEXT,
}
INT64 = st.integers(-(2**63), 2**63 - 1)
EDGES_MS = st.sampled_from([EARLIEST_MS, EARLIEST_MS + 1, LATEST_MS - 1, LATEST_MS])  # years 1 and 9999
EPOCH_MS = st.one_of(
    st.integers(EARLIEST_MS, LATEST_MS),
    EDGES_MS,
    st.sampled_from([EARLIEST_MS - 1, LATEST_MS + 1, 0, -1]),
    INT64,
)
DATA_QUERIES = st.builds(
    lambda ref, raw, start, end, interval, points: pb.DataQuery(
        refId=ref,
        json=raw,
        timeRange=pb.TimeRange(fromEpochMS=start, toEpochMS=end),
        intervalMS=interval,
        maxDataPoints=points,
    ),
    st.sampled_from(["A", "B", ""]) | TEXT,
    json_bytes(QUERY_FIELDS),
    st.one_of(st.just(1714953600000), EPOCH_MS),
    st.one_of(st.just(1715040000000), EPOCH_MS),
    st.one_of(st.just(60_000), st.sampled_from([0, -1, 1]), INT64),
    st.one_of(st.just(1000), st.sampled_from([0, -1, 1]), INT64),
)
CONTEXT = datasource_context({"cacheTtlSeconds": 0}, uid="fuzz-queries")


@FUZZ
@given(st.lists(DATA_QUERIES, min_size=1, max_size=3))
def test_every_query_is_answered_with_200_or_a_4xx_with_text(servicers: Servicers, queries: list[pb.DataQuery]) -> None:
    response = servicers.query(pb.QueryDataRequest(pluginContext=CONTEXT, queries=queries))
    assert set(response.responses) == {q.refId or "A" for q in queries}
    for ref, answer in response.responses.items():
        assert answer.status == 200 or (400 <= answer.status < 500 and answer.error), (ref, answer.status, answer.error)


FLOW_SQL = st.sampled_from(
    [
        "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilter(string)",
        "SELECT $__timeGroup(start_time, $__interval, 0) AS time, count(*) AS n FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, string) GROUP BY 1",
        "SELECT $__timeGroupAlias(start_time, 100d, previous), count(*) AS n FROM FLOW_FLAT GROUP BY 1",
        "SELECT $__timeFrom() AS a, $__timeTo() AS b, count(*) AS n FROM FLOW WHERE $__timeFilter(string)",
    ]
)
# the data's own years, the ends of what the plugin takes, and a century before the data
RANGE_ENDS_MS = st.one_of(EDGES_MS, st.sampled_from([-2_208_988_800_000, 1_778_198_400_000]), st.integers(0, 2**42))


@FUZZ_SLOW_HANDLER
@given(poisoned(FLOW_SQL), st.tuples(RANGE_ENDS_MS, RANGE_ENDS_MS).map(sorted), st.sampled_from([1_000, 86_400_000]))
def test_flow_log_queries_at_the_ends_of_time_are_answered_with_200_or_a_4xx(
    servicers: Servicers, flow_folder: Path, sql: str, ends: list[int], interval: int
) -> None:
    """Issue 25: a range ending in the year 9999 was a 500 (year 10000), and a century of hours took a minute."""
    query = pb.DataQuery(
        refId="A",
        json=json.dumps({"rawSql": sql, "timeColumn": "start_time"}).encode(),
        timeRange=pb.TimeRange(fromEpochMS=ends[0], toEpochMS=ends[1]),
        intervalMS=interval,
    )
    context = flow_context(flow_folder, uid="fuzz-flows")
    started = time.process_time()
    answer = servicers.query(pb.QueryDataRequest(pluginContext=context, queries=[query])).responses["A"]
    assert answer.status == 200 or (400 <= answer.status < 500 and answer.error), (answer.status, answer.error)
    assert time.process_time() - started < 5


def _answer(servicers: Servicers, query: pb.DataQuery) -> pb.DataResponse:
    return servicers.query(pb.QueryDataRequest(pluginContext=CONTEXT, queries=[query])).responses[query.refId]


def test_numbers_too_long_for_python_are_a_400_not_a_failed_call(servicers: Servicers) -> None:
    """Found by the fuzzer: json's 4300-digit limit raised ValueError and failed every refId with a 500."""
    answer = _answer(servicers, pb.DataQuery(refId="A", json=b'{"rawSql": "SELECT 1", "x": ' + b"9" * 4301 + b"}"))
    assert answer.status == 400 and "not valid JSON" in answer.error


def test_non_finite_numbers_in_the_model_are_a_400(servicers: Servicers) -> None:
    """Found by the fuzzer: ``"intervalMs": NaN`` / ``1e999`` reached ``int()`` and failed the whole call."""
    for raw in (b'{"rawSql": "SELECT 1", "intervalMs": NaN}', b'{"rawSql": "SELECT 1", "maxDataPoints": 1e999}'):
        answer = _answer(servicers, pb.DataQuery(refId="A", json=raw))
        assert answer.status == 400 and "finite" in answer.error, raw


def test_time_ranges_outside_python_dates_are_a_400(servicers: Servicers) -> None:
    """Found while fuzzing the protocol fields: ``$__timeFrom()`` over an int64-edge range was a 500."""
    query = pb.DataQuery(
        refId="A",
        json=b'{"rawSql": "SELECT $__timeFrom() AS t"}',
        timeRange=pb.TimeRange(fromEpochMS=-(2**63), toEpochMS=2**62),
    )
    answer = _answer(servicers, query)
    assert answer.status == 400 and "years 1 and 9999" in answer.error


@pytest.mark.parametrize(
    "raw",
    [
        b'{"rawSql": "SELECT range AS n FROM \xed\xa0\x80ange(3)"}',  # the long run's example: U+D800's bytes
        b'{"rawSql": "SELECT * FROM $__source_prev(\\ud800)"}',
        b'{"rawSql": "SELECT $__timeFrom() AS t, 1 AS v", "format": "time_series", "timeColumn": "\\udfff"}',
    ],
)
def test_lone_surrogates_quoted_in_an_error_are_a_400_not_a_failed_call(servicers: Servicers, raw: bytes) -> None:
    """Found by the long run: json.loads passes lone surrogates, messages quote them, protobuf cannot encode them."""
    answer = _answer(servicers, pb.DataQuery(refId="A", json=raw, timeRange=pb.TimeRange(fromEpochMS=0, toEpochMS=1)))
    assert answer.status == 400 and "\\ud" in answer.error, answer.error


def _fill_query(step: str, days: int) -> pb.DataQuery:
    sql = f"SELECT $__timeGroup(t, {step}, 0) AS time, 1.5 AS v FROM (SELECT $__timeFrom() AS t) GROUP BY 1"
    start = 1714953600000
    return pb.DataQuery(
        refId="A",
        json=json.dumps({"rawSql": sql}).encode(),
        timeRange=pb.TimeRange(fromEpochMS=start, toEpochMS=start + days * 86_400_000),
    )


def test_numeric_fill_of_a_decimal_column_is_answered(servicers: Servicers) -> None:
    """Found by the long run: ``1.5 AS v`` is DECIMAL(2,1), and a float fill failed in Arrow (a 500)."""
    answer = _answer(servicers, _fill_query("1h", 1))
    assert answer.status == 200, answer.error


def test_fill_over_a_billion_buckets_is_a_quick_400(servicers: Servicers) -> None:
    """Found by the long run (OOM at 23.5 GB): a 1 s fill over 30 years built every bucket before counting them."""
    started = time.monotonic()
    answer = _answer(servicers, _fill_query("1s", 11_000))
    assert answer.status == 400 and "more than the row limit" in answer.error
    assert time.monotonic() - started < 5
