"""Lowering of IBM's time-series functions to plain SQL (runs on the parsed Spark tree).

IBM kept a series as one value per key; we keep it relational. The SELECT carrying
``USING TIME_SERIES_FORMAT(key=K, timetick=T, value=V) IN ts`` (the ``__TS_FORMAT`` lateral marker
from ``ibm_syntax.py``) reads its table through a subquery that adds three hidden columns per row
— ``__ts_tick_ts`` (epoch ms of T), ``__ts_value_ts`` (V) and ``__ts_key_ts`` (K) — and a select item
``ts`` becomes those three columns. A SELECT with ``TS_EXPLODE(...) AS (tt, value)`` then becomes
one of:

* ``TS_EXPLODE(ts)`` — the observations as rows;
* ``TS_EXPLODE(TS_SEG_<AGG>(TS_SEGMENT_BY_TIME(ts, window, step)))`` — a GROUP BY over windows
  starting at multiples of ``step`` since 1970 (epoch-aligned) and ``window`` ms long; when
  window > step every row is repeated once per window it falls in (``explode(sequence(...))``);
* ``TS_EXPLODE(TS_SEG_<AGG>(TS_SEGMENT(ts, size, step)))`` — count-based segments: observation
  positions per key (``row_number``), segment j holds positions ``j*step … j*step+size-1``; only
  complete segments; the segment's tick is its first observation's tick.

Only windows/segments holding observations appear (as at IBM); a row whose timetick is NULL (an
empty or unparseable time string) is no observation. ``tt`` is BIGINT epoch ms, the value
a DOUBLE. The other select items are grouped by, together with the hidden key, so each key is its
own series. ``<AGG>``: COUNT, SUM, AVG, MIN, MAX, SD (sample standard deviation). The differences
from IBM are listed in ``docs/time-series-functions.md``.
"""

from __future__ import annotations

import math

import sqlglot
from sqlglot import exp

from cloudsql_cos_ts.dialect.ibm_syntax import TS_FORMAT_MARKER
from cloudsql_cos_ts.errors import BadRequest

SUPPORTED_FORMS = (
    "TS_EXPLODE(ts), TS_EXPLODE(TS_SEG_<AGG>(TS_SEGMENT_BY_TIME(ts, window, step))) or "
    "TS_EXPLODE(TS_SEG_<AGG>(TS_SEGMENT(ts, size, step))), each AS (time_name, value_name), "
    "with <AGG> one of COUNT, SUM, AVG, MIN, MAX, SD"
)
_AGGREGATES = {
    "TS_SEG_COUNT": "count(*)",
    "TS_SEG_SUM": "sum({v})",
    "TS_SEG_AVG": "avg({v})",
    "TS_SEG_MIN": "min({v})",
    "TS_SEG_MAX": "max({v})",
    "TS_SEG_SD": "stddev_samp({v})",
}
_PARTS = ("tick", "value", "key")


def _spark(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="spark")


def _sql(node: exp.Expr) -> str:
    return node.sql(dialect="spark")


def _hidden(part: str, series: str, table: str = "") -> exp.Column:
    return exp.column(exp.to_identifier(f"__ts_{part}_{series.lower()}"), table=table or None)


def _function_name(node: exp.Expr) -> str:
    return node.name.upper() if isinstance(node, exp.Anonymous) else ""


def _wrap_from(select: exp.Select, *extra: exp.Expr) -> None:
    """Read the SELECT's table through ``(SELECT *, <extra> FROM table) AS <same name>``."""
    if select.args.get("joins") or not select.args.get("from_"):
        raise BadRequest("time-series functions need exactly one table in FROM (no JOIN); use a WITH query first")
    source = select.args["from_"].this
    inner = exp.select(exp.Star(), *extra).from_(source.copy())
    select.args["from_"].set("this", inner.subquery(source.alias_or_name or "__ts_source"))


