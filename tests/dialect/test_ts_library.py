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
from cloudsql_cos_ts.dialect.timeseries import arrays
from cloudsql_cos_ts.errors import BadRequest
from tests.dialect import ts_cases, ts_python
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


@pytest.mark.parametrize("case", ts_cases.CASES, ids=[case.id for case in ts_cases.CASES])
def test_function_against_reference(obs: duckdb.DuckDBPyConnection, case: ts_cases.Case) -> None:
    close(_run(obs, case.sql()), case.expected)


def test_whole_series_reducers(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.REDUCERS_SQL), ts_cases.expected_reducers())


@pytest.mark.parametrize("explode", ts_cases.TYPED_EXPLODES)
def test_typed_explodes_are_explode(obs: duckdb.DuckDBPyConnection, explode: str) -> None:
    close(_run(obs, ts_cases.explode_sql("ts", explode)), ts_cases.expected_explode(lambda s: s))


@pytest.mark.parametrize(("inner", "_reference"), [case[1:] for case in ts_cases.EXPLODE_CASES[:12]])
def test_no_observations_no_rows(obs: duckdb.DuckDBPyConnection, inner: str, _reference: object) -> None:
    sql = ts_cases.explode_sql(inner).replace("IN ts)", "IN ts WHERE k = 'none')")
    assert _run(obs, sql) == []


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


def test_sliding_windows_as_ibm_documents(obs: duckdb.DuckDBPyConnection) -> None:
    """The sibling library's example: ticks 1, 2 and 6, windows of 3 every 1 are [1, 3], [2, 4], the empty
    [3, 5] and [4, 6], the first one reaching the last tick; on both lowerings (COUNT is summed per step)."""
    obs.execute(
        "CREATE OR REPLACE TABLE ibm_ticks AS SELECT t, CAST(t AS DOUBLE) AS x FROM (VALUES (1), (2), (6)) o(t)"
    )
    base = (
        "WITH s AS (SELECT ts FROM (SELECT timestamp_millis(t) AS at, x FROM ibm_ticks) "
        'USING TIME_SERIES_FORMAT(timetick="at", value="x") IN ts) SELECT TS_EXPLODE({}) AS (tt, value) FROM s'
    )
    windows = "TS_SEGMENT_BY_TIME(ts, 3, 1)"
    assert sorted(_run(obs, base.format(f"TS_SEG_COUNT({windows})"))) == [(1, 2.0), (2, 1.0), (3, 0.0), (4, 1.0)]
    assert sorted(_run(obs, base.format(f"TS_SEG_SD({windows})")), key=str) == sorted(
        [(1, math.sqrt(0.5)), (2, None), (3, None), (4, None)], key=str
    )


@pytest.mark.parametrize(("creation", "reference"), ts_cases.CREATIONS.items())
def test_creation_aggregates(
    obs: duckdb.DuckDBPyConnection, creation: str, reference: Callable[[Series], Series]
) -> None:
    """IBM's ``SELECT k, TIME_SERIES(...) AS ts ... GROUP BY k``: one series per group, as rows."""
    close(_run(obs, ts_cases.creation_sql(creation)), ts_cases.expected_explode(reference))


def test_expressions_reduced_in_one_select(obs: duckdb.DuckDBPyConnection) -> None:
    """Reducers of several row-keeping functions of one series share a SELECT (the Spark parity form)."""
    close(_run(obs, ts_cases.EXPRESSIONS_SQL), ts_cases.expected_expressions())


@pytest.mark.parametrize("statistic", ["COUNT", "AVG", "KURTOSIS"])
def test_sliding_windows_keep_other_columns_and_where(obs: duckdb.DuckDBPyConnection, statistic: str) -> None:
    """The pre-aggregated path (COUNT, AVG) and the general one (KURTOSIS) see the same columns and rows."""
    sql = ts_cases.SERIES_CTE + (
        f"SELECT upper(series.k) AS big, TS_EXPLODE(TS_SEG_{statistic}(TS_SEGMENT_BY_TIME(ts, 2hour, PT30M))) "
        "AS (tt, value) FROM series WHERE k <> 'b'"
    )
    windows = ts_python.by_time
    expected = [
        (key.upper(), tick, value)
        for key, series in ts_cases.SERIES.items()
        if key != "b"
        for tick, value in ts_python.reduce_segments(
            windows(series, 2 * ts_cases.HOUR, 30 * ts_cases.MINUTE), statistic
        )
    ]
    close(_run(obs, sql), expected)


