"""IBM's segmenters: which segment(s) each observation belongs to, as columns the reducer groups by.

A segment is identified per key by a ``bucket`` column; an observation in several segments (sliding
windows, overlapping anchors) is repeated once per segment (``explode``). Only segments holding
observations exist. Each segment's tick (``docs/time-series-functions.md``):

* ``TS_SEGMENT_BY_TIME(ts, window, step)`` — windows ``[k·step, k·step + window)`` aligned to
  multiples of ``step`` since tick 0 (1970 for epoch ticks); tick = window start;
* ``TS_SEGMENT(ts, size, step)`` — positions ``j·step … j·step + size - 1`` per key, complete segments
  only; tick = first member;
* ``TS_SEGMENT_BY_SILENCE(ts, gap)`` — a new segment when the time since the previous observation is
  more than ``gap``; tick = first member;
* ``TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)`` — one segment per distinct tick where the
  condition holds, holding the ticks ``[anchor - before, anchor + after]``; tick = the anchor's.

Every ``TS_SEG_*`` reducer, ``TS_SEG_COUNT`` included, puts its value at the segment's tick. IBM's
wording "the first observation of the segment" for ``TS_SEG_COUNT`` is exact for the count, silence
and marker segmenters only: a time window's tick is its start, which may precede its first member.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.expressions import expression_sql
from cloudsql_cos_ts.dialect.timeseries.refused import CANNOT_REPRODUCE, refusal
from cloudsql_cos_ts.dialect.timeseries.sql import Scope, Series, arguments, function_name, sql, whole_number
from cloudsql_cos_ts.dialect.timeseries.transforms import series_of
from cloudsql_cos_ts.errors import BadRequest

_UNITS = "a positive whole number of ticks (milliseconds) or a unit such as hour or PT15M"


@dataclass(frozen=True)
class Segments:
    series: Series
    bucket: str  # identifies the segment within its key
    tick: str  # the segment's tick, valid in the grouped SELECT
    deviation: str  # value minus its series' mean, when a reducer needs it ("" otherwise)


def _positive(node: exp.Expr, what: str) -> int:
    try:
        return whole_number(node, what)
    except BadRequest:
        raise BadRequest(f"{what} must be {_UNITS}") from None


def _window_step(args: list[exp.Expr]) -> tuple[int, int]:
    window = _positive(args[0], "TS_SEGMENT_BY_TIME(ts, window, step): window")
    step = _positive(args[1], "TS_SEGMENT_BY_TIME(ts, window, step): step")
    return window, step


def time_windows(node: exp.Expr) -> tuple[exp.Expr, int, int] | None:
    """(series, window, step) of a ``TS_SEGMENT_BY_TIME`` call; None for the other segmenters."""
    if function_name(node) != "TS_SEGMENT_BY_TIME":
        return None
    first, *rest = arguments(node, _SEGMENTERS["TS_SEGMENT_BY_TIME"][0], 3)
    return first, *_window_step(rest)


def _by_time(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    start = time_buckets(scope, series, *_window_step(args))
    return start, start


def time_buckets(scope: Scope, series: Series, window: int, step: int) -> str:
    """A column: the start of each window ``[k·step, k·step + window)`` holding the row (one row per window)."""
    bucket = f"CAST(floor({series.tick} / {step}) AS BIGINT)"
    if window > step:
        lag = scope.add("lag", f"explode(sequence(0, {math.ceil(window / step) - 1}))")
        bucket = f"({bucket} - {lag})"
    start = scope.add("start", f"{bucket} * {step}")
    if window != step:
        scope.wrap({}, where=f"{series.tick} < {start} + {window}")
    return start


def _by_count(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    size = _positive(args[0], "TS_SEGMENT(ts, size, step): size")
    step = _positive(args[1], "TS_SEGMENT(ts, size, step): step")
    position, length = scope.names.fresh("pos"), scope.names.fresh("len")
    scope.wrap({position: f"row_number() {series.window()} - 1", length: f"count(*) OVER (PARTITION BY {series.key})"})
    lag = scope.add("lag", f"explode(sequence(0, {math.ceil(size / step) - 1}))")
    segment = scope.names.fresh("segment")
    scope.wrap({segment: f"CAST(floor({position} / {step}) AS BIGINT) - {lag}"})
    end = f"{segment} * {step} + {size}"  # segment j starts at j * step <= position by construction
    scope.wrap({}, where=f"{segment} >= 0 AND {position} < {end} AND {end} <= {length}")
    return segment, f"min({series.tick})"


def _by_silence(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    gap = whole_number(args[0], "TS_SEGMENT_BY_SILENCE(ts, gap): gap", minimum=0)
    previous = scope.add("prev_tick", f"lag({series.tick}) {series.window()}")
    starts = f"CASE WHEN {previous} IS NULL OR {series.tick} - {previous} > {gap} THEN 1 ELSE 0 END"
    segment = scope.add("segment", f"sum({starts}) {series.window('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW')}")
    return segment, f"min({series.tick})"


def _bound(ticks: int, before_side: bool) -> str:
    if before_side:
        return f"{ticks} PRECEDING" if ticks >= 0 else f"{-ticks} FOLLOWING"
    return f"{ticks} FOLLOWING" if ticks >= 0 else f"{-ticks} PRECEDING"


def _by_anchor(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    condition = expression_sql(args[0], series.value)
    where = "TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)"
    before = whole_number(args[1], f"{where}: before", minimum=-(2**62))
    after = whole_number(args[2], f"{where}: after", minimum=-(2**62))
    if before + after < 0:
        raise BadRequest(f"{where}: the window [anchor - before, anchor + after] is empty")
    # observation t is in anchor a's segment when a - before <= t <= a + after, i.e. t - after <= a <= t + before
    frame = f"RANGE BETWEEN {_bound(after, True)} AND {_bound(before, False)}"
    anchored = f"CASE WHEN coalesce({condition}, false) THEN {series.tick} END"
    window = f"OVER (PARTITION BY {series.key} ORDER BY {series.tick} {frame})"
    anchors = scope.add("anchors", f"array_distinct(collect_list({anchored}) {window})")
    anchor = scope.add("anchor", f"explode({anchors})")
    return anchor, anchor


_SEGMENTERS = {
    "TS_SEGMENT_BY_TIME": ("TS_SEGMENT_BY_TIME(ts, window, step)", 2, _by_time),
    "TS_SEGMENT": ("TS_SEGMENT(ts, size, step)", 2, _by_count),
    "TS_SEGMENT_BY_SILENCE": ("TS_SEGMENT_BY_SILENCE(ts, gap)", 1, _by_silence),
    "TS_SEGMENT_BY_ANCHOR": ("TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)", 3, _by_anchor),
}


def deviation_of(scope: Scope, series: Series) -> str:
    """A column: each value minus its series' mean (skewness and kurtosis sum powers of it)."""
    return scope.add("deviation", f"{series.value} - avg({series.value}) OVER (PARTITION BY {series.key})")


def segments_of(scope: Scope, node: exp.Expr, *, deviation: bool) -> Segments:
    """The segments a segmenter call describes, its series' columns added to the SELECT's rows."""
    name = function_name(node)
    if name in CANNOT_REPRODUCE:
        raise BadRequest(refusal(name))
    if name not in _SEGMENTERS:
        raise BadRequest(f"{sql(node)} is not a segmentation; use one of {', '.join(sorted(_SEGMENTERS))}")
    signature, extra, lower = _SEGMENTERS[name]
    first, *rest = arguments(node, signature, extra + 1)
    series = series_of(scope, first, null_ticks=name == "TS_SEGMENT_BY_TIME" and not deviation)
    centred = deviation_of(scope, series) if deviation else ""
    bucket, tick = lower(scope, series, rest)
    return Segments(series, bucket, tick, centred)
