"""The embedded engine's side of the lake: a settled day's ingest entry filled from its lake partition.

A fresh plugin, a restarted pod or a second Grafana replica would download every raw object of a
settled day again; the lake holds the same rows as one Parquet part, so the day costs one manifest
GET and one part GET instead. The part *is* an ingest entry (same columns, the same (key, ETag)
bookkeeping), so it is placed in the cache as the day's entry when it holds exactly what the day
needs, and donates its rows otherwise (late or re-uploaded objects are then the only downloads;
objects no longer listed are left out, as for any entry).

The lake never fails a query: an unreadable manifest, a missing part or one whose size, checksum or
row count differs from its manifest makes the day read from the raw objects, and the answer says so.

Listing a day's raw objects costs a list call per vNIC, which at object-store latency is most of what
is left of a lake day's cost. So a day that ended ``trust_after`` ago or more, whose manifest was
written after the day settled and carries the objects' listing details, is not listed: its manifest
*is* its listing (``trusted_listings``). Objects that arrive later are the follower's and the
compactor's to find (they list the raw objects and publish a new manifest); until then the day
answers as its manifest says.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import NotFound, PluginError
from cloudsql_cos_ts.flowlogs.assemble import Entry
from cloudsql_cos_ts.flowlogs.decode import Manifest, SourceObject, is_entry_layout, object_ids
from cloudsql_cos_ts.flowlogs.groups import DAY_SETTLE, ONE_DAY, is_settled
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, part_name
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeDamaged, LakeManifest, read_manifest
from cloudsql_cos_ts.flowlogs.lake.transfer import download, file_sha256
from cloudsql_cos_ts.flowlogs.layout import parse_key
from cloudsql_cos_ts.flowlogs.pruning import LISTING_TTL_S, SETTLED_LISTING_TTL_S, Listing, by_hour, in_parallel
from cloudsql_cos_ts.flowlogs.ttl_cache import TtlCache
from cloudsql_cos_ts.storage.base import ObjectStore

TRUST_AFTER = timedelta(hours=6)
"""How long after a day's end its manifest stands in for its listing by default (docs/lake.md)."""


def fetch_part(lake: LakeSource, manifest: LakeManifest, folder: Path, stats: IngestStats | None = None) -> Entry:
    """Download the manifest's part into a temp file in ``folder``, checked against the manifest, and count it
    in ``stats`` (a query's; compaction's check counts nothing).

    ``LakeDamaged`` when the part is missing or its size, checksum, row count or columns differ.
    """
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".tmp-lake-{os.getpid()}-{threading.get_ident()}.parquet"
    try:
        _download_checked(lake, manifest, temp)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if stats is not None:
        stats.lake_parts += 1
        stats.lake_bytes += manifest.size
    return Entry(temp, manifest.objects, manifest.damaged_ids())


def _download_checked(lake: LakeSource, manifest: LakeManifest, temp: Path) -> None:
    try:
        download(lake.store, lake.part_key(manifest.day, manifest.part), temp)
    except NotFound:
        raise LakeDamaged(f"the part {manifest.part} of {manifest.day} is missing") from None
    except PluginError as exc:
        raise LakeDamaged(f"the part {manifest.part} of {manifest.day} could not be read: {exc.message}") from None
    size = temp.stat().st_size
    if size != manifest.size:
        raise LakeDamaged(f"the part of {manifest.day} has {size} bytes, its manifest says {manifest.size}")
    digest = file_sha256(temp)
    if digest != manifest.sha256 or part_name(manifest.objects, digest) != manifest.part:
        raise LakeDamaged(f"the part of {manifest.day} does not match its manifest's checksum")
    try:
        schema, rows = _shape(temp)
    except (OSError, pa.ArrowInvalid):
        raise LakeDamaged(f"the part of {manifest.day} is not readable Parquet") from None
    if rows != manifest.rows or not is_entry_layout(schema):
        raise LakeDamaged(f"the part of {manifest.day} does not hold the rows its manifest says")


def _shape(path: Path) -> tuple[pa.Schema, int]:
    metadata = pq.read_metadata(path)
    return metadata.schema.to_arrow_schema(), metadata.num_rows


def fallback_notice(day: date, reason: LakeDamaged) -> str:
    """What the answer says when a day was read from the raw objects instead of its lake partition."""
    return (
        f"the flow lake's partition of {day} could not be used ({reason}); its flow-log objects were read "
        "from the source instead (cloudsql-cos-ts compact --verify over that day repairs it)"
    )


