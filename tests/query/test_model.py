"""The query model: our keys, the original plugin's keys, defaults and type errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.query.model import parse_query
from cloudsql_cos_ts.timerange import TimeRange

RANGE = TimeRange(1_000, 2_000)


def parse(model: dict[str, Any] | bytes):  # type: ignore[no-untyped-def]
    raw = model if isinstance(model, bytes) else json.dumps(model).encode()
    return parse_query(raw, ref_id="A", time_range=RANGE, interval_ms=30_000, max_data_points=500)


def test_our_keys() -> None:
    q = parse(
        {
            "rawSql": "SELECT 1",
            "format": "time_series",
            "timeColumn": "t",
            "metricsColumn": "m",
            "getResult": False,
            "intervalMs": 10,
            "cacheTtlSeconds": 0,
            "datasource": {"uid": "x"},
        }
    )
    assert (q.raw_sql, q.format, q.time_column, q.metrics_column, q.get_result) == (
        "SELECT 1",
        "time_series",
        "t",
        "m",
        False,
    )
    assert (q.interval_ms, q.max_data_points, q.cache_ttl_s, q.time_range) == (10, 500, 0, RANGE)


def test_original_plugin_keys() -> None:
    q = parse(
        {
            "queryText": "SELECT 2",
            "time_column": "tt",
            "metrics_column": "action",
            "get_result": "false",
            "format": "time_series",
        }
    )
    assert (q.raw_sql, q.time_column, q.metrics_column, q.get_result) == ("SELECT 2", "tt", "action", False)


def test_our_keys_win_over_legacy() -> None:
    assert parse({"rawSql": "new", "queryText": "old"}).raw_sql == "new"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "table"),
        ("", "table"),
        ("table", "table"),
        (1, "table"),
        ("time_series", "time_series"),
        (0, "time_series"),
        ("logs", "logs"),
        (2, "logs"),  # sqlutil's number for logs
    ],
)
def test_formats(value: object, expected: str) -> None:
    assert parse({"format": value}).format == expected


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (b"{oops", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        ({"rawSql": 5}, "rawSql must be a string"),
        ({"getResult": "maybe"}, "getResult must be true or false"),
        ({"intervalMs": "fast"}, "intervalMs must be a number"),
        ({"cacheTtlSeconds": -1}, "must not be negative"),
        ({"format": "graph"}, "format must be 'table', 'time_series' or 'logs'"),
    ],
)
def test_type_errors(model: dict[str, Any] | bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse(model)


def test_empty_json_gives_defaults() -> None:
    q = parse(b"")
    assert (q.raw_sql, q.get_result, q.hide, q.interval_ms) == ("", True, False, 30_000)
