"""Generated series (NULL values, duplicate ticks, a one-point and an all-NULL series) and, per TS
function, its SQL and its plain-Python reference (``ts_python.py``). Used on DuckDB
(``test_ts_library.py``) and on the real Spark server (``tests/engines/test_ts_library_parity.py``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa

from tests.dialect import ts_python as py
from tests.dialect.ts_python import Series

T0 = 1714953600000  # 2024-05-06T00:00:00Z
MINUTE, HOUR = 60_000, 3_600_000


def _generated() -> dict[str, Series]:
    rng = random.Random(18)
    data: dict[str, Series] = {}
    for key, size in (("a", 40), ("b", 25)):
        tick, points = T0, []
        for _ in range(size):
            tick += rng.choice([0, MINUTE, 2 * MINUTE, 5 * MINUTE, 17 * MINUTE, HOUR])  # 0: a duplicate tick
            points.append((tick, None if rng.random() < 0.15 else round(rng.uniform(-50, 150), 2)))
        data[key] = py.ordered(points)
    data["one"] = [(T0 + 7 * MINUTE, 5.0)]
    data["nulls"] = [(T0, None), (T0 + MINUTE, None), (T0 + MINUTE, None)]
    return data


SERIES = _generated()


def table() -> pa.Table:
    rows = [(key, tick, value) for key, series in SERIES.items() for tick, value in series]
    return pa.table(
        {
            "k": [key for key, _, _ in rows],
            "t": pa.array(
                [datetime.fromtimestamp(tick / 1000, UTC).replace(tzinfo=None) for _, tick, _ in rows],
                pa.timestamp("ms"),
            ),
            "v": pa.array([value for _, _, value in rows], pa.float64()),
        }
    )


SERIES_CTE = 'WITH series AS (SELECT k, ts FROM obs USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v") IN ts) '


def explode_sql(inner: str, explode: str = "TS_EXPLODE") -> str:
    return SERIES_CTE + f"SELECT k, {explode}({inner}) AS (tt, value) FROM series"


def _segments(segmenter: Callable[[Series], list[py.Segment]], name: str) -> Callable[[Series], Series]:
    return lambda s: py.reduce_segments(segmenter(s), name)


def _time(window: int, step: int) -> Callable[[Series], list[py.Segment]]:
    return lambda s: py.by_time(s, window, step)


def _above(limit: float) -> Callable[[py.Value], bool]:
    return lambda v: v is not None and v > limit


# (id, SQL inside TS_EXPLODE, reference on one key's series)
EXPLODE_CASES: list[tuple[str, str, Callable[[Series], Series]]] = [
    ("explode", "ts", lambda s: s),
    ("diff", "TS_DIFF(ts)", py.diff),
    ("zscore", "TS_ZSCORE(ts, 50.0, 20.0)", lambda s: py.zscore(s, 50.0, 20.0)),
    ("zscore_sd0", "TS_ZSCORE(ts, 50.0, 0)", lambda s: py.zscore(s, 50.0, 0.0)),
    ("slice", f"TS_SLICE(ts, {T0 + HOUR}, {T0 + 3 * HOUR})", lambda s: py.sliced(s, T0 + HOUR, T0 + 3 * HOUR)),
    (
        "slice_timestamps",
        "TS_SLICE(ts, TS_TIMESTAMP('2024-05-06T01:00:00Z'), TS_TIMESTAMP('2024-05-06T03:00:00Z'))",
        lambda s: py.sliced(s, T0 + HOUR, T0 + 3 * HOUR),
    ),
    ("dropna", "TS_DROPNA(ts)", py.dropna),
    ("peak", "TS_PEAK(ts)", lambda s: py.extremes(s, 1)),
    ("trough", "TS_TROUGH(ts)", lambda s: py.extremes(s, -1)),
    ("remove_consecutive_duplicates", "TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)", py.remove_consecutive_duplicates),
    *(
        (f"combine_{how.lower()}", f"TS_COMBINE_DUPLICATE_TIMETICKS(ts, TS_COMBINER_{how}())", _combine)
        for how, _combine in (
            ("ADD", lambda s: py.combine(s, "ADD")),
            ("MUL", lambda s: py.combine(s, "MUL")),
            ("MIN", lambda s: py.combine(s, "MIN")),
            ("MAX", lambda s: py.combine(s, "MAX")),
            ("AVG", lambda s: py.combine(s, "AVG")),
            ("FIRST", lambda s: py.combine(s, "FIRST")),
            ("LAST", lambda s: py.combine(s, "LAST")),
        )
    ),
    *(
        (f"fillna_{label}", f"TS_FILLNA(ts, {interp})", _fill)
        for label, interp, _fill in (
            ("fill", "TS_INTERPOLATOR_FILL(0.0)", lambda s: py.fillna(s, "FILL", 0.0)),
            ("prev", "TS_INTERPOLATOR_PREV(-1.0)", lambda s: py.fillna(s, "PREV", -1.0)),
            ("next", "TS_INTERPOLATOR_NEXT(-1.0)", lambda s: py.fillna(s, "NEXT", -1.0)),
            ("nearest", "TS_INTERPOLATOR_NEAREST(-1.0)", lambda s: py.fillna(s, "NEAREST", -1.0)),
            ("linear", "TS_INTERPOLATOR_LINEAR(0.0, 1, 1)", lambda s: py.fillna(s, "LINEAR", 0.0)),
            ("linear_2_3", "TS_INTERPOLATOR_LINEAR(0.0, 2, 3)", lambda s: py.fillna(s, "LINEAR", 0.0, (2, 3))),
        )
    ),
    *(
        (f"resample_{label}", f"TS_RESAMPLE(ts, {15 * MINUTE}, {interp})", _resampled)
        for label, interp, _resampled in (
            ("fill", "TS_INTERPOLATOR_FILL(0.0)", lambda s: py.resample(s, 15 * MINUTE, "FILL", 0.0)),
            ("prev", "TS_INTERPOLATOR_PREV(-1.0)", lambda s: py.resample(s, 15 * MINUTE, "PREV", -1.0)),
            ("next", "TS_INTERPOLATOR_NEXT(-1.0)", lambda s: py.resample(s, 15 * MINUTE, "NEXT", -1.0)),
            ("nearest", "TS_INTERPOLATOR_NEAREST(-1.0)", lambda s: py.resample(s, 15 * MINUTE, "NEAREST", -1.0)),
            ("linear", "TS_INTERPOLATOR_LINEAR(0.0, 1, 1)", lambda s: py.resample(s, 15 * MINUTE, "LINEAR", 0.0)),
            (
                "linear_2_2",
                "TS_INTERPOLATOR_LINEAR(0.0, 2, 2)",
                lambda s: py.resample(s, 15 * MINUTE, "LINEAR", 0.0, (2, 2)),
            ),
        )
    ),
    ("map", "TS_MAP(ts, TS_EXP_ADD(TS_EXP_ID(), 1))", lambda s: [(t, None if v is None else v + 1) for t, v in s]),
    ("filter", "TS_FILTER(ts, TS_EXP_GT(TS_EXP_ID(), 50.0))", lambda s: [(t, v) for t, v in s if _above(50.0)(v)]),
    (
        "diff_of_filled",
        "TS_DIFF(TS_FILLNA(ts, TS_INTERPOLATOR_PREV(0.0)))",
        lambda s: py.diff(py.fillna(s, "PREV", 0.0)),
    ),
    *(
        (
            f"seg_{name.lower()}_hourly",
            f"TS_SEG_{name}(TS_SEGMENT_BY_TIME(ts, hour, hour))",
            _segments(_time(HOUR, HOUR), name),
        )
        for name in py.STATISTICS
    ),
    *(
        (
            f"seg_{name.lower()}_sliding",
            f"TS_SEG_{name}(TS_SEGMENT_BY_TIME(ts, 2hour, PT30M))",
            _segments(_time(2 * HOUR, 30 * MINUTE), name),
        )
        for name in ("COUNT", "SUM", "KURTOSIS")
    ),
    *(
        (
            f"seg_{name.lower()}_count",
            f"TS_SEG_{name}(TS_SEGMENT(ts, 5, 3))",
            _segments(lambda s: py.by_count(s, 5, 3), name),
        )
        for name in ("COUNT", "AVG", "SKEWNESS")
    ),
    *(
        (
            f"seg_{name.lower()}_silence",
            f"TS_SEG_{name}(TS_SEGMENT_BY_SILENCE(ts, {10 * MINUTE}))",
            _segments(lambda s: py.by_silence(s, 10 * MINUTE), name),
        )
        for name in ("COUNT", "MAX", "SD")
    ),
    *(
        (
            f"seg_{name.lower()}_anchor",
            f"TS_SEG_{name}(TS_SEGMENT_BY_ANCHOR(ts, TS_EXP_GT(TS_EXP_ID(), 120.0), {20 * MINUTE}, {5 * MINUTE}))",
            _segments(lambda s: py.by_anchor(s, _above(120.0), 20 * MINUTE, 5 * MINUTE), name),
        )
        for name in ("COUNT", "SUM")
    ),
    (
        "seg_min_anchor_after",
        f"TS_SEG_MIN(TS_SEGMENT_BY_ANCHOR(ts, TS_ANCHOR_GT(120.0), {-MINUTE}, {30 * MINUTE}))",
        _segments(lambda s: py.by_anchor(s, _above(120.0), -MINUTE, 30 * MINUTE), "MIN"),
    ),
]

REDUCERS = ("COUNT", "SUM", "AVG", "MIN", "MAX", "SD", "SKEWNESS", "KURTOSIS")
REDUCERS_SQL = SERIES_CTE + (
    "SELECT k, "
    + ", ".join(f"TS_{name}(ts) AS {name.lower()}" for name in REDUCERS)
    + ", TS_COUNT_ANCHOR(ts, TS_EXP_GT(TS_EXP_ID(), 50.0)) AS above FROM series"
)


def expected_reducers() -> list[tuple[object, ...]]:
    return [
        (
            key,
            *(py.STATISTICS[name]([v for _, v in series]) for name in REDUCERS),
            float(sum(1 for _, v in series if _above(50.0)(v))),
        )
        for key, series in SERIES.items()
    ]


def expected_explode(reference: Callable[[Series], Series]) -> list[tuple[object, ...]]:
    return [(key, tick, value) for key, series in SERIES.items() for tick, value in reference(series)]