@dataclass
class LakeDonor:
    """A lake part offered to an entry build as a source of rows, downloaded only if the build asks.

    Call it (``IngestCache.entry_for``'s ``more_sources``) for the part as an entry, or none when the
    manifest holds no listed object or the part is damaged (``damaged`` says why); ``close`` deletes
    the download.
    """

    lake: LakeSource
    manifest: LakeManifest | None
    folder: Path
    listed_ids: frozenset[str]
    stats: IngestStats
    damaged: LakeDamaged | None = None
    _entry: Entry | None = field(default=None, init=False)

    def __call__(self) -> Sequence[Entry]:
        if self.manifest is None or not self.manifest.objects & self.listed_ids:
            return ()
        try:
            self._entry = fetch_part(self.lake, self.manifest, self.folder, self.stats)
        except LakeDamaged as exc:
            self.damaged = exc
            return ()
        return (self._entry,)

    def close(self) -> None:
        if self._entry is not None:
            self._entry.path.unlink(missing_ok=True)


def built_with_donor(
    cache: IngestCache,
    store: ObjectStore,
    group_dir: Path,
    donor: LakeDonor,
    *,
    listed: list[SourceObject],
    needed: list[SourceObject],
    donors: Sequence[Path],
    cancel: CancelToken,
) -> tuple[Path, LakeDamaged | None]:
    """The group's entry from the cache, built if need be with the lake part as one more source of rows;
    and why the part could not serve, if it was asked and could not."""
    try:
        path = cache.entry_for(
            store,
            group_dir,
            listed=listed,
            needed=needed,
            cancel=cancel,
            stats=donor.stats,
            donors=donors,
            more_sources=donor,
        )
    finally:
        donor.close()
    return path, donor.damaged


