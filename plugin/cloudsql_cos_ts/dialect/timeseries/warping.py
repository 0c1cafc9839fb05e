"""``TS_DTW(a, b)``: IBM's dynamic-time-warping distance of two series, per key.

IBM documents only "dynamic time warping distance"; the sibling library's local cost ``|a - b|`` and
no band are used (``docs/time-series-functions.md``). The distance compares the value sequences as a
whole (in series order, NULL values left out), not values paired by tick. SQL has no loop, so the
FROM is grouped per key into the two value arrays and the classic dynamic program runs as nested
``aggregate`` (one row of the cost matrix per value of ``a``) — higher-order array functions both
engines have. The work is ``len(a) · len(b)`` cells: above ``MAX_CELLS`` the distance is NULL
rather than a query that runs for minutes.
"""

from __future__ import annotations

from sqlglot import exp

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


def lower_warping(scope: Scope) -> None:
    """Replace the SELECT's ``TS_DTW(a, b)`` items by the distance of each key's two series."""
    calls = [
        node
        for item in scope.select.expressions
        for node in item.find_all(exp.Anonymous)
        if function_name(node) == "TS_DTW" and node.find_ancestor(exp.Select) is scope.select
    ]
    if not calls:
        return
    others = [
        item for item in scope.select.expressions if not any(node in calls for node in item.find_all(exp.Anonymous))
    ]
    check_groupable(scope.select, others, "TS_DTW")
    pairs = {tuple(sql(node) for node in arguments(call, "TS_DTW(a, b)", 2)) for call in calls}
    if len(pairs) > 1 or any(not isinstance(node, exp.Column) for node in calls[0].expressions):
        raise BadRequest("write TS_DTW(a, b) with two series columns built in one SELECT, the same pair in each use")
    first, second = (formatted(exp.column(node.name)) for node in calls[0].expressions)
    kept = used_columns(scope.select, others)
    names = {part: scope.names.fresh(part) for part in ("key", "a", "b")}
    source = scope.select.args["from_"].this
    grouped = exp.select(
        *(spark(sql(column)).as_(column.name) for column in kept),
        spark(first.key).as_(names["key"]),
        spark(_values(first)).as_(names["a"]),
        spark(_values(second)).as_(names["b"]),
    ).from_(source.copy())
    grouped = grouped.group_by(*(spark(sql(column)) for column in kept), spark(first.key), copy=False)
    scope.select.args["from_"].set("this", grouped.subquery(source.alias_or_name or "__ts_source"))
    for call in calls:
        call.replace(spark(_distance(names["a"], names["b"])))
