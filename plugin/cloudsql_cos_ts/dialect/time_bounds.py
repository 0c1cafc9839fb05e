"""The time a query's own predicates allow for each relation it reads: what pruning may rely on.

Pruning skips flow-log objects that cannot hold a matching record; it must never change an answer.
So a bound is taken only from a predicate that removes every row outside it: a top-level ``AND``
term of the ``WHERE`` of the very ``SELECT`` that reads the relation (not under ``OR``/``NOT``, not
in an outer query, not in an ``ON`` clause), comparing a time column with a constant:

* ``start_time``, ``end_time``, ``capture_start_time``, ``capture_end_time`` — both sides
  (``>``, ``>=``, ``<``, ``<=``, ``=``, ``BETWEEN``), also through ``to_timestamp``/``CAST``
  (``CAST(x AS date) = DATE "…"`` allows the whole day), which is what the time macros write;
* ``connection_start_time`` — only the early side: a connection that started long before the
  range is still reported in the range's objects;
* ``year``/``month``/``day``/``hour`` ``=`` a number (or ``day(DATE "…")`` as IBM's examples
  write it): the partition's folder, when the coarser parts are fixed too.

A bare string constant compared with a text column (``start_time > '2020-07-24'``) compares text
unless the engine casts it, and ``''`` sorts first: only its early side is used, widened to the
day. Strict and inclusive comparisons give the same bound (a bound may be wider, never narrower).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlglot import exp

from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS

TWO_SIDED = frozenset({"start_time", "end_time", "capture_start_time", "capture_end_time"})
EARLY_SIDE_ONLY = frozenset({"connection_start_time"})
TYPED = frozenset({"capture_start_time", "capture_end_time"})  # TIMESTAMP columns; the others are text
PARTS = ("year", "month", "day", "hour")
_ONE_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimeBounds:
    """Epoch-millisecond bounds on a relation's record times; None on a side its predicates leave open."""

    from_ms: int | None = None
    to_ms: int | None = None

    def narrowed(self, other: TimeBounds) -> TimeBounds:
        """Both sets of predicates hold: the later start and the earlier end."""
        return TimeBounds(_pick(max, self.from_ms, other.from_ms), _pick(min, self.to_ms, other.to_ms))

    def widened(self, other: TimeBounds) -> TimeBounds:
        """Either reference's rows are needed: an open side stays open."""
        lo = None if self.from_ms is None or other.from_ms is None else min(self.from_ms, other.from_ms)
        hi = None if self.to_ms is None or other.to_ms is None else max(self.to_ms, other.to_ms)
        return TimeBounds(lo, hi)


