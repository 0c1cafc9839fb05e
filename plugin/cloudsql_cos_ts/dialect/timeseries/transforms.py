"""IBM's series-to-series functions as wraps of the FROM (``sql.py``): each returns the new series' columns.

Semantics, with the choices made where IBM leaves them open (``docs/time-series-functions.md``):

* ``TS_SLICE(ts, start, end)`` — observations with ``start <= tick <= end`` (both inclusive);
* ``TS_DROPNA(ts)`` / ``TS_FILLNA(ts, interpolator)`` — drop / fill the observations whose value is NULL;
* ``TS_FILTER(ts, condition)`` / ``TS_MAP(ts, expression)`` — keep / recompute with a ``TS_EXP_*`` expression;
* ``TS_ZSCORE(ts, mean, sd)`` — ``(value - mean) / sd`` with the given numbers (NULL when sd is 0);
* ``TS_DIFF(ts)`` — value minus the previous observation's value, at the later tick (n - 1 observations);
* ``TS_PEAK(ts)`` / ``TS_TROUGH(ts)`` — observations strictly above (below) both neighbours; the first
  and last observation and plateaus are never peaks (troughs);
* ``TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)`` — drops an observation whose value equals the previous one's
  (NULL equals NULL); the first of each run is kept;
* ``TS_COMBINE_DUPLICATE_TIMETICKS(ts, combiner)`` — one observation per tick, the combined value;
  FIRST/LAST are the smallest/largest value of the tick (the order the lowering gives equal ticks);
* ``TS_RESAMPLE(ts, period, interpolator)`` — the grid ``floor(first/period)·period, …`` up to the last
  tick; a grid tick holding an observation keeps its value, the others are interpolated;
* ``TS_INDEX(ts, i)`` — element ``i`` (from 0) of each array value, NULL past the end;
* ``TS_MATCH(ts, matcher, pattern)`` — ``matching.py``;
* ``TS_AWGN(ts, mean, sd)`` / ``TS_MWGN(ts, sd)`` — white Gaussian noise, one independent draw per
  observation (Box-Muller over the engine's uniform ``rand()``, so no seed and no repeatable result):
  additive ``v + N(mean, sd)``; multiplicative (the sibling library's reading of IBM's "MWGN")
  ``v · (1 + N(0, sd))``. Ticks are unchanged and a NULL value stays NULL.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.expressions import expression_sql
from cloudsql_cos_ts.dialect.timeseries.interpolators import interpolator
from cloudsql_cos_ts.dialect.timeseries.matching import lower_match
from cloudsql_cos_ts.dialect.timeseries.refused import CANNOT_REPRODUCE, refusal
from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, arguments, formatted, function_name, sql, whole_number
from cloudsql_cos_ts.errors import BadRequest

# Spark SQL has no product aggregate: a product is its sign times exp(sum(ln|v|)), 0 when a value is 0.
_PRODUCT = (
    "CASE WHEN count({v}) {w} = 0 THEN NULL WHEN sum(CASE WHEN {v} = 0 THEN 1 ELSE 0 END) {w} > 0 THEN 0.0 "
    "ELSE (CASE WHEN sum(CASE WHEN {v} < 0 THEN 1 ELSE 0 END) {w} % 2 = 1 THEN -1 ELSE 1 END) "
    "* exp(sum(ln(CASE WHEN {v} <> 0 THEN abs({v}) END)) {w}) END"
)
_COMBINERS = {
    "TS_COMBINER_ADD": "sum({v}) {w}",
    "TS_COMBINER_MUL": _PRODUCT,
    "TS_COMBINER_MIN": "min({v}) {w}",
    "TS_COMBINER_MAX": "max({v}) {w}",
    "TS_COMBINER_AVG": "avg({v}) {w}",
    "TS_COMBINER_AVERAGE": "avg({v}) {w}",
    "TS_COMBINER_FIRST": "first_value({v}) {w}",
    "TS_COMBINER_LAST": "last_value({v}) {w}",
}
_WHOLE_GROUP = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"

Transform = Callable[[Scope, Series, list[exp.Expr]], Series]


def _filtered(scope: Scope, series: Series, condition: str) -> Series:
    scope.wrap({}, where=condition)
    return series


def _slice(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    start, end = args
    return _filtered(scope, series, f"{series.tick} BETWEEN {sql(start)} AND {sql(end)}")


def _dropna(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    return _filtered(scope, series, f"{series.value} IS NOT NULL")


def _filter(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    return _filtered(scope, series, f"coalesce({expression_sql(args[0], series.value)}, false)")


def _map(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    return series.with_value(scope.add("value", expression_sql(args[0], series.value)))


def _zscore(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    mean, deviation = (sql(arg) for arg in args)
    return series.with_value(scope.add("value", f"({series.value} - ({mean})) / nullif({deviation}, 0)"))


def _index(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    position = whole_number(args[0], "TS_INDEX's index", minimum=0)
    return series.with_value(scope.add("value", f"{series.value}[{position}]"))


def _gaussian() -> str:
    """A standard normal draw per row (Box-Muller; ``1 - rand()`` is in (0, 1], so the logarithm is finite)."""
    return "sqrt(-2 * ln(1 - rand())) * cos(2 * pi() * rand())"


def _awgn(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    mean, deviation = (sql(arg) for arg in args)
    noisy = f"{series.value} + ({mean}) + ({deviation}) * {_gaussian()}"
    return series.with_value(scope.add("value", noisy))


def _mwgn(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    noisy = f"{series.value} * (1 + ({sql(args[0])}) * {_gaussian()})"
    return series.with_value(scope.add("value", noisy))


def _with_previous(scope: Scope, series: Series, *, following: bool = False) -> tuple[str, str, str]:
    """Columns: the row's position in its series, the previous value (and the next one if asked)."""
    position, previous, after = (scope.names.fresh(part) for part in ("pos", "prev", "next"))
    columns = {position: f"row_number() {series.window()}", previous: f"lag({series.value}) {series.window()}"}
    if following:
        columns[after] = f"lead({series.value}) {series.window()}"
    scope.wrap(columns)
    return position, previous, after