@pytest.mark.parametrize("segmenter", sorted(ts_cases.FLATTENED))
def test_flatten_gives_each_segment_as_a_series(obs: duckdb.DuckDBPyConnection, segmenter: str) -> None:
    close(_run(obs, ts_cases.flatten_sql(segmenter)), ts_cases.expected_flatten(segmenter))


@pytest.mark.parametrize("joins", [True, False], ids=["joins", "aligns"])
def test_joins_and_aligns(obs: duckdb.DuckDBPyConnection, joins: bool) -> None:
    close(ts_cases.flat_pairs(_run(obs, ts_cases.pairs_sql(joins))), ts_cases.expected_pairs(joins))


def test_pairwise_reducers(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.PAIR_REDUCERS_SQL), ts_cases.expected_pair_reducers())


def test_pairwise_segment_reducers(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.SEGMENT_PAIRS_SQL), ts_cases.expected_segment_pairs())


def test_ibm_documented_join_examples(obs: duckdb.DuckDBPyConnection) -> None:
    """IBM's worked join examples (a = 1.2 … 5.4 at odd ticks, b with a NaN at 6, written as NULL)."""
    obs.execute(
        "CREATE OR REPLACE TABLE ibm_pairs AS SELECT ta, CAST(xa AS DOUBLE) AS xa, tb, CAST(xb AS DOUBLE) AS xb "
        "FROM (VALUES (1, 1.2, 1, 2.0), (3, 2.2, 2, 2.8), "
        "(5, 3.6, 4, 3.4), (7, 4.4, 6, NULL), (9, 5.4, 9, 8.0)) v(ta, xa, tb, xb)"
    )
    base = (
        "WITH s AS (SELECT TIME_SERIES(ta, xa) AS a, TIME_SERIES(tb, xb) AS b FROM ibm_pairs) "
        "SELECT TS_EXPLODE({}) AS (tt, pair) FROM s"
    )
    prev, nearest = "TS_INTERPOLATOR_PREV(-1.0)", "TS_INTERPOLATOR_NEAREST(-1.0)"
    examples = {
        "TS_INNER_JOIN(a, b)": [(1, [1.2, 2.0]), (9, [5.4, 8.0])],
        f"TS_LEFT_JOIN(a, b, {prev})": [
            (1, [1.2, 2.0]),
            (3, [2.2, 2.8]),
            (5, [3.6, 3.4]),
            (7, [4.4, None]),
            (9, [5.4, 8.0]),
        ],
        f"TS_LEFT_OUTER_JOIN(a, b, {prev})": [(3, [2.2, 2.8]), (5, [3.6, 3.4]), (7, [4.4, None])],
        f"TS_FULL_JOIN(a, b, {nearest})": [
            (1, [1.2, 2.0]),
            (2, [1.2, 2.8]),
            (3, [2.2, 2.8]),
            (4, [2.2, 3.4]),
            (5, [3.6, 3.4]),
            (6, [3.6, None]),
            (7, [4.4, None]),
            (9, [5.4, 8.0]),
        ],
    }
    for call, expected in examples.items():
        assert sorted(_run(obs, base.format(call))) == expected, call


def test_describe(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.DESCRIBE_SQL), ts_cases.expected_describe())


def test_sibling_dual_marker_example(obs: duckdb.DuckDBPyConnection) -> None:
    """Values 0..5, start = even and not 4, end = divisible by 5 and not 0, flags (T, T, F, T): ticks 2..5."""
    obs.execute("CREATE OR REPLACE TABLE zero_to_five AS SELECT t, CAST(t AS DOUBLE) AS x FROM range(6) r(t)")
    start = "TS_EXP_AND(TS_EXP_DIVISIBLE_BY(TS_EXP_ID(), 2), TS_EXP_NOT(TS_EXP_EQUALS(TS_EXP_ID(), 4)))"
    end = "TS_EXP_AND(TS_EXP_DIVISIBLE_BY(TS_EXP_ID(), 5), TS_EXP_NOT(TS_EXP_EQUALS(TS_EXP_ID(), 0)))"
    segments = f"TS_SEGMENT_BY_DUAL_MARKER(ts, {start}, {end}, true, true, false, true)"
    sql = (
        "WITH s AS (SELECT TIME_SERIES(t, x) AS ts FROM zero_to_five) "
        f"SELECT TS_EXPLODE(TS_SEG_SUM({segments})) AS (tt, total) FROM s"
    )
    assert _run(obs, sql) == [(2, 14.0)]


