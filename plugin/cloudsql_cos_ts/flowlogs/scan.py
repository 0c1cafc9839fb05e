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

The scan limit is one of the limits of the query's ``Budget`` (``settings/budget.py``): whatever
limit binds, the check is the same, made once on the pruned listing before anything is downloaded,
and the refusal gives the estimate and how to narrow the query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cloudsql_cos_ts.dialect.time_bounds import RelationBounds, TimeBounds
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.budget import Budget, Budgets
from cloudsql_cos_ts.settings.datasource import UnfilteredQueries
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange

TIME_FILTER_HINT = (
    "add a time filter, e.g. WHERE $__timeFilterColumn(start_time, string) or "
    "WHERE CAST(capture_start_time AS date) = DATE('2020-07-24')"
)
NARROW_HINT = (
    "choose a smaller dashboard range, add a time filter ($__timeFilterColumn(start_time, string)) or fix the "
    "partition columns (WHERE year = 2026 AND month = 12 AND day = 6)"
)


@dataclass(frozen=True)
class SourceScan:
    """The record times whose objects are read, and how the result must be cut and limited."""

    time_range: TimeRange
    # No time predicate: only records of objects whose capture window overlaps ``time_range``.
    dashboard_applied: bool = False
    # What the query may read after pruning (the scan limit included when the range reaches an end).
    budget: Budget = field(default_factory=Budget)
    # An alert evaluation lists anew: it must see the objects written since the last one (queries of a
    # dashboard load share listings for a few seconds, pruning.LISTING_TTL_S).
    fresh_listing: bool = False

    def over_budget(self, objects: int, size: int) -> str | None:
        """Why reading ``objects`` objects of ``size`` bytes is refused, or None when the budget allows it."""
        budget = self.budget
        if budget.objects is not None and objects > budget.objects.limit:
            cap, limit = budget.objects, f"{budget.objects.limit}"
        elif budget.bytes is not None and size > budget.bytes.limit:
            cap, limit = budget.bytes, _megabytes(budget.bytes.limit)
        else:
            return None
        hint = (
            f"it has no time predicate that bounds both ends; {TIME_FILTER_HINT}"
            if cap.setting == "scanLimitObjects"
            else f"narrow it: {NARROW_HINT}"
        )
        return (
            f"the query would read {objects} flow-log objects ({_megabytes(size)}), more than this datasource's "
            f"{cap.name} of {limit} (setting {cap.setting}): "
            f"{hint}"
        )

    def check(self, objects: int, size: int) -> None:
        """Refuse a scan over its budget before anything is downloaded (a 400: the user narrows the query)."""
        refusal = self.over_budget(objects, size)
        if refusal is not None:
            raise BadRequest(refusal)

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
    budgets: Budgets,
    from_alert: bool = False,
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
        return SourceScan(dashboard, budget=budgets.for_query(from_alert=from_alert, open_ended=False))
    if hull is None:
        if unfiltered == "dashboardRange":
            time_range, applied, open_ended = dashboard, True, False
        else:
            time_range, applied, open_ended = TimeRange(EARLIEST_MS, LATEST_MS), False, True
    else:
        applied, open_ended = False, hull.from_ms is None or hull.to_ms is None
        time_range = TimeRange(
            EARLIEST_MS if hull.from_ms is None else max(hull.from_ms, EARLIEST_MS),
            LATEST_MS if hull.to_ms is None else min(hull.to_ms, LATEST_MS),
        )
    budget = budgets.for_query(from_alert=from_alert, open_ended=open_ended)
    return SourceScan(time_range, applied, budget, fresh_listing=from_alert)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"
