"""Partition pruning: list only the hour prefixes, and read only the objects, a time range can need.

Which hours can hold a record whose times fall in ``[from, to]``?

* **After ``to``: one hour.** A record's ``start_time`` can precede its object's capture window (a
  connection's record is reported in a later object, and IBM writes an object after its window
  closes), so an object filed under a later hour can still hold records from inside the range. We
  list up to ``floor_hour(to + 1 h)``.
* **Before ``from``: ten minutes.** If an object were filed under the hour its capture window
  *starts* in, a window starting at 09:58 holds records up to about 10:03; capture windows are about
  five minutes long, so ``floor_hour(from - 10 min)`` is the first hour listed.
* **Object level:** every time of a record (start, end, connection start, capture start) is at or
  before the moment its object was written, and an object's ``LastModified`` is never earlier than
  that. So objects modified before ``from - 1 min`` (clock skew) are skipped without being read.
  Objects copied into a bucket later only get a later ``LastModified``, which reads more, never less.

The vNIC-level prefixes (``…/record-type=…/``) are found by delimiter listing and cached for a
minute; then each vNIC is listed per hour (``…/year=/month=/day=/hour=/``), or per day when the
whole day is in range, for the days and hours that exist (``partitions.py``: a wide range walks the
``year=``/``month=``/``day=`` folders present instead of naming every hour it spans, and so does a range
running on past the data or past today). Those listings
are shared for ``LISTING_TTL_S`` seconds when the caller passes a listing cache (the panels of one
dashboard load ask for the same prefixes at once; objects arrive every five minutes per vNIC, so a
few seconds of sharing hides nothing a user could notice).

A *settled* prefix, whose hours ended ``SETTLE_AFTER`` or more before the range's end (or before now,
when the range reaches into the future), no longer gains objects in practice: its listing is shared
for ``SETTLED_LISTING_TTL_S``, also with alert evaluations, which otherwise list everything anew to see
the objects written since the last one. Re-listing a week on every evaluation costs more than the
evaluation itself, and what it would find in settled hours is only an object copied in late; such an
object is seen at most ``SETTLED_LISTING_TTL_S`` after its listing was made.

A prefix listed anew reuses what the listing it replaces already parsed, and when it finds the very
same objects it *is* that listing: what the queries derived from it (``plans.py``) stays valid.

A day the flow lake vouches for (``TrustedDays``: long settled, its manifest kept current by the
follower or the compactor) is not listed at all: the manifest's objects stand in for the day's
listings of every vNIC, so the day costs the manifest's one GET instead of a list call per vNIC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.decode import Manifest, SourceObject, object_ids
from cloudsql_cos_ts.flowlogs.fetch import raise_if_cancelled
from cloudsql_cos_ts.flowlogs.layout import ONE_HOUR, ROOT, VNIC_LEVELS, floor_hour, parse_key
from cloudsql_cos_ts.flowlogs.partitions import HourSpan, job_hours, partition_jobs
from cloudsql_cos_ts.flowlogs.ttl_cache import TtlCache
from cloudsql_cos_ts.flowlogs.v0 import holds_v0, v0_not_supported
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange, moment

MARGIN_AFTER = timedelta(hours=1)
MARGIN_BEFORE = timedelta(minutes=10)
CLOCK_SKEW = timedelta(minutes=1)
VNIC_CACHE_TTL_S = 60.0
LISTING_TTL_S = 15.0
SETTLED_LISTING_TTL_S = 600.0
SETTLE_AFTER = MARGIN_AFTER + timedelta(hours=1)
LIST_WORKERS = 8
_MAX_DEPTH = len(VNIC_LEVELS) + 2
_V0_EVIDENCE = 64  # folders outside the v1 layout kept to recognise a v0 source by


@dataclass(frozen=True)
class HourObjects:
    """One listing's objects of one hour, with what every query sharing the listing asks of them."""

    objects: tuple[SourceObject, ...]
    ids: Manifest
    oldest: datetime  # the earliest LastModified: when it is after the cutoff, all are needed
    size: int  # the objects' bytes, summed once for every query that needs them all


@dataclass(frozen=True)
class CutoffWindow:
    """The cutoffs that leave the same objects needed as the one a range was pruned with: later than ``after``
    (the latest LastModified before that cutoff) and up to ``until`` (the earliest from it on); None where no
    object bounds it. A range relative to now moves its start, and with it the cutoff, at every refresh, while
    the objects needed change only when the cutoff passes one of their modification times."""

    after: datetime | None = None
    until: datetime | None = None

    def holds(self, cutoff: datetime) -> bool:
        return (self.after is None or self.after < cutoff) and (self.until is None or cutoff <= self.until)


