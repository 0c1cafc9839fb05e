"""``USING TIME_SERIES_FORMAT(...) IN ts``: the rows of a table as one series per key.

The clause reaches the parse tree as the ``__TS_FORMAT(key, timetick, value, starttime, granularity)``
lateral marker (``ibm_syntax.py``). Its SELECT reads the table through a subquery adding the hidden
tick, value and key columns (``sql.py``), and a selected ``ts`` becomes them. The SELECT's own WHERE
moves into that subquery, so the series is built from the filtered rows (as at IBM) before any
function of it looks at neighbours. A row whose timetick is NULL (an empty or unparseable time, NULL
as in IBM SQL Query) is no observation: the uses of the series leave it out.

Ticks are epoch milliseconds. With IBM's time reference system options a tick is instead
``floor((epoch ms - starttime) / granularity)``: ``starttime`` defaults to 1970-01-01T00:00Z and
``granularity`` to 1 ms when only the other one is given; a start without a zone is UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlglot import exp

from cloudsql_cos_ts.dialect.durations import duration_ms
from cloudsql_cos_ts.dialect.ibm_syntax import TS_FORMAT_MARKER
from cloudsql_cos_ts.dialect.timeseries.sql import Names, Scope, arguments, function_name, hidden, spark, sql, unaliased
from cloudsql_cos_ts.errors import BadRequest

_PARTS = ("tick", "value", "key")
CREATION_AGGREGATES = frozenset(
    f"{name}{suffix}"
    for name in ("TIME_SERIES", "TIME_SERIES_S", "TIME_SERIES_DA", "TIME_SERIES_SA", "TS_TIME_SERIES")
    for suffix in ("", "_WITH_TRS")
    if (name, suffix) != ("TS_TIME_SERIES", "_WITH_TRS")
)

_SECONDS = re.compile(r"(\d+(?:\.\d+)?)S")


def _start_ms(node: exp.Expr) -> int:
    if isinstance(node, exp.Null):
        return 0
    text = node.name
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"TIME_SERIES_FORMAT starttime {text!r} is not an ISO 8601 time such as 2024-05-06T00:00:00"
        ) from None
    return int((start if start.tzinfo else start.replace(tzinfo=UTC)).timestamp() * 1000)


def _granularity_ms(node: exp.Expr) -> int:
    if isinstance(node, exp.Null):
        return 1
    text = node.name
    millis = duration_ms(text) if text.upper().startswith("P") else None
    if millis is None or millis < 1 or not _whole_ms(text):
        raise BadRequest(
            f"TIME_SERIES_FORMAT granularity {text!r} must be an ISO 8601 duration of whole milliseconds, "
            "e.g. PT0.001S, PT1M, PT1H, P1D"
        )
    return millis


def _whole_ms(text: str) -> bool:
    seconds = _SECONDS.search(text.upper())
    return seconds is None or (Decimal(seconds.group(1)) * 1000) % 1 == 0


def _in_trs(millis: str, origin: int, length: int) -> str:
    """Ticks of a time reference system from epoch milliseconds."""
    if (origin, length) == (0, 1):
        return millis
    return f"CAST(floor(({millis} - ({origin})) / {length}) AS BIGINT)"


def _build(select: exp.Select, names: Names, built: dict[str, dict[str, str]]) -> None:
    """Add each series' hidden columns to the SELECT's rows (its WHERE applied first) and expand the
    selected series columns; ``built`` maps a series name to its tick, value and key SQL.

    Rows whose tick is NULL stay: each use of the series drops them (``transforms.series_of``), except
    time windows, whose NULL-tick group is dropped after grouping — a filter here would parse every
    time text twice on DuckDB, which pushes it below the projection (docs/benchmarks.md)."""
    where = select.args.get("where")
    condition = sql(where.this) if where else ""
    if where:
        where.pop()
    columns = {hidden(part, series).name: parts[part] for series, parts in built.items() for part in _PARTS}
    Scope(select, names).wrap(columns, where=condition)
    series_names = {series.lower() for series in built}
    names.series |= series_names
    items: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, exp.Column) and item.name.lower() in series_names:
            items.extend(hidden(part, item.name, item.table) for part in _PARTS)
        else:
            items.append(item)
    select.set("expressions", items)


def lower_format(select: exp.Select, names: Names) -> None:
    """Lower the SELECT's ``TIME_SERIES_FORMAT`` marker, if it has one."""
    markers = [lat for lat in select.args.get("laterals") or [] if function_name(lat.this) == TS_FORMAT_MARKER]
    if not markers:
        return
    if len(select.args["laterals"]) > 1:
        raise BadRequest("a SELECT can have only one USING TIME_SERIES_FORMAT(...) and no LATERAL VIEW")
    marker = markers[0]
    key, tick, value, start, granularity = marker.this.expressions
    tick_sql = _in_trs(f"unix_millis(to_timestamp({sql(tick)}))", _start_ms(start), _granularity_ms(granularity))
    marker.pop()
    key_sql = "CAST(NULL AS STRING)" if isinstance(key, exp.Null) else sql(key)
    _build(select, names, {marker.alias: {"tick": tick_sql, "value": sql(value), "key": key_sql}})


