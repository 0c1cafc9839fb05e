"""IBM's string matching: ``TS_MATCH(ts, matcher, ARRAY(pattern…))`` and its eight ``TS_MATCHER_*``.

IBM defines the matchers by the pattern P, the series' values S, the match sublist M (from the first
to the last matched value) and the ratios PS = |P|/|S|, PM = |P|/|M|, MS = |M|/|S|, thresholds
inclusive; a series that does not match gives NULL (here: no observations). IBM never says which
occurrence counts when P occurs several times, which decides M. The choice here is **the first
occurrence in series order**:

* ``TS_MATCHER_SEQ()`` — S equals P; the whole series;
* ``TS_MATCHER_SUBLIST(t)`` — the first contiguous run equal to P, when PS >= t; its observations;
* ``TS_MATCHER_SUBSEQ_PS|PM|MS(t)`` — P as a subsequence, embedded greedily: each pattern value takes
  the earliest series value after the previous one's;
* ``TS_MATCHER_SUBSET_PS|PM|MS(t)`` — P's values in any order (a value repeated in P needs as many
  occurrences): walking the series, a value is taken while P still needs it, until P is complete.

The ``_PS``/``_PM`` forms keep the taken observations, ``_MS`` all of M. S is the series' values in
series order with NULL values left out (NULL never equals a pattern value). The values of a key are
gathered into one array (a window over the key), so the work is quadratic in the series' length.
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, arguments, function_name, sql
from cloudsql_cos_ts.errors import BadRequest

_SIGNATURE = "TS_MATCH(ts, matcher, ARRAY(value, …))"
_RATIOS = {"PS": "{m} / {n}", "PM": "{m} / {span}", "MS": "{span} / {n}"}
MATCHERS = frozenset(
    {
        "TS_MATCHER_SEQ",
        "TS_MATCHER_SUBLIST",
        *(f"TS_MATCHER_{kind}_{ratio}" for kind in ("SUBSEQ", "SUBSET") for ratio in _RATIOS),
    }
)
_EMPTY = "CAST(array() AS ARRAY<INT>)"


def _greedy(values: str, pattern: str, wanted: str) -> str:
    """The positions taken walking ``values`` while fewer than ``size(pattern)`` are taken and ``wanted``
    (of the position ``i`` and the positions ``taken``) holds."""
    step = (
        f"CASE WHEN size(taken) < size({pattern}) AND {wanted} THEN concat(taken, array(CAST(i AS INT))) ELSE taken END"
    )
    return f"aggregate(sequence(1, size({values})), {_EMPTY}, (taken, i) -> {step})"


def _subsequence(values: str, pattern: str) -> str:
    return _greedy(values, pattern, f"element_at({values}, i) = element_at({pattern}, size(taken) + 1)")


def _subset(values: str, pattern: str) -> str:
    value = f"element_at({values}, i)"
    needed = f"size(filter({pattern}, x -> x = {value}))"
    held = f"size(filter(taken, j -> element_at({values}, j) = {value}))"
    return _greedy(values, pattern, f"{needed} > {held}")


def _sublist(values: str, pattern: str) -> str:
    """The positions of the first run of ``values`` equal to ``pattern`` (an empty array when none)."""
    run = f"transform(sequence(0, size({pattern}) - 1), j -> element_at({values}, i + j))"
    start = f"element_at(filter(sequence(1, size({values}) - size({pattern}) + 1), i -> {run} = {pattern}), 1)"
    return (
        f"CASE WHEN size({values}) < size({pattern}) OR {start} IS NULL THEN {_EMPTY} "
        f"ELSE transform(sequence(0, size({pattern}) - 1), j -> CAST({start} + j AS INT)) END"
    )


def _threshold(node: exp.Expr, name: str) -> str:
    number = node.this if isinstance(node, exp.Neg) else node
    if not (isinstance(number, exp.Literal) and not number.is_string):
        raise BadRequest(f"{name}'s threshold must be a number (a ratio from 0 to 1)")
    return f"CAST({sql(node)} AS DOUBLE)"


def lower_match(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    """The observations ``TS_MATCH`` returns: a filter of the series' rows (none when it does not match)."""
    matcher, pattern = args
    name = function_name(matcher)
    if name not in MATCHERS:
        raise BadRequest(f"write {_SIGNATURE} with a TS_MATCHER_* matcher, not {sql(matcher)}")
    if not isinstance(pattern, exp.Array) or not pattern.expressions:
        raise BadRequest(f"write {_SIGNATURE}: the pattern is a non-empty ARRAY of values")
    if name == "TS_MATCHER_SEQ":
        arguments(matcher, "TS_MATCHER_SEQ()", 0)
    else:
        (threshold,) = arguments(matcher, f"{name}(threshold)", 1)
        minimum = _threshold(threshold, name)
    scope.wrap({}, where=f"{series.value} IS NOT NULL")
    position, values = scope.names.fresh("pos"), scope.names.fresh("values")
    points = f"collect_list(named_struct('t', {series.tick}, 'v', {series.value})) OVER (PARTITION BY {series.key})"
    scope.wrap({position: f"row_number() {series.window()}", values: f"transform(array_sort({points}), p -> p.v)"})
    p = sql(pattern)
    if name == "TS_MATCHER_SEQ":
        scope.wrap({}, where=f"{values} = {p}")
        return series
    kind, _, ratio = name.removeprefix("TS_MATCHER_").partition("_")
    finder = {"SUBLIST": _sublist, "SUBSEQ": _subsequence, "SUBSET": _subset}[kind]
    taken = scope.names.fresh("taken")
    # computed once per key (on its first row), then handed to the key's other rows
    first_row = f"CASE WHEN {position} = 1 THEN {finder(values, p)} END"
    scope.wrap({taken: f"first_value({first_row}) OVER (PARTITION BY {series.key} ORDER BY {position})"})
    m, n = f"CAST(size({p}) AS DOUBLE)", f"CAST(size({values}) AS DOUBLE)"
    span = f"CAST(element_at({taken}, size({taken})) - element_at({taken}, 1) + 1 AS DOUBLE)"
    measured = _RATIOS[ratio or "PS"].format(m=m, n=n, span=span)
    kept = (
        f"{position} BETWEEN element_at({taken}, 1) AND element_at({taken}, size({taken}))"
        if ratio == "MS"
        else f"array_contains({taken}, CAST({position} AS INT))"
    )
    scope.wrap({}, where=f"size({taken}) = size({p}) AND {measured} >= {minimum} AND {kept}")
    return series
