"""The time macros: filters on the dashboard range, range bounds, intervals and time buckets.

Range filters are closed on both ends, ``>= from AND <= to``, like Grafana's core SQL data sources,
and are wrapped in parentheses so ``NOT``/``OR`` around them keep their meaning. All times are UTC.

Column types (``$__timeFilter(type)``, ``$__timeFilterColumn(col, type)``):

* ``timestamp`` — a TIMESTAMP column, compared with timestamp literals;
* ``string`` — RFC 3339 / ISO 8601 text, compared as ``to_timestamp(col)``;
* ``epoch_ms`` (also ``long``, the original plugin's name) — integer milliseconds since 1970;
* ``epoch_s`` — integer seconds since 1970.

Without a type it is inferred from the source column's type (``MacroContext.column_type``):
text types -> ``string``, TIMESTAMP/DATE types -> ``timestamp``, integer types -> ``epoch_ms``;
an unknown column is treated as ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.interval import format_interval, parse_interval_ms
from cloudsql_cos_ts.macros.model import FillMode, Findings, MacroCall, MacroContext, TimeGroupFill
from cloudsql_cos_ts.macros.sqltext import arguments, bare_column_name, quote_name, timestamp_literal

TimeType = Literal["timestamp", "string", "epoch_ms", "epoch_s"]

_TYPE_NAMES: dict[str, TimeType] = {
    "timestamp": "timestamp",
    "string": "string",
    "epoch_ms": "epoch_ms",
    "long": "epoch_ms",
    "epoch_s": "epoch_s",
}
_TEXT_TYPES = ("VARCHAR", "STRING", "TEXT", "CHAR")
_INTEGER_TYPES = ("BIGINT", "INTEGER", "INT", "LONG", "HUGEINT", "UBIGINT", "UINTEGER", "INT64", "INT32")


def _time_type(name: str, call: MacroCall) -> TimeType:
    found = _TYPE_NAMES.get(name.strip().strip("'\"").lower())
    if found is None:
        raise BadRequest(f"{call.describe()}: unknown column type {name!r}; use timestamp, string, epoch_ms or epoch_s")
    return found


def infer_time_type(column_type: str | None) -> TimeType:
    """The time type a source column's SQL type implies (``timestamp`` when unknown)."""
    upper = (column_type or "").upper()
    if upper.startswith(_TEXT_TYPES):
        return "string"
    if upper in _INTEGER_TYPES:
        return "epoch_ms"
    return "timestamp"


def _range_filter(column: str, time_type: TimeType, ctx: MacroContext) -> str:
    start, end = ctx.time_range.from_ms, ctx.time_range.to_ms
    if time_type == "epoch_ms":
        return f"({column} >= {start} AND {column} <= {end})"
    if time_type == "epoch_s":
        return f"({column} >= {start // 1000} AND {column} <= {end // 1000})"
    value = f"to_timestamp({column})" if time_type == "string" else column
    return f"({value} >= {timestamp_literal(start)} AND {value} <= {timestamp_literal(end)})"


def _filter_on(column: str, type_argument: str | None, ctx: MacroContext, call: MacroCall) -> str:
    if type_argument:
        time_type = _time_type(type_argument, call)
    else:
        time_type = infer_time_type(ctx.column_type(bare_column_name(column)))
    return _range_filter(column, time_type, ctx)


def time_filter(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    args = arguments(call, 0, 1, "$__timeFilter or $__timeFilter(type)")
    if not ctx.time_column:
        raise BadRequest(
            f"{call.describe()}: the query has no Time Column; set the Time Column in the query editor "
            "or use $__timeFilterColumn(column, type)"
        )
    return _filter_on(quote_name(ctx.time_column), args[0] if args else None, ctx, call)


def time_filter_column(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    args = arguments(call, 1, 2, "$__timeFilterColumn(column) or $__timeFilterColumn(column, type)")
    return _filter_on(args[0], args[1] if len(args) == 2 else None, ctx, call)


def unix_epoch_filter(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    (column,) = arguments(call, 1, 1, "$__unixEpochFilter(column)")
    return _range_filter(column, "epoch_s", ctx)


def time_from(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__timeFrom()")
    return timestamp_literal(ctx.time_range.from_ms)


def time_to(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__timeTo()")
    return timestamp_literal(ctx.time_range.to_ms)


def unix_epoch_from(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__unixEpochFrom()")
    return str(ctx.time_range.from_ms // 1000)


def unix_epoch_to(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__unixEpochTo()")
    return str(ctx.time_range.to_ms // 1000)


def interval(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__interval")
    return format_interval(ctx.interval_ms)


def interval_ms(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__interval_ms")
    return str(ctx.interval_ms)


def _fill(text: str, call: MacroCall) -> tuple[FillMode, float | None]:
    word = text.strip().strip("'\"")
    if word.upper() == "NULL":
        return "null", None
    if word.lower() == "previous":
        return "previous", None
    try:
        return "value", float(word)
    except ValueError:
        raise BadRequest(f"{call.describe()}: fill must be NULL, previous or a number, got {text!r}") from None


def _epoch_ms(column: str, ctx: MacroContext) -> str:
    """Milliseconds since 1970 of a timestamp, RFC 3339 text or epoch-ms column (NULL for text that is no time)."""
    if infer_time_type(ctx.column_type(bare_column_name(column))) == "epoch_ms":
        return column
    return f"unix_millis(to_timestamp({column}))"  # to_timestamp() is the identity on timestamps


def _epoch_s_as_ms(column: str, ctx: MacroContext) -> str:
    return f"CAST({column} AS BIGINT) * 1000"


def _time_group(
    call: MacroCall, ctx: MacroContext, found: Findings, alias: str | None, epoch_ms: Callable[[str, MacroContext], str]
) -> str:
    usage = f"{call.name}(column, interval) or {call.name}(column, interval, fill)"
    args = arguments(call, 2, 3, usage)
    milliseconds = parse_interval_ms(args[1], where=f"{call.describe()}, interval")
    if len(args) == 3:
        mode, value = _fill(args[2], call)
        found.fills.append(TimeGroupFill(milliseconds, mode, value, alias))
    moment = epoch_ms(args[0], ctx)
    return f"timestamp_millis(CAST(floor({moment} / {milliseconds}) AS BIGINT) * {milliseconds})"


def time_group(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    return _time_group(call, ctx, found, call.alias, _epoch_ms)


def time_group_alias(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    return _time_group(call, ctx, found, "time", _epoch_ms) + " AS `time`"


def unix_epoch_group(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    """``$__timeGroup`` for a column of seconds since 1970 (Grafana's SQL macro of that name)."""
    return _time_group(call, ctx, found, call.alias, _epoch_s_as_ms)


def unix_epoch_group_alias(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    return _time_group(call, ctx, found, "time", _epoch_s_as_ms) + " AS `time`"


def time_epoch(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    """The column as seconds since 1970, named ``time`` (Grafana's ``$__timeEpoch``)."""
    (column,) = arguments(call, 1, 1, "$__timeEpoch(column)")
    return f"CAST(floor({_epoch_ms(column, ctx)} / 1000) AS BIGINT) AS `time`"
