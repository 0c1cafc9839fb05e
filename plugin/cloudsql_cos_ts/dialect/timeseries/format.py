"""``USING TIME_SERIES_FORMAT(...) IN ts``: the rows of a table as one series per key.

The clause reaches the parse tree as the ``__TS_FORMAT(key, timetick, value, starttime, granularity)``
lateral marker (``ibm_syntax.py``). Its SELECT reads the table through a subquery adding the hidden
tick, value and key columns (``sql.py``), and a selected ``ts`` becomes them. The SELECT's own WHERE
moves into that subquery, so the series is built from the filtered rows (as at IBM) before any
function of it looks at neighbours. A row whose timetick is NULL (an empty or unparseable time, NULL
as in IBM SQL Query) is no observation.

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
from cloudsql_cos_ts.dialect.timeseries.sql import Names, Scope, function_name, hidden, spark, sql
from cloudsql_cos_ts.errors import BadRequest

_PARTS = ("tick", "value", "key")
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


def _tick(tick: exp.Expr, start: exp.Expr, granularity: exp.Expr) -> str:
    millis = f"unix_millis(to_timestamp({sql(tick)}))"
    origin, length = _start_ms(start), _granularity_ms(granularity)
    if (origin, length) == (0, 1):
        return millis
    return f"CAST(floor(({millis} - ({origin})) / {length}) AS BIGINT)"


def lower_format(select: exp.Select, names: Names) -> None:
    """Lower the SELECT's ``TIME_SERIES_FORMAT`` marker, if it has one."""
    markers = [lat for lat in select.args.get("laterals") or [] if function_name(lat.this) == TS_FORMAT_MARKER]
    if not markers:
        return
    if len(select.args["laterals"]) > 1:
        raise BadRequest("a SELECT can have only one USING TIME_SERIES_FORMAT(...) and no LATERAL VIEW")
    marker = markers[0]
    series = marker.alias
    key, tick, value, start, granularity = marker.this.expressions
    tick_sql = _tick(tick, start, granularity)
    marker.pop()
    where = select.args.get("where")
    condition = f"{tick_sql} IS NOT NULL" + (f" AND ({sql(where.this)})" if where else "")
    if where:
        where.pop()
    columns = {
        hidden("tick", series).name: tick_sql,
        hidden("value", series).name: sql(value),
        hidden("key", series).name: "CAST(NULL AS STRING)" if isinstance(key, exp.Null) else sql(key),
    }
    Scope(select, names).wrap(columns, where=condition)
    items: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, exp.Column) and item.name.lower() == series.lower():
            items.extend(hidden(part, series, item.table) for part in _PARTS)
        else:
            items.append(item)
    select.set("expressions", items)


def lower_timestamps(tree: exp.Expr) -> None:
    """``TS_TIMESTAMP(x)`` -> epoch milliseconds of a TIMESTAMP or ISO 8601 text (UTC when it has no zone)."""
    for node in list(tree.find_all(exp.Anonymous)):
        if function_name(node) == "TS_TIMESTAMP":
            if len(node.expressions) != 1:
                raise BadRequest("write TS_TIMESTAMP(time), with a TIMESTAMP or ISO 8601 text")
            node.replace(spark(f"unix_millis(to_timestamp({sql(node.expressions[0])}))"))
