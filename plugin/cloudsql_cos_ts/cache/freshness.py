"""How long an entry may be served: the datasource TTL, a per-query override, and settled ranges.

Data of a range that ended long ago (older than the settle time) no longer changes, so such entries
may live a day; a range that touches the recent past keeps the short TTL. An explicit per-query TTL
is the user's decision and is used as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudsql_cos_ts.timerange import TimeRange

SETTLED_TTL_S = 86_400


@dataclass(frozen=True)
class CacheTerms:
    """A datasource's result-cache settings, as plain values (``cacheTtlSeconds``, ``cacheAlignRanges``,
    ``cacheSettleSeconds``, ``cacheAlignStepSeconds``)."""

    ttl_s: int
    align_ranges: bool
    settle_s: int
    align_step_s: int


def is_settled(time_range: TimeRange, now_ms: int, settle_s: int) -> bool:
    """Whether the whole range lies before ``now - settle``: its data no longer arrives."""
    return time_range.to_ms <= now_ms - settle_s * 1000


def time_to_live(
    *, datasource_ttl_s: int, query_ttl_s: int | None, time_range: TimeRange, now_ms: int, settle_s: int
) -> int:
    """Seconds an entry may be served; 0 means do not store it."""
    if query_ttl_s is not None:
        return query_ttl_s
    if datasource_ttl_s > 0 and is_settled(time_range, now_ms, settle_s):
        return max(datasource_ttl_s, SETTLED_TTL_S)
    return datasource_ttl_s


def entry_ttl(terms: CacheTerms, query_ttl_s: int | None, time_range: TimeRange, now_ms: int) -> int:
    """Seconds the entry of a query over ``time_range`` may be served under ``terms``; 0: do not store."""
    return time_to_live(
        datasource_ttl_s=terms.ttl_s,
        query_ttl_s=query_ttl_s,
        time_range=time_range,
        now_ms=now_ms,
        settle_s=terms.settle_s,
    )
