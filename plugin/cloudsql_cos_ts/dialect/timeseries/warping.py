"""Measures of whole value sequences, per key: ``TS_DTW(a, b)``, ``TS_DL(a, b)``, and the correlation and
Fourier measures of ``spectral.py`` (``TS_CROSS_CORRELATION``, ``TS_SBD``, ``TS_AUTO_CORRELATION``,
``TS_FFT``); per time window, their ``TS_SEG_`` forms.

They compare the value sequences as wholes (in series order, NULL values left out), not values paired
by tick. SQL has no loop, so the FROM is grouped per key into value arrays (``arrays.py``) and the
measure runs on them with the higher-order array functions both engines have. The two dynamic
programs live here, one row of the cost matrix per value of ``a`` (nested ``aggregate``):

* ``TS_DTW`` — IBM documents only "dynamic time warping distance"; the sibling library's local cost
  ``|a - b|`` and no band are used; NULL when either has no value;
* ``TS_DL`` — IBM names only "Damerau-Levenshtein"; the optimal-string-alignment variant (what most
  libraries compute under that name: insertions, deletions, substitutions and transpositions of
  adjacent values, each costing 1, no substring edited twice), values equal when equal as doubles.
  An empty sequence is at the other's length.

The work is ``len(a) · len(b)`` steps: above ``arrays.MAX_CELLS`` the result is NULL rather than a query
that runs for minutes (``docs/time-series-functions.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries import arrays, spectral
from cloudsql_cos_ts.dialect.timeseries.pairs import paired_windows, series_column, stacked
from cloudsql_cos_ts.dialect.timeseries.segments import time_buckets, time_windows
from cloudsql_cos_ts.dialect.timeseries.sql import (
    Scope,
    Series,
    arguments,
    calls_in_select,
    check_groupable,
    formatted,
    function_name,
    items_without,
    spark,
    sql,
    used_columns,
)
from cloudsql_cos_ts.errors import BadRequest


def _matrix(a: str, b: str, first: str, lead: str, cell: str, *, kept: tuple[str, str] = ("above", "{row}")) -> str:
    """The final state of a dynamic program over ``a`` (rows) and ``b`` (columns). Row 0 is ``first``; row
    ``i`` starts with ``lead`` (column 0) and each ``cell`` (column ``j``) reads this row's cells so far
    (``cells``) and the state; ``kept`` names the state and says how it follows from the new ``{row}`` —
    the previous row for ``TS_DTW``, the two previous rows for ``TS_DL``."""
    state, following = kept
    row = f"aggregate(sequence(1, size({b})), array({lead}), (cells, j) -> concat(cells, array({cell})))"
    return f"aggregate(sequence(1, size({a})), {first}, ({state}, i) -> {following.format(row=row)})"


def _dtw(a: str, b: str) -> str:
    """The DTW distance of the arrays ``a`` and ``b``: rows of the cost matrix, each with a leading infinity."""
    cell = (
        f"abs(element_at({a}, i) - element_at({b}, j)) "
        "+ least(element_at(above, j), element_at(above, j + 1), element_at(cells, j))"
    )
    first = f"concat(array(CAST(0 AS DOUBLE)), transform(sequence(1, size({b})), j -> {arrays.INFINITY}))"
    matrix = _matrix(a, b, first, arrays.INFINITY, cell)
    return (
        f"CASE WHEN size({a}) = 0 OR size({b}) = 0 OR {arrays.too_big(a, b)} THEN NULL "
        f"ELSE element_at({matrix}, size({b}) + 1) END"
    )


def _damerau_levenshtein(a: str, b: str) -> str:
    """The optimal-string-alignment distance of the arrays ``a`` and ``b``. The state is the array of the
    two previous rows (row ``i - 2`` first), each ``[d(i, 0), …, d(i, len(b))]``."""
    above, twice = "element_at(rows, 2)", "element_at(rows, 1)"
    swapped = (
        f"i > 1 AND j > 1 AND element_at({a}, i) = element_at({b}, j - 1) "
        f"AND element_at({a}, i - 1) = element_at({b}, j)"
    )
    cell = (
        f"least(element_at({above}, j + 1) + 1, element_at(cells, j) + 1, "
        f"element_at({above}, j) + CASE WHEN element_at({a}, i) = element_at({b}, j) THEN 0 ELSE 1 END, "
        f"CASE WHEN {swapped} THEN element_at({twice}, j - 1) + 1 ELSE {arrays.INFINITY} END)"
    )
    start = f"transform(sequence(0, size({b})), j -> CAST(j AS DOUBLE))"
    kept = ("rows", f"array({above}, {{row}})")
    matrix = _matrix(a, b, f"array({start}, {start})", "CAST(i AS DOUBLE)", cell, kept=kept)
    return (
        f"CASE WHEN size({a}) = 0 THEN CAST(size({b}) AS DOUBLE) WHEN size({b}) = 0 THEN CAST(size({a}) AS DOUBLE) "
        f"WHEN {arrays.too_big(a, b)} THEN NULL ELSE element_at(element_at({matrix}, 2), size({b}) + 1) END"
    )


@dataclass(frozen=True)
class Measure:
    """A measure of ``series`` value arrays (1 or 2) and further literal ``options``, as SQL."""

    series: int
    options: str  # the arguments after the series, as the signature shows them
    build: Callable[..., str]


MEASURES = {
    "TS_DTW": Measure(2, "", _dtw),
    "TS_DL": Measure(2, "", _damerau_levenshtein),
    "TS_CROSS_CORRELATION": Measure(2, "", spectral.cross_correlation),
    "TS_SBD": Measure(2, "", spectral.shape_based_distance),
    "TS_AUTO_CORRELATION": Measure(1, "", spectral.auto_correlation),
    "TS_FFT": Measure(1, ", dir", spectral.fourier),
}


def _grouped(scope: Scope, others: list[exp.Expr], keys: list[str], aggregates: dict[str, str]) -> None:
    """Replace the FROM by its rows grouped by ``keys`` (and the columns the other items and the WHERE
    read), with the ``aggregates``."""
    kept = used_columns(scope.select, others)
    source = scope.select.args["from_"].this
    grouped = exp.select(
        *(spark(sql(column)).as_(column.name) for column in kept),
        *(spark(key) for key in keys),
        *(spark(text).as_(name) for name, text in aggregates.items()),
    ).from_(source.copy())
    grouped = grouped.group_by(*(spark(sql(column)) for column in kept), *(spark(key) for key in keys), copy=False)
    scope.select.args["from_"].set("this", grouped.subquery(source.alias_or_name or "__ts_source"))


def _call_arguments(call: exp.Expr, name: str, series: str) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """The series arguments and the options of a measure call (``series`` shows the series in the 400)."""
    measure = MEASURES[name]
    found = arguments(
        call, f"{function_name(call)}({series}{measure.options})", measure.series + measure.options.count(",")
    )
    return found[: measure.series], found[measure.series :]


def lower_warping(scope: Scope) -> None:
    """Replace the SELECT's measure items (``TS_DTW(a, b)``, ``TS_FFT(ts, dir)``, …) by the measure of
    each key's series; all name the same series (and the same second series)."""
    calls = calls_in_select(scope.select, MEASURES)
    if not calls:
        return
    others = items_without(scope.select, calls)
    check_groupable(scope.select, others, "the series measures (TS_DTW, TS_FFT, …)")
    used = [
        _call_arguments(call, function_name(call), "a, b" if MEASURES[function_name(call)].series == 2 else "ts")
        for call in calls
    ]
    columns = [{sql(series[i]) for series, _ in used if len(series) > i} for i in (0, 1)]
    if any(len(names) > 1 for names in columns) or any(
        not isinstance(node, exp.Column) for series, _ in used for node in series
    ):
        raise BadRequest(
            "write the series measures (TS_DTW(a, b), TS_AUTO_CORRELATION(a), …) over series columns built in "
            "one SELECT, the same series in each use"
        )
    nodes = {i: series[i] for series, _ in used for i in range(len(series))}
    names = [scope.names.fresh(part) for part in ("a", "b")[: len(nodes)]]
    series = [formatted(exp.column(nodes[i].name)) for i in range(len(nodes))]
    _grouped(
        scope, others, [series[0].key], {name: arrays.values(one) for name, one in zip(names, series, strict=True)}
    )
    for call, (_, options) in zip(calls, used, strict=True):
        measure = MEASURES[function_name(call)]
        call.replace(spark(measure.build(*names[: measure.series], *options)))


