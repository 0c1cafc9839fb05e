"""Measures of two whole value sequences, per key: ``TS_DTW(a, b)`` and ``TS_CROSS_CORRELATION(a, b)``
(and per time window: ``TS_SEG_DTW``, ``TS_SEG_CROSS_CORRELATION``).

Both compare the value sequences as wholes (in series order, NULL values left out), not values paired
by tick. SQL has no loop, so the FROM is grouped per key into the two value arrays and the measure
runs on them with the higher-order array functions both engines have (``aggregate``, ``transform``):

* ``TS_DTW`` — IBM documents only "dynamic time warping distance"; the sibling library's local cost
  ``|a - b|`` and no band are used. The classic dynamic program, one row of the cost matrix per value
  of ``a`` (nested ``aggregate``);
* ``TS_CROSS_CORRELATION`` — the sibling library's formula (its example ``[1,2,3]``, ``[2,3,4]`` gives
  ``[-0.5, 0, 1, 0, -0.5]``): with ``ca``, ``cb`` the values centred on their means, the full
  cross-correlation over ``len(a) + len(b) - 1`` shifts divided by ``sqrt(Σca²·Σcb²)``; element ``k``
  (from 0) is ``Σ ca[i + k - (len(b) - 1)]·cb[i]``, numpy's ``correlate(a, b, "full")`` order (IBM's
  example is symmetric, so the direction is a choice); NULL for a constant series.

The work is ``len(a) · len(b)`` steps: above ``MAX_CELLS`` the result is NULL rather than a query that
runs for minutes (``docs/time-series-functions.md``).
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.pairs import paired_windows, series_column, stacked
from cloudsql_cos_ts.dialect.timeseries.segments import time_buckets
from cloudsql_cos_ts.dialect.timeseries.sql import (
    Scope,
    Series,
    arguments,
    check_groupable,
    formatted,
    function_name,
    spark,
    sql,
    used_columns,
)
from cloudsql_cos_ts.errors import BadRequest

MAX_CELLS = 4_000_000
_INFINITY = "CAST('Infinity' AS DOUBLE)"


def _values(series: Series) -> str:
    """The series' non-NULL values in series order, as an array (an aggregate)."""
    point = f"named_struct('t', {series.tick}, 'v', CAST({series.value} AS DOUBLE))"
    kept = f"CASE WHEN {series.tick} IS NOT NULL AND {series.value} IS NOT NULL THEN {point} END"
    return f"transform(array_sort(collect_list({kept})), p -> p.v)"


def _distance(a: str, b: str) -> str:
    """The DTW distance of the arrays ``a`` and ``b``: rows of the cost matrix, each with a leading infinity."""
    cell = (
        f"abs(element_at({a}, i) - element_at({b}, j)) "
        "+ least(element_at(above, j), element_at(above, j + 1), element_at(cells, j))"
    )
    row = f"aggregate(sequence(1, size({b})), array({_INFINITY}), (cells, j) -> concat(cells, array({cell})))"
    first = f"concat(array(CAST(0 AS DOUBLE)), transform(sequence(1, size({b})), j -> {_INFINITY}))"
    matrix = f"aggregate(sequence(1, size({a})), {first}, (above, i) -> {row})"
    return (
        f"CASE WHEN size({a}) = 0 OR size({b}) = 0 OR size({a}) * size({b}) > {MAX_CELLS} THEN NULL "
        f"ELSE element_at({matrix}, size({b}) + 1) END"
    )


def _sum(array: str, term: str) -> str:
    """The sum over ``array``'s elements ``x`` of ``term``."""
    return f"aggregate({array}, CAST(0 AS DOUBLE), (total, x) -> total + {term})"


def _centred(array: str) -> str:
    return f"transform({array}, x -> x - {_sum(array, 'x')} / size({array}))"


