"""IBM time-series functions lowered to SQL, run on DuckDB, against hand-computed series."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.errors import BadRequest

H = 3_600_000
T0 = 1714953600000  # 2024-05-06T00:00:00Z
# key a: 00:10=1, 00:50=2, 01:20=3, 03:05=4 (nothing in hour 2); key b: 01:00=10, 01:30=20
OBSERVATIONS = [
    ("a", "00:10", 1.0),
    ("a", "00:50", 2.0),
    ("a", "01:20", 3.0),
    ("a", "03:05", 4.0),
    ("b", "01:00", 10.0),
    ("b", "01:30", 20.0),
]


def _ms(clock: str) -> int:
    hours, minutes = clock.split(":")
    return T0 + int(hours) * H + int(minutes) * 60_000


@pytest.fixture(scope="module")
def obs() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("CREATE TABLE obs (k VARCHAR, t TIMESTAMP, s VARCHAR, v DOUBLE)")
    for key, clock, value in OBSERVATIONS:
        connection.execute(
            "INSERT INTO obs VALUES (?, make_timestamp(? * 1000), ?, ?)",
            [key, _ms(clock), f"2024-05-06T{clock}:00Z", value],
        )
    yield connection
    connection.close()


def _series(inner: str, *, key: str = 'key="k", ', tick: str = "t") -> str:
    return (
        f'WITH series AS (SELECT k, ts FROM obs USING TIME_SERIES_FORMAT({key}timetick="{tick}", value="v") IN ts) '
        f"SELECT k, TS_EXPLODE({inner}) AS (tt, value) FROM series"
    )


def _run(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    rows = connection.execute(translate(sql, dialect="duckdb").sql).fetchall()
    return _rounded(rows)


def _rounded(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with floats rounded (for exact comparison), sorted."""
    rounded = [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]
    return sorted(rounded, key=lambda row: tuple((v is None, v) for v in row))


def _hours(*points: tuple[str, float, float | None]) -> list[tuple[str, int, float | None]]:
    return [(key, T0 + int(hour * H), value) for key, hour, value in points]


CASES: list[tuple[str, list[tuple[Any, ...]]]] = [
    # every reducer, TS_SEG_COUNT included, at the window start (the segment's tick); a's empty hour 2
    # is a window too: count 0, the other statistics NULL
    (
        "TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))",
        _hours(("a", 0, 2.0), ("a", 1, 1.0), ("a", 2, 0.0), ("a", 3, 1.0), ("b", 1, 2.0)),
    ),
    (
        "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, hour, per_hour))",
        _hours(("a", 0, 3.0), ("a", 1, 3.0), ("a", 2, None), ("a", 3, 4.0), ("b", 1, 30.0)),
    ),
    (
        "TS_SEG_AVG(TS_SEGMENT_BY_TIME(ts, PT1H, 60minute))",
        _hours(("a", 0, 1.5), ("a", 1, 3.0), ("a", 2, None), ("a", 3, 4.0), ("b", 1, 15.0)),
    ),
    (
        "TS_SEG_MIN(TS_SEGMENT_BY_TIME(ts, 1hour, 'PT60M'))",
        _hours(("a", 0, 1.0), ("a", 1, 3.0), ("a", 2, None), ("a", 3, 4.0), ("b", 1, 10.0)),
    ),
    (
        "TS_SEG_MAX(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))",
        _hours(("a", 0, 2.0), ("a", 1, 3.0), ("a", 2, None), ("a", 3, 4.0), ("b", 1, 20.0)),
    ),
    (
        "TS_SEG_SD(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))",
        _hours(("a", 0, math.sqrt(0.5)), ("a", 1, None), ("a", 2, None), ("a", 3, None), ("b", 1, math.sqrt(50))),
    ),
    # sliding: 2 h windows every hour, epoch-aligned, from the hour of the first tick to the first window
    # reaching the last tick (IBM's range: a's [02:00, 04:00) holds 03:05, so no window starts at 03:00)
    (
        "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 2hour, hour))",
        _hours(("a", 0, 6.0), ("a", 1, 3.0), ("a", 2, 4.0), ("b", 1, 30.0)),
    ),
    # 90 min windows every 30 min, each count at its window's start; [01:30, 03:00) of a is empty
    (
        "TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, PT90M, PT30M))",
        _hours(("a", 0, 3.0), ("a", 0.5, 2.0), ("a", 1, 1.0), ("a", 1.5, 0.0), ("a", 2, 1.0), ("b", 1, 2.0)),
    ),
    # hopping: 30 min windows every hour (gaps between windows)
    (
        "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 1800000, 3600000))",
        _hours(("a", 0, 1.0), ("a", 1, 3.0), ("a", 2, None), ("a", 3, 4.0), ("b", 1, 10.0)),
    ),
    # count-based: 2 observations, a new segment every observation; tick = first observation's tick
    (
        "TS_SEG_AVG(TS_SEGMENT(ts, 2, 1))",
        [("a", _ms("00:10"), 1.5), ("a", _ms("00:50"), 2.5), ("a", _ms("01:20"), 3.5), ("b", _ms("01:00"), 15.0)],
    ),
    # only complete segments: positions 0-2 of a; b has only two observations
    ("TS_SEG_COUNT(TS_SEGMENT(ts, 3, 2))", [("a", _ms("00:10"), 3.0)]),
    (
        "TS_SEG_SUM(TS_SEGMENT(ts, 1, 2))",
        [("a", _ms("00:10"), 1.0), ("a", _ms("01:20"), 3.0), ("b", _ms("01:00"), 10.0)],
    ),
    ("ts", [(k, _ms(c), v) for k, c, v in OBSERVATIONS]),
]


