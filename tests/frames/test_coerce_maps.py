"""Maps of text to text become JSON objects on whole columns (a logs frame's labels); the answer is the
row-by-row one's, also for NULLs, slices and values that need escaping."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.frames.coerce import to_grafana

STRING_MAP = pa.map_(pa.string(), pa.string())
ROWS: list[Any] = [[("a", "1"), ("b", None)], None, [], [("x", "y")]]


def as_json(values: pa.Array) -> list[Any]:
    coerced = to_grafana(values).values
    assert coerced.type == pa.binary()  # Grafana's JSON field type
    return [None if v is None else json.loads(v) for v in coerced.to_pylist()]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pa.array(ROWS, STRING_MAP), [{"a": "1", "b": None}, None, {}, {"x": "y"}]),
        (pa.array(ROWS, STRING_MAP).slice(1), [None, {}, {"x": "y"}]),
        (pa.array(ROWS, STRING_MAP).slice(0, 1), [{"a": "1", "b": None}]),
        (pa.array([], STRING_MAP), []),
        # quotes, backslashes and control characters: escaped as JSON wants
        (pa.array([[('q"', 'a\\b'), ("t", "line\nnext")]], STRING_MAP), [{'q"': "a\\b", "t": "line\nnext"}]),
        (pa.array([[("city", "Zürich →")]], STRING_MAP), [{"city": "Zürich →"}]),
    ],
)
def test_string_maps_become_json_objects(values: pa.Array, expected: list[Any]) -> None:
    assert as_json(values) == expected
