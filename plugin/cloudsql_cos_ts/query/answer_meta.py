"""What an answer's first frame says about itself: the SQL that ran, the cache, the stats.

Written in one place for the three ways an answer comes about (:data:`cloudsql_cos_ts.cache.service.Origin`):
a run of this query gets it when its frames are built; an entry served from the store, or the run
of an identical query this one joined, was built for another query, so its first frame is re-stamped
with what *this* query asked (its executed and expanded SQL — two queries share an entry when their
engine SQL is the same, though their text may differ) and, for a store hit, ``hit: true``, the
entry's age and a hit's stats. Re-stamping rewrites the meta only; the columns are reused.
"""

from __future__ import annotations

from typing import Any

from cloudsql_cos_ts.cache import Served
from cloudsql_cos_ts.frames.meta import FrameMeta, restamp
from cloudsql_cos_ts.query.stats import AnswerStats
from cloudsql_cos_ts.timerange import TimeRange


def cache_info(*, hit: bool, age_s: int, queried_range: TimeRange) -> dict[str, Any]:
    """``meta.custom.cache``: hit or miss, the entry's age and the (aligned) range actually queried."""
    return {"hit": hit, "ageSeconds": age_s, "queriedRange": {"from": queried_range.from_ms, "to": queried_range.to_ms}}


def describe_run(meta: FrameMeta, *, expanded_sql: str, queried_range: TimeRange, stats: AnswerStats) -> None:
    """The meta of a fresh result's first frame (what an entry stores)."""
    meta.custom["expandedSql"] = expanded_sql
    meta.custom["cache"] = cache_info(hit=False, age_s=0, queried_range=queried_range)
    meta.stats = stats.query_stats()


def served_frames(served: Served, *, executed_sql: str, expanded_sql: str, engine: str) -> list[bytes]:
    """The frames to answer with: as they are for this query's own run, re-stamped otherwise."""
    frames = served.result.frames
    if served.origin == "run" or not frames:
        return frames

    def update(meta: FrameMeta) -> None:
        meta.executed_query_string = executed_sql
        meta.custom["expandedSql"] = expanded_sql
        if served.origin == "stored":
            meta.custom["cache"] = cache_info(hit=True, age_s=served.age_s, queried_range=served.result.queried_range)
            meta.stats = AnswerStats.of_hit(engine).query_stats()

    stamp = (served.origin, served.age_s, executed_sql, expanded_sql, engine)
    return served.frames_as(stamp, lambda stored: [restamp(stored[0], update), *stored[1:]])