@pytest.mark.parametrize(("inner", "expected"), CASES)
def test_series(obs: duckdb.DuckDBPyConnection, inner: str, expected: list[tuple[Any, ...]]) -> None:
    assert _run(obs, _series(inner)) == _rounded(expected)


def test_string_timeticks(obs: duckdb.DuckDBPyConnection) -> None:
    sql = _series("TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))", tick="s")
    assert _run(obs, sql) == CASES[0][1]


def test_without_key_all_rows_are_one_series(obs: duckdb.DuckDBPyConnection) -> None:
    sql = (
        'WITH series AS (SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t", value="v") IN ts) '
        "SELECT TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))) AS (tt, n) FROM series"
    )
    assert _run(obs, sql) == [(T0, 2.0), (T0 + H, 3.0), (T0 + 2 * H, 0.0), (T0 + 3 * H, 1.0)]


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("COUNT", [2.0, 0.0, 1.0]), ("SUM", [3.0, None, 5.0]), ("SD", [math.sqrt(0.5), None, None])],
)
def test_empty_windows_when_the_first_ticks_tie(
    obs: duckdb.DuckDBPyConnection, statistic: str, expected: list[float | None]
) -> None:
    """Every row at a key's first tick carries the empty windows (no sort picks one): the copies change nothing."""
    points = ((T0, 1.0), (T0, 2.0), (T0 + 2 * H, 5.0))
    rows = ", ".join(f"('c', make_timestamp({ms} * 1000), '', {v})" for ms, v in points)
    connection = obs.cursor()
    connection.execute(f"CREATE OR REPLACE TEMP VIEW tied_obs AS SELECT * FROM (VALUES {rows}) AS o(k, t, s, v)")
    query = _series(f"TS_SEG_{statistic}(TS_SEGMENT_BY_TIME(ts, hour, hour))").replace("FROM obs", "FROM tied_obs")
    assert _run(connection, query) == _rounded([("c", T0 + i * H, v) for i, v in enumerate(expected)])


def test_more_windows_than_the_row_limit_is_an_error_naming_the_function(obs: duckdb.DuckDBPyConnection) -> None:
    """a spans 3 h: 1 ms windows would be about 11 million rows (the empty ones included), over the limit."""
    with pytest.raises(duckdb.InvalidInputException, match=r"TS_SEGMENT_BY_TIME\(ts, window, step\): .* row limit"):
        _run(obs, _series("TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 1, 1))"))


