"""Dashboard ad-hoc filters as the query model reads them: a 400 naming a bad filter, typed filters
for the dialect layer (which applies them: tests/dialect/test_adhoc.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cloudsql_cos_ts.dialect.adhoc import AdhocFilter
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.query.adhoc import parse_adhoc_filters
from cloudsql_cos_ts.query.model import parse_query
from cloudsql_cos_ts.timerange import TimeRange

RANGE = TimeRange(1_714_953_600_000, 1_714_964_400_000)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("target_ip", "must be a list"),
        ([["target_ip", "=", "x"]], "must be an object"),
        ([{"key": "target_ip) OR (1=1", "operator": "=", "value": "x"}], "is not a flow-log column"),
        ([{"key": "no_such_column", "value": "x"}], "is not a flow-log column"),
        ([{"key": "target_ip", "operator": "LIKE", "value": "x"}], "operator 'LIKE' is not one of"),
        ([{"key": "target_ip", "operator": "=", "value": None}], "must be text or a number"),
        ([{"key": "target_ip", "operator": "=", "value": {"a": 1}}], "must be text or a number"),
        ([{"key": "target_ip", "operator": "=", "value": "a\x00b"}], "NUL"),
        ([{"key": "target_ip", "value": "x"}] * 51, "at most 50"),
    ],
)
def test_bad_filters_are_a_400_naming_them(value: Any, message: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse_adhoc_filters(value)


def test_the_query_model_reads_adhoc_filters() -> None:
    filters = [{"key": "target_port", "operator": "!=", "value": 22}, {"key": "action", "value": "rejected"}]
    raw = json.dumps({"rawSql": "SELECT 1", "adhocFilters": filters}).encode()
    model = parse_query(raw, ref_id="A", time_range=RANGE, interval_ms=1000, max_data_points=100)
    assert model.adhoc_filters == (AdhocFilter("target_port", "!=", "22"), AdhocFilter("action", "=", "rejected"))
    plain = parse_query(b'{"rawSql": "SELECT 1"}', ref_id="A", time_range=RANGE, interval_ms=1000, max_data_points=100)
    assert plain.adhoc_filters == ()