SEGMENT_MEASURES = {f"TS_SEG_{name.removeprefix('TS_')}": name for name in MEASURES}


def lower_segment_measure(scope: Scope, node: exp.Expr, others: list[exp.Expr]) -> tuple[str, str]:
    """``TS_SEG_DTW(TS_SEGMENT_BY_TIME(a, w, s), TS_SEGMENT_BY_TIME(b, w, s))`` (``TS_SEG_FFT(
    TS_SEGMENT_BY_TIME(ts, w, s), dir)`` …): the measure per time window holding an observation of one of
    the series (NULL when one has no value there). The FROM becomes one row per key and window: the
    window start and the measure."""
    check_groupable(scope.select, others, "TS_EXPLODE of segments")
    name = SEGMENT_MEASURES[function_name(node)]
    measure = MEASURES[name]
    if measure.series == 2:
        first, second, window, step = paired_windows(node)
        segmented, options = [first, second], list[exp.Expr]()
    else:
        (segmentation,), options = _call_arguments(node, name, "TS_SEGMENT_BY_TIME(ts, window, step)")
        windows = time_windows(segmentation)
        if windows is None:
            raise BadRequest(f"write {function_name(node)}(TS_SEGMENT_BY_TIME(ts, window, step){measure.options})")
        first, window, step = windows
        segmented = [first]
    rows = stacked(scope, [series_column(one, function_name(node)) for one in segmented])
    start = time_buckets(scope, Series(rows.tick, rows.value, rows.key), window, step)
    names = [scope.names.fresh(part) for part in ("a", "b")[: measure.series]]
    aggregates = {
        name: arrays.values(Series(rows.tick, f"CASE WHEN {rows.side} = {side} THEN {rows.value} END", rows.key))
        for side, name in enumerate(names)
    }
    _grouped(scope, others, [rows.key, start], aggregates)
    return start, measure.build(*names, *options)
