"""Which part of a flow-log source a query reads: the one rule, so pruning never changes an answer.

* **The query bounds its times** (every read of ``FLOW``/``FLOW_FLAT``/``$__source`` has a time
  predicate, ``dialect/time_bounds.py``): the objects that can hold records inside the hull of
  those bounds are read, and the query's own predicates do the rest. A side the predicates leave
  open reaches the start or the end of the source, up to the datasource's scan limit.
* **It does not** (IBM SQL Query read the whole location then): by default the dashboard range
  is applied *exactly* — the records of the objects whose capture window overlaps ``[from, to]`` —
  and the answer says so in a notice; with ``unfilteredQueries: wholeSource`` the whole source is
  read, up to the scan limit. Over the limit the query is a 400 that says how to add a time filter:
  a dashboard must not download a bucket by accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cloudsql_cos_ts.dialect.time_bounds import RelationBounds, TimeBounds
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import UnfilteredQueries
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange

TIME_FILTER_HINT = (
    "add a time filter, e.g. WHERE $__timeFilterColumn(start_time, string) or "
    "WHERE CAST(capture_start_time AS date) = DATE('2020-07-24')"
)


@dataclass(frozen=True)
class SourceScan:
    """The record times whose objects are read, and how the result must be cut and limited."""

    time_range: TimeRange
    # No time predicate: only records of objects whose capture window overlaps ``time_range``.
    dashboard_applied: bool = False
    # The range reaches an end of the source: more objects than this to read is a 400.
    object_limit: int | None = None

    def check_limit(self, objects: int) -> None:
        """Refuse a scan over the limit before anything is downloaded."""
        if self.object_limit is not None and objects > self.object_limit:
            raise BadRequest(
                f"the query would read {objects} flow-log objects, more than this datasource's scan limit of "
                f"{self.object_limit} (setting scanLimitObjects): it has no time predicate that bounds both "
                f"ends; {TIME_FILTER_HINT}"
            )

    def notice(self) -> str | None:
        """What the answer tells the user about the range applied, when the query did not choose it."""
        if not self.dashboard_applied:
            return None
        start, end = self.time_range.start, self.time_range.end
        return (
            f"the query has no time predicate on the flow logs, so the dashboard range was applied "
            f"({start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC: the records of the objects whose "
            f"capture window overlaps it); {TIME_FILTER_HINT}, or set unfilteredQueries to wholeSource "
            "to read the whole source as IBM SQL Query did"
        )


def choose_scan(
    bounds: RelationBounds,
    reads: Iterable[str],
    dashboard: TimeRange,
    *,
    unfiltered: UnfilteredQueries,
    limit: int,
) -> SourceScan:
    """The scan for a query whose source reads are ``reads`` (relation names) with ``bounds``."""
    hull: TimeBounds | None = None
    names = list(reads)
    for name in names:
        found = bounds.get(name)
        if found is None:
            hull = None
            break
        hull = found if hull is None else hull.widened(found)
    if not names:
        return SourceScan(dashboard)
    if hull is None:
        if unfiltered == "dashboardRange":
            return SourceScan(dashboard, dashboard_applied=True)
        return SourceScan(TimeRange(EARLIEST_MS, LATEST_MS), object_limit=limit)
    open_ended = hull.from_ms is None or hull.to_ms is None
    time_range = TimeRange(
        EARLIEST_MS if hull.from_ms is None else max(hull.from_ms, EARLIEST_MS),
        LATEST_MS if hull.to_ms is None else min(hull.to_ms, LATEST_MS),
    )
    return SourceScan(time_range, object_limit=limit if open_ended else None)