@dataclass
class PruneResult:
    """Objects per hour: ``listed`` (everything in the hour) and ``needed`` (may hold matches).

    ``span`` holds all the hours the range can touch, also those without objects (a day is only
    read as a whole when every one of its hours is wanted). ``listed_ids`` and ``needed_ids`` are
    the hours' (key, ETag) sets, which warm queries compare with the ingest cache's manifests.
    """

    span: HourSpan
    listed: dict[datetime, list[SourceObject]] = field(default_factory=dict)
    needed: dict[datetime, list[SourceObject]] = field(default_factory=dict)
    listed_ids: dict[datetime, Manifest] = field(default_factory=dict)
    needed_ids: dict[datetime, Manifest] = field(default_factory=dict)
    needed_bytes: dict[datetime, int] = field(default_factory=dict)
    cutoff: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    list_calls: int = 0
    cutoffs: CutoffWindow = CutoffWindow()  # the cutoffs that would leave the same objects needed

    def narrow_cutoffs(self, before: datetime | None, since: datetime | None) -> None:
        """Narrow :attr:`cutoffs` by a LastModified before the cutoff and one from it on."""
        after, until = self.cutoffs.after, self.cutoffs.until
        if before is not None and (after is None or before > after):
            after = before
        if since is not None and (until is None or since < until):
            until = since
        self.cutoffs = CutoffWindow(after, until)

    @property
    def hours_listed(self) -> int:
        return len(self.span)

    @property
    def objects_needed(self) -> int:
        return sum(len(objects) for objects in self.needed.values())

    @property
    def bytes_needed(self) -> int:
        return sum(self.needed_bytes.values())