def _cross_correlation(a: str, b: str) -> str:
    """The normalised full cross-correlation of the arrays ``a`` and ``b`` (an array of doubles)."""
    ca, cb = _centred(a), _centred(b)
    norm = f"sqrt({_sum(ca, 'x * x')} * {_sum(cb, 'x * x')})"
    index = f"i + k - (size({b}) - 1)"
    term = f"CASE WHEN {index} BETWEEN 1 AND size({a}) THEN element_at({ca}, {index}) * element_at({cb}, i) ELSE 0 END"
    shift = f"aggregate(sequence(1, size({b})), CAST(0 AS DOUBLE), (total, i) -> total + {term}) / {norm}"
    return (
        f"CASE WHEN size({a}) = 0 OR size({b}) = 0 OR size({a}) * size({b}) > {MAX_CELLS} OR {norm} = 0 THEN NULL "
        f"ELSE transform(sequence(0, size({a}) + size({b}) - 2), k -> {shift}) END"
    )


MEASURES = {"TS_DTW": _distance, "TS_CROSS_CORRELATION": _cross_correlation}


def _grouped(scope: Scope, others: list[exp.Expr], keys: list[str], arrays: dict[str, str]) -> None:
    """Replace the FROM by its rows grouped by ``keys`` (and the columns the other items and the WHERE
    read), with the ``arrays`` aggregates."""
    kept = used_columns(scope.select, others)
    source = scope.select.args["from_"].this
    grouped = exp.select(
        *(spark(sql(column)).as_(column.name) for column in kept),
        *(spark(key) for key in keys),
        *(spark(text).as_(name) for name, text in arrays.items()),
    ).from_(source.copy())
    grouped = grouped.group_by(*(spark(sql(column)) for column in kept), *(spark(key) for key in keys), copy=False)
    scope.select.args["from_"].set("this", grouped.subquery(source.alias_or_name or "__ts_source"))


def lower_warping(scope: Scope) -> None:
    """Replace the SELECT's ``TS_DTW(a, b)`` / ``TS_CROSS_CORRELATION(a, b)`` items by the measure of each
    key's two series."""
    calls = [
        node
        for item in scope.select.expressions
        for node in item.find_all(exp.Anonymous)
        if function_name(node) in MEASURES and node.find_ancestor(exp.Select) is scope.select
    ]
    if not calls:
        return
    others = [
        item for item in scope.select.expressions if not any(node in calls for node in item.find_all(exp.Anonymous))
    ]
    check_groupable(scope.select, others, "TS_DTW and TS_CROSS_CORRELATION")
    pairs = {tuple(sql(node) for node in arguments(call, f"{function_name(call)}(a, b)", 2)) for call in calls}
    if len(pairs) > 1 or any(not isinstance(node, exp.Column) for node in calls[0].expressions):
        raise BadRequest(
            "write TS_DTW(a, b) or TS_CROSS_CORRELATION(a, b) with two series columns built in one SELECT, "
            "the same pair in each use"
        )
    first, second = (formatted(exp.column(node.name)) for node in calls[0].expressions)
    a, b = scope.names.fresh("a"), scope.names.fresh("b")
    _grouped(scope, others, [first.key], {a: _values(first), b: _values(second)})
    for call in calls:
        call.replace(spark(MEASURES[function_name(call)](a, b)))


SEGMENT_MEASURES = {f"TS_SEG_{name.removeprefix('TS_')}": name for name in MEASURES}


def lower_segment_measure(scope: Scope, node: exp.Expr, others: list[exp.Expr]) -> tuple[str, str]:
    """``TS_SEG_DTW``/``TS_SEG_CROSS_CORRELATION`` of ``TS_SEGMENT_BY_TIME(a, w, s)`` and
    ``TS_SEGMENT_BY_TIME(b, w, s)``: the measure per time window holding an observation of either series
    (NULL when one has no value there). The FROM becomes one row per key and window: the window start and
    the measure."""
    check_groupable(scope.select, others, "TS_EXPLODE of segments")
    first, second, window, step = paired_windows(node)
    rows = stacked(scope, [series_column(one, function_name(node)) for one in (first, second)])
    start = time_buckets(scope, Series(rows.tick, rows.value, rows.key), window, step)
    a, b = scope.names.fresh("a"), scope.names.fresh("b")
    arrays = {
        name: _values(Series(rows.tick, f"CASE WHEN {rows.side} = {side} THEN {rows.value} END", rows.key))
        for side, name in enumerate((a, b))
    }
    _grouped(scope, others, [rows.key, start], arrays)
    return start, MEASURES[SEGMENT_MEASURES[function_name(node)]](a, b)
