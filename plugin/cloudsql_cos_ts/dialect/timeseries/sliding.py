"""Time windows of decomposable statistics, aggregated per step before the windows are formed.

``TS_SEG_<COUNT|SUM|AVG|MIN|MAX>(TS_SEGMENT_BY_TIME(ts, window, step))`` with ``window`` a multiple
of ``step``: every observation of step bucket ``b`` lies in exactly the windows starting at
``(b - lag)·step`` for ``lag < window/step``, so the rows are first grouped per key and bucket (count,
sum, non-NULL count, min, max) and only those partial rows are repeated per window, with the
empty windows between (``segments.with_empty_windows``). A 15-minute window every minute repeats
one row per key and minute instead of every observation 15 times (docs/benchmarks.md). A step
bucket's first and last possible ticks bound the range of windows IBM emits
(``segments.sliding_bounds``) exactly, because the window is a whole number of steps. Tumbling
windows (``window = step``) take this path too: the empty windows' per-key window functions then run
over one row per step rather than over every observation (docs/benchmarks.md). The answer
is the same as the general path's (``segments.py``); the columns the other select items (and the
WHERE) use are grouped along, so they stay selectable.
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.segments import with_empty_windows
from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, spark, sql, used_columns

DECOMPOSABLE = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX"})
_COMBINED = {
    "COUNT": "CAST(coalesce(sum({n}), 0) AS DOUBLE)",
    "SUM": "CAST(sum({s}) AS DOUBLE)",
    "AVG": "CAST(sum({s}) / nullif(sum({c}), 0) AS DOUBLE)",
    "MIN": "CAST(min({low}) AS DOUBLE)",
    "MAX": "CAST(max({high}) AS DOUBLE)",
}


def applies(kind: str, window: int, step: int) -> bool:
    return kind in DECOMPOSABLE and window % step == 0


def lower_sliding(
    scope: Scope, series: Series, others: list[exp.Expr], kind: str, *, window: int, step: int
) -> tuple[str, str, str, str, str]:
    """Replace the FROM by per-bucket partials and repeat them per window: the SQL of the tick, value,
    key and window start, and the HAVING that drops the window of NULL ticks (rows without a tick
    reach here: ``transforms.series_of``)."""
    names = {part: scope.names.fresh(part) for part in ("key", "bucket", "n", "s", "c", "low", "high")}
    kept = used_columns(scope.select, others)
    groups = [*(sql(column) for column in kept), series.key, f"CAST(floor({series.tick} / {step}) AS BIGINT)"]
    partials = {
        names["n"]: "count(*)",
        names["s"]: f"sum({series.value})",
        names["c"]: f"count({series.value})",
        names["low"]: f"min({series.value})",
        names["high"]: f"max({series.value})",
    }
    source = scope.select.args["from_"].this
    inner = exp.select(
        *(spark(sql(column)).as_(column.name) for column in kept),
        spark(series.key).as_(names["key"]),
        spark(groups[-1]).as_(names["bucket"]),
        *(spark(text).as_(name) for name, text in partials.items()),
    ).from_(source.copy())
    inner = inner.group_by(*(spark(text) for text in groups), copy=False)
    scope.select.args["from_"].set("this", inner.subquery(source.alias_or_name or "__ts_source"))
    bucket = names["bucket"]
    lag = scope.add("lag", f"explode(sequence(0, {window // step - 1}))")
    start = scope.add("start", f"({bucket} - {lag}) * {step}")
    parts = ("n", "s", "c", "low", "high")
    columns = [names[part] for part in parts]
    # the bucket's first and last possible tick: the range of windows IBM emits needs no more
    span = (f"{bucket} * {step}", f"({bucket} + 1) * {step} - 1", window)
    start, masked = with_empty_windows(scope, names["key"], start, step, columns, earliest=bucket, span=span)
    names.update(zip(parts, masked, strict=True))
    return start, _COMBINED[kind].format(**names), names["key"], start, f"{start} IS NOT NULL"