def _shifted(epoch_ms: int, delta: timedelta) -> datetime:
    """``epoch_ms + delta`` as a UTC datetime, kept within the years 1 to 9999."""
    return moment(min(max(epoch_ms + delta // timedelta(milliseconds=1), EARLIEST_MS), LATEST_MS))


def hours_for(time_range: TimeRange) -> HourSpan:
    """The hour partitions that can hold records of ``time_range`` (see the module docstring)."""
    first = floor_hour(_shifted(time_range.from_ms, -MARGIN_BEFORE))
    return HourSpan(first, max(first, floor_hour(_shifted(time_range.to_ms, MARGIN_AFTER))))


def modified_cutoff(time_range: TimeRange) -> datetime:
    """Objects last modified before this hold no record of ``time_range``."""
    return _shifted(time_range.from_ms, -CLOCK_SKEW)


def _segment_name(prefix: str) -> str:
    last = prefix.rstrip("/").rpartition("/")[2]
    return last.partition("=")[0] if "=" in last else last


class VnicPrefixCache(TtlCache[tuple[str, str], tuple[list[str], int]]):
    """Short-lived memory of a store's vNIC-level prefixes (new vNICs appear within a minute)."""

    def __init__(self, ttl_s: float = VNIC_CACHE_TTL_S) -> None:
        super().__init__(ttl_s)

    def prefixes(self, store: ObjectStore, prefix: str, context: str) -> tuple[list[str], int]:
        """The prefixes and how many list calls finding them cost (0 when cached)."""
        key = (store.identity, prefix)
        (found, calls), computed = self.get(key, lambda: find_vnic_prefixes(store, prefix, context))
        return found, calls if computed else 0


Listing = dict[datetime, HourObjects]  # one prefix's objects by hour
ListingCache = TtlCache[tuple[str, str], Listing]
FolderCache = TtlCache[tuple[str, str], list[str]]  # the year=/month=/day= folders below a prefix
# The listings a flow lake vouches for, of those of the days asked for it can (keys parsed with the context given);
# the third argument, the first and last day of a span whose raw folders were walked (None when every day was
# named), lets the lake add its own days of that span that have no raw folder left
TrustedDays = Callable[[list[date], str, tuple[date, date] | None], dict[date, Listing]]
_T = TypeVar("_T")
_V = TypeVar("_V")


def listing_cache() -> ListingCache:
    """Listings of hour or day prefixes by (store, prefix), shared for ``LISTING_TTL_S`` (settled ones longer)."""
    return TtlCache(LISTING_TTL_S, keep_s=SETTLED_LISTING_TTL_S)


def folder_cache() -> FolderCache:
    """Delimiter listings of time folders by (store, prefix), shared like the object listings."""
    return TtlCache(LISTING_TTL_S)


def find_vnic_prefixes(store: ObjectStore, prefix: str, context: str = "") -> tuple[list[str], int]:
    """Every ``…/record-type=…/`` prefix at or below ``prefix``, by delimiter listing.

    A source with no such prefix but IBM's 2020 (v0) layout is a 400 that says so (``v0.py``).
    """
    if _segment_name(context + prefix) == "record-type":
        return [prefix], 0
    walkable = {ROOT, *VNIC_LEVELS}
    frontier, found, calls, seen = [prefix], [], 0, [context + prefix]
    for _ in range(_MAX_DEPTH):
        next_frontier = []
        for parent in frontier:
            calls += 1
            for child in store.list(parent, "/").prefixes:
                name = _segment_name(child)
                if name == "record-type":
                    found.append(child)
                elif name in walkable:
                    next_frontier.append(child)
                elif len(seen) < _V0_EVIDENCE:
                    seen.append(child)
        if not next_frontier:
            break
        frontier = next_frontier
    if not found and holds_v0(seen):
        raise BadRequest(v0_not_supported("the source"))
    return sorted(found), calls


def by_hour(objects: list[SourceObject]) -> Listing:
    """Group a listing by hour once, so the queries sharing it do no per-object work."""
    hours: dict[datetime, list[SourceObject]] = {}
    for obj in objects:
        hours.setdefault(obj.parsed.hour_start, []).append(obj)
    return {
        hour: HourObjects(tuple(objs), object_ids(objs), min(o.last_modified for o in objs), sum(o.size for o in objs))
        for hour, objs in hours.items()
    }


def _add_hour(result: PruneResult, hour: datetime, parts: list[HourObjects]) -> None:
    """Record one wanted hour from the listings (one per vNIC) that hold objects of it."""
    listed = [obj for part in parts for obj in part.objects]
    ids = parts[0].ids if len(parts) == 1 else frozenset().union(*(part.ids for part in parts))
    result.listed[hour], result.listed_ids[hour] = listed, ids
    size, oldest = sum(part.size for part in parts), min(part.oldest for part in parts)
    if oldest < result.cutoff:
        earlier = [obj.last_modified for obj in listed if obj.last_modified < result.cutoff]
        listed = [obj for obj in listed if obj.last_modified >= result.cutoff]
        ids, size = object_ids(listed), sum(obj.size for obj in listed)
        result.narrow_cutoffs(max(earlier), min((obj.last_modified for obj in listed), default=None))
    else:
        result.narrow_cutoffs(None, oldest)
    if listed:
        result.needed[hour], result.needed_ids[hour], result.needed_bytes[hour] = listed, ids, size


def _shared_listings(
    listings: ListingCache | None, store: ObjectStore, jobs: dict[str, float | None]
) -> dict[str, tuple[Listing, bool]]:
    """The jobs whose listing is shared right now (``jobs``: each one's TTL), marked as not listed by this call."""
    if listings is None:
        return {}
    shared = {job: listings.peek((store.identity, job), ttl_s) for job, ttl_s in jobs.items()}
    return {job: (objects, False) for job, objects in shared.items() if objects is not None}


def last_settled_hour(time_range: TimeRange, now: datetime) -> datetime:
    """Prefixes whose hours all start at or before this moment are settled (see the module docstring)."""
    return min(_shifted(time_range.to_ms, -SETTLE_AFTER - ONE_HOUR), now - SETTLE_AFTER - ONE_HOUR)


@dataclass(frozen=True)
class RangeListing:
    """The listings a range needs (one per vNIC and hour or day prefix), before they are cut into hours.

    The listings are the shared objects of the listing cache, so two queries of the same range
    within ``LISTING_TTL_S`` get the very same ones: callers may key what they derive on identity.
    """

    span: HourSpan
    cutoff: datetime
    listings: tuple[Listing, ...]
    list_calls: int

    def prune(self) -> PruneResult:
        result = PruneResult(span=self.span, cutoff=self.cutoff, list_calls=self.list_calls)
        parts: dict[datetime, list[HourObjects]] = {}
        for listing in self.listings:
            for hour, objects in listing.items():
                if hour in self.span:
                    parts.setdefault(hour, []).append(objects)
        for hour in sorted(parts):
            _add_hour(result, hour, parts[hour])
        return result


def _shared_folders(folders: FolderCache, store: ObjectStore, paths: list[str]) -> dict[str, list[str]]:
    """The child prefixes of the ``paths`` whose listing ``folders`` holds and is still fresh."""
    found = {path: folders.peek((store.identity, path)) for path in paths}
    return {path: children for path, children in found.items() if children is not None}


def in_parallel(store: ObjectStore, items: Sequence[_T], run: Callable[[_T], _V]) -> list[_V]:
    """``run`` (a list call or GET on ``store``) over ``items``, on threads where the store's calls wait.

    An object store's calls wait on the network, so up to ``LIST_WORKERS`` run at once. A local folder's
    wait on nothing: more threads than one only hand the GIL back and forth at every system call, which
    cost CPU and time (docs/benchmarks.md).
    """
    if not items:  # a warm dashboard finds every listing shared and starts no thread
        return []
    if isinstance(store, LocalStore) or len(items) == 1:
        return [run(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(LIST_WORKERS, len(items))) as pool:
        return list(pool.map(run, items))


def list_range(
    store: ObjectStore,
    prefix: str,
    time_range: TimeRange,
    cancel: CancelToken,
    *,
    vnic_cache: VnicPrefixCache,
    listings: ListingCache | None = None,
    folders: FolderCache | None = None,
    context: str = "",
    fresh: bool = False,
    trusted: TrustedDays | None = None,
) -> RangeListing:
    """List the range's hour prefixes; ``context`` is prepended to keys to parse them (local roots).

    ``fresh`` lists the day and hour prefixes anew instead of taking the shared listings (which then get
    the new ones), except the settled ones, shared for ``SETTLED_LISTING_TTL_S``. The days ``trusted``
    vouches for are taken from it and not listed; where the range's folders were walked, it is also asked
    about its own days of the span, since a day whose raw objects expired has no folder left to walk.
    """
    span = hours_for(time_range)
    # Even a fresh listing finds vNICs through the cache: walking the account/region/VPC/subnet levels again
    # would double an alert's list calls, and a new vNIC's objects show up within VNIC_CACHE_TTL_S anyway.
    vnic_prefixes, list_calls = vnic_cache.prefixes(store, prefix, context)
    folder_calls, walked = 0, False

    def list_folder(folder: str) -> tuple[list[str], bool]:
        raise_if_cancelled(cancel)
        if folders is None:
            return store.list(folder, "/").prefixes, True
        return folders.get((store.identity, folder), lambda: store.list(folder, "/").prefixes, fresh=fresh)

    def list_folders(paths: list[str]) -> list[list[str]]:
        nonlocal folder_calls, walked
        walked = True  # partition_jobs lists folders only where it walks them instead of naming each day
        # Folders another panel listed moments ago are taken here: a thread pool per walked level only
        # to read the cache was most of a warm walk's cost.
        shared = {} if folders is None or fresh else _shared_folders(folders, store, paths)
        missing = [path for path in paths if path not in shared]
        listed = dict(zip(missing, in_parallel(store, missing, list_folder), strict=True))
        folder_calls += sum(computed for _, computed in listed.values())
        return [shared[path] if path in shared else listed[path][0] for path in paths]

    now = datetime.now(UTC)
    jobs = partition_jobs(vnic_prefixes, span, list_folders, now)
    days = sorted({job_hours(job).first.date() for job in jobs})
    # days without raw folders were not named here: the lake has to say which of them it has
    unnamed = (span.first.date(), span.last.date()) if walked or not vnic_prefixes else None
    vouched = {} if trusted is None else trusted(days, context, unnamed)
    jobs = [job for job in jobs if job_hours(job).first.date() not in vouched]
    settled = last_settled_hour(time_range, now)
    ttls = {job: SETTLED_LISTING_TTL_S if job_hours(job).last <= settled else None for job in jobs}

    def list_job(job: str, previous: Listing | None = None) -> Listing:
        known = {} if previous is None else {obj.key: obj for part in previous.values() for obj in part.objects}
        objects, unchanged = [], 0
        for info in store.list(job).objects:
            same = known.get(info.key)
            if same is not None and (same.etag, same.last_modified, same.size) == (
                info.etag,
                info.last_modified,
                info.size,
            ):
                objects.append(same)  # parsing keys is most of a listing's CPU
                unchanged += 1
                continue
            parsed = parse_key(context + info.key)
            if parsed is not None:
                objects.append(SourceObject(info.key, info.etag, info.last_modified, info.size, parsed))
        if previous is not None and unchanged == len(objects) == len(known):
            return previous  # the very same listing: what queries derived from it (plans.py) still holds
        return by_hour(objects)

    def list_one(job: str) -> tuple[Listing, bool]:
        raise_if_cancelled(cancel)
        if listings is None:
            return list_job(job), True
        key, ttl_s = (store.identity, job), ttls[job]
        previous = listings.peek(key, listings.keep_s)
        return listings.get(key, lambda: list_job(job, previous), fresh=fresh and ttl_s is None, ttl_s=ttl_s)

    found = _shared_listings(listings, store, {job: t for job, t in ttls.items() if not fresh or t is not None})
    unknown = [job for job in jobs if job not in found]
    found.update(zip(unknown, in_parallel(store, unknown, list_one), strict=True))
    raise_if_cancelled(cancel)
    return RangeListing(
        span=span,
        cutoff=modified_cutoff(time_range),
        listings=(*(found[job][0] for job in jobs), *(vouched[day] for day in sorted(vouched))),
        list_calls=list_calls + folder_calls + sum(found[job][1] for job in jobs),
    )