class LakeReader:
    """One source's lake as the engines read it; manifests are remembered like listings."""

    def __init__(
        self,
        lake: LakeSource,
        ttl_s: float = LISTING_TTL_S,
        *,
        trust_after: timedelta = TRUST_AFTER,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.lake, self.trust_after, self.clock = lake, trust_after, clock
        self._manifests: TtlCache[date, LakeManifest | LakeDamaged | None] = TtlCache(
            ttl_s, keep_s=SETTLED_LISTING_TTL_S
        )
        self._listings: TtlCache[tuple[date, str, str], Listing] = TtlCache(SETTLED_LISTING_TTL_S)
        self._days: TtlCache[str, frozenset[date]] = TtlCache(SETTLED_LISTING_TTL_S)

    def trusted_listings(
        self, days: list[date], context: str, walked: tuple[date, date] | None = None
    ) -> dict[date, Listing]:
        """The listings of those ``days`` whose manifest stands in for a listing (the module docstring), keys
        parsed with ``context`` prepended as the raw listing parses them (a local source's folder).

        ``walked`` (the first and last day of a span whose raw folders were walked, not named) adds the lake's
        own days in it: ``days`` then holds only days whose raw folders exist, and a trusted day must be
        answered from the lake also once its raw objects have expired.

        A trusted day's manifest is shared as long as a settled listing (``SETTLED_LISTING_TTL_S``), and so
        is the listing made from it: the queries of the next minutes get the very same one (``plans.py``).
        Days without a manifest, or with one that cannot be read, are left out: they are listed raw, and
        the damaged one's notice is given where its part would have been read.
        """
        if walked is not None:
            first, last = walked
            days = sorted({*days, *(day for day in self.days() if first <= day <= last)})
        now = self.clock()
        candidates = [day for day in days if now - midnight(day) - ONE_DAY >= max(self.trust_after, DAY_SETTLE)]

        def look(day: date) -> tuple[date, LakeManifest | None]:
            try:
                return day, self.manifest(day, ttl_s=SETTLED_LISTING_TTL_S)
            except LakeDamaged:
                return day, None

        found = {}
        for day, manifest in in_parallel(self.lake.store, candidates, look):
            if manifest is not None and manifest.lists_objects and _written_settled(manifest):
                found[day] = self._listing(manifest, context)
        return found

    def days(self) -> frozenset[date]:
        """The days the lake has a folder for: one delimiter listing, shared like a settled listing (a day compacted
        meanwhile still has its raw folders, which name it). No day when the lake cannot be listed: the raw objects
        answer then, as for an unreadable manifest."""

        def look() -> frozenset[date]:
            try:
                folders = self.lake.store.list(self.lake.prefix, "/").prefixes
            except PluginError:
                return frozenset()
            return frozenset(day for folder in folders if (day := self.lake.day_of(folder)) is not None)

        found, _ = self._days.get(self.lake.prefix, look)
        return found

    def _listing(self, manifest: LakeManifest, context: str) -> Listing:
        def parse() -> Listing:
            objects = []
            for info in manifest.listing:
                parsed = parse_key(context + info.key)
                if parsed is not None:
                    objects.append(SourceObject(info.key, info.etag, info.last_modified, info.size, parsed))
            return by_hour(objects)

        written = "" if manifest.written is None else manifest.written.isoformat()
        listing, _ = self._listings.get((manifest.day, f"{manifest.part}@{written}", context), parse)
        return listing

    def manifest(self, day: date, ttl_s: float | None = None) -> LakeManifest | None:
        """The day's manifest (one GET, shared for the TTL or ``ttl_s``); ``LakeDamaged`` when it is unreadable."""

        def look() -> LakeManifest | LakeDamaged | None:
            try:
                return read_manifest(self.lake, day)
            except LakeDamaged as exc:
                return exc
            except PluginError as exc:  # the lake cannot be reached: the raw objects can still answer
                return LakeDamaged(f"the manifest could not be read: {exc.message}")

        found, _ = self._manifests.get(day, look, ttl_s=ttl_s)
        if isinstance(found, LakeDamaged):
            raise found
        return found

    def seed_day(
        self, cache: IngestCache, day_dir: Path, *, day: date, wanted: Manifest, stats: IngestStats
    ) -> str | None:
        """Put the settled day's part in the cache's day group, so the hours a range reads of it (its first or
        last day, cut by the range) are copied from it instead of downloaded; a notice if it could not serve.

        The day's own listing is not known here, so the part goes in only as a donor: the day group's entry is
        checked against a listing whenever a query takes it whole.
        """
        damaged: LakeDamaged | None = None

        def produce() -> Entry | None:
            nonlocal damaged
            try:
                manifest = self.manifest(day)
                if manifest is None or not manifest.objects & wanted:
                    return None
                return fetch_part(self.lake, manifest, day_dir, stats)
            except LakeDamaged as exc:
                damaged = exc
                return None

        cache.seed(day_dir, produce)
        return None if damaged is None else fallback_notice(day, damaged)

    def day_entry(
        self,
        cache: IngestCache,
        store: ObjectStore,
        group_dir: Path,
        *,
        day: date,
        listed: list[SourceObject],
        needed: list[SourceObject],
        donors: Sequence[Path],
        cancel: CancelToken,
        stats: IngestStats,
    ) -> tuple[Path, str | None]:
        """The settled day's ingest entry, from the lake where it can serve, and a notice if it could not."""
        listed_ids, needed_ids = object_ids(listed), object_ids(needed)
        damaged: LakeDamaged | None = None
        try:
            manifest = self.manifest(day)
        except LakeDamaged as exc:
            manifest, damaged = None, exc
        if manifest is not None and needed_ids <= manifest.objects <= listed_ids:
            exact = manifest

            def download() -> Entry:
                part = fetch_part(self.lake, exact, group_dir, stats)
                stats.objects_cached += len(needed_ids)
                stats.entries_written += 1
                return part

            try:
                return cache.adopt(group_dir, download, listed_ids=listed_ids, needed_ids=needed_ids, stats=stats), None
            except LakeDamaged as exc:
                manifest, damaged = None, exc
        path, unusable = built_with_donor(
            cache,
            store,
            group_dir,
            LakeDonor(self.lake, manifest, group_dir, listed_ids, stats),
            listed=listed,
            needed=needed,
            donors=donors,
            cancel=cancel,
        )
        damaged = damaged or unusable
        return path, None if damaged is None else fallback_notice(day, damaged)


def midnight(day: date) -> datetime:
    """The UTC start of ``day`` (the lake's days are UTC days, like the raw objects' folders)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _written_settled(manifest: LakeManifest) -> bool:
    """Whether the manifest was written after its day settled (one written earlier may lack its last objects)."""
    return manifest.written is not None and is_settled(midnight(manifest.day), manifest.written)