def test_default_series_name_and_one_select(obs: duckdb.DuckDBPyConnection) -> None:
    sql = (
        "SELECT k AS key, TS_EXPLODE(TS_SEG_MAX(TS_SEGMENT_BY_TIME(time_series, day, day))) AS (tt, value) "
        'FROM obs USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v") WHERE k = "a"'
    )
    assert _run(obs, sql) == [("a", T0, 4.0)]


def test_exploded_columns_are_epoch_ms_and_double(obs: duckdb.DuckDBPyConnection) -> None:
    sql = translate(_series("TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))"), dialect="duckdb").sql
    types = [row[1] for row in obs.execute(f"DESCRIBE {sql}").fetchall()]
    assert types == ["VARCHAR", "BIGINT", "DOUBLE"]


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        (
            "TS_SEG_DTW(TS_SEGMENT_BY_TIME(ts, 1000, 1000))",
            "write TS_SEG_DTW(TS_SEGMENT_BY_TIME(a, window, step), TS_SEGMENT_BY_TIME(b, window, step))",
        ),
        (
            "TS_SEG_DL(TS_SEGMENT(ts, 2, 1))",
            "write TS_SEG_DL(TS_SEGMENT_BY_TIME(a, window, step), TS_SEGMENT_BY_TIME(b, window, step))",
        ),
        (
            "TS_SEG_AUTO_CORRELATION(TS_SEGMENT(ts, 2, 1))",
            "write TS_SEG_AUTO_CORRELATION(TS_SEGMENT_BY_TIME(ts, window, step))",
        ),
        (
            "TS_SEG_FFT(TS_SEGMENT_BY_TIME(ts, 1000, 1000))",
            "write TS_SEG_FFT(TS_SEGMENT_BY_TIME(ts, window, step), dir)",
        ),
        ("TS_LEFT_JOIN(ts, upper(k), TS_INTERPOLATOR_PREV(0))", "with two series columns built in one SELECT"),
        (
            "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, v, 1000))",
            "TS_SEGMENT_BY_TIME(ts, window, step): window must be a positive whole number",
        ),
        (
            "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 1000, 0))",
            "TS_SEGMENT_BY_TIME(ts, window, step): step must be a positive whole number",
        ),
        ("TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 1000))", "write TS_SEGMENT_BY_TIME(ts, window, step)"),
        ("TS_SEG_SUM(TS_SEGMENT(ts, 2))", "write TS_SEGMENT(ts, size, step)"),
        (
            "TS_SEG_SUM(TS_SEGMENT_BY_TIME(upper(k), 1000, 1000))",
            "UPPER(k) is not a series: write the series column named in TIME_SERIES_FORMAT",
        ),
        (
            "TS_SEG_SUM(TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, 0.5, 2, 'x'))",
            "TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap): cap must be a whole number",
        ),
        (  # the grammar's fourth flag is explained nowhere
            "TS_SEG_SUM(TS_SEGMENT_BY_MARKER(ts, TS_ANCHOR_GT(1), true, true, true, true))",
            "write TS_SEGMENT_BY_MARKER(ts, marker_condition, prevInclusive, nextInclusive, requiresStartAndEnd)",
        ),
        (
            "TS_SEG_SUM(TS_SEGMENT_BY_MARKER(ts, TS_ANCHOR_GT(1), 1, true, true))",
            "TS_SEGMENT_BY_MARKER's prevInclusive must be true or false",
        ),
        ("TS_FORECAST(ts, TS_FORECAST_AUTO(10), 5)", "TS_FORECAST is not supported: IBM never described"),
        ("TS_FILLNA(ts, TS_INTERPOLATOR_SPLINE(0, 1, 1))", "IBM never documented which spline it fits"),
        ("TS_RESAMPLE(ts, 0, TS_INTERPOLATOR_PREV(0))", "TS_RESAMPLE's period (ticks) must be at least 1"),
    ],
)
def test_unsupported_forms(inner: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        translate(_series(inner), dialect="duckdb")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT TS_EXPLODE(ts) FROM s", "write TS_EXPLODE(series) AS (time_name, value_name)"),
        ("SELECT TS_EXPLODE(ts) AS x FROM s", "write TS_EXPLODE(series) AS (time_name, value_name)"),
        ("SELECT TS_EXPLODE(a) AS (t, v), TS_EXPLODE(b) AS (t2, v2) FROM s", "only one TS_EXPLODE per SELECT"),
        (
            "SELECT k, TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 1, 1))) AS (t, v) FROM s GROUP BY k",
            "cannot be combined with GROUP BY",
        ),
        (
            "SELECT count(*), TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 1, 1))) AS (t, v) FROM s",
            "aggregate functions cannot stand next to TS_EXPLODE",
        ),
        (
            "SELECT TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 2, 1))) AS (t, v) FROM s JOIN r ON true",
            "need exactly one table in FROM",
        ),
        (
            'SELECT ts FROM a JOIN b ON true USING TIME_SERIES_FORMAT(timetick="t", value="v") IN ts',
            "need exactly one table in FROM",
        ),
        ("SELECT TS_FORECAST(ts, TS_FORECAST_AUTO(10), 5) AS m FROM s", "IBM never described the forecasting"),
        ("SELECT TS_AWGN(ts, 0, 1) AS m FROM s", "TS_AWGN is not supported here, or not in this position"),
        ("SELECT TS_AVG(ts), TS_SD(TS_DIFF(ts)) FROM s", "must all reduce the same series"),
        ('SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t")', "timetick and value are required"),
        (
            'SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t", value="v", period="PT1M")',
            "unsupported option 'period'",
        ),
        (
            'SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t", value="v", granularity="PT0.0005S")',
            "must be an ISO 8601 duration of whole milliseconds",
        ),
        (
            'SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t", value="v", starttime="yesterday")',
            "is not an ISO 8601 time",
        ),
        (
            "SELECT ts FROM obs USING TIME_SERIES_FORMAT timetick",
            "write TIME_SERIES_FORMAT(key=..., timetick=..., value=...)",
        ),
        (
            'SELECT ts FROM obs USING TIME_SERIES_FORMAT(timetick="t", value="v") IN 5',
            "IN must be followed by the name of the series column",
        ),
    ],
)
def test_errors(sql: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        translate(sql, dialect="duckdb")
    assert message in caught.value.message


def test_spark_output_uses_spark_generators() -> None:
    sql = translate(_series("TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 2hour, hour))"), dialect="spark").sql
    assert "EXPLODE(SEQUENCE(0, 1)) AS __ts_lag" in sql
    assert "UNIX_MILLIS(CAST(`t` AS TIMESTAMP)) AS __ts_tick_ts" in sql


def _trs_series(options: str, inner: str) -> str:
    return (
        f'WITH series AS (SELECT k, ts FROM obs USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v", {options}) '
        f"IN ts) SELECT k, TS_EXPLODE({inner}) AS (tt, value) FROM series"
    )


HOURS_SINCE_T0 = 'starttime="2024-05-06T00:00:00", granularity="PT1H"'


@pytest.mark.parametrize(
    ("options", "inner", "expected"),
    [
        # a tick is floor((time - starttime) / granularity): hours since T0 here
        (
            HOURS_SINCE_T0,
            "ts",
            [("a", 0, 1.0), ("a", 0, 2.0), ("a", 1, 3.0), ("a", 3, 4.0), ("b", 1, 10.0), ("b", 1, 20.0)],
        ),
        # window and step count ticks (hours)
        (HOURS_SINCE_T0, "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 2, 2))", [("a", 0, 6.0), ("a", 2, 4.0), ("b", 0, 30.0)]),
        # granularity alone: the start is 1970-01-01T00:00Z
        (
            'granularity="P1D"',
            "TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 1, 1))",
            [("a", T0 // 86_400_000, 4.0), ("b", T0 // 86_400_000, 2.0)],
        ),
        # starttime alone (with a zone): 1 ms ticks from the start
        (
            "starttime='2024-05-06T01:00:00+00:00'",
            "TS_SEG_MAX(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))",
            [("a", -H, 2.0), ("a", 0, 3.0), ("a", H, None), ("a", 2 * H, 4.0), ("b", 0, 20.0)],
        ),
    ],
)
def test_time_reference_system(obs: duckdb.DuckDBPyConnection, options: str, inner: str, expected: list[Any]) -> None:
    assert _run(obs, _trs_series(options, inner)) == _rounded(expected)
