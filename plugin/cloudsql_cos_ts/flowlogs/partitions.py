"""Which day and hour prefixes of each vNIC a range needs listed, found from the folders that exist.

A vNIC's objects sit below ``year=YYYY/month=MM/day=DD/hour=HH/``. Naming every hour of the range
costs in proportion to its length whatever the bucket holds: a range from 1900 to now is 1.1 million
hours, which listed nothing for a minute of CPU. So the range is cut down level by level:

* a span of few prefixes (at most :data:`ENUMERATE_LIMIT` day and hour listings, e.g. the last seven
  days) is named directly, one listing per whole day and one per hour at its edges, as before: the
  folders of a live range exist, and naming them costs no extra round trip;
* a wider span lists the level below it with a delimiter (``year=`` folders of the vNIC, then the
  ``month=`` folders of each year present, then ``day=``) and goes on only into the folders that
  exist and overlap the range.

An empty century therefore costs one delimiter listing per vNIC; ten years over two hours of data a
few more. A day always reaches the direct case (at most 24 hour listings), so nothing below ``day=``
is walked.

A span of few prefixes is still walked where naming them would mostly name folders that cannot exist:

* where the span runs on past a listed folder and no sibling folder adjoins it on that side, the
  data starts or ends inside that folder (an open-ended scan from a day of the data's last month to
  the year 9999), so its children are listed rather than its days named;
* where more of the span's prefixes lie after today than the walk would list levels: objects are
  written after their hour, so a span reaching past now (``This month``, an open-ended scan) names
  folders that do not exist yet. Folders filed in the future are still found: the walk lists what
  is there, it never skips by date.

A closed range over data present on both sides (``Last 7 days``, a past week) is named as before
and pays no extra listing. A folder that is not listed holds no object, so the listings found are
the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from cloudsql_cos_ts.flowlogs.layout import ONE_HOUR, TIME_LEVELS, day_suffix, floor_hour, hour_suffix

ENUMERATE_LIMIT = 64
"""Name at most this many day/hour prefixes of one folder directly; list the folder's children beyond."""

_ONE_DAY = timedelta(days=1)
_LAST_HOUR = timedelta(hours=23)


@dataclass(frozen=True)
class HourSpan:
    """The hours ``first`` .. ``last`` (both included, UTC hour starts) a range can touch."""

    first: datetime
    last: datetime

    def __contains__(self, hour: object) -> bool:
        return isinstance(hour, datetime) and self.first <= hour <= self.last

    def __len__(self) -> int:
        return (self.last - self.first) // ONE_HOUR + 1

    def covers_day(self, day: datetime) -> bool:
        """Whether all 24 hours of the day starting at ``day`` lie in the span."""
        return self.first <= day and day + _LAST_HOUR <= self.last


@dataclass(frozen=True)
class _Folder:
    """A vNIC prefix, or one of its ``year=``/``month=``/``day=`` folders, with the time values in its path.

    ``open_before``/``open_after``: no listed sibling adjoins it on that side, so the data may start or
    end inside it.
    """

    vnic: str
    path: str
    values: tuple[int, ...]  # () for the vNIC prefix, then (year,), (year, month), (year, month, day)
    open_before: bool = False
    open_after: bool = False

    def hours(self) -> HourSpan | None:
        """The hours the folder can hold; None for a folder naming no date (``month=13``)."""
        if not self.values:
            return _ALL_HOURS
        year, month, day = (*self.values, 1, 1)[:3]
        try:
            first = datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            return None
        if len(self.values) == 3:
            return HourSpan(first, first + _LAST_HOUR)
        if len(self.values) == 2 and month < 12:
            return HourSpan(first, datetime(year, month + 1, 1, tzinfo=UTC) - ONE_HOUR)
        return HourSpan(first, datetime(year, 12, 31, 23, tzinfo=UTC))

    def child(self, prefix: str) -> _Folder | None:
        """The folder ``prefix`` listed below this one, when it is the next time level with a number."""
        name, _, value = prefix.rstrip("/").rpartition("/")[2].partition("=")
        if name != TIME_LEVELS[len(self.values)] or not value.isdigit() or len(value) > 4:
            return None
        return _Folder(self.vnic, prefix, (*self.values, int(value)))

    def children(self, prefixes: list[str]) -> list[_Folder]:
        """The dated folders listed below this one, each marked where no sibling adjoins it."""
        dated = sorted(
            ((hours, child) for child in map(self.child, prefixes) if child and (hours := child.hours())),
            key=lambda pair: pair[0].first,
        )
        gaps = [before.last + ONE_HOUR != after.first for (before, _), (after, _) in pairwise(dated)]
        edges = [True, *gaps, True]  # whether a gap lies before each folder; the last one, after the newest
        return [replace(child, open_before=edges[i], open_after=edges[i + 1]) for i, (_, child) in enumerate(dated)]

    def walks(self, inside: HourSpan, span: HourSpan, today_ends: datetime) -> bool:
        """Whether to list this folder's children rather than name the days of ``inside`` (the module docstring)."""
        levels = len(TIME_LEVELS) - 1 - len(self.values)  # the listings a walk down to the days costs at most
        if levels <= 0:
            return False
        if _count(inside) > ENUMERATE_LIMIT:
            return True
        if (self.open_before and span.first < inside.first) or (self.open_after and inside.last < span.last):
            return True
        ahead = _clip(inside, HourSpan(today_ends, _ALL_HOURS.last))
        return ahead is not None and _count(ahead) > levels


