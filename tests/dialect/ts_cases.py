"""Generated series (NULL values, duplicate ticks, a one-point and an all-NULL series) and, per TS
function, its SQL and its plain-Python reference (``ts_python.py``). Used on DuckDB
(``test_ts_library.py``) and on the real Spark server (``tests/engines/test_ts_library_parity.py``).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def _below(limit: float) -> Callable[[py.Value], bool]:
    return lambda v: v is not None and v < limit


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
        for name in ("COUNT", "SUM", "AVG", "MIN", "MAX", "KURTOSIS")
    ),
    (  # a window that is no multiple of the step: every observation repeated, not pre-aggregated
        "seg_sum_uneven",
        "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, PT50M, PT20M))",
        _segments(_time(50 * MINUTE, 20 * MINUTE), "SUM"),
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

ID = "TS_EXP_ID()"
# (TS expression of the value, the same in Python); maps skip NULL values, as SQL does
_MAPS: list[tuple[str, Callable[[float], float | None]]] = [
    ("TS_EXP_ABS(TS_EXP_ID())", abs),
    ("TS_EXP_EXP(TS_EXP_DIVIDE(TS_EXP_ID(), 100))", lambda v: math.exp(v / 100)),
    ("TS_EXP_LOG(TS_EXP_ADD(TS_EXP_ABS(TS_EXP_ID()), 1))", lambda v: math.log(abs(v) + 1)),
    ("TS_EXP_LOG10(TS_EXP_ADD(TS_EXP_ABS(TS_EXP_ID()), 1))", lambda v: math.log10(abs(v) + 1)),
    ("TS_EXP_SQRT(TS_EXP_ABS(TS_EXP_ID()))", lambda v: math.sqrt(abs(v))),
    *((f"TS_EXP_{f.upper()}(TS_EXP_ID())", getattr(math, f)) for f in ("sin", "cos", "tan", "atan")),
    *(
        (f"TS_EXP_{f.upper()}(TS_EXP_DIVIDE(TS_EXP_ID(), 200))", lambda v, f=f: getattr(math, f)(v / 200))
        for f in ("asin", "acos")
    ),
    *(
        (f"TS_EXP_{f.upper()}(TS_EXP_DIVIDE(TS_EXP_ID(), 100))", lambda v, f=f: getattr(math, f)(v / 100))
        for f in ("sinh", "cosh", "tanh")
    ),
    ("TS_EXP_SUBTRACT(TS_EXP_ID(), 7)", lambda v: v - 7),
    ("TS_EXP_MULTIPLY(TS_EXP_ID(), -2.5)", lambda v: v * -2.5),
    ("TS_EXP_MOD(TS_EXP_ID(), 7)", lambda v: math.fmod(v, 7)),
    ("TS_EXP_POW(TS_EXP_ABS(TS_EXP_ID()), 1.5)", lambda v: abs(v) ** 1.5),
    ("TS_EXP_ATAN2(TS_EXP_ID(), 3)", lambda v: math.atan2(v, 3)),
]
# conditionals on a NULL value: the condition is not met (as a NaN fails every comparison in Java)
_CONDITIONALS: list[tuple[str, Callable[[float | None], float | None]]] = [
    ("TS_EXP_IF_THEN_ELSE(TS_EXP_GT(TS_EXP_ID(), 0), TS_EXP_ID(), 0)", lambda v: v if v is not None and v > 0 else 0.0),
    ("TS_EXP_IF_THEN(TS_EXP_LT(TS_EXP_ID(), 0), 1.0)", lambda v: 1.0 if v is not None and v < 0 else None),
    (
        "TS_EXP_MATCH_CASE(ARRAY(TS_EXP_IF_THEN(TS_EXP_LT(TS_EXP_ID(), 0), -1.0), "
        "TS_EXP_IF_THEN(TS_EXP_GT(TS_EXP_ID(), 100), 1.0)), 0.0)",
        lambda v: 0.0 if v is None else -1.0 if v < 0 else 1.0 if v > 100 else 0.0,
    ),
]
# (condition, the same in Python on a present value); NULL values never satisfy a condition
_CONDITIONS: list[tuple[str, Callable[[float], bool]]] = [
    ("TS_EXP_LT(TS_EXP_ID(), 10)", lambda v: v < 10),
    ("TS_EXP_LTE(TS_EXP_ID(), 10)", lambda v: v <= 10),
    ("TS_EXP_GTE(TS_EXP_ID(), 10)", lambda v: v >= 10),
    ("TS_EXP_EQUALS(TS_EXP_ID(), TS_EXP_ID())", lambda v: True),
    ("TS_EXP_NOT(TS_EXP_GT(TS_EXP_ID(), 10))", lambda v: not v > 10),
    ("TS_EXP_AND(TS_EXP_GT(TS_EXP_ID(), 0), TS_EXP_LT(TS_EXP_ID(), 50))", lambda v: 0 < v < 50),
    ("TS_EXP_OR(TS_EXP_LT(TS_EXP_ID(), 0), TS_EXP_GT(TS_EXP_ID(), 100))", lambda v: v < 0 or v > 100),
    ("TS_EXP_DIVISIBLE_BY(TS_EXP_MULTIPLY(TS_EXP_ID(), 100), 3)", lambda v: math.fmod(v * 100, 3) == 0),
    ("TS_ANCHOR_EQ(5.0)", lambda v: v == 5.0),
    ("TS_ANCHOR_GT(50.0)", lambda v: v > 50),
    ("TS_ANCHOR_GTE(50.0)", lambda v: v >= 50),
    ("TS_ANCHOR_LT(50.0)", lambda v: v < 50),
    ("TS_ANCHOR_LTE(50.0)", lambda v: v <= 50),
    ("TS_ANCHOR_DIVISIBLE_BY(2)", lambda v: math.fmod(v, 2) == 0),
    ("TS_ANCHOR_AND(TS_ANCHOR_GT(0), TS_ANCHOR_LT(50))", lambda v: 0 < v < 50),
    ("TS_ANCHOR_OR(TS_ANCHOR_LT(0), TS_ANCHOR_GT(100))", lambda v: v < 0 or v > 100),
    ("TS_ANCHOR_NOT(TS_ANCHOR_GT(10))", lambda v: not v > 10),
]


def _mapped(f: Callable[[float], float | None]) -> Callable[[Series], Series]:
    return lambda s: [(t, None if v is None else f(v)) for t, v in s]


def _each(f: Callable[[float | None], float | None]) -> Callable[[Series], Series]:
    return lambda s: [(t, f(v)) for t, v in s]


def _kept(f: Callable[[float], bool]) -> Callable[[Series], Series]:
    return lambda s: [(t, v) for t, v in s if v is not None and f(v)]


EXPLODE_CASES += [(f"map_{i}", f"TS_MAP(ts, {e})", _mapped(f)) for i, (e, f) in enumerate(_MAPS)]
EXPLODE_CASES += [(f"conditional_{i}", f"TS_MAP(ts, {e})", _each(f)) for i, (e, f) in enumerate(_CONDITIONALS)]
EXPLODE_CASES += [(f"filter_{i}", f"TS_FILTER(ts, {e})", _kept(f)) for i, (e, f) in enumerate(_CONDITIONS)]

_DUAL = "TS_SEGMENT_BY_DUAL_MARKER(ts, TS_EXP_GT(TS_EXP_ID(), 90.0), TS_EXP_LT(TS_EXP_ID(), 10.0){})"


def _dual(flags: tuple[bool, bool, bool, bool]) -> Callable[[Series], list[py.Segment]]:
    return lambda s: py.by_dual_marker(s, _above(90.0), _below(10.0), flags)


_DUAL_FLAGS = {  # SQL flags -> (startInclusive, endInclusive, startOnFirst, endOnFirst)
    "": (True, True, False, True),
    ", false, true, true, false": (False, True, True, False),
    ", true, false, false, false": (True, False, False, False),
}
EXPLODE_CASES += [
    (
        f"seg_{name.lower()}_dual_{i}",
        f"TS_SEG_{name}({_DUAL.format(flags)})",
        _segments(_dual(flagged), name),
    )
    for i, (flags, flagged) in enumerate(_DUAL_FLAGS.items())
    for name in ("COUNT", "SUM")
]

_MARKER = "TS_SEGMENT_BY_MARKER(ts, TS_EXP_GT(TS_EXP_ID(), 90.0), {})"
_MARKER_FLAGS = {  # SQL flags -> (prevInclusive, nextInclusive, requiresStartAndEnd), reducer
    "true, true, true": ((True, True, True), "SUM"),
    "false, true, false": ((False, True, False), "COUNT"),
    "true, false, false": ((True, False, False), "SUM"),
}
EXPLODE_CASES += [
    (
        f"seg_{name.lower()}_marker_{i}",
        f"TS_SEG_{name}({_MARKER.format(flags)})",
        _segments(lambda s, flagged=flagged: py.by_marker(s, _above(90.0), flagged), name),
    )
    for i, (flags, (flagged, name)) in enumerate(_MARKER_FLAGS.items())
]

EXPLODE_CASES += [
    (
        f"seg_{name.lower()}_smoothed_{i}",
        f"TS_SEG_{name}(TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, {alpha}, {factor}, {cap}))",
        _segments(lambda s, a=alpha, f=factor, c=cap: py.by_smoothed_silence(s, a, f, c), name),
    )
    for i, (alpha, factor, cap, name) in enumerate([(0.5, 2.0, 3 * HOUR, "SUM"), (0.2, 1.5, 20 * MINUTE, "COUNT")])
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


# ---- string and array series ------------------------------------------------------------------

ALL_SERIES_CTE = SERIES_CTE.rstrip() + (
    ", text_series AS (SELECT k, ts FROM (SELECT k, t, CAST(v AS STRING) AS s FROM obs) "
    'USING TIME_SERIES_FORMAT(key="k", timetick="t", value="s") IN ts), '
    "array_series AS (SELECT k, ts FROM (SELECT k, t, array(v, v * 2) AS pair FROM obs) "
    'USING TIME_SERIES_FORMAT(key="k", timetick="t", value="pair") IN ts), '
    "letter_series AS (SELECT k, ts FROM (SELECT k, t, substr('abc', CAST(floor(abs(v)) AS INT) % 3 + 1, 1) AS s "
    'FROM obs) USING TIME_SERIES_FORMAT(key="k", timetick="t", value="s") IN ts) '
)
Text = list[tuple[int, str | None]]


def _text(series: Series) -> Text:
    texts = [(t, None if v is None else str(v)) for t, v in series]
    return sorted(texts, key=lambda p: (p[0], p[1] is None, p[1] or ""))


def _text_kept(f: Callable[[str], bool]) -> Callable[[Text], list[tuple[int, Any]]]:
    return lambda s: [(t, v) for t, v in s if v is not None and f(v)]


def _text_concatenated(s: Text) -> list[tuple[int, Any]]:
    ticks = sorted({t for t, _ in s})
    present = {tick: [v for t, v in s if t == tick and v is not None] for tick in ticks}
    return [(tick, "_".join(present[tick]) if present[tick] else None) for tick in ticks]


TEXT_CASES: list[tuple[str, str, Callable[[Text], list[tuple[int, Any]]]]] = [
    ("s_explode", "ts", list),
    ("s_contains", "TS_FILTER(ts, TS_EXP_CONTAINS(TS_EXP_ID(), '5'))", _text_kept(lambda v: "5" in v)),
    ("s_starts", "TS_FILTER(ts, TS_EXP_STARTS_WITH(TS_EXP_ID(), '-'))", _text_kept(lambda v: v.startswith("-"))),
    ("s_ends", "TS_FILTER(ts, TS_EXP_ENDS_WITH(TS_EXP_ID(), '5'))", _text_kept(lambda v: v.endswith("5"))),
    ("s_contained", "TS_FILTER(ts, TS_EXP_CONTAINED_IN(TS_EXP_ID(), 'x5.0x'))", _text_kept(lambda v: v in "x5.0x")),
    ("s_equals", "TS_FILTER(ts, TS_EXP_EQUALS(TS_EXP_ID(), '5.0'))", _text_kept(lambda v: v == "5.0")),
    (
        "s_match",
        "TS_FILTER(ts, TS_EXP_MATCH(TS_EXP_ID(), '5[.]|^-'))",
        _text_kept(lambda v: bool(re.search("5[.]|^-", v))),
    ),
    ("s_anchor_eq", "TS_FILTER(ts, TS_ANCHOR_EQ('5.0'))", _text_kept(lambda v: v == "5.0")),
    ("s_anchor_contains", "TS_FILTER(ts, TS_ANCHOR_CONTAINS('3'))", _text_kept(lambda v: "3" in v)),
    ("s_anchor_starts", "TS_FILTER(ts, TS_ANCHOR_STARTS_WITH('1'))", _text_kept(lambda v: v.startswith("1"))),
    ("s_anchor_ends", "TS_FILTER(ts, TS_ANCHOR_ENDS_WITH('0'))", _text_kept(lambda v: v.endswith("0"))),
    ("s_anchor_in", "TS_FILTER(ts, TS_ANCHOR_CONTAINED_IN('5.0;7'))", _text_kept(lambda v: v in "5.0;7")),
    (
        "s_length",
        "TS_MAP(ts, TS_EXP_LENGTH(TS_EXP_ID()))",
        lambda s: [(t, None if v is None else len(v)) for t, v in s],
    ),
    (
        "s_concat",
        "TS_MAP(ts, TS_EXP_CONCAT(TS_EXP_ID(), 'x'))",
        lambda s: [(t, None if v is None else v + "x") for t, v in s],
    ),
    (
        "s_remove_duplicates",
        "TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)",
        lambda s: [p for i, p in enumerate(s) if i == 0 or p[1] != s[i - 1][1]],
    ),
    ("s_concatenate", "TS_COMBINE_DUPLICATE_TIMETICKS(ts, TS_COMBINER_CONCATENATE('_'))", _text_concatenated),
]
ARRAY_CASES: list[tuple[str, str, Callable[[Series], list[tuple[int, Any]]]]] = [
    ("a_index", "TS_INDEX(ts, 1)", lambda s: [(t, None if v is None else v * 2) for t, v in s]),
    ("a_id_index", "TS_MAP(ts, TS_EXP_ID_INDEX(0))", list),
    (
        "a_anchor_index",
        "TS_INDEX(TS_FILTER(ts, TS_ANCHOR_INDEX(TS_ANCHOR_GT(100.0), 1)), 0)",
        lambda s: [(t, v) for t, v in s if v is not None and v * 2 > 100],
    ),
]


def expected_text(reference: Callable[[Text], list[tuple[int, Any]]]) -> list[tuple[object, ...]]:
    return [(key, tick, value) for key, series in SERIES.items() for tick, value in reference(_text(series))]


@dataclass(frozen=True)
class Case:
    """One function use: the series it reads (a CTE of ``ALL_SERIES_CTE``), its SQL, the expected rows."""

    id: str
    source: str
    inner: str
    expected: list[tuple[object, ...]]
    text: bool  # the exploded values are strings

    def sql(self) -> str:
        return ALL_SERIES_CTE + f"SELECT k, TS_EXPLODE({self.inner}) AS (tt, value) FROM {self.source}"


def _letters(series: Series) -> Text:
    """The letter series of ``ALL_SERIES_CTE``: a, b or c by the value's whole part modulo 3."""
    letters = [(t, None if v is None else "abc"[math.floor(abs(v)) % 3]) for t, v in series]
    return sorted(letters, key=lambda p: (p[0], p[1] is None, p[1] or ""))