def test_dtw(obs: duckdb.DuckDBPyConnection) -> None:
    close(_run(obs, ts_cases.DTW_SQL), ts_cases.expected_dtw())


def test_dtw_above_the_cell_bound_is_null(obs: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair whose cost matrix exceeds MAX_CELLS gets NULL, the others their distance."""
    monkeypatch.setattr(arrays, "MAX_CELLS", 30)
    expected = [(key, None if key in ("a", "b") else distance) for key, distance in ts_cases.expected_dtw()]
    close(_run(obs, ts_cases.DTW_SQL), expected)


def test_cross_correlation(obs: duckdb.DuckDBPyConnection) -> None:
    rows = ts_cases.flat_arrays(_run(obs, ts_cases.CROSS_CORRELATION_SQL))
    close(rows, ts_cases.expected_cross_correlation())


def test_sibling_cross_correlation_example(obs: duckdb.DuckDBPyConnection) -> None:
    """[1, 2, 3] against [2, 3, 4] gives [-0.5, 0, 1, 0, -0.5] (the sibling library's example)."""
    sql = (
        "WITH s AS (SELECT TIME_SERIES(t, CAST(t AS DOUBLE)) AS a, TIME_SERIES(t, CAST(t + 1 AS DOUBLE)) AS b "
        "FROM range(1, 4) r(t)) SELECT TS_CROSS_CORRELATION(a, b) AS r FROM s"
    )
    ((found,),) = _run(obs, sql)
    assert found == pytest.approx([-0.5, 0.0, 1.0, 0.0, -0.5])


@pytest.mark.parametrize("name", sorted(ts_cases.SEGMENT_MEASURES))
def test_segment_measures(obs: duckdb.DuckDBPyConnection, name: str) -> None:
    rows = ts_cases.segment_measure_rows(_run(obs, ts_cases.segment_measures_sql([name])))
    close(rows, [(name, *row) for row in ts_cases.expected_segment_measure(name)])


def test_series_measures(obs: duckdb.DuckDBPyConnection) -> None:
    """TS_DL, TS_SBD, TS_AUTO_CORRELATION and TS_FFT both ways, per key, in one query."""
    close(ts_cases.flat_measures(_run(obs, ts_cases.MEASURES_SQL)), ts_cases.expected_measures())


_SMALL = "WITH s AS (SELECT k, TIME_SERIES(t, x) AS a, TIME_SERIES(t, y) AS b FROM small GROUP BY k) "


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ([3, 1], [1, 2, 3], 3.0),  # "CA" to "ABC": 3 with optimal string alignment (2 unrestricted)
        ([1, 2], [2, 1], 1.0),  # one transposition
        ([1, 2, 3, 4], [2, 1, 3, 5], 2.0),  # a transposition and a substitution
        ([1, 2, 3], [1, 2, 3], 0.0),
        ([1, None], [None, 1, 2], 1.0),  # NULL values are left out
        ([None], [1, 2], 2.0),  # an empty sequence is at the other's length
    ],
)
def test_damerau_levenshtein_is_optimal_string_alignment(
    obs: duckdb.DuckDBPyConnection, a: list[int | None], b: list[int | None], distance: float
) -> None:
    rows = [(t, x, y) for t, (x, y) in enumerate(zip(a + [None] * len(b), b + [None] * len(a), strict=False))]
    obs.execute("CREATE OR REPLACE TABLE small (k VARCHAR, t BIGINT, x DOUBLE, y DOUBLE)")
    obs.executemany("INSERT INTO small VALUES ('k', ?, ?, ?)", rows)
    assert _run(obs, _SMALL + "SELECT TS_DL(a, b) FROM s") == [(distance,)]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("forward", [10.0, 0.0, -2.0, 2.0, -2.0, 0.0, -2.0, -2.0]),  # numpy.fft.fft([1, 2, 3, 4])
        ("inverse", [2.5, 0.0, -0.5, -0.5, -0.5, 0.0, -0.5, 0.5]),  # numpy.fft.ifft([1, 2, 3, 4])
    ],
)
def test_fft_is_numpys_layout_interleaved(
    obs: duckdb.DuckDBPyConnection, direction: str, expected: list[float]
) -> None:
    obs.execute(
        "CREATE OR REPLACE TABLE small AS SELECT 'k' AS k, t, CAST(t AS DOUBLE) AS x, 0.0 AS y FROM range(1, 5) r(t)"
    )
    ((found,),) = _run(obs, _SMALL + f"SELECT TS_FFT(a, '{direction}') FROM s")
    assert found == pytest.approx(expected, abs=1e-12)


