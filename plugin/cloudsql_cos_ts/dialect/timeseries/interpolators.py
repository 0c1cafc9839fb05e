"""IBM's interpolators (``TS_INTERPOLATOR_*``) as SQL over a series' neighbouring observations.

An interpolator gives a value at a target tick from the observations around it; its first argument
``x`` is the value when the neighbours it needs do not exist. Two uses, as IBM documents them:

* **fill** (``TS_FILLNA``): the target is an observation whose value is NULL. PREV and NEXT take the
  nearest neighbour *with* a value (IBM's sibling library skips NULL neighbours there); NEAREST and
  LINEAR use the adjacent observations as they are, so a NULL neighbour gives NULL (NEAREST, as IBM
  documents) or ``x`` (LINEAR);
* **grid** (``TS_RESAMPLE``): the target is a tick between observations; neighbours are used even
  when their values are NULL (IBM's resample and join examples).

NEAREST breaks a tie towards the previous neighbour. ``LINEAR(x, p, n)`` fits a least-squares line
through the ``p`` previous and ``n`` next observations (ticks taken relative to the target, so large
epoch ticks lose no precision) and is ``x`` when one of them is missing or NULL, or when all of them
share one tick. ``SPLINE`` is refused: IBM never says which spline.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, arguments, function_name, sql, whole_number
from cloudsql_cos_ts.errors import BadRequest

_MAX_NEIGHBOURS = 16
_SIGNATURES = {
    "TS_INTERPOLATOR_FILL": "TS_INTERPOLATOR_FILL(value)",
    "TS_INTERPOLATOR_PREV": "TS_INTERPOLATOR_PREV(default)",
    "TS_INTERPOLATOR_NEXT": "TS_INTERPOLATOR_NEXT(default)",
    "TS_INTERPOLATOR_NEAREST": "TS_INTERPOLATOR_NEAREST(default)",
    "TS_INTERPOLATOR_LINEAR": "TS_INTERPOLATOR_LINEAR(default, previous_count, next_count)",
}


@dataclass(frozen=True)
class Neighbours:
    """Columns of the previous and next observations of each row: (tick, value) pairs, nearest first."""

    previous: tuple[tuple[str, str], ...]
    following: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Interpolator:
    kind: str  # FILL, PREV, NEXT, NEAREST, LINEAR
    default: str
    previous: int
    following: int

    def neighbours(self, scope: Scope, series: Series, *, grid: bool) -> Neighbours:
        """Add the neighbour columns this interpolator reads, in one wrap of the FROM.

        In grid mode the row itself is the first previous neighbour (the target lies after it): its own
        columns, not copies."""
        skip_nulls = not grid and self.kind in ("PREV", "NEXT")
        columns: dict[str, str] = {}
        previous: list[tuple[str, str]] = []
        following: list[tuple[str, str]] = []
        for count, direction, found in ((self.previous, "lag", previous), (self.following, "lead", following)):
            for distance in range(1, count + 1):
                offset = distance - 1 if grid and direction == "lag" else distance
                if offset == 0:
                    found.append((series.tick, series.value))
                    continue
                tick, value = scope.names.fresh(f"{direction}_tick"), scope.names.fresh(f"{direction}_value")
                columns[tick], columns[value] = _neighbour(series, direction, offset, skip_nulls)
                found.append((tick, value))
        if columns:
            scope.wrap(columns)
        return Neighbours(tuple(previous), tuple(following))

    def value_at(self, target: str, around: Neighbours) -> str:
        """The interpolated value at tick ``target`` from the neighbour columns."""
        x = self.default
        if self.kind == "FILL":
            return x
        if self.kind in ("PREV", "NEXT"):
            tick, value = (around.previous if self.kind == "PREV" else around.following)[0]
            return f"CASE WHEN {tick} IS NULL THEN {x} ELSE {value} END"
        if self.kind == "NEAREST":
            (p_tick, p_value), (n_tick, n_value) = around.previous[0], around.following[0]
            return (
                f"CASE WHEN {p_tick} IS NULL AND {n_tick} IS NULL THEN {x} "
                f"WHEN {n_tick} IS NULL OR ({p_tick} IS NOT NULL AND {target} - {p_tick} <= {n_tick} - {target}) "
                f"THEN {p_value} ELSE {n_value} END"
            )
        return _least_squares([*around.previous, *around.following], target, x)

    @property
    def reads_first(self) -> bool:
        """Whether a grid tick before the series' first observation takes that observation's value."""
        return self.kind in ("NEXT", "NEAREST")

    def before_first(self, value: str) -> str:
        """The value at a grid tick before the series' first observation (whose value is ``value``)."""
        return value if self.reads_first else self.default


def _neighbour(series: Series, direction: str, offset: int, skip_nulls: bool) -> tuple[str, str]:
    if skip_nulls:
        frame = (
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
            if direction == "lag"
            else "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING"
        )
        pick = "last_value" if direction == "lag" else "first_value"
        valued_tick = f"CASE WHEN {series.value} IS NOT NULL THEN {series.tick} END"
        return (
            f"{pick}({valued_tick}, true) {series.window(frame)}",
            f"{pick}({series.value}, true) {series.window(frame)}",
        )
    return (
        f"{direction}({series.tick}, {offset}) {series.window()}",
        f"{direction}({series.value}, {offset}) {series.window()}",
    )


def _least_squares(points: list[tuple[str, str]], target: str, default: str) -> str:
    n = len(points)
    xs = [f"CAST({tick} - {target} AS DOUBLE)" for tick, _ in points]
    ys = [value for _, value in points]
    sx, sy = " + ".join(xs), " + ".join(ys)
    sxx = " + ".join(f"{x} * {x}" for x in xs)
    sxy = " + ".join(f"{x} * {y}" for x, y in zip(xs, ys, strict=True))
    denominator = f"({n} * ({sxx}) - power({sx}, 2))"
    slope = f"({n} * ({sxy}) - ({sx}) * ({sy})) / {denominator}"
    missing = " OR ".join(f"{tick} IS NULL OR {value} IS NULL" for tick, value in points)
    return f"CASE WHEN {missing} OR {denominator} = 0 THEN {default} ELSE (({sy}) - {slope} * ({sx})) / {n} END"


def interpolator(node: exp.Expr) -> Interpolator:
    """The interpolator a ``TS_INTERPOLATOR_*`` call describes, or a 400."""
    name = function_name(node)
    if name == "TS_INTERPOLATOR_SPLINE":
        raise BadRequest("TS_INTERPOLATOR_SPLINE is not supported: IBM never documented which spline it fits")
    if name not in _SIGNATURES:
        raise BadRequest(f"expected an interpolator ({', '.join(_SIGNATURES.values())}), not {sql(node)}")
    kind = name.removeprefix("TS_INTERPOLATOR_")
    if kind != "LINEAR":
        (default,) = arguments(node, _SIGNATURES[name], 1)
        counts = {"FILL": (0, 0), "PREV": (1, 0), "NEXT": (0, 1), "NEAREST": (1, 1)}[kind]
        return Interpolator(kind, sql(default), *counts)
    default, before, after = arguments(node, _SIGNATURES[name], 3)
    what = "TS_INTERPOLATOR_LINEAR's {} count"
    previous = whole_number(before, what.format("previous"))
    following = whole_number(after, what.format("next"))
    if previous > _MAX_NEIGHBOURS or following > _MAX_NEIGHBOURS:
        raise BadRequest(f"TS_INTERPOLATOR_LINEAR uses at most {_MAX_NEIGHBOURS} neighbours on each side")
    return Interpolator(kind, sql(default), previous, following)