MATCH_CASES = [  # (matcher, threshold, pattern): every matcher, patterns met by some keys only
    ("SEQ", 0.0, ["c"]),
    ("SUBLIST", 0.0, ["a", "b", "c"]),
    ("SUBSEQ_PS", 0.0, ["c", "a", "b", "a"]),
    ("SUBSEQ_PM", 0.3, ["a", "b", "c"]),
    ("SUBSEQ_MS", 0.1, ["b", "b", "a"]),
    ("SUBSET_PS", 0.0, ["c", "b", "a", "a"]),
    ("SUBSET_PM", 0.5, ["a", "c"]),
    ("SUBSET_MS", 0.2, ["b", "c", "c"]),
]


def _match_case(matcher: str, threshold: float, pattern: list[str]) -> Case:
    call = f"TS_MATCHER_{matcher}({'' if matcher == 'SEQ' else threshold})"
    inner = f"TS_MATCH(ts, {call}, ARRAY({', '.join(repr(p) for p in pattern)}))"
    expected = [
        (key, tick, value)
        for key, series in SERIES.items()
        for tick, value in py.match(_letters(series), matcher, threshold, pattern)
    ]
    return Case(f"match_{matcher.lower()}", "letter_series", inner, expected, text=True)


CASES: list[Case] = [
    *(Case(i, "series", inner, expected_explode(ref), text=False) for i, inner, ref in EXPLODE_CASES),
    *(Case(i, "text_series", inner, expected_text(ref), text=i != "s_length") for i, inner, ref in TEXT_CASES),
    *(Case(i, "array_series", inner, expected_explode(ref), text=False) for i, inner, ref in ARRAY_CASES),
    Case("id_to_string", "series", "TS_MAP(ts, TS_EXP_ID_TO_STRING())", expected_text(list), text=True),
    *(_match_case(*case) for case in MATCH_CASES),
]


