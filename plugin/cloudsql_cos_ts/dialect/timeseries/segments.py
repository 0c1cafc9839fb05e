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
* ``TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap)`` — the same against a smoothed gap
  (``_by_smoothed_silence``); tick = first member;
* ``TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)`` — one segment per distinct tick where the
  condition holds, holding the ticks ``[anchor - before, anchor + after]``; tick = the anchor's.
* ``TS_SEGMENT_BY_MARKER(ts, marker, flags)`` — between consecutive markers (``_by_marker``);
  tick = first member;
* ``TS_SEGMENT_BY_DUAL_MARKER(ts, start, end[, flags])`` — from a start marker to an end marker
  (``_by_dual_marker``); tick = first member.

Every ``TS_SEG_*`` reducer, ``TS_SEG_COUNT`` included, puts its value at the segment's tick. IBM's
wording "the first observation of the segment" for ``TS_SEG_COUNT`` is exact for the count, silence
and marker segmenters only: a time window's tick is its start, which may precede its first member.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.arrays import let
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
    having: str  # keeps the real segments (drops the one of rows without a tick)


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
    first, *rest = arguments(node, str(_SEGMENTERS["TS_SEGMENT_BY_TIME"][0]), 3)
    return first, *_window_step(rest)


def _by_time(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    start = time_buckets(scope, series, *_window_step(args))
    return start, start


def time_buckets(scope: Scope, series: Series, window: int, step: int, *, ranged: bool = True) -> str:
    """A column: the start of each window ``[k·step, k·step + window)`` holding the row (one row per window),
    sliding windows limited to the range IBM emits (``sliding_bounds``) unless not ``ranged`` (the caller
    limits them: ``with_empty_windows`` does, in the pass that finds the empty ones)."""
    bucket = f"CAST(floor({series.tick} / {step}) AS BIGINT)"
    if window > step:
        lag = scope.add("lag", f"explode(sequence(0, {math.ceil(window / step) - 1}))")
        bucket = f"({bucket} - {lag})"
    start = scope.add("start", f"{bucket} * {step}")
    conditions = [f"{series.tick} < {start} + {window}"] if window != step else []
    if window > step and ranged:  # over the rows once per window (``with_empty_windows`` says why)
        low, high = scope.names.fresh("low"), scope.names.fresh("high")
        bounds = sliding_bounds(series.key, series.tick, series.tick, window=window, step=step)
        scope.wrap(dict(zip((low, high), bounds, strict=True)))
        conditions.append(f"{start} BETWEEN {low} AND {high}")
    if conditions:
        scope.wrap({}, where=" AND ".join(conditions))
    return start


def sliding_bounds(key: str, first: str, last: str, *, window: int, step: int) -> tuple[str, str]:
    """The SQL of the first and the last start of a key's sliding windows, as IBM's sibling library emits
    them — from the step boundary at or below the key's first tick to the first window whose end reaches
    its last tick (windows starting earlier or later, which also hold its first or last observations, are
    not emitted). ``first`` and ``last`` bound the row's ticks (a tick, or a step bucket's first and last
    possible tick). Per-key window aggregates of one partitioning, so one wrap computes both in one pass."""
    per_key = f"OVER (PARTITION BY {key})"
    low = f"CAST(floor(min({first}) {per_key} / {step}) AS BIGINT) * {step}"
    reaching = f"CAST(ceil((max({last}) {per_key} - {window - 1}) / {step}) AS BIGINT) * {step}"
    return low, f"greatest({low}, {reaching})"


# A series' windows, empty ones included, as rows before grouping: more than the datasource's row limit is a
# 400 (the engine's error, raised by the SQL) rather than an explosion of rows (one window per millisecond of
# a year).
_TOO_MANY = (
    "TS_SEGMENT_BY_TIME(ts, window, step): a series would have more than {} windows, "
    "the row limit; use a longer step or a shorter time range"
)


def with_empty_windows(
    scope: Scope,
    key: str,
    start: str,
    step: int,
    columns: list[str],
    *,
    earliest: str,
    span: tuple[str, str, int] | None = None,
) -> tuple[str, list[str]]:
    """The rows plus one member-less row per window start from the key's first to its last window: IBM
    emits empty windows, which a GROUP BY over the observations alone cannot. The rows of a key's first
    window at its smallest ``earliest`` (the tick; one row unless ticks tie) carry the whole range of
    starts, chosen without sorting the rows (a ``row_number`` would sort every observation); the added rows'
    ``columns`` (tick, value …) are NULL, so every statistic skips them, ties' copies included, and a
    window without members counts 0. With ``span`` (the rows' first and last possible tick and the window)
    the range is IBM's for sliding windows (``sliding_bounds``) and the rows' windows outside it go: computed
    here, over the rows once per window, rather than before, where DuckDB answers a per-key aggregate
    window by joining the rows' source with its aggregate, reading the source twice. The new names of the
    start and of ``columns``."""
    per_key = f"OVER (PARTITION BY {key})"
    if span is None:
        lowest, highest = f"min({start}) {per_key}", f"max({start}) {per_key}"
    else:
        first, last, window = span
        lowest, highest = sliding_bounds(key, first, last, window=window, step=step)
    low, high, carrier = (scope.names.fresh(part) for part in ("low", "high", "carrier"))
    scope.wrap({low: lowest, high: highest, carrier: f"{start} = {lowest} AND {earliest} = min({earliest}) {per_key}"})
    own = f"array(named_struct('s', {start}, 'm', true))"
    starts = f"transform(sequence({low}, {high}, CAST({step} AS BIGINT)), s_ -> named_struct('s', s_, 'm', false))"
    limit = scope.names.row_limit
    too_many = f"{high} - {low} >= {min(limit * step, 2**62)}"
    added = f"CASE WHEN {too_many} THEN raise_error('{_TOO_MANY.format(limit)}') ELSE {starts} END"
    rows = f"CASE WHEN {carrier} THEN concat({own}, {added}) ELSE {own} END"
    entry = scope.names.fresh("window")
    scope.wrap({entry: f"explode({rows})"}, where=f"{start} BETWEEN {low} AND {high}" if span else "")
    masked = [scope.names.fresh("member") for _ in columns]
    window_start = scope.names.fresh("start")
    scope.wrap(
        {window_start: f"{entry}.s"}
        | {name: f"CASE WHEN {entry}.m THEN {column} END" for name, column in zip(masked, columns, strict=True)}
    )
    return window_start, masked


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


def _ratio(node: exp.Expr, what: str) -> str:
    number = node.this if isinstance(node, exp.Neg) else node
    if not (isinstance(number, exp.Literal) and not number.is_string):
        raise BadRequest(f"TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap): {what} must be a number")
    return f"CAST({sql(node)} AS DOUBLE)"


def _by_smoothed_silence(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    """A new segment where the gap to the previous observation exceeds ``min(T · factor, cap)``, T the
    inter-arrival time smoothed exponentially with ``alpha`` over the gaps before. IBM left the seed and the
    update open: T starts as the first gap (which is compared with ``cap`` alone, there being no T yet), and
    every gap, breaking or not, updates it (``T = alpha · gap + (1 - alpha) · T``). The recurrence runs once
    per key over the array of its gaps (on the key's first row, handed to the others)."""
    alpha, factor = _ratio(args[0], "alpha"), _ratio(args[1], "factor")
    cap = whole_number(args[2], "TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap): cap", minimum=0)
    position, gap = scope.names.fresh("pos"), scope.names.fresh("gap")
    scope.wrap(
        {position: f"row_number() {series.window()}", gap: f"{series.tick} - lag({series.tick}) {series.window()}"}
    )
    points = f"collect_list(named_struct('p', {position}, 'g', {gap})) OVER (PARTITION BY {series.key})"
    gaps = scope.add("gaps", f"transform(array_sort({points}), x -> x.g)")
    breaks = f"CASE WHEN s.t IS NULL THEN g_ > {cap} ELSE g_ > least(s.t * {factor}, {cap}) END"
    smoothed = f"CASE WHEN s.t IS NULL THEN g_ ELSE {alpha} * g_ + (1 - {alpha}) * s.t END"
    last = "element_at(s.ids, size(s.ids))"
    step = (
        f"named_struct('t', CAST({smoothed} AS DOUBLE), 'ids', "
        f"concat(s.ids, array({last} + CASE WHEN {breaks} THEN 1 ELSE 0 END)))"
    )
    start = "named_struct('t', CAST(NULL AS DOUBLE), 'ids', array(CAST(0 AS BIGINT)))"
    walked = f"aggregate(sequence(2, size({gaps})), {start}, (s, i) -> {let('g_', f'element_at({gaps}, i)', step)})"
    ids = f"CASE WHEN size({gaps}) = 1 THEN array(CAST(0 AS BIGINT)) ELSE {let('r_', walked, 'r_.ids')} END"
    segments = scope.names.fresh("segments")
    first_row = f"CASE WHEN {position} = 1 THEN {ids} END"
    scope.wrap({segments: f"first_value({first_row}) OVER (PARTITION BY {series.key} ORDER BY {position})"})
    segment = scope.add("segment", f"element_at({segments}, CAST({position} AS INT))")
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


def _flag(node: exp.Expr, what: str, name: str = "TS_SEGMENT_BY_DUAL_MARKER") -> bool:
    if not isinstance(node, exp.Boolean):
        raise BadRequest(f"{name}'s {what} must be true or false")
    return bool(node.this)


def _by_marker(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    """Segments between markers: the k-th marker (in series order) closes segment k - 1 and opens segment k.

    IBM's prose gives three flags — whether a marker belongs to the segment it closes
    (``prevInclusive``), to the one it opens (``nextInclusive``), and whether a segment needs a marker
    at both ends (``requiresStartAndEnd``; false also keeps the piece before the first marker and the
    one after the last). Its grammar shows a fourth flag that no text explains, so that form is a 400.
    A row belongs to one segment, a marker to up to two, so each row carries the array of its
    segments and is exploded once per segment."""
    marker, *given = args
    name = "TS_SEGMENT_BY_MARKER"
    closes, opens, enclosed = (
        _flag(node, what, name)
        for node, what in zip(given, ("prevInclusive", "nextInclusive", "requiresStartAndEnd"), strict=True)
    )
    is_marker, count, total = (scope.names.fresh(part) for part in ("is_marker", "markers", "total"))
    scope.wrap({is_marker: f"coalesce({expression_sql(marker, series.value)}, false)"})
    running = series.window("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW")
    markers = f"count(CASE WHEN {is_marker} THEN 1 END)"
    scope.wrap({count: f"{markers} {running}", total: f"{markers} OVER (PARTITION BY {series.key})"})
    owned = [f"{count} - 1"] * closes + [count] * opens
    segment_ids = (
        f"CASE WHEN {is_marker} THEN array({', '.join(owned)}) ELSE array({count}) END"
        if owned
        else (f"CASE WHEN {is_marker} THEN CAST(array() AS ARRAY<BIGINT>) ELSE array({count}) END")
    )
    segment = scope.add("segment", f"explode({segment_ids})")
    if enclosed:
        scope.wrap({}, where=f"{segment} BETWEEN 1 AND {total} - 1")
    return segment, f"min({series.tick})"


_DUAL_FLAGS = ("startInclusive", "endInclusive", "startOnFirst", "endOnFirst")
_DUAL_DEFAULTS = (True, True, False, True)  # the sibling library's defaults


def _by_dual_marker(scope: Scope, series: Series, args: list[exp.Expr]) -> tuple[str, str]:
    """Segments from a start marker to an end marker (an observation matching both is a start marker).

    Scanning in series order, a start marker opens a segment; while one is open, a later start marker
    moves its start unless ``startOnFirst``, and an end marker ends it (``endOnFirst``) or is its end
    so far, until a start marker opens the next segment. So a start marker begins a new *epoch* when
    an end marker lies between it and the previous start marker; within an epoch every start marker
    precedes every end marker, and the segment runs from its first (``startOnFirst``) or last start
    marker to its first (``endOnFirst``) or last end marker; an epoch without an end marker is no segment."""
    start_condition, end_condition, *given = args
    flags = [_flag(node, what) for node, what in zip(given, _DUAL_FLAGS, strict=False)] or list(_DUAL_DEFAULTS)
    start_inclusive, end_inclusive, start_on_first, end_on_first = flags
    is_start, is_end, position, ends = (scope.names.fresh(part) for part in ("is_start", "is_end", "pos", "ends"))
    starts = f"coalesce({expression_sql(start_condition, series.value)}, false)"
    scope.wrap(
        {
            is_start: starts,
            is_end: f"NOT {starts} AND coalesce({expression_sql(end_condition, series.value)}, false)",
            position: f"row_number() {series.window()}",
        }
    )
    running = series.window("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW")
    before = series.window("ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")
    scope.wrap({ends: f"count(CASE WHEN {is_end} THEN 1 END) {running}"})
    at_last_start = f"max(CASE WHEN {is_start} THEN {ends} END) {before}"
    begins = scope.add("begins", f"{is_start} AND coalesce({ends} > {at_last_start}, true)")
    epoch = scope.add("epoch", f"sum(CASE WHEN {begins} THEN 1 ELSE 0 END) {running}")
    in_epoch = f"OVER (PARTITION BY {series.key}, {epoch})"
    pick_start, pick_end = ("min" if start_on_first else "max"), ("min" if end_on_first else "max")
    first, last = scope.names.fresh("seg_start"), scope.names.fresh("seg_end")
    scope.wrap(
        {
            first: f"{pick_start}(CASE WHEN {is_start} THEN {position} END) {in_epoch}",
            last: f"{pick_end}(CASE WHEN {is_end} THEN {position} END) {in_epoch}",
        }
    )
    low = f"{first} + {0 if start_inclusive else 1}"
    high = f"{last} - {0 if end_inclusive else 1}"
    scope.wrap({}, where=f"{epoch} > 0 AND {position} BETWEEN {low} AND {high}")
    return epoch, f"min({series.tick})"


_SEGMENTERS = {
    "TS_SEGMENT_BY_TIME": ("TS_SEGMENT_BY_TIME(ts, window, step)", 2, _by_time),
    "TS_SEGMENT": ("TS_SEGMENT(ts, size, step)", 2, _by_count),
    "TS_SEGMENT_BY_SILENCE": ("TS_SEGMENT_BY_SILENCE(ts, gap)", 1, _by_silence),
    "TS_SEGMENT_BY_SMOOTHED_SILENCE": (
        "TS_SEGMENT_BY_SMOOTHED_SILENCE(ts, alpha, factor, cap)",
        3,
        _by_smoothed_silence,
    ),
    "TS_SEGMENT_BY_ANCHOR": ("TS_SEGMENT_BY_ANCHOR(ts, condition, before, after)", 3, _by_anchor),
    "TS_SEGMENT_BY_MARKER": (
        "TS_SEGMENT_BY_MARKER(ts, marker_condition, prevInclusive, nextInclusive, requiresStartAndEnd)",
        4,
        _by_marker,
    ),
    "TS_SEGMENT_BY_DUAL_MARKER": (
        "TS_SEGMENT_BY_DUAL_MARKER(ts, start_condition, end_condition[, startInclusive, endInclusive, "
        "startOnFirst, endOnFirst])",
        (2, 6),
        _by_dual_marker,
    ),
}


def deviation_of(scope: Scope, series: Series) -> str:
    """A column: each value minus its series' mean (skewness and kurtosis sum powers of it)."""
    return scope.add("deviation", f"{series.value} - avg({series.value}) OVER (PARTITION BY {series.key})")


def segments_of(scope: Scope, node: exp.Expr, *, deviation: bool, empty_windows: bool = False) -> Segments:
    """The segments a segmenter call describes, its series' columns added to the SELECT's rows;
    ``empty_windows`` adds the member-less time windows (for reducers: ``TS_FLATTEN`` has no empty series)."""
    name = function_name(node)
    if name in CANNOT_REPRODUCE:
        raise BadRequest(refusal(name))
    if name not in _SEGMENTERS:
        raise BadRequest(f"{sql(node)} is not a segmentation; use one of {', '.join(sorted(_SEGMENTERS))}")
    signature, extra, lower = _SEGMENTERS[name]
    counts = extra if isinstance(extra, tuple) else (extra,)
    first, *rest = arguments(node, signature, *(count + 1 for count in counts))
    series = series_of(scope, first, null_ticks=name == "TS_SEGMENT_BY_TIME" and not deviation)
    centred = deviation_of(scope, series) if deviation else ""
    if name != "TS_SEGMENT_BY_TIME" or not empty_windows:
        bucket, tick = lower(scope, series, rest)
        return Segments(series, bucket, tick, centred, f"min({series.tick}) IS NOT NULL")
    window, step = _window_step(rest)
    # IBM's range of sliding windows is applied with the empty windows, in their pass over the rows
    start = time_buckets(scope, series, window, step, ranged=False)
    columns = [series.tick, series.value, *([centred] if centred else [])]
    span = (series.tick, series.tick, window) if window > step else None
    bucket, (tick, value, *deviations) = with_empty_windows(
        scope, series.key, start, step, columns, earliest=series.tick, span=span
    )
    masked = Series(tick, value, series.key)
    return Segments(masked, bucket, bucket, "".join(deviations), f"{bucket} IS NOT NULL")
