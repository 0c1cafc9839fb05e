"""The lowering's driver: each SELECT's series, ``TS_EXPLODE`` item and reducers become plain SQL.

Order: ``TS_TIMESTAMP`` calls, then every SELECT's ``TIME_SERIES_FORMAT`` (``format.py``), then
each SELECT's uses of series:

* ``TS_EXPLODE(x) AS (tick, value)`` (or ``TS_S_/TS_DA_/TS_SA_EXPLODE``) — ``x`` a series or a
  transform of one (``transforms.py``): one row per observation; ``x`` a segment reducer
  ``TS_SEG_<STAT>(segmenter(...))`` (``segments.py``): one row per segment, a GROUP BY over the other
  selected items, the series key and the segment;
* whole-series reducers (``TS_AVG(ts)`` …, ``TS_COUNT``, ``TS_COUNT_ANCHOR``) anywhere in the select
  items: a GROUP BY over the other items and the series key, one row per series.

A TS function left over after this is a 400 that names it and says why (``refused.py``).
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.ibm_syntax import TS_FORMAT_MARKER
from cloudsql_cos_ts.dialect.timeseries import sliding
from cloudsql_cos_ts.dialect.timeseries.describe import lower_describe
from cloudsql_cos_ts.dialect.timeseries.expressions import expression_sql
from cloudsql_cos_ts.dialect.timeseries.flatten import lower_flatten
from cloudsql_cos_ts.dialect.timeseries.format import lower_creation, lower_format, lower_timestamps
from cloudsql_cos_ts.dialect.timeseries.pairs import (
    ALIGNS,
    JOINS,
    PAIR_REDUCERS,
    SEGMENT_PAIR_REDUCERS,
    lower_pair_reducers,
    lower_pair_series,
    lower_segment_pairs,
    lower_vector,
)
from cloudsql_cos_ts.dialect.timeseries.refused import refusal
from cloudsql_cos_ts.dialect.timeseries.segments import deviation_of, segments_of, time_windows
from cloudsql_cos_ts.dialect.timeseries.selected import lower_selected_series
from cloudsql_cos_ts.dialect.timeseries.sql import (
    Names,
    Scope,
    Series,
    arguments,
    calls_in_select,
    check_groupable,
    function_name,
    items_without,
    spark,
    sql,
    unaliased,
)
from cloudsql_cos_ts.dialect.timeseries.statistics import NAMES, needs_deviation, statistic
from cloudsql_cos_ts.dialect.timeseries.transforms import ROW_KEEPING, series_of
from cloudsql_cos_ts.dialect.timeseries.warping import SEGMENT_MEASURES, lower_segment_measure, lower_warping
from cloudsql_cos_ts.errors import BadRequest

EXPLODES = frozenset({"TS_EXPLODE", "TS_S_EXPLODE", "TS_DA_EXPLODE", "TS_SA_EXPLODE"})
SEGMENT_REDUCERS = {f"TS_SEG_{name}": name for name in NAMES}
SERIES_REDUCERS = {f"TS_{name}": name for name in NAMES if name != "COUNT"} | {"TS_COUNT": "", "TS_COUNT_ANCHOR": ""}


class _Exploded:
    """One ``TS_EXPLODE(...) AS (a, b)`` item and the SELECT it sits in."""

    def __init__(self, select: exp.Select, index: int, item: exp.Aliases) -> None:
        self.select = select
        self.index = index
        self.tick_name, *self.value_names = item.expressions
        self.argument = item.this.expressions[0]
        self.others = [other for i, other in enumerate(select.expressions) if i != index]

    def replace_item(self, tick: str, *values: str) -> None:
        if len(values) != len(self.value_names):
            raise BadRequest(
                f"write TS_EXPLODE(...) AS (time_name, {', '.join(f'value{i + 1}_name' for i in range(len(values)))})"
                if len(values) > 1
                else "write TS_EXPLODE(series) AS (time_name, value_name)"
            )
        named = [spark(text).as_(name) for text, name in zip(values, self.value_names, strict=True)]
        items = list(self.others)
        items[self.index : self.index] = [spark(tick).as_(self.tick_name), *named]
        self.select.set("expressions", items)

    def group_by(self, *keys: str, having: str) -> None:
        """Group by the other items and ``keys``; ``having`` drops the segment of rows without a tick."""
        check_groupable(self.select, self.others, "TS_EXPLODE of segments")
        grouped = [unaliased(other).copy() for other in self.others]
        self.select.group_by(*grouped, *(spark(key) for key in keys), copy=False)
        self.select.having(spark(having), copy=False)


def _explode_item(select: exp.Select) -> tuple[int, exp.Aliases] | None:
    found = [
        (index, item) for index, item in enumerate(select.expressions) if function_name(unaliased(item)) in EXPLODES
    ]
    if not found:
        return None
    index, item = found[0]
    if len(found) > 1:
        raise BadRequest("only one TS_EXPLODE per SELECT is supported")
    if not isinstance(item, exp.Aliases) or len(item.expressions) not in (2, 3) or len(item.this.expressions) != 1:
        raise BadRequest("write TS_EXPLODE(series) AS (time_name, value_name)")
    return index, item


def _lower_explode(scope: Scope) -> None:
    found = _explode_item(scope.select)
    if found is None:
        return
    exploded = _Exploded(scope.select, *found)
    name = function_name(exploded.argument)
    if name in JOINS or name in ALIGNS or name == "TS_VECTORN":
        lower = lower_vector if name == "TS_VECTORN" else lower_pair_series
        tick, values, _ = lower(scope, exploded.argument)
        exploded.replace_item(tick, *values)
        return
    if name in SEGMENT_MEASURES:
        exploded.replace_item(*lower_segment_measure(scope, exploded.argument, exploded.others))
        return
    if name in SEGMENT_PAIR_REDUCERS:
        start, value, key = lower_segment_pairs(scope, exploded.argument)
        exploded.replace_item(start, value)
        exploded.group_by(key, start, having="count(*) > 0")
        return
    if name not in SEGMENT_REDUCERS:
        series = series_of(scope, exploded.argument)
        exploded.replace_item(series.tick, series.value)
        return
    (segmentation,) = arguments(exploded.argument, f"{name}(segments)", 1)
    kind = SEGMENT_REDUCERS[name]
    windows = time_windows(segmentation)
    if windows is not None and sliding.applies(kind, windows[1], windows[2]):
        first, window, step = windows
        series = series_of(scope, first, null_ticks=True)
        tick, value, key, start, observed = sliding.lower_sliding(
            scope, series, exploded.others, kind, window=window, step=step
        )
        exploded.replace_item(tick, value)
        exploded.group_by(key, start, having=observed)
        return
    segments = segments_of(scope, segmentation, deviation=needs_deviation(kind), empty_windows=True)
    # a segment's observations are its rows with a tick: an empty time window's one row has none
    value = (
        f"CAST(count({segments.series.tick}) AS DOUBLE)"
        if kind == "COUNT"
        else statistic(kind, segments.series.value, segments.deviation)
    )
    exploded.replace_item(segments.tick, value)
    exploded.group_by(segments.series.key, segments.bucket, having=segments.having)


def _reducer_calls(select: exp.Select) -> list[exp.Anonymous]:
    return calls_in_select(select, SERIES_REDUCERS)


def _keeps_rows(node: exp.Expr) -> bool:
    """Whether a series expression has one row per observation of its series (only added columns)."""
    if isinstance(node, exp.Column):
        return True
    return function_name(node) in ROW_KEEPING and bool(node.expressions) and _keeps_rows(node.expressions[0])


def _reduced_series(scope: Scope, calls: list[exp.Anonymous]) -> dict[str, Series]:
    """The series each reducer reduces, by SQL text. Several are possible only when none drops or adds
    rows (``TS_MAP``, ``TS_ZSCORE``, ``TS_FILLNA``, ``TS_INDEX`` of the same series): they share the rows."""
    if any(not call.expressions for call in calls):
        raise BadRequest("a time-series reducer needs the series as its first argument, e.g. TS_AVG(ts)")
    firsts = {sql(call.expressions[0]): call.expressions[0] for call in calls}
    if len(firsts) > 1 and not all(_keeps_rows(node) for node in firsts.values()):
        raise BadRequest(
            "the time-series reducers of one SELECT must all reduce the same series, e.g. TS_AVG(ts), TS_SD(ts), "
            "or functions of it that keep every observation (TS_MAP, TS_ZSCORE, TS_FILLNA, TS_INDEX)"
        )
    return {text: series_of(scope, node) for text, node in firsts.items()}


def _reduction(call: exp.Anonymous, series: Series, deviation: str) -> str:
    name = function_name(call)
    if name == "TS_COUNT":
        arguments(call, "TS_COUNT(ts)", 1)
        return "count(*)"
    if name == "TS_COUNT_ANCHOR":
        _, condition = arguments(call, "TS_COUNT_ANCHOR(ts, condition)", 2)
        return f"CAST(sum(CASE WHEN {expression_sql(condition, series.value)} THEN 1 ELSE 0 END) AS BIGINT)"
    arguments(call, f"{name}(ts)", 1)
    return statistic(SERIES_REDUCERS[name], series.value, deviation)


def _lower_reducers(scope: Scope) -> None:
    calls = _reducer_calls(scope.select)
    if not calls:
        return
    reduced = _reduced_series(scope, calls)
    deviations = {
        text: deviation_of(scope, series)
        for text, series in reduced.items()
        if any(needs_deviation(SERIES_REDUCERS[function_name(c)]) for c in calls if sql(c.expressions[0]) == text)
    }
    others = items_without(scope.select, calls)
    check_groupable(scope.select, others, "time-series reducers")
    for call in calls:
        text = sql(call.expressions[0])
        call.replace(spark(_reduction(call, reduced[text], deviations.get(text, ""))))
    key = next(iter(reduced.values())).key
    scope.select.group_by(*(unaliased(item).copy() for item in others), spark(key), copy=False)


def _lower_pair_reducers(scope: Scope) -> None:
    calls = calls_in_select(scope.select, PAIR_REDUCERS)
    if not calls:
        return
    if _reducer_calls(scope.select):
        raise BadRequest("pairwise and single-series time-series reducers cannot share a SELECT")
    others = items_without(scope.select, calls)
    check_groupable(scope.select, others, "time-series reducers")
    key = lower_pair_reducers(scope, calls)
    scope.select.group_by(*(unaliased(item).copy() for item in others), spark(key), copy=False)


def lower_time_series(tree: exp.Expr, row_limit: int) -> exp.Expr:
    """The tree with every time-series construct lowered; a TS function left over is a 400. ``row_limit``:
    the datasource's, which bounds the windows a series may have."""
    names = Names(row_limit)
    lower_timestamps(tree)
    for select in list(tree.find_all(exp.Select)):
        lower_format(select, names)
        lower_creation(select, names)
    for select in list(tree.find_all(exp.Select)):
        scope = Scope(select, names)
        lower_flatten(scope)
        _lower_explode(scope)
        _lower_reducers(scope)
        _lower_pair_reducers(scope)
        lower_describe(scope)
        lower_warping(scope)
    if isinstance(tree, exp.Select):
        lower_selected_series(tree, names)
    for node in tree.find_all(exp.Anonymous):
        name = function_name(node)
        if name == TS_FORMAT_MARKER:
            raise BadRequest("USING TIME_SERIES_FORMAT must follow the single table of a SELECT's FROM")
        if name.startswith(("TS_", "TIME_SERIES")):
            raise BadRequest(refusal(name))
    return tree