_ALL_HOURS = HourSpan(datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=UTC))


def _clip(span: HourSpan, within: HourSpan) -> HourSpan | None:
    first, last = max(span.first, within.first), min(span.last, within.last)
    return HourSpan(first, last) if first <= last else None


def _count(span: HourSpan) -> int:
    """How many listings :func:`_suffixes` names for ``span``, without naming them."""
    first_day, last_day = span.first.replace(hour=0), span.last.replace(hour=0)
    if first_day == last_day:
        return 1 if span.covers_day(first_day) else len(span)
    head = 1 if span.first.hour == 0 else 24 - span.first.hour
    tail = 1 if span.last.hour == 23 else span.last.hour + 1
    return head + tail + (last_day - first_day).days - 1


def _suffixes(span: HourSpan) -> list[str]:
    """One suffix per day wholly in ``span``, one per hour of the days it cuts."""
    suffixes = []
    day = span.first.replace(hour=0)
    while True:
        if span.covers_day(day):
            suffixes.append(day_suffix(day))
        else:
            cut = HourSpan(max(day, span.first), min(day + _LAST_HOUR, span.last))
            suffixes.extend(hour_suffix(cut.first + offset * ONE_HOUR) for offset in range(len(cut)))
        if day + _LAST_HOUR >= span.last:
            return suffixes
        day += _ONE_DAY


@lru_cache(maxsize=8192)  # every query of a range asks again for the same prefixes
def job_hours(job: str) -> HourSpan:
    """The hours a prefix :func:`partition_jobs` names holds: a whole day, or its one hour."""
    values = {name: value for name, _, value in (part.partition("=") for part in job.rstrip("/").split("/")[-4:])}
    day = datetime(int(values["year"]), int(values["month"]), int(values["day"]), tzinfo=UTC)
    if "hour" not in values:
        return HourSpan(day, day + _LAST_HOUR)
    hour = day + int(values["hour"]) * ONE_HOUR
    return HourSpan(hour, hour)


def partition_jobs(
    vnic_prefixes: list[str],
    span: HourSpan,
    list_folders: Callable[[list[str]], list[list[str]]],
    now: datetime,
) -> list[str]:
    """The day/hour prefixes to list for ``span`` below every vNIC prefix (see the module docstring).

    ``list_folders`` lists several folders with a delimiter at once (the caller runs them in
    parallel, shares and counts them) and returns each one's child prefixes.
    """
    jobs: list[str] = []
    frontier = [_Folder(prefix, prefix, ()) for prefix in vnic_prefixes]
    today_ends = floor_hour(now).replace(hour=0) + _ONE_DAY
    while frontier:
        wide: list[_Folder] = []
        for folder in frontier:
            hours = folder.hours()
            inside = None if hours is None else _clip(hours, span)
            if inside is None:
                continue
            if folder.walks(inside, span, today_ends):
                wide.append(folder)
            else:
                jobs.extend(folder.vnic + suffix for suffix in _suffixes(inside))
        listed = list_folders([folder.path for folder in wide]) if wide else []
        frontier = [child for folder, children in zip(wide, listed, strict=True) for child in folder.children(children)]
    return jobs