# Every expression and condition in one SELECT of reducers (per key: the sum of each mapped series and
# the count of each condition), so the Spark parity test checks them all in one query.
_EXPRESSION_COLUMNS = [
    *(f"TS_SUM(TS_MAP(ts, {e}))" for e, _ in _MAPS),
    *(f"TS_SUM(TS_MAP(ts, {e}))" for e, _ in _CONDITIONALS),
    *(f"TS_COUNT_ANCHOR(ts, {e})" for e, _ in _CONDITIONS),
]
EXPRESSIONS_SQL = (
    SERIES_CTE
    + "SELECT k, "
    + ", ".join(f"{column} AS e{i}" for i, column in enumerate(_EXPRESSION_COLUMNS))
    + " FROM series"
)


def expected_expressions() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for key, series in SERIES.items():
        values = [v for _, v in series]
        present = [v for v in values if v is not None]
        mapped = [py.total([f(v) for v in present]) for _, f in _MAPS]
        conditional = [py.total([f(v) for v in values]) for _, f in _CONDITIONALS]
        counts = [float(sum(1 for v in present if f(v))) for _, f in _CONDITIONS]
        rows.append((key, *mapped, *conditional, *counts))
    return rows


# TS_FLATTEN: per segment its first tick, its index and the members reduced in the next SELECT
FLATTENED = {  # segmenter SQL -> the same in Python
    "TS_SEGMENT(ts, 3, 2)": lambda s: py.by_count(s, 3, 2),
    "TS_SEGMENT_BY_TIME(ts, hour, PT30M)": lambda s: py.by_time(s, HOUR, 30 * MINUTE, empty=False),
}


