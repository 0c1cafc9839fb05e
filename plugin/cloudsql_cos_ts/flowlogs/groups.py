"""Which ingest entries a pruned range reads: one per settled day inside it, one per hour elsewhere.

DuckDB pays per file opened on every query (W1's 7-day range: the same rows as 168 hourly files
cost about twice the CPU of 7 day files; docs/benchmarks.md), so a day whose 24 hours all lie in
the range is read from one *day entry*. Only settled days are compacted: objects of a day's last
hour are written up to about an hour after midnight (``pruning.MARGIN_AFTER``), so a day that ended
``DAY_SETTLE`` ago no longer changes in practice, and the current day, which gains objects every
few minutes, never rewrites a whole day's file. Should an object of a settled day still change or
arrive, the day entry's manifest no longer matches the listing and the entry is rebuilt.

The hours at the edges of a range (the partial first and last days, the current day) stay hourly
entries, so a range reads exactly the objects it read before compaction. Day and hour entries of
the same day donate rows to each other (``assemble.py``): compacting a day whose hours are cached
downloads nothing, and an hour of a compacted day needed on its own is cut from the day entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cloudsql_cos_ts.flowlogs.decode import Manifest, SourceObject
from cloudsql_cos_ts.flowlogs.pruning import MARGIN_AFTER, PruneResult

ONE_DAY = timedelta(days=1)
DAY_SETTLE = MARGIN_AFTER + timedelta(hours=1)
_DAY_HOURS = tuple(timedelta(hours=h) for h in range(24))


@dataclass(frozen=True)
class EntryGroup:
    """One ingest entry to read: its cache group name, objects, and the groups that may donate rows."""

    name: str
    listed: list[SourceObject]
    needed: list[SourceObject]
    listed_ids: Manifest
    needed_ids: Manifest
    donors: tuple[str, ...]
    day: date | None = None  # set for a settled day's entry (the one a flow-lake partition can fill)
    settled_day: date | None = None  # set for an hour of a settled day (a flow-lake partition can lend it rows)


def hour_group(hour: datetime) -> str:
    return hour.isoformat()


def day_group(day: datetime) -> str:
    return f"day/{day.date().isoformat()}"


def is_settled(day: datetime, now: datetime) -> bool:
    """Whether the day starting at ``day`` (UTC midnight) gains no more objects in practice."""
    return now - day >= ONE_DAY + DAY_SETTLE  # no day after 9999-12-31


def entry_groups(pruned: PruneResult, now: datetime) -> list[EntryGroup]:
    """The entries of the pruned hours that hold needed objects, in time order."""
    groups: list[EntryGroup] = []
    for day in sorted({hour.replace(hour=0) for hour in pruned.needed}):
        hours = [day + offset for offset in _DAY_HOURS]
        if pruned.span.covers_day(day) and is_settled(day, now):
            groups.append(_day(pruned, day, hours))
            continue
        settled = day.date() if is_settled(day, now) else None
        groups.extend(
            EntryGroup(
                hour_group(hour),
                pruned.listed[hour],
                pruned.needed[hour],
                pruned.listed_ids[hour],
                pruned.needed_ids[hour],
                donors=(day_group(day),),
                settled_day=settled,
            )
            for hour in hours
            if hour in pruned.needed
        )
    return groups


def _day(pruned: PruneResult, day: datetime, hours: list[datetime]) -> EntryGroup:
    listed = [hour for hour in hours if hour in pruned.listed]
    needed = [hour for hour in hours if hour in pruned.needed]
    return EntryGroup(
        day_group(day),
        listed=[obj for hour in listed for obj in pruned.listed[hour]],
        needed=[obj for hour in needed for obj in pruned.needed[hour]],
        listed_ids=frozenset().union(*(pruned.listed_ids[hour] for hour in listed)),
        needed_ids=frozenset().union(*(pruned.needed_ids[hour] for hour in needed)),
        donors=tuple(hour_group(hour) for hour in hours),
        day=day.date(),
    )


def settled_runs(groups: list[EntryGroup], shortest: int = 2) -> tuple[tuple[int, int], ...]:
    """The ``[start, stop)`` index ranges of ``groups`` whose entries are all of settled days (day entries and
    hours of settled days), at least ``shortest`` long and holding a day entry: the runs a span file can stand
    in for (``spans.py``). Their entries no longer change in practice, so a span of them is merged once; the
    hours of a range within one day are few files, not worth a copy."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, group in enumerate([*groups, None]):
        settled = group is not None and (group.day is not None or group.settled_day is not None)
        if settled and start is None:
            start = index
        elif not settled and start is not None:
            if index - start >= shortest and any(g.day is not None for g in groups[start:index]):
                runs.append((start, index))
            start = None
    return tuple(runs)