def test_auto_correlation_is_unadjusted_acf(obs: duckdb.DuckDBPyConnection) -> None:
    """statsmodels' acf([1, 2, 3, 4], nlags=3) is [1, 0.25, -0.3, -0.45]."""
    obs.execute(
        "CREATE OR REPLACE TABLE small AS SELECT 'k' AS k, t, CAST(t AS DOUBLE) AS x, 0.0 AS y FROM range(1, 5) r(t)"
    )
    ((found,),) = _run(obs, _SMALL + "SELECT TS_AUTO_CORRELATION(a) FROM s")
    assert found == pytest.approx([1.0, 0.25, -0.3, -0.45])


def test_fft_direction_must_be_named(obs: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(BadRequest, match="direction"):
        _run(obs, ts_cases.PAIRS_CTE + "SELECT k, TS_FFT(a, 'backward') FROM pairs")


@pytest.mark.parametrize(
    "sql",
    [
        ts_cases.SELECTED_SQL,
        'SELECT k, ts FROM obs USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v") IN ts',
        "SELECT k, TIME_SERIES(TS_TIMESTAMP(t), v) AS ts FROM obs GROUP BY k",
    ],
    ids=["from_a_with_query", "format", "creation"],
)
def test_series_selected_directly(obs: duckdb.DuckDBPyConnection, sql: str) -> None:
    """IBM shows a selected series as its list of observations: one row per key."""
    close(_run(obs, sql), ts_cases.expected_selected())


def test_noise_keeps_ticks_and_nulls(obs: duckdb.DuckDBPyConnection) -> None:
    close(ts_cases.noise_shape(_run(obs, ts_cases.NOISE_SQL)), ts_cases.expected_noise_shape())


@pytest.mark.parametrize(
    ("call", "noise", "mean", "sd"),
    [
        ("TS_AWGN(ts, 2, 3)", lambda v: v - 10, 2.0, 3.0),  # v + N(2, 3)
        ("TS_MWGN(ts, 0.5)", lambda v: v / 10 - 1, 0.0, 0.5),  # v · (1 + N(0, 0.5))
    ],
)
def test_noise_is_gaussian(
    obs: duckdb.DuckDBPyConnection, call: str, noise: Callable[[float], float], mean: float, sd: float
) -> None:
    """Over 18,000 values of 10 (every tenth NULL): the noise's mean, deviation and share within one deviation
    of the mean (68.3 % for a Gaussian) within about five standard errors; two runs differ."""
    obs.execute(
        "CREATE OR REPLACE TABLE flat AS "
        "SELECT t, CASE WHEN t % 10 = 0 THEN NULL ELSE 10.0 END AS x FROM range(20000) r(t)"
    )
    sql = f"WITH s AS (SELECT TIME_SERIES(t, x) AS ts FROM flat) SELECT TS_EXPLODE({call}) AS (tt, value) FROM s"
    runs = [sorted(_run(obs, sql)) for _ in range(2)]
    assert [(t, v is None) for t, v in runs[0]] == [(t, t % 10 == 0) for t in range(20000)]
    draws = [noise(v) for _, v in runs[0] if v is not None]
    found_mean = math.fsum(draws) / len(draws)
    found_sd = math.sqrt(math.fsum((d - found_mean) ** 2 for d in draws) / (len(draws) - 1))
    within = sum(abs(d - mean) < sd for d in draws) / len(draws)
    assert found_mean == pytest.approx(mean, abs=0.04 * sd)
    assert found_sd == pytest.approx(sd, rel=0.03)
    assert within == pytest.approx(0.6827, abs=0.02)
    assert runs[0] != runs[1]


@pytest.mark.parametrize(
    ("matcher", "pattern", "ticks"),
    [
        ("TS_MATCHER_SEQ()", "'a', 'b', 'c', 'd', 'e'", [0, 1, 3, 7, 8]),
        ("TS_MATCHER_SEQ()", "'a', 'b', 'c'", []),
        ("TS_MATCHER_SUBLIST(0.6)", "'b', 'c', 'd'", [1, 3, 7]),
        ("TS_MATCHER_SUBSET_PM(0.75)", "'a', 'b', 'd'", [0, 1, 7]),
        ("TS_MATCHER_SUBSET_MS(0.8)", "'a', 'b', 'd'", [0, 1, 3, 7]),
        ("TS_MATCHER_SUBSEQ_PS(0.6)", "'a', 'c', 'e'", [0, 3, 8]),
        ("TS_MATCHER_SUBSEQ_PS(0.61)", "'a', 'c', 'e'", []),  # thresholds are inclusive: PS is 0.6
        ("TS_MATCHER_SUBSET_PS(0)", "'a', 'f'", []),  # every pattern value must occur, whatever the threshold
    ],
)
def test_match_ibm_examples(obs: duckdb.DuckDBPyConnection, matcher: str, pattern: str, ticks: list[int]) -> None:
    """IBM's series (0,a) (1,b) (3,c) (7,d) (8,e) and its worked matches; no match is no observations."""
    obs.execute(
        "CREATE OR REPLACE TABLE ts4 AS SELECT * FROM (VALUES (0, 'a'), (1, 'b'), (3, 'c'), (7, 'd'), (8, 'e')) v(t, x)"
    )
    sql = (
        "WITH s AS (SELECT TIME_SERIES(t, x) AS ts FROM ts4) "
        f"SELECT TS_EXPLODE(TS_MATCH(ts, {matcher}, ARRAY({pattern}))) AS (tt, value) FROM s"
    )
    assert sorted(tt for tt, _ in _run(obs, sql)) == ticks


@pytest.mark.parametrize(
    ("flags", "sums"),
    [
        ("true, true, true", [(3, 18.0), (6, 30.0)]),  # [3..6], [6..9]: markers at both ends, in both segments
        ("false, true, false", [(1, 3.0), (3, 12.0), (6, 21.0), (9, 19.0)]),  # a marker opens its segment
        ("true, false, false", [(1, 6.0), (4, 15.0), (7, 24.0), (10, 10.0)]),  # a marker closes its segment
        ("false, false, true", [(4, 9.0), (7, 15.0)]),  # markers in no segment
    ],
)
def test_segment_by_marker_flags(obs: duckdb.DuckDBPyConnection, flags: str, sums: list[tuple[int, float]]) -> None:
    """Values 1..10 with markers at 3, 6 and 9: (first member, sum) per segment."""
    obs.execute("CREATE OR REPLACE TABLE one_to_ten AS SELECT t, CAST(t AS DOUBLE) AS x FROM range(1, 11) r(t)")
    segments = f"TS_SEGMENT_BY_MARKER(ts, TS_EXP_DIVISIBLE_BY(TS_EXP_ID(), 3), {flags})"
    sql = (
        "WITH s AS (SELECT TIME_SERIES(t, x) AS ts FROM one_to_ten) "
        f"SELECT TS_EXPLODE(TS_SEG_SUM({segments})) AS (tt, total) FROM s"
    )
    assert sorted(_run(obs, sql)) == sums


@pytest.mark.parametrize(
    ("cap", "sums"),
    [
        # gaps 10, 10, 10, 70, 10, 10, 380; T = 10, 10, 10, 40, 25, 17.5: 70 > 2·10 and 380 > 2·17.5 break
        (1000, [(0, 60.0), (100, 330.0), (500, 500.0)]),
        (9, [(0, 0.0), (10, 10.0), (20, 20.0), (30, 30.0), (100, 100.0), (110, 110.0), (120, 120.0), (500, 500.0)]),
    ],
)
def test_segment_by_smoothed_silence(obs: duckdb.DuckDBPyConnection, cap: int, sums: list[tuple[int, float]]) -> None:
    """T starts as the first gap and every gap updates it (alpha 0.5, factor 2); the cap bounds the threshold."""
    obs.execute(
        "CREATE OR REPLACE TABLE gaps AS SELECT t, CAST(t AS DOUBLE) AS x "
        "FROM (VALUES (0), (10), (20), (30), (100), (110), (120), (500)) v(t)"
    )
    sql = (
        "WITH s AS (SELECT TIME_SERIES(t, x) AS ts FROM gaps) "
        f"SELECT TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, 0.5, 2, {cap}))) AS (tt, total) FROM s"
    )
    assert sorted(_run(obs, sql)) == sums