def flatten_sql(segmenter: str) -> str:
    return SERIES_CTE.rstrip() + (
        f", flat AS (SELECT k, TS_FLATTEN({segmenter}) AS (tt, idx, seg) FROM series) "
        "SELECT k, tt, idx, TS_COUNT(seg) AS n, TS_SUM(seg) AS total FROM flat"
    )


def expected_flatten(segmenter: str) -> list[tuple[object, ...]]:
    return [
        (key, members[0][0], index, float(len(members)), py.total([v for _, v in members]))
        for key, series in SERIES.items()
        for index, (_, members) in enumerate(FLATTENED[segmenter](series))
    ]


# ---- two series: temporal joins and aligns, pairwise reducers ---------------------------------
# Per key, ``a`` is the generated series and ``b`` another series of the same rows: every fifth
# minute left out, odd minutes moved one minute on (so ticks are shared, missing and new), values 2v - 7;
# ``c`` (for TS_VECTORN) leaves out every third minute, values -v.
PAIRS_CTE = (
    "WITH pairs AS (SELECT k, TIME_SERIES(TS_TIMESTAMP(t), v) AS a, "
    "TIME_SERIES(CASE WHEN minute(t) % 5 = 3 THEN NULL ELSE TS_TIMESTAMP(t) + minute(t) % 2 * 60000 END, "
    "v * 2 - 7) AS b, TIME_SERIES(CASE WHEN minute(t) % 3 = 0 THEN NULL ELSE TS_TIMESTAMP(t) END, -v) AS c "
    "FROM obs GROUP BY k) "
)