def _lower_format(select: exp.Select) -> None:
    markers = [lat for lat in select.args.get("laterals") or [] if _function_name(lat.this) == TS_FORMAT_MARKER]
    if not markers:
        return
    if len(select.args["laterals"]) > 1:
        raise BadRequest("a SELECT can have only one USING TIME_SERIES_FORMAT(...) and no LATERAL VIEW")
    marker = markers[0]
    series = marker.alias
    key, tick, value = marker.this.expressions
    key_sql = "CAST(NULL AS STRING)" if isinstance(key, exp.Null) else _sql(key)
    marker.pop()
    _wrap_from(
        select,
        _spark(f"unix_millis(to_timestamp({_sql(tick)}))").as_(_hidden("tick", series).name),
        value.copy().as_(_hidden("value", series).name),
        _spark(key_sql).as_(_hidden("key", series).name),
    )
    # An observation needs a tick: a row whose timetick is NULL (an empty or unparseable time
    # string, NULL as in IBM SQL Query) is no observation and joins no window or segment.
    select.where(exp.Not(this=exp.Is(this=_hidden("tick", series), expression=exp.Null())), copy=False)
    items: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, exp.Column) and item.name.lower() == series.lower():
            items.extend(_hidden(part, series, item.table) for part in _PARTS)
        else:
            items.append(item)
    select.set("expressions", items)


def _positive_literal(node: exp.Expr, what: str) -> int:
    if not (isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit() and int(node.this) > 0):
        raise BadRequest(f"{what} must be a positive whole number of milliseconds or a unit such as hour or PT15M")
    return int(node.this)


def _series_column(node: exp.Expr, where: str) -> exp.Column:
    if not isinstance(node, exp.Column):
        raise BadRequest(f"{where}: the first argument must be the series column named in TIME_SERIES_FORMAT ... IN")
    return node


def _explode_item(select: exp.Select) -> tuple[int, exp.Aliases] | None:
    found = [
        (index, item)
        for index, item in enumerate(select.expressions)
        if _function_name(item.this if isinstance(item, exp.Alias | exp.Aliases) else item) == "TS_EXPLODE"
    ]
    if not found:
        return None
    index, item = found[0]
    if len(found) > 1:
        raise BadRequest("only one TS_EXPLODE per SELECT is supported")
    if not isinstance(item, exp.Aliases) or len(item.expressions) != 2 or len(item.this.expressions) != 1:
        raise BadRequest("write TS_EXPLODE(series) AS (time_name, value_name)")
    return index, item


class _Exploded:
    """The parts of one ``TS_EXPLODE(...) AS (a, b)`` item and the SELECT it sits in."""

    def __init__(self, select: exp.Select, index: int, item: exp.Aliases) -> None:
        self.select = select
        self.index = index
        self.tick_name, self.value_name = item.expressions
        self.argument = item.this.expressions[0]
        self.others = [other for i, other in enumerate(select.expressions) if i != index]

    def column(self, series: exp.Column, part: str) -> exp.Column:
        return _hidden(part, series.name, series.table)

    def replace_item(self, tick: exp.Expr, value: exp.Expr) -> None:
        items = list(self.others)
        items[self.index : self.index] = [tick.as_(self.tick_name), value.as_(self.value_name)]
        self.select.set("expressions", items)

    def group_by(self, series: exp.Column, bucket: exp.Expr) -> None:
        if self.select.args.get("group") or self.select.args.get("having"):
            raise BadRequest(
                "TS_EXPLODE of segments cannot be combined with GROUP BY or HAVING; aggregate in an outer query"
            )
        if any(other.find(exp.AggFunc) for other in self.others):
            raise BadRequest("aggregate functions cannot stand next to TS_EXPLODE; aggregate in an outer query")
        keys = [other.this if isinstance(other, exp.Alias) else other for other in self.others]
        self.select.group_by(*(key.copy() for key in keys), self.column(series, "key"), bucket.copy(), copy=False)


def _aggregate(name: str, value: exp.Column) -> exp.Expr:
    template = _AGGREGATES.get(name)
    if template is None:
        raise BadRequest(
            f"{name or 'this expression'} inside TS_EXPLODE is not supported; supported: {SUPPORTED_FORMS}"
        )
    return _spark(f"CAST({template.format(v=_sql(value))} AS DOUBLE)")


