"""Align a live time range to a step, so "last 6 hours" refreshed a minute later has the same key.

Grafana sends relative ranges as absolute milliseconds that move with the clock, so without
alignment no two refreshes share a key. The range is widened outward to a multiple of a step of
about 1/100 of its span (at least the panel interval and the datasource's minimum step), so the
queried range always covers the requested one; the frame meta reports the range actually queried.
Settled ranges (entirely in the past) are left exact: they repeat as they are.
"""

from __future__ import annotations

from cloudsql_cos_ts.cache.freshness import CacheTerms, entry_ttl, is_settled
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange

ALIGN_DIVISIONS = 100
"""The step is about span / ALIGN_DIVISIONS: each end moves by at most ~1% of the span."""

_NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def alignment_step_ms(time_range: TimeRange, interval_ms: int, min_step_s: int) -> int:
    """The step for ``time_range``: a round duration of about span/100, never below the interval or the minimum."""
    span_ms = max(time_range.to_ms - time_range.from_ms, 0)
    wanted_s = max(span_ms / ALIGN_DIVISIONS / 1000, min_step_s, 1)
    nice_s = next((s for s in _NICE_STEPS_S if s >= wanted_s), 86400 * -(-int(wanted_s) // 86400))
    return max(nice_s * 1000, interval_ms)


def align_range(time_range: TimeRange, step_ms: int) -> TimeRange:
    """Widen the range outward to multiples of ``step_ms`` (epoch-based, so all panels agree).

    Never past the years 1 and 9999: a range ending in 9999's last day would otherwise be widened
    into the year 10000, which no macro can write.
    """
    start = max(time_range.from_ms - time_range.from_ms % step_ms, EARLIEST_MS)
    end = min(time_range.to_ms + (-time_range.to_ms) % step_ms, LATEST_MS)
    return TimeRange(start, end)


def cached_range(
    time_range: TimeRange, *, interval_ms: int, query_ttl_s: int | None, terms: CacheTerms, exact: bool, now_ms: int
) -> TimeRange:
    """The range a query is expanded with: ``time_range`` aligned when that lets refreshes share entries.

    An ``exact`` query (alerting) keeps its window (stable output); settled ranges repeat as they
    are; and with caching off there is nothing to share.
    """
    if exact or not terms.align_ranges or entry_ttl(terms, query_ttl_s, time_range, now_ms) == 0:
        return time_range
    if is_settled(time_range, now_ms, terms.settle_s):
        return time_range
    return align_range(time_range, alignment_step_ms(time_range, interval_ms, terms.align_step_s))
