"""``TS_DESCRIBE(ts)``: IBM's timing, value and numeric statistics of each series, as columns.

IBM documents the three groups but names no column. The columns follow the sibling library's
``describe()`` (``docs/time-series-functions.md``): ``count`` (observations, NULL values included),
``unique``, ``top`` and ``frequency`` (the most frequent value — the smallest of equally frequent ones —
and how often it occurs), ``first_tick`` and ``last_tick``, ``min_inter_arrival``, ``max_inter_arrival``
and ``mean_inter_arrival`` (ticks between consecutive observations, 0 at a duplicate tick), and over the
values present ``mean``, ``std`` (sample), ``min``, ``max``, ``p25``, ``p50``, ``p75``. A percentile
interpolates linearly between the two nearest ranks (Spark's ``percentile``; DuckDB's ``quantile`` picks
one rank, so both are computed from ranks here).
"""

from __future__ import annotations

from cloudsql_cos_ts.dialect.timeseries.sql import Scope, arguments, check_groupable, function_name, spark, unaliased
from cloudsql_cos_ts.dialect.timeseries.statistics import statistic
from cloudsql_cos_ts.dialect.timeseries.transforms import series_of
from cloudsql_cos_ts.errors import BadRequest

_QUANTILES = {"p25": 0.25, "p50": 0.5, "p75": 0.75}


def _percentile(value: str, rank: str, present: str, q: float) -> str:
    """``present`` (the number of values) is the same in every row of a series."""
    position, grouped = f"{q} * ({present} - 1)", f"{q} * (max({present}) - 1)"
    below, above = (f"max(CASE WHEN {rank} = {how}({position}) + 1 THEN {value} END)" for how in ("floor", "ceil"))
    return f"CAST({below} + ({grouped} - floor({grouped})) * ({above} - {below}) AS DOUBLE)"


def lower_describe(scope: Scope) -> None:
    """Replace the SELECT's ``TS_DESCRIBE(ts)`` item by the statistics columns, one row per series."""
    found = [i for i, item in enumerate(scope.select.expressions) if function_name(unaliased(item)) == "TS_DESCRIBE"]
    if not found:
        return
    if len(found) > 1:
        raise BadRequest("only one TS_DESCRIBE per SELECT is supported")
    index = found[0]
    others = [item for i, item in enumerate(scope.select.expressions) if i != index]
    check_groupable(scope.select, others, "TS_DESCRIBE")
    (node,) = arguments(unaliased(scope.select.expressions[index]), "TS_DESCRIBE(ts)", 1)
    series = series_of(scope, node)
    v, key = series.value, series.key
    names = {part: scope.names.fresh(part) for part in ("gap", "frequency", "rank", "present", "top")}
    scope.wrap(
        {
            names["gap"]: f"{series.tick} - lag({series.tick}) {series.window()}",
            names["frequency"]: f"count({v}) OVER (PARTITION BY {key}, {v})",
            names["rank"]: f"row_number() OVER (PARTITION BY {key} ORDER BY {v} ASC NULLS LAST)",
            names["present"]: f"count({v}) OVER (PARTITION BY {key})",
        }
    )
    scope.wrap({names["top"]: f"max({names['frequency']}) OVER (PARTITION BY {key})"})
    frequency, top, rank, present = names["frequency"], names["top"], names["rank"], names["present"]
    columns = {
        "count": "count(*)",
        "unique": f"count(DISTINCT {v})",
        "top": f"min(CASE WHEN {frequency} = {top} AND {top} > 0 THEN {v} END)",
        "frequency": f"max({frequency})",
        "first_tick": f"min({series.tick})",
        "last_tick": f"max({series.tick})",
        "min_inter_arrival": f"min({names['gap']})",
        "max_inter_arrival": f"max({names['gap']})",
        "mean_inter_arrival": f"CAST(avg({names['gap']}) AS DOUBLE)",
        "mean": statistic("AVG", v),
        "std": statistic("SD", v),
        "min": statistic("MIN", v),
        "max": statistic("MAX", v),
        **{name: _percentile(v, rank, present, q) for name, q in _QUANTILES.items()},
    }
    items = list(others)
    items[index:index] = [spark(text).as_(name) for name, text in columns.items()]
    scope.select.set("expressions", items)
    scope.select.group_by(*(unaliased(item).copy() for item in others), spark(key), copy=False)