def _segmentation_arguments(segmentation: exp.Anonymous, function: str, length: str) -> tuple[exp.Column, int, int]:
    """``(ts, <length>, step)`` of a segmentation function: the series column and two positive numbers."""
    where = f"{function}(ts, {length}, step)"
    if len(segmentation.expressions) != 3:
        raise BadRequest(f"{where} takes three arguments")
    series = _series_column(segmentation.expressions[0], where)
    first = _positive_literal(segmentation.expressions[1], f"{where}: {length}")
    step = _positive_literal(segmentation.expressions[2], f"{where}: step")
    return series, first, step


def _segment_by_time(exploded: _Exploded, aggregate: str, segmentation: exp.Anonymous) -> None:
    series, window, step = _segmentation_arguments(segmentation, "TS_SEGMENT_BY_TIME", "window")
    tick = _sql(exploded.column(series, "tick"))
    bucket = f"CAST(floor({tick} / {step}) AS BIGINT)"
    if window > step:
        lags = math.ceil(window / step)
        _wrap_from(exploded.select, _spark(f"explode(sequence(0, {lags - 1}))").as_("__ts_lag"))
        bucket = f"({bucket} - __ts_lag)"
    start = _spark(f"{bucket} * {step}")
    if window != step:
        exploded.select.where(_spark(f"{tick} < {_sql(start)} + {window}"), copy=False)
    exploded.replace_item(start, _aggregate(aggregate, exploded.column(series, "value")))
    exploded.group_by(series, start)


def _segment_by_count(exploded: _Exploded, aggregate: str, segmentation: exp.Anonymous) -> None:
    series, size, step = _segmentation_arguments(segmentation, "TS_SEGMENT", "size")
    key, tick = (_sql(_hidden(part, series.name)) for part in ("key", "tick"))
    _wrap_from(
        exploded.select,
        _spark(f"row_number() OVER (PARTITION BY {key} ORDER BY {tick}) - 1").as_("__ts_pos"),
        _spark(f"count(*) OVER (PARTITION BY {key})").as_("__ts_len"),
    )
    _wrap_from(exploded.select, _spark(f"explode(sequence(0, {math.ceil(size / step) - 1}))").as_("__ts_lag"))
    segment = _spark(f"CAST(floor(__ts_pos / {step}) AS BIGINT) - __ts_lag")
    end = f"({_sql(segment)}) * {step} + {size}"  # segment j starts at j * step <= __ts_pos by construction
    exploded.select.where(_spark(f"{_sql(segment)} >= 0 AND __ts_pos < {end} AND {end} <= __ts_len"), copy=False)
    first_tick = _spark(f"min({_sql(exploded.column(series, 'tick'))})")
    exploded.replace_item(first_tick, _aggregate(aggregate, exploded.column(series, "value")))
    exploded.group_by(series, segment)


def _lower_explode(select: exp.Select) -> None:
    found = _explode_item(select)
    if found is None:
        return
    exploded = _Exploded(select, *found)
    argument = exploded.argument
    if isinstance(argument, exp.Column):
        exploded.replace_item(exploded.column(argument, "tick"), exploded.column(argument, "value"))
        return
    segmentation = argument.expressions[0] if _function_name(argument) and argument.expressions else None
    kind = _function_name(segmentation) if segmentation is not None else ""
    if isinstance(segmentation, exp.Anonymous) and kind == "TS_SEGMENT_BY_TIME":
        _segment_by_time(exploded, _function_name(argument), segmentation)
    elif isinstance(segmentation, exp.Anonymous) and kind == "TS_SEGMENT":
        _segment_by_count(exploded, _function_name(argument), segmentation)
    else:
        raise BadRequest(f"unsupported time-series expression {_sql(argument)}; supported: {SUPPORTED_FORMS}")


def lower_time_series(tree: exp.Expr) -> exp.Expr:
    """The tree with every TIME_SERIES_FORMAT / TS_EXPLODE lowered; a TS function left over is a 400."""
    for select in list(tree.find_all(exp.Select)):
        _lower_format(select)
    for select in list(tree.find_all(exp.Select)):
        _lower_explode(select)
    for node in tree.find_all(exp.Anonymous):
        name = _function_name(node)
        if name.startswith("TS_") or name == TS_FORMAT_MARKER:
            shown = "USING TIME_SERIES_FORMAT" if name == TS_FORMAT_MARKER else name
            raise BadRequest(f"{shown} is only supported in these forms: {SUPPORTED_FORMS}")
    return tree
