"""Editor help for IBM's time-series functions, as this plugin implements them.

Served with the macros by ``cloudsql_cos_ts.resources.reference.macro_reference()``; only functions
the lowering (``dialect/timeseries/``) supports are listed, each with an example that translates
(tests/dialect/test_ts_reference.py). ``docs/time-series-functions.md`` explains the semantics, the
choices where IBM left them open, and why the rest of IBM's reference is refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionHelp:
    name: str
    signature: str
    description: str
    example: str


_SERIES_CTE = (
    "WITH series AS (SELECT action, ts FROM FLOW_FLAT "
    'USING TIME_SERIES_FORMAT(key="action", timetick="connection_start_time", value="bytes_from_initiator") IN ts) '
)


def _exploding(inner: str) -> str:
    return _SERIES_CTE + f"SELECT action, TS_EXPLODE({inner}) AS (tt, value) FROM series"


def _help(name: str, signature: str, description: str, inner: str) -> FunctionHelp:
    return FunctionHelp(name, signature, description, _exploding(inner))


_SOURCE = (
    "TIME_SERIES_FORMAT",
    'FROM <table> USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v"[, starttime=…, granularity=…]) IN ts',
    "Turns the rows of a table into one time series per key (key optional) in column ts. timetick is a "
    "TIMESTAMP or RFC 3339 text column; ticks are epoch milliseconds, or with starttime/granularity "
    "floor((time - starttime) / granularity). The WHERE of the same SELECT filters the rows first.",
    "ts",
)
_CREATION = [
    (
        name,
        f"{name}(tick, value{', trs' if name.endswith('_WITH_TRS') else ''}) AS ts … GROUP BY key",
        "Aggregate building one series per group (the GROUP BY expressions are its key); tick is a number or "
        "TS_TIMESTAMP(time) for epoch ms"
        + (", mapped through the time reference system" if "TRS" in name else "")
        + ".",
    )
    for name in (
        "TIME_SERIES",
        "TIME_SERIES_WITH_TRS",
        "TIME_SERIES_S",
        "TIME_SERIES_S_WITH_TRS",
        "TIME_SERIES_DA",
        "TIME_SERIES_DA_WITH_TRS",
        "TIME_SERIES_SA",
        "TIME_SERIES_SA_WITH_TRS",
    )
]
_TRS = [
    ("TS_TRS", "TS_TRS('PT1M', '2024-05-06T00:00:00')", "Time reference system: granularity and start (UTC)."),
    ("TS_TRS_DEFAULT", "TS_TRS_DEFAULT()", "Time reference system of 1 ms ticks from 1970-01-01T00:00Z."),
    ("TS_TRS_DEFAULT_STARTTIME", "TS_TRS_DEFAULT_STARTTIME('PT1H')", "The given granularity from 1970-01-01T00:00Z."),
]
_EXPLODES = [
    (name, f"{name}(series) AS (time_name, value_name)", f"One row per observation{kind}; one per SELECT.")
    for name, kind in (
        ("TS_EXPLODE", ""),
        ("TS_S_EXPLODE", " of a string series"),
        ("TS_DA_EXPLODE", " of a double-array series"),
        ("TS_SA_EXPLODE", " of a string-array series"),
    )
]
_SEGMENTERS = [
    (
        "TS_SEGMENT_BY_TIME",
        "TS_SEGMENT_BY_TIME(ts, window, step)",
        "Windows [k*step, k*step + window) aligned to multiples of step; window/step in ms or hour, 5minute, "
        "PT15M, P1D. Each window's tick is its start; the empty windows between a series' first and last "
        "ones are kept (TS_SEG_COUNT 0, the other TS_SEG_* NULL).",
        "TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, hour, PT15M))",
    ),
    (
        "TS_SEGMENT",
        "TS_SEGMENT(ts, size, step)",
        "size consecutive observations every step observations; complete segments only; tick = first member.",
        "TS_SEG_AVG(TS_SEGMENT(ts, 10, 5))",
    ),
    (
        "TS_SEGMENT_BY_SILENCE",
        "TS_SEGMENT_BY_SILENCE(ts, gap)",
        "A new segment when more than gap ticks (ms) pass between observations; tick = first member.",
        "TS_SEG_COUNT(TS_SEGMENT_BY_SILENCE(ts, 600000))",
    ),
    (
        "TS_SEGMENT_BY_ANCHOR",
        "TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)",
        "One segment per tick where condition (TS_EXP_*/TS_ANCHOR_*) holds: ticks [anchor - before, anchor + after].",
        "TS_SEG_SUM(TS_SEGMENT_BY_ANCHOR(ts, TS_EXP_GT(TS_EXP_ID(), 1000000), 60000, 60000))",
    ),
    (
        "TS_SEGMENT_BY_SMOOTHED_SILENCE",
        "TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap)",
        "A new segment when the gap exceeds min(T * factor, cap), T the gaps smoothed with alpha (seeded with the "
        "first gap, updated by every gap); tick: the first member.",
        "TS_SEG_COUNT(TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, 0.5, 3, 600000))",
    ),
    (
        "TS_SEGMENT_BY_MARKER",
        "TS_SEGMENT_BY_MARKER(ts, marker_condition, prevInclusive, nextInclusive, requiresStartAndEnd)",
        "Segments between consecutive markers; a marker is in the segment it closes (prevInclusive) and/or the "
        "one it opens (nextInclusive); requiresStartAndEnd drops the pieces before the first and after the last "
        "marker; tick: the first member.",
        "TS_SEG_COUNT(TS_SEGMENT_BY_MARKER(ts, TS_EXP_GT(TS_EXP_ID(), 4.0E7), true, false, true))",
    ),
    (
        "TS_SEGMENT_BY_DUAL_MARKER",
        "TS_SEGMENT_BY_DUAL_MARKER(ts, start_condition, end_condition[, startInclusive, endInclusive, "
        "startOnFirst, endOnFirst])",
        "Segments from a start marker to an end marker (flags default true, true, false, true: the last start "
        "marker before the first end marker, both kept); tick: the first member.",
        "TS_SEG_COUNT(TS_SEGMENT_BY_DUAL_MARKER(ts, TS_EXP_GT(TS_EXP_ID(), 4.0E7), TS_EXP_LT(TS_EXP_ID(), 5.0E6)))",
    ),
]
_STATISTICS = (
    ("COUNT", "the number of observations"),
    ("SUM", "the sum of the values"),
    ("AVG", "the mean of the values"),
    ("MIN", "the smallest value"),
    ("MAX", "the largest value"),
    ("SD", "the sample standard deviation"),
    ("SKEWNESS", "the sample skewness (G1)"),
    ("KURTOSIS", "the sample excess kurtosis (G2)"),
)
_TRANSFORMS = [
    ("TS_DIFF", "TS_DIFF(ts)", "Each value minus the previous one, at the later tick.", "TS_DIFF(ts)"),
    ("TS_ZSCORE", "TS_ZSCORE(ts, mean, sd)", "(value - mean) / sd with the given numbers.", "TS_ZSCORE(ts, 1000, 500)"),
    (
        "TS_AWGN",
        "TS_AWGN(ts, mean, sd)",
        "Each value plus an independent Gaussian draw N(mean, sd); random, not repeatable; NULL stays NULL.",
        "TS_AWGN(ts, 0, 100)",
    ),
    (
        "TS_MWGN",
        "TS_MWGN(ts, sd)",
        "Each value times (1 + N(0, sd)), multiplicative Gaussian noise; random, not repeatable; NULL stays NULL.",
        "TS_MWGN(ts, 0.1)",
    ),
    ("TS_PEAK", "TS_PEAK(ts)", "Observations strictly above both neighbours.", "TS_PEAK(ts)"),
    ("TS_TROUGH", "TS_TROUGH(ts)", "Observations strictly below both neighbours.", "TS_TROUGH(ts)"),
    (
        "TS_SLICE",
        "TS_SLICE(ts, start_tick, end_tick)",
        "Observations with start <= tick <= end.",
        "TS_SLICE(ts, TS_TIMESTAMP('2024-05-06T00:00:00Z'), TS_TIMESTAMP('2024-05-06T12:00:00Z'))",
    ),
    ("TS_DROPNA", "TS_DROPNA(ts)", "Drops observations whose value is NULL.", "TS_DROPNA(ts)"),
    (
        "TS_FILLNA",
        "TS_FILLNA(ts, interpolator)",
        "Replaces NULL values with the interpolator's value.",
        "TS_FILLNA(ts, TS_INTERPOLATOR_PREV(0))",
    ),
    (
        "TS_RESAMPLE",
        "TS_RESAMPLE(ts, period, interpolator)",
        "The series on the grid floor(first/period)*period … last tick; missing grid ticks interpolated.",
        "TS_RESAMPLE(ts, 60000, TS_INTERPOLATOR_LINEAR(0, 1, 1))",
    ),
    (
        "TS_MAP",
        "TS_MAP(ts, expression)",
        "Each value replaced by a TS_EXP_* expression.",
        "TS_MAP(ts, TS_EXP_DIVIDE(TS_EXP_ID(), 1024))",
    ),
    (
        "TS_FILTER",
        "TS_FILTER(ts, condition)",
        "Observations where a TS_EXP_* condition holds.",
        "TS_FILTER(ts, TS_EXP_GT(TS_EXP_ID(), 0))",
    ),
    (
        "TS_REMOVE_CONSECUTIVE_DUPLICATES",
        "TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)",
        "Drops observations whose value equals the previous one's.",
        "TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)",
    ),
    (
        "TS_COMBINE_DUPLICATE_TIMETICKS",
        "TS_COMBINE_DUPLICATE_TIMETICKS(ts, combiner)",
        "One observation per tick, the values combined (TS_COMBINER_*).",
        "TS_COMBINE_DUPLICATE_TIMETICKS(ts, TS_COMBINER_ADD())",
    ),
]
_MATCH_CTE = (
    "WITH s AS (SELECT action, TIME_SERIES(0, 'tcp') AS ts FROM (SELECT DISTINCT action FROM FLOW_FLAT) d "
    "GROUP BY action) "
)


def _match_help(name: str, signature: str, description: str, matcher: str) -> FunctionHelp:
    example = f"SELECT action, TS_EXPLODE(TS_MATCH(ts, {matcher}, ARRAY('tcp'))) AS (tt, value) FROM s"
    return FunctionHelp(name, signature, description, _MATCH_CTE + example)


_MATCHERS = {
    "TS_MATCHER_SEQ": "the values equal the pattern; the whole series",
    "TS_MATCHER_SUBLIST": "the first contiguous run equal to the pattern, when |P|/|S| >= threshold",
    **{
        f"TS_MATCHER_{kind}_{ratio}": (
            f"the pattern {'in order (earliest values)' if kind == 'SUBSEQ' else 'in any order (earliest values)'}, "
            f"when {what} >= threshold; {'the whole match span' if ratio == 'MS' else 'the matched observations'}"
        )
        for kind in ("SUBSEQ", "SUBSET")
        for ratio, what in (("PS", "|P|/|S|"), ("PM", "|P|/|M|"), ("MS", "|M|/|S|"))
    },
}
_INDEX = FunctionHelp(
    "TS_INDEX",
    "TS_INDEX(ts, i)",
    "Element i (from 0) of each array value (NULL past the end).",
    "WITH s AS (SELECT action, ts FROM (SELECT action, connection_start_time AS t, "
    "array(bytes_from_initiator, bytes_from_receiver) AS bytes FROM FLOW_FLAT) "
    'USING TIME_SERIES_FORMAT(key="action", timetick="t", value="bytes") IN ts) '
    "SELECT action, TS_EXPLODE(TS_INDEX(ts, 1)) AS (tt, value) FROM s",
)
_INTERPOLATORS = [
    ("TS_INTERPOLATOR_FILL", "TS_INTERPOLATOR_FILL(value)", "Always value."),
    ("TS_INTERPOLATOR_PREV", "TS_INTERPOLATOR_PREV(default)", "The previous observation's value, else default."),
    ("TS_INTERPOLATOR_NEXT", "TS_INTERPOLATOR_NEXT(default)", "The next observation's value, else default."),
    (
        "TS_INTERPOLATOR_NEAREST",
        "TS_INTERPOLATOR_NEAREST(default)",
        "The nearest observation's value (ties: previous).",
    ),
    (
        "TS_INTERPOLATOR_LINEAR",
        "TS_INTERPOLATOR_LINEAR(default, previous_count, next_count)",
        "Least-squares line through that many previous and next observations, else default.",
    ),
]
_COMBINERS = [
    ("TS_COMBINER_ADD", "sum"),
    ("TS_COMBINER_MUL", "product"),
    ("TS_COMBINER_MIN", "minimum"),
    ("TS_COMBINER_MAX", "maximum"),
    ("TS_COMBINER_AVG", "mean"),
    ("TS_COMBINER_FIRST", "smallest value of the tick (the plugin's order of equal ticks)"),
    ("TS_COMBINER_LAST", "largest value of the tick"),
    ("TS_COMBINER_CONCATENATE", "the values joined with the given delimiter"),
]
_EXPRESSIONS = {
    "TS_EXP_ID": "the observation's value",
    "TS_EXP_ID_INDEX": "element n (from 0) of the observation's array value",
    "TS_EXP_ID_TO_STRING": "the value as text",
    "TS_EXP_NOT": "NOT b",
    "TS_EXP_AND": "b1 AND b2",
    "TS_EXP_OR": "b1 OR b2",
    "TS_EXP_LT": "a < b",
    "TS_EXP_LTE": "a <= b",
    "TS_EXP_GT": "a > b",
    "TS_EXP_GTE": "a >= b",
    "TS_EXP_EQUALS": "a = b",
    "TS_EXP_DIVISIBLE_BY": "a is divisible by b",
    "TS_EXP_CONTAINS": "text a contains b",
    "TS_EXP_CONTAINED_IN": "text a is contained in b",
    "TS_EXP_STARTS_WITH": "text a starts with b",
    "TS_EXP_ENDS_WITH": "text a ends with b",
    "TS_EXP_MATCH": "the regular expression b is found in text a (as RLIKE; ^…$ for a whole match)",
    "TS_EXP_IF_THEN_ELSE": "x if b else y",
    "TS_EXP_IF_THEN": "x if b else NULL",
    "TS_EXP_MATCH_CASE": "the first TS_EXP_IF_THEN in ARRAY(...) that holds, else otherwise",
    "TS_EXP_ADD": "a + b",
    "TS_EXP_SUBTRACT": "a - b",
    "TS_EXP_MULTIPLY": "a * b",
    "TS_EXP_DIVIDE": "a / b",
    "TS_EXP_MOD": "remainder of a / b (sign of a)",
    "TS_EXP_POW": "a to the power b",
    "TS_EXP_ATAN2": "atan2(a, b)",
    "TS_EXP_LOG": "natural logarithm",
    "TS_EXP_LENGTH": "length of the text",
    "TS_EXP_CONCAT": "texts joined",
    **{
        f"TS_EXP_{name}": name.lower()
        for name in ("ABS", "EXP", "LOG10", "SQRT", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "SINH", "COSH", "TANH")
    },
}
_ANCHORS = {
    "TS_ANCHOR_EQ": "value = x",
    "TS_ANCHOR_CONTAINS": "value contains text",
    "TS_ANCHOR_CONTAINED_IN": "value contained in text",
    "TS_ANCHOR_STARTS_WITH": "value starts with text",
    "TS_ANCHOR_ENDS_WITH": "value ends with text",
    "TS_ANCHOR_GT": "value > x",
    "TS_ANCHOR_GTE": "value >= x",
    "TS_ANCHOR_LT": "value < x",
    "TS_ANCHOR_LTE": "value <= x",
    "TS_ANCHOR_DIVISIBLE_BY": "value divisible by x",
    "TS_ANCHOR_AND": "both anchors",
    "TS_ANCHOR_OR": "either anchor",
    "TS_ANCHOR_NOT": "not the anchor",
    "TS_ANCHOR_INDEX": "the anchor on element i of an array value",
}
_PAIRS_CTE = (
    "WITH pairs AS (SELECT action, TIME_SERIES(TS_TIMESTAMP(connection_start_time), bytes_from_initiator) AS a, "
    "TIME_SERIES(TS_TIMESTAMP(capture_start_time), bytes_from_target) AS b FROM FLOW_FLAT GROUP BY action) "
)
_WHICH_TICKS = {
    "INNER": "the ticks both series have",
    "LEFT": "every observation of a (b interpolated where it has no observation)",
    "RIGHT": "every observation of b (a interpolated)",
    "LEFT_OUTER": "the observations of a at ticks b lacks (b interpolated)",
    "RIGHT_OUTER": "the observations of b at ticks a lacks (a interpolated)",
    "FULL": "every observation of a and those of b at ticks a lacks (the missing side interpolated)",
}


def _pair_help(how: str, join: bool) -> FunctionHelp:
    name = f"TS_{how}_{'JOIN' if join else 'ALIGN'}"
    interpolated = how != "INNER"
    arguments = "a, b" + (", interpolator" if interpolated else "")
    columns = "(tt, pair)" if join else "(tt, a_value, b_value)"
    shape = "the pair [a, b] as one array value" if join else "the two values as two columns"
    call = f"{name}(a, b{', TS_INTERPOLATOR_PREV(0)' if interpolated else ''})"
    return FunctionHelp(
        name,
        f"{name}({arguments}) inside TS_EXPLODE(...) AS {columns}",
        f"Two series of one GROUP BY (two TIME_SERIES items), per key: {_WHICH_TICKS[how]}; {shape}. "
        "A tick the other series has takes its value there (the last at a duplicate tick).",
        _PAIRS_CTE + f"SELECT action, TS_EXPLODE({call}) AS {columns} FROM pairs",
    )


_PAIR_REDUCERS = [
    ("TS_CORRELATION", "the Pearson correlation of the values at the ticks both have"),
    ("TS_MANHATTAN_DISTANCE", "the sum of |a - b| over the ticks both have"),
]

TS_FUNCTIONS: tuple[FunctionHelp, ...] = (
    _help(*_SOURCE),
    *(
        FunctionHelp(
            name,
            signature,
            description,
            f"WITH s AS (SELECT action, {name}(TS_TIMESTAMP(connection_start_time), bytes_from_initiator"
            + (", TS_TRS_DEFAULT()" if "TRS" in name else "")
            + ") AS ts FROM FLOW_FLAT GROUP BY action) SELECT action, TS_EXPLODE(ts) AS (tt, value) FROM s",
        )
        for name, signature, description in _CREATION
    ),
    *(
        FunctionHelp(
            name,
            signature,
            description,
            "WITH s AS (SELECT action, TIME_SERIES_WITH_TRS(TS_TIMESTAMP(connection_start_time), "
            f"bytes_from_initiator, {signature}) AS ts FROM FLOW_FLAT GROUP BY action) "
            "SELECT action, TS_EXPLODE(ts) AS (tt, value) FROM s",
        )
        for name, signature, description in _TRS
    ),
    _help(
        "TS_TIMESTAMP",
        "TS_TIMESTAMP(time)",
        "Epoch milliseconds of a TIMESTAMP or ISO 8601 text (UTC).",
        "TS_SLICE(ts, TS_TIMESTAMP('2024-05-06T00:00:00Z'), TS_TIMESTAMP('2024-05-07T00:00:00Z'))",
    ),
    *(_help(name, signature, description, "ts") for name, signature, description in _EXPLODES),
    *(_help(*segmenter) for segmenter in _SEGMENTERS),
    FunctionHelp(
        "TS_FLATTEN",
        "TS_FLATTEN(segments) AS (tick_name, index_name, series_name)",
        "Each segment as a series of its own: its first tick, its index from 0 and its members as series_name "
        "(one row per member), to reduce or explode in the next SELECT.",
        _SERIES_CTE.rstrip()
        + ", flat AS (SELECT action, TS_FLATTEN(TS_SEGMENT_BY_TIME(ts, hour, hour)) AS (tt, idx, seg) FROM series) "
        "SELECT action, tt, idx, TS_AVG(seg) AS mean FROM flat",
    ),
    *(
        _help(
            f"TS_SEG_{name}",
            f"TS_SEG_{name}(segments)",
            f"Per segment, {what}, as a DOUBLE; inside TS_EXPLODE. "
            + ("At the segment's first observation (IBM)." if name == "COUNT" else "At the segment's tick."),
            f"TS_SEG_{name}(TS_SEGMENT_BY_TIME(ts, hour, hour))",
        )
        for name, what in _STATISTICS
    ),
    *(
        FunctionHelp(
            f"TS_{name}",
            f"TS_{name}(ts)",
            f"Per series, {what}; the other selected columns are grouped by.",
            _SERIES_CTE + f"SELECT action, TS_{name}(ts) AS result FROM series",
        )
        for name, what in _STATISTICS
    ),
    FunctionHelp(
        "TS_COUNT_ANCHOR",
        "TS_COUNT_ANCHOR(ts, condition)",
        "Per series, the number of observations where the condition holds.",
        _SERIES_CTE + "SELECT action, TS_COUNT_ANCHOR(ts, TS_ANCHOR_GT(1000000)) AS big FROM series",
    ),
    *(_help(*transform) for transform in _TRANSFORMS),
    _INDEX,
    *(
        _help(name, signature, description, f"TS_FILLNA(ts, {name}({'0, 2, 2' if name.endswith('LINEAR') else '0'}))")
        for name, signature, description in _INTERPOLATORS
    ),
    *(
        _help(
            name,
            f"{name}({'delimiter' if name.endswith('CONCATENATE') else ''})",
            f"Combines the values of equal ticks: {what}.",
            f"TS_COMBINE_DUPLICATE_TIMETICKS(ts, {name}())" if not name.endswith("CONCATENATE") else "ts",
        )
        for name, what in _COMBINERS
    ),
    _match_help(
        "TS_MATCH",
        "TS_MATCH(ts, matcher, ARRAY(value, …))",
        "The observations a TS_MATCHER_* finds of the pattern, at the first occurrence in series order (NULL "
        "values left out); none when it does not match.",
        "TS_MATCHER_SUBSEQ_PS(0)",
    ),
    *(
        _match_help(
            name,
            f"{name}({'' if name.endswith('SEQ') else 'threshold'})",
            f"TS_MATCH matcher: {what}.",
            f"{name}({'' if name.endswith('SEQ') else '0.5'})",
        )
        for name, what in _MATCHERS.items()
    ),
    *(
        _help(name, f"{name}(...)", f"Per-observation expression: {what}.", "TS_MAP(ts, TS_EXP_ABS(TS_EXP_ID()))")
        for name, what in _EXPRESSIONS.items()
    ),
    *(
        _help(name, f"{name}(...)", f"Condition on the observation's value: {what}.", "TS_FILTER(ts, TS_ANCHOR_GT(0))")
        for name, what in _ANCHORS.items()
    ),
    *(_pair_help(how, join=True) for how in _WHICH_TICKS),
    *(_pair_help(how, join=False) for how in ("INNER", "LEFT", "RIGHT", "FULL", "LEFT_OUTER")),
    *(
        FunctionHelp(
            name,
            f"{name}(a, b)",
            f"Per pair of series of one GROUP BY, {what} (NULL values skipped); the other columns are grouped by.",
            _PAIRS_CTE + f"SELECT action, {name}(a, b) AS result FROM pairs",
        )
        for name, what in _PAIR_REDUCERS
    ),
    *(
        FunctionHelp(
            f"TS_SEG_{name.removeprefix('TS_')}",
            f"TS_SEG_{name.removeprefix('TS_')}(TS_SEGMENT_BY_TIME(a, window, step), "
            "TS_SEGMENT_BY_TIME(b, window, step))",
            f"Per time window of two series of one GROUP BY, {what}; inside TS_EXPLODE, at the window start.",
            _PAIRS_CTE
            + f"SELECT action, TS_EXPLODE(TS_SEG_{name.removeprefix('TS_')}(TS_SEGMENT_BY_TIME(a, hour, hour), "
            "TS_SEGMENT_BY_TIME(b, hour, hour))) AS (tt, value) FROM pairs",
        )
        for name, what in [
            *_PAIR_REDUCERS,
            ("TS_DTW", "the dynamic-time-warping distance of their values"),
            ("TS_CROSS_CORRELATION", "the normalised cross-correlation of their values at every shift"),
            ("TS_DL", "the Damerau-Levenshtein (optimal string alignment) distance of their values"),
            ("TS_SBD", "the shape-based distance of their values"),
        ]
    ),
    *(
        FunctionHelp(
            f"TS_SEG_{name.removeprefix('TS_')}",
            f"TS_SEG_{name.removeprefix('TS_')}(TS_SEGMENT_BY_TIME(ts, window, step){options})",
            f"Per time window of a series, {what}; inside TS_EXPLODE, at the window start.",
            _PAIRS_CTE
            + f"SELECT action, TS_EXPLODE(TS_SEG_{name.removeprefix('TS_')}(TS_SEGMENT_BY_TIME(a, hour, hour)"
            f"{example})) AS (tt, value) FROM pairs",
        )
        for name, options, example, what in [
            ("TS_AUTO_CORRELATION", "", "", "the auto-correlation of its values at lags 0 … n-1"),
            ("TS_FFT", ", dir", ", 'forward'", "the discrete Fourier transform of its values (interleaved re, im)"),
        ]
    ),
    FunctionHelp(
        "TS_DTW",
        "TS_DTW(a, b)",
        "Per pair of series of one GROUP BY, the dynamic-time-warping distance of their values (cost |a - b|, "
        "no band, NULL values left out); NULL above 4 million matrix cells.",
        _PAIRS_CTE + "SELECT action, TS_DTW(a, b) AS distance FROM pairs",
    ),
    FunctionHelp(
        "TS_CROSS_CORRELATION",
        "TS_CROSS_CORRELATION(a, b)",
        "Per pair of series of one GROUP BY, the normalised full cross-correlation of their values (an array of "
        "len(a) + len(b) - 1 shifts, numpy's correlate order); NULL for a constant series.",
        _PAIRS_CTE + "SELECT action, TS_CROSS_CORRELATION(a, b) AS shifts FROM pairs",
    ),
    FunctionHelp(
        "TS_DL",
        "TS_DL(a, b)",
        "Per pair of series of one GROUP BY, the Damerau-Levenshtein distance of their values in the optimal "
        "string alignment variant (unit costs, adjacent transpositions, equal as doubles, NULL values left out); "
        "an empty series is at the other's length; NULL above 4 million matrix cells.",
        _PAIRS_CTE + "SELECT action, TS_DL(a, b) AS distance FROM pairs",
    ),
    FunctionHelp(
        "TS_SBD",
        "TS_SBD(a, b)",
        "Per pair of series of one GROUP BY, k-Shape's shape-based distance of their values: 1 - the largest "
        "TS_CROSS_CORRELATION (z-normalised); between 0 and 2, NULL for a constant series.",
        _PAIRS_CTE + "SELECT action, TS_SBD(a, b) AS distance FROM pairs",
    ),
    FunctionHelp(
        "TS_AUTO_CORRELATION",
        "TS_AUTO_CORRELATION(ts)",
        "Per series of one GROUP BY, the auto-correlation of its values at lags 0 … n-1, each over the lag-0 sum "
        "of the mean-removed values (statsmodels' acf, unadjusted); NULL for a constant series.",
        _PAIRS_CTE + "SELECT action, TS_AUTO_CORRELATION(a) AS lags FROM pairs",
    ),
    FunctionHelp(
        "TS_FFT",
        "TS_FFT(ts, 'forward' | 'inverse')",
        "Per series of one GROUP BY, the discrete Fourier transform of its values as numpy computes it (no "
        "padding; the inverse scaled by 1/n), as [re0, im0, re1, im1, …]; NULL above 2,000 values.",
        _PAIRS_CTE + "SELECT action, TS_FFT(a, 'forward') AS spectrum FROM pairs",
    ),
    FunctionHelp(
        "TS_DESCRIBE",
        "TS_DESCRIBE(ts)",
        "Per series, columns count, unique, top, frequency, first_tick, last_tick, min/max/mean_inter_arrival, "
        "mean, std, min, max, p25, p50, p75; the other selected columns are grouped by.",
        _SERIES_CTE + "SELECT action, TS_DESCRIBE(ts) FROM series",
    ),
    FunctionHelp(
        "TS_VECTORN",
        "TS_VECTORN(ts1, ts2[, …, ts10]) inside TS_EXPLODE(...) AS (tt, values)",
        "N-way inner join of series of one GROUP BY: the observations of ts1 at ticks every series has, with "
        "the array of their values (each other series' last observation at the tick).",
        _PAIRS_CTE + "SELECT action, TS_EXPLODE(TS_VECTORN(a, b)) AS (tt, values) FROM pairs",
    ),
)
