"""A series column selected directly in the query's final SELECT: one row per series, the series as a value.

IBM returns a series column as a value of its series type, printed as the list of its observations
``[(tick, value), …]``. The plugin has no series type, so the final SELECT's series column becomes that
list: an array of ``(tick, value)`` structs in series order (by tick, equal ticks by value, NULL last),
one row per key, the other selected items grouped by; NULL for a key without observations. Inside the
query (a WITH query read by the next SELECT) a selected series stays its hidden columns, one row per
observation, so the next SELECT can use it (``format.py``).
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.sql import Names, Series, check_groupable, formatted, spark, unaliased


def _observations(series: Series) -> str:
    point = f"named_struct('t', {series.tick}, 'n', {series.value} IS NULL, 'v', {series.value})"
    ordered = f"array_sort(collect_list(CASE WHEN {series.tick} IS NOT NULL THEN {point} END))"
    listed = f"transform({ordered}, p -> named_struct('tick', p.t, 'value', p.v))"
    return f"CASE WHEN count({series.tick}) > 0 THEN {listed} END"


def _series_name(item: exp.Expr, names: Names) -> str:
    """The name of the series a select item shows (its hidden tick column, or a series column), or ""."""
    if not isinstance(item, exp.Column):
        return ""
    name = item.name.lower()
    if name.startswith("__ts_tick_") and name.removeprefix("__ts_tick_") in names.series:
        return name.removeprefix("__ts_tick_")
    return name if name in names.series else ""


def lower_selected_series(select: exp.Select, names: Names) -> None:
    """Collapse the series columns the final ``select`` shows into one list value per series and key."""
    shown = {index: _series_name(item, names) for index, item in enumerate(select.expressions)}
    if not any(shown.values()):
        return
    hidden_parts = {f"__ts_{part}_{name}" for name in shown.values() if name for part in ("value", "key")}
    items: list[exp.Expr] = []
    others: list[exp.Expr] = []
    key = ""
    for index, item in enumerate(select.expressions):
        name = shown[index]
        if name:
            series = formatted(exp.column(name, table=item.text("table") or None))
            key = series.key
            items.append(spark(_observations(series)).as_(name))
        elif not (isinstance(item, exp.Column) and item.name.lower() in hidden_parts):
            items.append(item)
            others.append(item)
    check_groupable(select, others, "a selected time series")
    select.set("expressions", items)
    select.group_by(*(unaliased(item).copy() for item in others), spark(key), copy=False)