def _second(series: Series) -> Series:
    minute = [(t, t // MINUTE % 60) for t, _ in series]
    return py.ordered(
        (t + m % 2 * MINUTE, None if v is None else v * 2 - 7)
        for (t, v), (_, m) in zip(series, minute, strict=True)
        if m % 5 != 3
    )


SECOND = {key: _second(series) for key, series in SERIES.items()}
THIRD = {
    key: py.ordered((t, None if v is None else -v) for t, v in series if t // MINUTE % 60 % 3 != 0)
    for key, series in SERIES.items()
}
PREV, NEXT, NEAREST = (("PREV", -1.0, (1, 0)), ("NEXT", -1.0, (0, 1)), ("NEAREST", -1.0, (1, 1)))
# (function, which rows, SQL of the interpolator argument, its Python form)
PAIR_CASES: list[tuple[str, str, str, py.Interpolation]] = [
    ("TS_INNER_JOIN", "INNER", "", None),
    ("TS_LEFT_JOIN", "LEFT", "TS_INTERPOLATOR_PREV(-1.0)", PREV),
    ("TS_RIGHT_JOIN", "RIGHT", "TS_INTERPOLATOR_NEXT(-1.0)", NEXT),
    ("TS_LEFT_OUTER_JOIN", "LEFT_OUTER", "TS_INTERPOLATOR_NEAREST(-1.0)", NEAREST),
    ("TS_RIGHT_OUTER_JOIN", "RIGHT_OUTER", "TS_INTERPOLATOR_LINEAR(0.0, 1, 1)", ("LINEAR", 0.0, (1, 1))),
    ("TS_FULL_JOIN", "FULL", "TS_INTERPOLATOR_LINEAR(0.0, 2, 2)", ("LINEAR", 0.0, (2, 2))),
    ("TS_INNER_ALIGN", "INNER", "", None),
    ("TS_LEFT_ALIGN", "LEFT", "TS_INTERPOLATOR_FILL(0.0)", ("FILL", 0.0, (0, 0))),
    ("TS_RIGHT_ALIGN", "RIGHT", "TS_INTERPOLATOR_PREV(-1.0)", PREV),
    ("TS_FULL_ALIGN", "FULL", "TS_INTERPOLATOR_NEAREST(-1.0)", NEAREST),
    ("TS_LEFT_OUTER_ALIGN", "LEFT_OUTER", "TS_INTERPOLATOR_NEXT(-1.0)", NEXT),
]


def _call(name: str, interpolator: str) -> str:
    return f"{name}(a, b{', ' + interpolator if interpolator else ''})"


def pairs_sql(joins: bool) -> str:
    """Every join (``joins``) or every align of ``PAIR_CASES`` in one UNION ALL query, rows labelled by function."""
    cases = [case for case in PAIR_CASES if case[0].endswith("_JOIN") == joins]
    columns = "(tt, pair)" if joins else "(tt, x, y)"
    calls = [(name, _call(name, interp)) for name, _, interp, _ in cases]
    calls += [("TS_VECTORN", "TS_VECTORN(a, b, c)")] if joins else []
    return PAIRS_CTE + " UNION ALL ".join(
        f"SELECT '{name}' AS fn, k, TS_EXPLODE({call}) AS {columns} FROM pairs" for name, call in calls
    )


def flat_pairs(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of ``pairs_sql``, a join's pair as two columns (like an align's)."""
    return [(*row[:3], *row[3]) if len(row) == 4 else row for row in rows]


def expected_pairs(joins: bool) -> list[tuple[object, ...]]:
    """(function, key, tick, first's value, second's value[, third's]) rows."""
    rows: list[tuple[object, ...]] = [
        (name, key, tick, x, y)
        for name, keep, _, how in PAIR_CASES
        if name.endswith("_JOIN") == joins
        for key, series in SERIES.items()
        for tick, x, y in py.join(series, SECOND[key], keep, how)
    ]
    vectors: list[tuple[object, ...]] = [
        ("TS_VECTORN", key, tick, *values)
        for key, series in SERIES.items()
        for tick, values in py.vector([series, SECOND[key], THIRD[key]])
    ]
    return rows + vectors if joins else rows


PAIR_REDUCERS_SQL = PAIRS_CTE + "SELECT k, TS_CORRELATION(a, b) AS r, TS_MANHATTAN_DISTANCE(a, b) AS d FROM pairs"


def expected_pair_reducers() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for key, series in SERIES.items():
        matched = py.pairs_at_common_ticks(series, SECOND[key])
        rows.append((key, py.correlation(matched), py.manhattan(matched)))
    return rows


SEGMENT_PAIRS = {  # id -> (SQL inside TS_EXPLODE, window, step, reducer)
    "seg_correlation": ("TS_SEG_CORRELATION", "hour, hour", HOUR, HOUR, py.correlation),
    "seg_manhattan": ("TS_SEG_MANHATTAN_DISTANCE", "2hour, PT30M", 2 * HOUR, 30 * MINUTE, py.manhattan),
}
SEGMENT_PAIRS_SQL = PAIRS_CTE + " UNION ALL ".join(
    f"SELECT '{case}' AS fn, k, TS_EXPLODE({name}(TS_SEGMENT_BY_TIME(a, {sizes}), TS_SEGMENT_BY_TIME(b, {sizes}))) "
    "AS (tt, value) FROM pairs"
    for case, (name, sizes, *_) in SEGMENT_PAIRS.items()
)


def expected_segment_pairs() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for case, (_, _, window, step, reduce) in SEGMENT_PAIRS.items():
        for key, series in SERIES.items():
            paired = py.ticked_pairs(series, SECOND[key])
            # every window from the first to the last tick of either series, the empty ones included
            for start, _ in py.by_time(series + SECOND[key], window, step):
                members = [pair for t, pair in paired if start <= t < start + window]
                rows.append((case, key, start, reduce(members)))
    return rows


DESCRIBE_SQL = SERIES_CTE + "SELECT k, TS_DESCRIBE(ts) FROM series"


def expected_describe() -> list[tuple[object, ...]]:
    return [(key, *py.describe(series)) for key, series in SERIES.items()]


DTW_SQL = PAIRS_CTE + "SELECT k, TS_DTW(a, b) AS w FROM pairs"


def expected_dtw() -> list[tuple[object, ...]]:
    return [(key, py.dtw(series, SECOND[key])) for key, series in SERIES.items()]


CROSS_CORRELATION_SQL = PAIRS_CTE + "SELECT k, TS_CROSS_CORRELATION(a, b) AS r FROM pairs"


def flat_arrays(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(key, array) rows as (key, index, element) rows — (key, -1, None) for a NULL array — so floats compare
    closely."""
    flat: list[tuple[Any, ...]] = []
    for key, values in rows:
        flat += [(key, -1, None)] if values is None else [(key, i, v) for i, v in enumerate(values)]
    return flat


def expected_cross_correlation() -> list[tuple[object, ...]]:
    return flat_arrays([(key, py.cross_correlation(series, SECOND[key])) for key, series in SERIES.items()])


SERIES_MEASURES = {  # column -> (SQL, reference of the key's two series)
    "dl": ("TS_DL(a, b)", py.damerau_levenshtein),
    "sbd": ("TS_SBD(a, b)", py.shape_based_distance),
    "acf": ("TS_AUTO_CORRELATION(a)", lambda a, _: py.auto_correlation(a)),
    "fft": ("TS_FFT(a, 'forward')", lambda a, _: py.fourier(a, inverse=False)),
    "ifft": ("TS_FFT(a, 'I')", lambda a, _: py.fourier(a, inverse=True)),
}
MEASURES_SQL = PAIRS_CTE + (
    f"SELECT k, {', '.join(f'{call} AS {name}' for name, (call, _) in SERIES_MEASURES.items())} FROM pairs"
)


def flat_measures(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(key, measure…) rows as (key, measure name, index, element) rows, index -1 for a number or NULL."""
    flat: list[tuple[Any, ...]] = []
    for key, *found in rows:
        for name, value in zip(SERIES_MEASURES, found, strict=True):
            elements = enumerate(value) if isinstance(value, list) else [(-1, value)]
            flat += [(key, name, i, v) for i, v in elements]
    return flat


def expected_measures() -> list[tuple[object, ...]]:
    references = [reference for _, reference in SERIES_MEASURES.values()]
    return flat_measures([(key, *(f(series, SECOND[key]) for f in references)) for key, series in SERIES.items()])


SEGMENT_MEASURES: dict[str, tuple[str, int, int, Callable[[Series, Series], Any]]] = {
    # function -> (window SQL, window, step, reference of the window's two series)
    "TS_SEG_DTW": ("hour, hour", HOUR, HOUR, py.dtw),
    "TS_SEG_CROSS_CORRELATION": ("2hour, PT30M", 2 * HOUR, 30 * MINUTE, py.cross_correlation),
    "TS_SEG_DL": ("2hour, PT30M", 2 * HOUR, 30 * MINUTE, py.damerau_levenshtein),
    "TS_SEG_SBD": ("hour, hour", HOUR, HOUR, py.shape_based_distance),
    "TS_SEG_AUTO_CORRELATION": ("2hour, PT30M", 2 * HOUR, 30 * MINUTE, lambda a, _: py.auto_correlation(a)),
    "TS_SEG_FFT": ("hour, hour", HOUR, HOUR, lambda a, _: py.fourier(a, inverse=False)),
}
ONE_SERIES = {"TS_SEG_AUTO_CORRELATION": "", "TS_SEG_FFT": ", 'f'"}  # function -> options after the segments
ARRAY_MEASURES = {"TS_SEG_CROSS_CORRELATION", "TS_SEG_AUTO_CORRELATION", "TS_SEG_FFT"}


def _segment_measure_select(name: str) -> str:
    sizes = SEGMENT_MEASURES[name][0]
    segments = (
        f"TS_SEGMENT_BY_TIME(a, {sizes}){ONE_SERIES[name]}"
        if name in ONE_SERIES
        else f"TS_SEGMENT_BY_TIME(a, {sizes}), TS_SEGMENT_BY_TIME(b, {sizes})"
    )
    return f"SELECT '{name}' AS fn, k, TS_EXPLODE({name}({segments})) AS (tt, value) FROM pairs"


def segment_measures_sql(names: list[str]) -> str:
    """The TS_SEG_ measures ``names`` (all numbers or all arrays) in one query, rows labelled by function."""
    return PAIRS_CTE + " UNION ALL ".join(_segment_measure_select(name) for name in names)


def segment_measure_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(fn, key, start, measure) rows as the rows ``expected_segment_measure`` gives, prefixed by fn."""
    return [
        (fn, *row)
        for fn, *found in rows
        for row in (flat_segment_arrays([tuple(found)]) if fn in ARRAY_MEASURES else [tuple(found)])
    ]


def expected_segment_measure(name: str) -> list[tuple[object, ...]]:
    """Per key and time window holding an observation of one of the series measured: (key, start, measure)
    — for an array one row per element, (key, start, index, element)."""
    _, window, step, reference = SEGMENT_MEASURES[name]
    rows: list[tuple[object, ...]] = []
    for key, first in SERIES.items():
        second = SECOND[key]
        measured = first if name in ONE_SERIES else first + second
        starts = sorted({start for t, _ in measured for start in py.window_starts(t, window, step, measured)})
        for start in starts:
            a, b = ([(t, v) for t, v in one if start <= t < start + window] for one in (first, second))
            if name in ARRAY_MEASURES:
                rows += [(key, start, *flat[1:]) for flat in flat_arrays([(key, reference(a, b))])]
            else:
                rows.append((key, start, reference(a, b)))
    return rows


def flat_segment_arrays(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(key, start, array) rows as (key, start, index, element) rows."""
    return [(key, start, *flat[1:]) for key, start, values in rows for flat in flat_arrays([(key, values)])]


SELECTED_SQL = SERIES_CTE + "SELECT k, ts FROM series"


def expected_selected() -> list[tuple[object, ...]]:
    """A series column in the final SELECT: per key, its observations as (tick, value) structs in series order."""
    return [(key, [{"tick": t, "value": v} for t, v in series]) for key, series in SERIES.items()]


NOISE = {"awgn": "TS_AWGN(ts, 2.0, 3.0)", "mwgn": "TS_MWGN(ts, 0.5)"}
NOISE_SQL = SERIES_CTE + " UNION ALL ".join(
    f"SELECT '{case}' AS fn, k, TS_EXPLODE({call}) AS (tt, value) FROM series" for case, call in NOISE.items()
)


def noise_shape(rows: list[tuple[Any, ...]]) -> list[tuple[object, ...]]:
    """What noise cannot change: (function, key, tick, whether the value is NULL) per row."""
    return [(case, key, tick, value is None) for case, key, tick, value in rows]


def expected_noise_shape() -> list[tuple[object, ...]]:
    return [(case, key, t, v is None) for case in NOISE for key, series in SERIES.items() for t, v in series]


# ---- building series: IBM's creation aggregates per group, the typed explodes ----------------


def _in_hours(series: Series) -> Series:
    """Ticks counted in hours from ``T0``, as ``TS_TRS('PT1H', <T0>)`` numbers them."""
    return py.ordered(((t - T0) // HOUR, v) for t, v in series)


def _in_minutes(series: Series) -> Series:
    """Ticks counted in minutes from the epoch, as ``TS_TRS_DEFAULT_STARTTIME('PT1M')`` numbers them."""
    return py.ordered((t // MINUTE, v) for t, v in series)


# creation aggregate (one series per ``GROUP BY k``) -> the reference of TS_DIFF over it
CREATIONS: dict[str, Callable[[Series], Series]] = {
    "TIME_SERIES(TS_TIMESTAMP(t), v)": py.diff,
    "TS_TIME_SERIES(TS_TIMESTAMP(t), v)": py.diff,
    "TIME_SERIES_WITH_TRS(TS_TIMESTAMP(t), v, TS_TRS_DEFAULT())": py.diff,
    "TIME_SERIES_WITH_TRS(TS_TIMESTAMP(t), v, TS_TRS('PT1H', '2024-05-06T00:00:00'))": lambda s: py.diff(_in_hours(s)),
    "TIME_SERIES_WITH_TRS(TS_TIMESTAMP(t), v, TS_TRS_DEFAULT_STARTTIME('PT1M'))": lambda s: py.diff(_in_minutes(s)),
}
TYPED_EXPLODES = ("TS_S_EXPLODE", "TS_DA_EXPLODE", "TS_SA_EXPLODE")


def creation_sql(creation: str) -> str:
    return (
        f"WITH s AS (SELECT k, {creation} AS ts FROM obs GROUP BY k) "
        "SELECT k, TS_EXPLODE(TS_DIFF(ts)) AS (tt, value) FROM s"
    )


# every creation and typed explode in one query, rows labelled by their position in CREATIONS then TYPED_EXPLODES
BUILDING_SQL = " UNION ALL ".join(
    [f"SELECT {n} AS n, * FROM ({creation_sql(creation)})" for n, creation in enumerate(CREATIONS)]
    + [f"SELECT {len(CREATIONS) + n} AS n, * FROM ({explode_sql('ts', name)})" for n, name in enumerate(TYPED_EXPLODES)]
)


def expected_building() -> list[tuple[object, ...]]:
    references = [*CREATIONS.values(), *[lambda s: s] * len(TYPED_EXPLODES)]
    return [(n, *row) for n, reference in enumerate(references) for row in expected_explode(reference)]
