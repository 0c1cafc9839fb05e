"""Two series side by side: IBM's temporal joins and aligns and the pairwise reducers.

Both series are hidden columns of the rows of one SELECT: two ``TIME_SERIES`` aggregates of one
``GROUP BY`` build them with the same key (``format.py``), and series of equal key are paired. The
rows are read twice, once per series (``UNION ALL`` with a ``side`` column), so each row is one
observation of one side, and every row learns the **other** series' value at its tick:

* the other series' observation at that tick when it has one (at a duplicate tick the last in series
  order, as ``TS_RESAMPLE`` keeps a grid tick's value);
* otherwise the interpolator's value from the other series' neighbours, NULL neighbours included
  (IBM's join example: PREV at tick 7 copies the NaN at 6), as ``TS_RESAMPLE`` fills a grid tick.

The other series' observation at or before a tick is found without a join: in the rows ordered by
tick (the other side first at equal ticks), a running ``last_value`` that skips NULLs carries the
record of the other side's latest observation to the rows after it. Only the sides whose rows a
function keeps get it, so all but the full join and align sort the rows once. Output rows, per
function (IBM's table, "outer" meaning *absent from the other*):

* ``INNER`` — observations of the first series whose tick the second has; ``LEFT``/``RIGHT`` — every
  observation of the first/second; ``LEFT_OUTER``/``RIGHT_OUTER`` — those whose tick the other lacks;
  ``FULL`` — every observation of the first and those of the second at ticks the first lacks.

A join's value is the pair ``[first, second]``; an align gives the two values as two columns.
``TS_VECTORN`` stacks up to ten series the same way and keeps the first's observations at ticks all
the others have. ``TS_CORRELATION``/``TS_MANHATTAN_DISTANCE`` reduce the value pairs at the ticks both
series have (per series pair, or per time window in their ``TS_SEG_`` forms).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.interpolators import Interpolator, Neighbours, interpolator
from cloudsql_cos_ts.dialect.timeseries.segments import time_buckets, time_windows, with_empty_windows
from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, arguments, formatted, function_name, spark
from cloudsql_cos_ts.errors import BadRequest

# which rows a join or align keeps, as a condition on the row's side (0: first series) and presence,
# and the sides those rows come from
_KEEPS = {
    "INNER": ("{side} = 0 AND {present}", "0"),
    "LEFT": ("{side} = 0", "0"),
    "RIGHT": ("{side} = 1", "1"),
    "LEFT_OUTER": ("{side} = 0 AND NOT {present}", "0"),
    "RIGHT_OUTER": ("{side} = 1 AND NOT {present}", "1"),
    "FULL": ("{side} = 0 OR NOT {present}", "01"),
}
JOINS = {f"TS_{how}_JOIN": how for how in _KEEPS}
ALIGNS = {f"TS_{how}_ALIGN": how for how in ("INNER", "LEFT", "RIGHT", "FULL", "LEFT_OUTER")}


@dataclass(frozen=True)
class Paired:
    """Columns of the doubled rows: the pair's key, the row's side, tick and value, and the other series'."""

    key: str
    side: str
    tick: str
    value: str
    other: str  # the other series' value at this tick (its observation there, else interpolated)
    present: str  # whether the other series has an observation at this tick

    def first(self) -> str:
        return f"CASE WHEN {self.side} = 0 THEN {self.value} ELSE {self.other} END"

    def second(self) -> str:
        return f"CASE WHEN {self.side} = 1 THEN {self.value} ELSE {self.other} END"


def series_column(node: exp.Expr, signature: str) -> Series:
    """The series a column argument of a several-series function names, or a 400 showing ``signature``."""
    if not isinstance(node, exp.Column):
        raise BadRequest(f"write {signature} with two series columns built in one SELECT (two TIME_SERIES(...) AS …)")
    return formatted(exp.column(node.name))


@dataclass(frozen=True)
class Stacked:
    """Column names of the rows read once per series: the series key, the side (which series: 0 is the
    first), the row's tick and value."""

    key: str
    side: str
    tick: str
    value: str

    def order(self, other: int) -> str:
        """Rows by tick; at equal ticks side ``other``'s rows first, then by value (series order)."""
        return f"{self.tick} ASC, {self.side} {'DESC' if other == 1 else 'ASC'}, {self.value} ASC NULLS LAST"


def stacked(scope: Scope, series: list[Series]) -> Stacked:
    """Replace the FROM by its rows once per series (those with a tick), ``side`` numbering the series."""
    if scope.select.args.get("joins") or not scope.select.args.get("from_"):
        raise BadRequest("time-series functions need exactly one table in FROM (no JOIN); use a WITH query first")
    rows = Stacked(*(scope.names.fresh(part) for part in ("key", "side", "tick", "value")))
    source = scope.select.args["from_"].this
    halves = []
    for side, one in enumerate(series):
        parts = {rows.key: one.key, rows.side: str(side), rows.tick: one.tick, rows.value: one.value}
        half = exp.select(exp.Star(), *(spark(text).as_(name) for name, text in parts.items()))
        halves.append(half.from_(source.copy()).where(spark(f"{one.tick} IS NOT NULL"), copy=False))
    union: exp.Query = halves[0]
    for half in halves[1:]:
        union = exp.union(union, half, distinct=False)
    scope.select.args["from_"].set("this", union.subquery(source.alias_or_name or "__ts_source"))
    return rows


