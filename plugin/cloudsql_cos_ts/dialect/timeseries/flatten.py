"""``TS_FLATTEN(segments) AS (tick, index, series)``: each segment as a series of its own.

IBM gives one row per segment: its tick ("the timetick of the first observation in the segment"),
its index counted from 0, and its members as a series. Kept relational like every series here, that
is one row per member observation: the segment's first tick and index repeated, and the members as
the hidden columns of a series named by the third alias, whose key is the original key and the index
(so ``TS_AVG(series)`` or ``TS_EXPLODE(series)`` in the next SELECT work per segment). An observation
in several segments (sliding windows) appears once per segment.
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.segments import segments_of
from cloudsql_cos_ts.dialect.timeseries.sql import Scope, function_name, hidden, spark, unaliased
from cloudsql_cos_ts.errors import BadRequest

_SHAPE = "write TS_FLATTEN(segments) AS (tick_name, index_name, series_name), one per SELECT"


def lower_flatten(scope: Scope) -> None:
    """Lower the SELECT's ``TS_FLATTEN`` item, if it has one."""
    found = [
        (i, item) for i, item in enumerate(scope.select.expressions) if function_name(unaliased(item)) == "TS_FLATTEN"
    ]
    if not found:
        return
    index, item = found[0]
    if len(found) > 1 or not isinstance(item, exp.Aliases) or len(item.expressions) != 3:
        raise BadRequest(_SHAPE)
    if len(item.this.expressions) != 1:
        raise BadRequest(_SHAPE)
    segments = segments_of(scope, item.this.expressions[0], deviation=False)
    series = segments.series
    scope.wrap({}, where=f"{series.tick} IS NOT NULL")
    first = scope.add("first", f"min({series.tick}) OVER (PARTITION BY {series.key}, {segments.bucket})")
    position = scope.add(
        "index", f"dense_rank() OVER (PARTITION BY {series.key} ORDER BY {first}, {segments.bucket}) - 1"
    )
    tick_name, index_name, series_name = (identifier.name for identifier in item.expressions)
    key = f"concat_ws('#', CAST({series.key} AS STRING), CAST({position} AS STRING))"
    replacement = [
        spark(first).as_(tick_name),
        spark(position).as_(index_name),
        spark(series.tick).as_(hidden("tick", series_name).name),
        spark(series.value).as_(hidden("value", series_name).name),
        spark(key).as_(hidden("key", series_name).name),
    ]
    items = list(scope.select.expressions)
    items[index : index + 1] = replacement
    scope.select.set("expressions", items)