def _pick(choose: Callable[[int, int], int], a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else choose(a, b)


RelationBounds = dict[str, TimeBounds | None]  # upper-case relation -> bounds; None: some read is unbounded


def relation_bounds(tree: exp.Expr, cte_names: frozenset[str]) -> RelationBounds:
    """For every relation ``tree`` reads (CTEs excluded), the hull of the bounds of its reads."""
    found: RelationBounds = {}
    for table in tree.find_all(exp.Table):
        name = table.name.upper()
        if not isinstance(table.this, exp.Identifier) or name in cte_names:
            continue
        bounds = _bounds_of_read(table)
        if name not in found:
            found[name] = bounds
        else:
            earlier = found[name]
            found[name] = None if earlier is None or bounds is None else earlier.widened(bounds)
    return found


def _bounds_of_read(table: exp.Table) -> TimeBounds | None:
    """The bounds the ``WHERE`` of the ``SELECT`` reading ``table`` puts on its rows (None: none)."""
    holder = table.parent
    select = holder.parent if isinstance(holder, exp.From | exp.Join) else None
    if not isinstance(select, exp.Select):
        return None
    where = select.args.get("where")
    if where is None:
        return None
    read = _Read({table.alias_or_name.lower(), table.name.lower()}, single=not select.args.get("joins"))
    result: TimeBounds | None = None
    for term in _conjuncts(where.this):
        bound = _term_bounds(term, read)
        if bound is not None:
            result = bound if result is None else result.narrowed(bound)
    partition = _partition_bounds(read.parts)
    if partition is not None:
        result = partition if result is None else result.narrowed(partition)
    return result


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


@dataclass
class _Read:
    """One read of a relation: the names its columns go by, and the partition values its terms fix."""

    names: set[str]
    single: bool  # the only table of its SELECT: unqualified columns are its own
    parts: dict[str, int] = field(default_factory=dict)

    def column(self, node: exp.Expr) -> str | None:
        """The lower-case name of a column of the read table, or None."""
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            return None
        qualifier = node.table.lower()
        if (qualifier and qualifier not in self.names) or (not qualifier and not self.single):
            return None
        return node.name.lower()


@dataclass(frozen=True)
class _TimeSide:
    column: str
    as_date: bool  # compared as a DATE: a day's worth of times matches one value
    typed: bool  # compared as a time (cast, or a TIMESTAMP column), not as text


def _unwrapped(node: exp.Expr) -> tuple[exp.Expr, bool, bool]:
    """``node`` without its casts and parentheses, whether one made it a DATE, and whether any cast it."""
    as_date = typed = False
    while isinstance(node, exp.Cast | exp.TsOrDsToDate | exp.Paren):
        if isinstance(node, exp.TsOrDsToDate) or (isinstance(node, exp.Cast) and node.to.is_type("date")):
            as_date = True
        if not isinstance(node, exp.Paren):
            typed = True
        node = node.this
    return node, as_date, typed


def _time_side(node: exp.Expr, read: _Read) -> _TimeSide | None:
    node, as_date, typed = _unwrapped(node)
    column = read.column(node)
    if column is None or column not in TWO_SIDED | EARLY_SIDE_ONLY:
        return None
    return _TimeSide(column, as_date, typed or column in TYPED)


@dataclass(frozen=True)
class _Constant:
    epoch_ms: int
    is_date: bool  # a day, not an instant
    typed: bool  # a time or date value, not bare text


def _parse_moment(text: str) -> tuple[int, bool] | None:
    """``text`` as epoch ms, and whether it names a whole day; None when it is no time."""
    cleaned = text.strip().replace(" ", "T", 1).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    epoch_ms = (moment - _EPOCH) // timedelta(milliseconds=1)
    return epoch_ms, "T" not in cleaned


def _constant(node: exp.Expr) -> _Constant | None:
    node, is_date, typed = _unwrapped(node)
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    parsed = _parse_moment(node.this)
    if parsed is None:
        return None
    return _Constant(parsed[0], is_date or parsed[1], typed)


_FLIPPED: dict[type[exp.Expr], type[exp.Expr]] = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def _term_bounds(term: exp.Expr, read: _Read) -> TimeBounds | None:
    """The bounds one ``AND`` term puts on the read's times (the tree is only read, never re-parented)."""
    if isinstance(term, exp.Between):
        low = _comparison_bounds(exp.GTE, term.this, term.args["low"], read)
        high = _comparison_bounds(exp.LTE, term.this, term.args["high"], read)
        return low.narrowed(high) if low and high else low or high
    if not isinstance(term, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        return None
    return _comparison_bounds(type(term), term.this, term.expression, read)


def _comparison_bounds(kind: type[exp.Expr], left: exp.Expr, right: exp.Expr, read: _Read) -> TimeBounds | None:
    side = _time_side(left, read)
    if side is None:
        side, left, right = _time_side(right, read), right, left
        kind = _FLIPPED.get(kind, kind)
    if side is None:
        if not _note_partition(left, right, read):
            _note_partition(right, left, read)
        return None
    value = _constant(right)
    return None if value is None else _compare(side, kind, value)


def _compare(side: _TimeSide, kind: type[exp.Expr], value: _Constant) -> TimeBounds | None:
    """The bounds ``<side> <kind> <value>`` puts on the column's times."""
    whole_day = side.as_date or (value.is_date and not value.typed)
    start = value.epoch_ms
    end = start + _ONE_DAY_MS - 1 if whole_day else start
    lower = start if kind in (exp.EQ, exp.GT, exp.GTE) else None
    upper = end if kind in (exp.EQ, exp.LT, exp.LTE) else None
    if not (side.typed or value.typed):  # text against text: the early side, from the day on
        lower, upper = None if lower is None else lower // _ONE_DAY_MS * _ONE_DAY_MS, None
    if side.column in EARLY_SIDE_ONLY:
        upper = None
    if lower is None and upper is None:
        return None
    return TimeBounds(lower, upper)


def _note_partition(column: exp.Expr, value: exp.Expr, read: _Read) -> bool:
    """Remember ``year = 2020`` (or ``day = day(DATE "…")``) for the partition bounds."""
    parts = read.parts
    name = read.column(column)
    if name not in PARTS:
        return False
    number = _part_number(value, name)
    if number is None:
        return False
    if name in parts and parts[name] != number:
        number = -1  # contradictory: no row matches; left to the engine, bounded to nothing useful
    parts[name] = number
    return True


_PART_FUNCTIONS: dict[str, type[exp.Expr]] = {"year": exp.Year, "month": exp.Month, "day": exp.Day, "hour": exp.Hour}


def _part_number(node: exp.Expr, name: str) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    function = _PART_FUNCTIONS[name]
    if isinstance(node, function):
        value = _constant(node.this)
        if value is not None:
            moment = _EPOCH + timedelta(milliseconds=value.epoch_ms)
            return int(getattr(moment, name))
    return None


def _partition_bounds(parts: dict[str, int]) -> TimeBounds | None:
    """The hours of the folders ``year``/``month``/``day``/``hour`` name (each part needs the coarser ones)."""
    if "year" not in parts or any(number < 0 for number in parts.values()):
        return None
    year, month, day, hour = parts["year"], parts.get("month"), parts.get("day"), parts.get("hour")
    try:
        if month is None:
            first, last = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        elif day is None:
            first = datetime(year, month, 1, tzinfo=UTC)
            last = first + timedelta(days=calendar.monthrange(year, month)[1])
        elif hour is None:
            first = datetime(year, month, day, tzinfo=UTC)
            last = first + timedelta(days=1)
        else:
            first = datetime(year, month, day, hour, tzinfo=UTC)
            last = first + timedelta(hours=1)
    except (ValueError, OverflowError):
        return None
    from_ms, to_ms = ((moment - _EPOCH) // timedelta(milliseconds=1) for moment in (first, last))
    return TimeBounds(max(from_ms, EARLIEST_MS), min(to_ms - 1, LATEST_MS))
