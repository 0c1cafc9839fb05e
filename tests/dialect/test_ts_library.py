"""IBM's time-series functions, lowered and run on DuckDB, against plain-Python references on generated series.

The series hold NULL values, duplicate ticks, a single point and only NULLs (``ts_cases.py``); a
query over no observations answers no rows. The same cases run on Spark in
``tests/engines/test_ts_library_parity.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest

from cloudsql_cos_ts.dialect import translate
from tests.dialect import ts_cases
from tests.dialect.ts_python import Series


def close(actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    """Same rows in any order; floats equal to 1e-9 relative (NULL only equals NULL)."""

    def order(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, round(v, 6) if isinstance(v, float) else v) for v in row)

    got, want = sorted(actual, key=order), sorted(expected, key=order)
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w)
        for a, b in zip(g, w, strict=True):
            if isinstance(a, int | float) and isinstance(b, int | float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (g, w)
            else:
                assert a == b, (g, w)


@pytest.fixture(scope="module")
def obs() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("generated", ts_cases.table())
    connection.execute("CREATE TABLE obs AS SELECT * FROM generated")
    yield connection
    connection.close()


def _run(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(translate(sql, dialect="duckdb").sql).fetchall()


@pytest.mark.parametrize(
    ("inner", "reference"),
    [case[1:] for case in ts_cases.EXPLODE_CASES],
    ids=[case[0] for case in ts_cases.EXPLODE_CASES],
)
def test_function_against_reference(
    obs: duckdb.DuckDBPyConnection, inner: str, reference: Callable[[Series], Series]
) -> None:
    close(_run(obs, ts_cases.explode_sql(inner)), ts_cases.expected_explode(reference))


def test_whole_series_reducers(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.REDUCERS_SQL), ts_cases.expected_reducers())


@pytest.mark.parametrize("explode", ["TS_S_EXPLODE", "TS_DA_EXPLODE", "TS_SA_EXPLODE"])
def test_typed_explodes_are_explode(obs: duckdb.DuckDBPyConnection, explode: str) -> None:
    close(_run(obs, ts_cases.explode_sql("ts", explode)), ts_cases.expected_explode(lambda s: s))


@pytest.mark.parametrize(("inner", "_reference"), [case[1:] for case in ts_cases.EXPLODE_CASES[:12]])
def test_no_observations_no_rows(obs: duckdb.DuckDBPyConnection, inner: str, _reference: object) -> None:
    sql = ts_cases.explode_sql(inner).replace("IN ts)", "IN ts WHERE k = 'none')")
    assert _run(obs, sql) == []


def test_string_and_array_series(obs: duckdb.DuckDBPyConnection) -> None:
    """String values through the order-only functions; TS_INDEX counts array elements from 0."""
    sql = (
        "WITH s AS (SELECT k, ts FROM (SELECT k, t, CAST(v > 50 AS STRING) AS flag, array(v, v * 2) AS pair FROM obs) "
        'USING TIME_SERIES_FORMAT(key="k", timetick="t", value="{}") IN ts) SELECT k, {}({}) AS (tt, value) FROM s'
    )
    strings = _run(obs, sql.format("flag", "TS_S_EXPLODE", "TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)"))
    flags = {
        key: [(t, None if v is None else str(v > 50).lower()) for t, v in series]
        for key, series in ts_cases.SERIES.items()
    }
    expected: list[tuple[Any, ...]] = []
    for key, series in flags.items():
        ordered = sorted(series, key=lambda p: (p[0], p[1] is None, p[1] or ""))
        expected += [(key, t, v) for i, (t, v) in enumerate(ordered) if i == 0 or v != ordered[i - 1][1]]
    close(strings, expected)
    doubled = _run(obs, sql.format("pair", "TS_EXPLODE", "TS_INDEX(ts, 1)"))
    close(doubled, ts_cases.expected_explode(lambda s: [(t, None if v is None else v * 2) for t, v in s]))


def test_ibm_documented_examples(obs: duckdb.DuckDBPyConnection) -> None:
    """IBM's worked examples (FILLNA and RESAMPLE with PREV(-1.0)), NaN written as NULL."""
    obs.execute(
        "CREATE OR REPLACE TABLE ibm AS SELECT t, CAST(x AS DOUBLE) AS x "
        "FROM (VALUES (1, NULL), (3, 2.0), (5, 3.5), (7, 6.0), (8, 7.1)) v(t, x)"
    )
    base = (
        "WITH s AS (SELECT ts FROM (SELECT timestamp_millis(t) AS at, x FROM ibm) "
        'USING TIME_SERIES_FORMAT(timetick="at", value="x") IN ts) SELECT TS_EXPLODE({}) AS (tt, value) FROM s'
    )
    prev = "TS_INTERPOLATOR_PREV(-1.0)"
    assert sorted(_run(obs, base.format(f"TS_FILLNA(ts, {prev})"))) == [
        (1, -1.0),
        (3, 2.0),
        (5, 3.5),
        (7, 6.0),
        (8, 7.1),
    ]
    assert sorted(_run(obs, base.format(f"TS_RESAMPLE(ts, 2, {prev})"))) == [
        (0, -1.0),
        (2, None),
        (4, 2.0),
        (6, 3.5),
        (8, 7.1),
    ]
    assert sorted(_run(obs, base.format(f"TS_RESAMPLE(ts, 3, {prev})"))) == [(0, -1.0), (3, 2.0), (6, 3.5)]
    segments = sorted(_run(obs, base.format("TS_SEG_AVG(TS_SEGMENT(TS_DROPNA(ts), 2, 1))")))
    assert segments == [(3, 2.75), (5, 4.75), (7, 6.55)]
