"""The entries a range resolved to, reused by the queries that share the range's listings.

When a dashboard loads, its panels ask for the same range within a second and get the very same
listing objects (``pruning.LISTING_TTL_S``). Cutting them into hours and days and checking every
entry's manifest against them again would give the same entries each time, yet cost a warm panel
more CPU than anything else but DuckDB itself (with the GIL held, while the other panels wait;
W1 in docs/benchmarks.md). A range relative to now asks again with a start later each time, and so a
later modified-time cutoff (``pruning.modified_cutoff``), which changes the objects needed only when it
passes an object's LastModified; a plan holds the window of cutoffs that need its objects (``CutoffWindow``)
and serves any of them. So the answer is kept, keyed by the hours it covers and the listings' identity:
new listings (after the TTL, or objects listed anew) never find an old plan, so a plan may live as long
as the longest-shared listing (``SETTLED_LISTING_TTL_S``). A plan is only used
while all its entry files exist; entries are immutable, so an existing one is still exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cloudsql_cos_ts.flowlogs.pruning import SETTLED_LISTING_TTL_S, CutoffWindow, Listing, RangeListing
from cloudsql_cos_ts.lru import BoundedLru

MAX_PLANS = 64


@dataclass(frozen=True)
class Plan:
    listings: tuple[Listing, ...]  # held, so their ids cannot be reused while the plan lives
    paths: list[Path]
    objects_listed: int
    objects_needed: int
    bytes_needed: int
    cutoffs: CutoffWindow  # the modified-time cutoffs for which the same objects are needed
    damaged: tuple[str, ...] = ()  # keys of needed objects that could not be read, sorted
    runs: tuple[tuple[int, int], ...] = ()  # runs of ``paths`` of settled days (``groups.settled_runs``)


class PlanMemo:
    """Plans by (first hour, last hour), valid for exactly the listings they were made from and for the cutoffs
    that need the same objects (a range's start, which sets the cutoff, moves at every refresh)."""

    def __init__(self, ttl_s: float = SETTLED_LISTING_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._plans: BoundedLru[tuple[datetime, datetime], tuple[float, Plan]] = BoundedLru(MAX_PLANS)

    def get(self, listed: RangeListing) -> Plan | None:
        now = time.monotonic()
        found = self._plans.get(_key(listed), valid=lambda made: now - made[0] < self._ttl_s)
        if found is None:
            return None
        plan = found[1]
        same = len(plan.listings) == len(listed.listings) and all(
            mine is theirs for mine, theirs in zip(plan.listings, listed.listings, strict=True)
        )
        return plan if same and plan.cutoffs.holds(listed.cutoff) else None

    def put(self, listed: RangeListing, plan: Plan) -> None:
        self._plans.put(_key(listed), (time.monotonic(), plan))


def _key(listed: RangeListing) -> tuple[datetime, datetime]:
    return listed.span.first, listed.span.last