def _trs(node: exp.Expr) -> tuple[int, int]:
    """(start ms, granularity ms) of ``TS_TRS(granularity, start)``, ``TS_TRS_DEFAULT()`` or
    ``TS_TRS_DEFAULT_STARTTIME(granularity)``, each with literal text."""
    name = function_name(node)
    if name == "TS_TRS_DEFAULT":
        arguments(node, "TS_TRS_DEFAULT()", 0)
        return 0, 1
    if name == "TS_TRS_DEFAULT_STARTTIME":
        (granularity,) = arguments(node, "TS_TRS_DEFAULT_STARTTIME('PT1M')", 1)
        return 0, _granularity_ms(granularity)
    if name == "TS_TRS":
        granularity, start = arguments(node, "TS_TRS('PT1M', '2024-05-06T00:00:00')", 2)
        return _start_ms(start), _granularity_ms(granularity)
    raise BadRequest(f"expected a time reference system (TS_TRS, TS_TRS_DEFAULT, ...), not {sql(node)}")


def _created(call: exp.Expr, key: str) -> dict[str, str]:
    """The tick, value and key SQL of one ``TIME_SERIES[_S|_DA|_SA][_WITH_TRS](tick, value[, trs])`` call."""
    with_trs = function_name(call).endswith("_WITH_TRS")
    shape = f"{function_name(call)}(tick, value{', trs' if with_trs else ''})"
    tick, value, *trs = arguments(call, shape, 3 if with_trs else 2)
    origin, length = _trs(trs[0]) if trs else (0, 1)
    return {"tick": _in_trs(f"CAST({sql(tick)} AS BIGINT)", origin, length), "value": sql(value), "key": key}


def lower_creation(select: exp.Select, names: Names) -> None:
    """``SELECT k, TIME_SERIES[_S|_DA|_SA][_WITH_TRS](tick, value[, trs]) AS ts ... GROUP BY k``: one
    series per group, kept as rows (the GROUP BY goes; its expressions become the series key). Several
    such items build several series of the same rows and key (``TS_LEFT_JOIN(a, b, …)`` pairs them)."""
    calls = [item for item in select.expressions if function_name(unaliased(item)) in CREATION_AGGREGATES]
    if not calls:
        return
    if not all(isinstance(item, exp.Alias) for item in calls):
        raise BadRequest("write each series as TIME_SERIES(tick, value) AS name")
    group = select.args.get("group")
    keys = [sql(key) for key in group.expressions] if group else []
    if group:
        group.pop()
    key = keys[0] if len(keys) == 1 else f"concat_ws('|', {', '.join(f'CAST({k} AS STRING)' for k in keys)})"
    built = {item.alias: _created(item.this, key if keys else "CAST(NULL AS STRING)") for item in calls}
    for item in calls:
        item.replace(exp.column(item.alias))
    _build(select, names, built)


def lower_timestamps(tree: exp.Expr) -> None:
    """``TS_TIMESTAMP(x)`` -> epoch milliseconds of a TIMESTAMP or ISO 8601 text (UTC when it has no zone)."""
    for node in list(tree.find_all(exp.Anonymous)):
        if function_name(node) == "TS_TIMESTAMP":
            if len(node.expressions) != 1:
                raise BadRequest("write TS_TIMESTAMP(time), with a TIMESTAMP or ISO 8601 text")
            node.replace(spark(f"unix_millis(to_timestamp({sql(node.expressions[0])}))"))