def pair(
    scope: Scope, first: exp.Expr, second: exp.Expr, method: Interpolator | None, signature: str, *, sides: str
) -> Paired:
    """The rows of two series, each row of a side in ``sides`` ("0", "1" or "01": the rows the caller
    keeps) with the other series' value at its tick (NULL on the other rows).

    The other series' last observation at or before a row's tick is one running ``last_value`` (NULLs
    ignored) of a record of that observation's columns, in the rows ordered with the other side first at
    equal ticks: one sort of the rows per side kept, where numbering groups of rows took several."""
    rows = stacked(scope, [series_column(first, signature), series_column(second, signature)])
    key, side, tick, value = rows.key, rows.side, rows.tick, rows.value
    own = Series(tick, value, f"{key}, {side}")
    around = method.neighbours(scope, own, grid=True) if method else Neighbours((), ())
    columns = list(
        dict.fromkeys(name for point in [(tick, value), *around.previous, *around.following] for name in point)
    )
    fields = {column: f"f{i}" for i, column in enumerate(columns)}
    record = "named_struct({})".format(", ".join(f"'{field}', {column}" for column, field in fields.items()))

    def of_other(pick: str, frame: str) -> str:
        """``pick`` of the other side's records in the frame, for the rows of the sides kept."""
        found = {
            mine: f"{pick}(CASE WHEN {side} = {1 - mine} THEN {record} END, true) OVER (PARTITION BY {key} "
            f"ORDER BY {rows.order(1 - mine)} {frame})"
            for mine in map(int, sides)
        }
        return f"CASE {' '.join(f'WHEN {side} = {mine} THEN {text}' for mine, text in found.items())} END"

    found = scope.add("other", of_other("last_value", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"))
    fetched = {column: f"{found}.{field}" for column, field in fields.items()}
    present = f"({found} IS NOT NULL AND {fetched[tick]} = {tick})"
    at_tick = f"CASE WHEN {present} THEN {fetched[value]} END"
    if method is not None:
        shifted = Neighbours(
            tuple((fetched[t], fetched[v]) for t, v in around.previous),
            tuple((fetched[t], fetched[v]) for t, v in around.following),
        )
        before = method.default
        if method.reads_first:
            everything = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
            before = method.before_first(f"{scope.add('first', of_other('first_value', everything))}.{fields[value]}")
        at_tick = (
            f"CASE WHEN {found} IS NULL THEN {before} WHEN {present} THEN {fetched[value]} "
            f"ELSE {method.value_at(tick, shifted)} END"
        )
    other_value, flag = scope.names.fresh("other_value"), scope.names.fresh("present")
    scope.wrap({other_value: at_tick, flag: present})
    return Paired(key, side, tick, value, other_value, flag)


def lower_vector(scope: Scope, node: exp.Expr) -> tuple[str, list[str], str]:
    """``TS_VECTORN(ts1, …, tsN)``: IBM's N-way inner join — the observations of ``ts1`` at ticks every other
    series has, with the array of the N values (each other series' last observation at the tick)."""
    signature = "TS_VECTORN(ts1, ts2[, …, ts10])"
    found = arguments(node, signature, *range(2, 11))
    rows = stacked(scope, [series_column(one, signature) for one in found])
    at_tick = f"PARTITION BY {rows.key}, {rows.tick}"
    values, present = [rows.value], []
    for other in range(1, len(found)):
        mine = f"CASE WHEN {rows.side} = {other} THEN 1 ELSE 0 END"
        last = (
            f"last_value(CASE WHEN {rows.side} = {other} THEN {rows.value} END) OVER ({at_tick} ORDER BY {mine}, "
            f"{rows.value} ASC NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
        )
        values.append(scope.add("value", last))
        present.append(f"{scope.add('present', f'max({mine}) OVER ({at_tick})')} = 1")
    scope.wrap({}, where=" AND ".join([f"{rows.side} = 0", *present]))
    return rows.tick, [f"array({', '.join(values)})"], rows.key


def lower_pair_series(scope: Scope, node: exp.Expr) -> tuple[str, list[str], str]:
    """A join or align inside ``TS_EXPLODE``: its tick, its value columns (one for a join — the pair
    ``[first, second]`` — two for an align) and its key."""
    name = function_name(node)
    how = JOINS.get(name) or ALIGNS[name]
    optional = name == "TS_INNER_ALIGN"
    signature = f"{name}(first, second{'' if how == 'INNER' else ', interpolator'})"
    if how == "INNER":
        first, second, *rest = arguments(node, signature, 2, 3) if optional else arguments(node, signature, 2)
        method = interpolator(rest[0]) if rest else None
    else:
        first, second, given = arguments(node, signature, 3)
        method = interpolator(given)
    keeps, sides = _KEEPS[how]
    paired = pair(scope, first, second, method, signature, sides=sides)
    scope.wrap({}, where=keeps.format(side=paired.side, present=paired.present))
    if name in JOINS:
        return paired.tick, [f"array({paired.first()}, {paired.second()})"], paired.key
    return paired.tick, [paired.first(), paired.second()], paired.key


# reducers of the pairs of values at the ticks both series have (IBM does not say how values pair:
# by tick, as its joins pair them); NULL when no pair has two values
PAIR_REDUCERS = {
    "TS_CORRELATION": "CASE WHEN max({x}) > min({x}) AND max({y}) > min({y}) THEN CAST(corr({x}, {y}) AS DOUBLE) END",
    "TS_MANHATTAN_DISTANCE": "CAST(sum(abs({x} - {y})) AS DOUBLE)",
}


SEGMENT_PAIR_REDUCERS = {
    f"TS_SEG_{name.removeprefix('TS_')}": name for name in ("TS_CORRELATION", "TS_MANHATTAN_DISTANCE")
}


def _a_pair(paired: Paired) -> str:
    """Whether a row is a value pair: an observation of the first series at a tick the second has, both
    values present."""
    return f"{paired.side} = 0 AND {paired.present} AND {paired.value} IS NOT NULL AND {paired.other} IS NOT NULL"


def paired_windows(node: exp.Expr) -> tuple[exp.Expr, exp.Expr, int, int]:
    """The two series, the window and the step of ``TS_SEG_<X>(TS_SEGMENT_BY_TIME(a, w, s),
    TS_SEGMENT_BY_TIME(b, w, s))``: the segments of two series, paired by their time window."""
    signature = f"{function_name(node)}(TS_SEGMENT_BY_TIME(a, window, step), TS_SEGMENT_BY_TIME(b, window, step))"
    found = [time_windows(one) for one in arguments(node, signature, 2)]
    windows = [one for one in found if one is not None]
    if len(windows) != 2 or windows[0][1:] != windows[1][1:]:
        raise BadRequest(f"write {signature}: two time segmentations with the same window and step")
    (first, window, step), (second, _, _) = windows
    return first, second, window, step


def lower_segment_pairs(scope: Scope, node: exp.Expr) -> tuple[str, str, str]:
    """``TS_SEG_CORRELATION(TS_SEGMENT_BY_TIME(a, w, s), TS_SEGMENT_BY_TIME(b, w, s))`` (and the distance):
    the pairwise reducer per time window, the windows of the two series paired by their tick (IBM does not
    say how segments pair). Every window from the first to the last tick of either series is emitted, as
    ``TS_SEGMENT_BY_TIME`` emits empty windows; one without a value pair measures NULL. The window start,
    the aggregate and the key to group by with the start."""
    first, second, window, step = paired_windows(node)
    paired = pair(scope, first, second, None, f"{function_name(node)}(TS_SEGMENT_BY_TIME(a, …), …)", sides="0")
    x, y = scope.names.fresh("x"), scope.names.fresh("y")
    scope.wrap(
        {
            name: f"CASE WHEN {_a_pair(paired)} THEN {value} END"
            for name, value in ((x, paired.value), (y, paired.other))
        }
    )
    start = time_buckets(scope, Series(paired.tick, paired.value, paired.key), window, step)
    start, (x, y) = with_empty_windows(scope, paired.key, start, step, [x, y], earliest=paired.tick)
    reduced = PAIR_REDUCERS[SEGMENT_PAIR_REDUCERS[function_name(node)]].format(x=x, y=y)
    return start, reduced, paired.key


def lower_pair_reducers(scope: Scope, calls: list[exp.Anonymous]) -> str:
    """Replace each pairwise reducer call by its aggregate over one pairing of its two series; the key
    to group by. All calls of one SELECT must reduce the same two series."""
    shapes = {tuple(node.sql() for node in call.expressions[:2]) for call in calls}
    if len(shapes) != 1:
        raise BadRequest("the pairwise reducers of one SELECT must all reduce the same two series")
    for call in calls:
        arguments(call, f"{function_name(call)}(first, second)", 2)
    first, second = calls[0].expressions
    paired = pair(scope, first, second, None, f"{function_name(calls[0])}(first, second)", sides="0")
    x, y = (f"CASE WHEN {_a_pair(paired)} THEN {value} END" for value in (paired.value, paired.other))
    for call in calls:
        call.replace(spark(PAIR_REDUCERS[function_name(call)].format(x=x, y=y)))
    return paired.key