def _diff(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    position, previous, _ = _with_previous(scope, series)
    difference = scope.names.fresh("value")
    scope.wrap({difference: f"{series.value} - {previous}"}, where=f"{position} > 1")
    return series.with_value(difference)


def _extremes(comparison: str) -> Transform:
    def extremes(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
        _, previous, after = _with_previous(scope, series, following=True)
        v = series.value
        return _filtered(scope, series, f"{v} {comparison} {previous} AND {v} {comparison} {after}")

    return extremes


def _remove_consecutive_duplicates(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    position, previous, _ = _with_previous(scope, series)
    return _filtered(scope, series, f"{position} = 1 OR NOT ({series.value} <=> {previous})")


def _combined(combiner: exp.Expr, series: Series) -> str:
    """The combined value of the row's group of equal ticks, for a ``TS_COMBINER_*`` call."""
    name = function_name(combiner)
    group = series.window(_WHOLE_GROUP, by_tick=True)
    if name == "TS_COMBINER_CONCATENATE":
        (delimiter,) = arguments(combiner, "TS_COMBINER_CONCATENATE(delimiter)", 1)
        joined = f"array_join(collect_list({series.value}) {group}, {sql(delimiter)})"
        return f"CASE WHEN count({series.value}) {group} > 0 THEN {joined} END"  # only NULLs: NULL on both engines
    if name not in _COMBINERS:
        raise BadRequest(
            "expected a combiner (TS_COMBINER_ADD(), _MUL, _MIN, _MAX, _AVG, _FIRST, _LAST or "
            f"TS_COMBINER_CONCATENATE(delimiter)), not {sql(combiner)}"
        )
    arguments(combiner, f"{name}()", 0)
    return _COMBINERS[name].format(v=series.value, w=group)


def _combine(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    first, value = scope.names.fresh("first"), scope.names.fresh("value")
    scope.wrap({first: f"row_number() {series.window(by_tick=True)}", value: _combined(args[0], series)})
    return _filtered(scope, series.with_value(value), f"{first} = 1")


def _fillna(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    method = interpolator(args[0])
    around = method.neighbours(scope, series, grid=False)
    filled = f"CASE WHEN {series.value} IS NULL THEN {method.value_at(series.tick, around)} ELSE {series.value} END"
    return series.with_value(scope.add("value", filled))


def _resample(scope: Scope, series: Series, args: list[exp.Expr]) -> Series:
    period = whole_number(args[0], "TS_RESAMPLE's period (ticks)")
    method = interpolator(args[1])
    around = method.neighbours(scope, series, grid=True)
    position, start, end, grid = (scope.names.fresh(part) for part in ("pos", "grid_start", "grid_end", "tick"))
    tick = series.tick
    scope.wrap(
        {
            position: f"row_number() {series.window()}",
            end: f"coalesce(lead({tick}) {series.window()} - 1, {tick})",
        }
    )
    first_grid, later_grid = (
        f"CAST({rounding}({tick} / {period}) * {period} AS BIGINT)" for rounding in ("floor", "ceil")
    )
    scope.wrap({start: f"CASE WHEN {position} = 1 THEN {first_grid} ELSE {later_grid} END"})
    scope.wrap({grid: f"explode(sequence({start}, greatest({start}, {end}), CAST({period} AS BIGINT)))"})
    value = scope.names.fresh("value")
    resampled = (
        f"CASE WHEN {grid} = {tick} THEN {series.value} WHEN {grid} < {tick} "
        f"THEN {method.before_first(series.value)} ELSE {method.value_at(grid, around)} END"
    )
    scope.wrap({value: resampled}, where=f"{grid} <= {end}")
    return Series(grid, value, series.key)


# name -> (signature shown in a 400, number of arguments after the series, lowering)
TRANSFORMS: dict[str, tuple[str, int, Transform]] = {
    "TS_SLICE": ("TS_SLICE(ts, start_tick, end_tick)", 2, _slice),
    "TS_DROPNA": ("TS_DROPNA(ts)", 0, _dropna),
    "TS_FILLNA": ("TS_FILLNA(ts, interpolator)", 1, _fillna),
    "TS_FILTER": ("TS_FILTER(ts, condition)", 1, _filter),
    "TS_MAP": ("TS_MAP(ts, expression)", 1, _map),
    "TS_ZSCORE": ("TS_ZSCORE(ts, mean, sd)", 2, _zscore),
    "TS_DIFF": ("TS_DIFF(ts)", 0, _diff),
    "TS_PEAK": ("TS_PEAK(ts)", 0, _extremes(">")),
    "TS_TROUGH": ("TS_TROUGH(ts)", 0, _extremes("<")),
    "TS_REMOVE_CONSECUTIVE_DUPLICATES": ("TS_REMOVE_CONSECUTIVE_DUPLICATES(ts)", 0, _remove_consecutive_duplicates),
    "TS_COMBINE_DUPLICATE_TIMETICKS": ("TS_COMBINE_DUPLICATE_TIMETICKS(ts, combiner)", 1, _combine),
    "TS_RESAMPLE": ("TS_RESAMPLE(ts, period, interpolator)", 2, _resample),
    "TS_INDEX": ("TS_INDEX(ts, index)", 1, _index),
    "TS_AWGN": ("TS_AWGN(ts, mean, sd)", 2, _awgn),
    "TS_MWGN": ("TS_MWGN(ts, sd)", 1, _mwgn),
    "TS_MATCH": ("TS_MATCH(ts, matcher, ARRAY(value, …))", 2, lower_match),
}
# transforms that only add columns: one row per observation of their series, as it came in
ROW_KEEPING = frozenset({"TS_MAP", "TS_ZSCORE", "TS_FILLNA", "TS_INDEX", "TS_TAKE_INDEX", "TS_AWGN", "TS_MWGN"})
ALIASES = {
    "TS_INTERPOLATE": "TS_RESAMPLE",
    "TS_TAKE_INDEX": "TS_INDEX",
    "TS_COMBINE_DUPLICATE_TIMESTAMPS": "TS_COMBINE_DUPLICATE_TIMETICKS",
}


def series_of(scope: Scope, node: exp.Expr, *, null_ticks: bool = False) -> Series:
    """The columns of the series ``node`` denotes: a series column, or a transform of one (nested).

    Rows with a NULL tick (no observation) are dropped first, unless ``null_ticks``: a caller that
    drops them itself after grouping (time windows) saves DuckDB a second parse of the time text."""
    if isinstance(node, exp.Column):
        columns = formatted(node)
        return columns if null_ticks else _filtered(scope, columns, f"{columns.tick} IS NOT NULL")
    name = ALIASES.get(function_name(node), function_name(node))
    if name in CANNOT_REPRODUCE:
        raise BadRequest(refusal(name))
    if name not in TRANSFORMS:
        raise BadRequest(
            f"{sql(node)} is not a series: write the series column named in TIME_SERIES_FORMAT ... IN, "
            f"or a function of it ({', '.join(sorted(TRANSFORMS))})"
        )
    signature, extra, lower = TRANSFORMS[name]
    series, *rest = arguments(node, signature, extra + 1)
    return lower(scope, series_of(scope, series), rest)
