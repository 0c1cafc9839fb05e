"""A query's budget: the tightest of the limits that apply to it, read from jsonData in one place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.budget import Budget, Cap
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings


def budgets(**json_data: Any) -> Any:
    raw = json.dumps(json_data).encode()
    return parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={}).budgets


@pytest.mark.parametrize(
    ("json_data", "alert", "open_ended", "expected"),
    [
        ({}, False, False, Budget("query")),
        ({}, True, False, Budget("alert", Cap(50_000, "alertLimitObjects"), Cap(2048 << 20, "alertLimitMB"))),
        ({}, False, True, Budget("query", Cap(100_000, "scanLimitObjects"))),
        ({"queryLimitObjects": 10, "scanLimitObjects": 5}, False, True, Budget("query", Cap(5, "scanLimitObjects"))),
        ({"queryLimitObjects": 10, "scanLimitObjects": 50}, False, True, Budget("query", Cap(10, "queryLimitObjects"))),
        ({"queryLimitObjects": 10, "alertLimitObjects": 0, "alertLimitMB": 0}, True, False,
         Budget("alert", Cap(10, "queryLimitObjects"))),
        ({"queryLimitMB": 1, "alertLimitMB": 2}, True, False,
         Budget("alert", Cap(50_000, "alertLimitObjects"), Cap(1 << 20, "queryLimitMB"))),
    ],
)  # fmt: skip
def test_the_tightest_limit_that_applies(
    json_data: dict[str, Any], alert: bool, open_ended: bool, expected: Budget
) -> None:
    assert budgets(**json_data).for_query(from_alert=alert, open_ended=open_ended) == expected


@pytest.mark.parametrize(
    ("json_data", "message"),
    [
        ({"queryLimitObjects": -1}, "queryLimitObjects must be between 0 and"),
        ({"alertLimitMB": "lots"}, "alertLimitMB must be a number"),
        ({"scanLimitObjects": 0}, "scanLimitObjects must be between 1 and"),
    ],
)
def test_bad_limits_are_named(json_data: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        budgets(**json_data)
