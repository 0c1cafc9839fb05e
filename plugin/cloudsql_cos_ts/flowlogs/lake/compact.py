"""Compaction: a settled day's raw flow-log objects become one Parquet part in the lake, then its manifest.

A day is built as the ingest cache builds a day entry (``IngestCache.entry_for``): rows of objects
that a local hour or day entry, or the lake's previous part, already hold are copied, only the rest
is downloaded, and rows are written one row group at a time, so memory stays bounded by a row group
and a few source hours whatever the day's size. The entry's rows are then written once more, in their
order, with the lake's codec (``assemble.LAKE_CODEC``: the local entry's codec favours warm queries, the
part's the bucket's bytes) and uploaded as the part, and the manifest last (``manifest.py``): a
compactor killed at any point leaves either the previous partition or an unreferenced part, never one
a reader would take as complete, and the next run completes the day.

A day whose manifest already holds exactly the listed objects is skipped, so a run over a range can
be repeated or resumed at no cost but the listings. A late object (a new key) or a re-uploaded one
(same key, new ETag) makes the listing differ from the manifest: the next run writes a new part,
copying the rows still valid from the previous one. Only settled days are compacted (the same rule
as the ingest cache's day entries, ``groups.is_settled``): the current day still gains objects.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamTimeout, PluginError, QueryCancelled
from cloudsql_cos_ts.flowlogs.assemble import LAKE_CODEC, rewrite
from cloudsql_cos_ts.flowlogs.decode import SourceObject, object_ids, object_key
from cloudsql_cos_ts.flowlogs.groups import day_group, hour_group, is_settled
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, part_name
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeDamaged, LakeManifest, read_manifest, write_manifest
from cloudsql_cos_ts.flowlogs.lake.read import LakeDonor, built_with_donor, fetch_part, midnight
from cloudsql_cos_ts.flowlogs.lake.sweep import sweep_day
from cloudsql_cos_ts.flowlogs.lake.transfer import file_sha256, upload
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation, Location
from cloudsql_cos_ts.storage.base import ObjectInfo, ObjectStore
from cloudsql_cos_ts.storage.factory import open_store
from cloudsql_cos_ts.timerange import TimeRange

DayStatus = Literal["written", "current", "empty", "unsettled"]


@dataclass(frozen=True)
class RawSource:
    """The raw flow-log objects a lake is compacted from: a store, a key prefix, and the local key context."""

    store: ObjectStore
    prefix: str
    context: str = ""  # prepended to keys to parse them (a local folder's path, "/"-terminated)

    @staticmethod
    def of(source: Location, credentials: Credentials) -> RawSource:
        """The datasource's flow-log source opened for compaction (the CLI's and the follower's)."""
        store, prefix = open_store(source, credentials)
        return RawSource(store, prefix, f"{source.path}/" if isinstance(source, LocalLocation) else "")


@dataclass(frozen=True)
class DayResult:
    """What compacting one day did."""

    day: date
    status: DayStatus  # written: a new part and manifest; current: the manifest matched; empty: no objects
    objects: int = 0  # raw objects listed for the day
    downloaded: int = 0  # raw objects fetched (the others were copied from cached entries or the old part)
    bytes_downloaded: int = 0
    rows: int = 0  # rows of the part
    size: int = 0  # bytes of the part
    part: str = ""  # the part's key in the lake store
    swept: int = 0  # superseded parts of the day deleted (sweep.py)


Progress = Callable[[DayResult, int, int], None]  # a finished day, days done, days in the range


def list_day(
    raw: RawSource, day: date, cancel: CancelToken, vnics: VnicPrefixCache | None = None
) -> list[SourceObject]:
    """Every raw object filed under one of the day's 24 hours."""
    start = midnight(day)
    span = TimeRange(int(start.timestamp()) * 1000, int((start + timedelta(days=1)).timestamp()) * 1000 - 1)
    vnic_cache = vnics or VnicPrefixCache()
    listing = list_range(raw.store, raw.prefix, span, cancel, vnic_cache=vnic_cache, context=raw.context)
    pruned = listing.prune()
    return [obj for hour, objects in sorted(pruned.listed.items()) if hour.date() == day for obj in objects]


def compact_day(
    raw: RawSource,
    lake: LakeSource,
    day: date,
    *,
    cache: IngestCache,
    cancel: CancelToken,
    vnics: VnicPrefixCache | None = None,
    verify: bool = False,
) -> DayResult:
    """Make the lake's partition of ``day`` hold exactly the day's listed objects (whether settled or not).

    The day's entry is built in (or taken from) ``cache``, which then keeps it as its own day entry.
    A partition whose manifest matches the listing is kept when its part is there with its size; with
    ``verify`` the part is downloaded and checked as a reader checks it (a part damaged at rest keeps
    its size), and rewritten when it fails.
    Raises ``QueryCancelled``/``DownstreamTimeout`` when ``cancel`` fires (nothing is published then),
    and the store's errors when the source cannot be listed or read or the lake cannot be written.
    """
    objects = list_day(raw, day, cancel, vnics)
    ids = object_ids(objects)
    if not objects:
        return DayResult(day, "empty")
    try:
        previous = read_manifest(lake, day)
    except LakeDamaged:
        previous = None  # rewritten below, from the raw objects
    group_dir = cache.group_dir(raw.store, raw.prefix, day_group(midnight(day)))
    if previous is not None and not _part_usable(lake, previous, group_dir if verify else None):
        previous = None  # neither current nor a donor: the day is built again from the raw objects
    listing = tuple(ObjectInfo(obj.key, obj.size, obj.etag, obj.last_modified) for obj in objects)
    if previous is not None and previous.objects == ids:
        swept: list[str] = []
        # A manifest written before manifests kept listings, or an object re-uploaded with the same content
        if frozenset(previous.listing) != frozenset(listing):
            write_manifest(lake, replace(previous, listing=listing, written=datetime.now(UTC)))
        else:
            swept = sweep_day(lake, previous, datetime.now(UTC))
        part = lake.part_key(day, previous.part)
        return DayResult(
            day, "current", len(objects), rows=previous.rows, size=previous.size, part=part, swept=len(swept)
        )
    stats = IngestStats()
    hours = [cache.group_dir(raw.store, raw.prefix, hour_group(midnight(day) + timedelta(hours=h))) for h in range(24)]
    donor = LakeDonor(lake, previous, group_dir, ids, stats)  # a damaged old part: everything is downloaded
    path, _ = built_with_donor(
        cache, raw.store, group_dir, donor, listed=objects, needed=objects, donors=hours, cancel=cancel
    )
    copy = group_dir / f".tmp-part-{os.getpid()}-{threading.get_ident()}.parquet"
    try:
        rewrite(path, copy, LAKE_CODEC)  # the local entry is written for warm queries, the part for the bucket
        digest = file_sha256(copy)
        name = part_name(ids, digest)
        manifest = LakeManifest(
            day=day,
            part=name,
            rows=pq.read_metadata(copy).num_rows,
            size=copy.stat().st_size,
            sha256=digest,
            objects=ids,
            damaged=frozenset(object_key(item) for item in cache.damaged_in(path)),
            source=lake.described,
            written=datetime.now(UTC),
            listing=listing,
        )
        upload(lake.store, lake.part_key(day, name), copy)
    finally:
        copy.unlink(missing_ok=True)
    write_manifest(lake, manifest)
    cache.evict(protect=[path])
    return DayResult(
        day,
        "written",
        len(objects),
        stats.objects_read,
        stats.bytes_read,
        manifest.rows,
        manifest.size,
        lake.part_key(day, name),
    )


def compact_range(
    raw: RawSource,
    lake: LakeSource,
    first: date,
    last: date,
    *,
    cache: IngestCache,
    cancel: CancelToken,
    progress: Progress | None = None,
    now: datetime | None = None,
    verify: bool = False,
) -> list[DayResult]:
    """Compact every day from ``first`` to ``last`` (inclusive), oldest first; unsettled days are reported, not written.

    ``cancel`` is the stop hook: once it fires, the day being built is abandoned unpublished and the
    days finished so far are returned (a later run resumes: finished days are skipped).
    """
    moment = now or datetime.now(UTC)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    vnics = VnicPrefixCache()
    results: list[DayResult] = []
    for done, day in enumerate(days, start=1):
        if cancel.is_cancelled():
            break
        if not is_settled(midnight(day), moment):
            result = DayResult(day, "unsettled")
        else:
            try:
                result = compact_day(raw, lake, day, cache=cache, cancel=cancel, vnics=vnics, verify=verify)
            except (QueryCancelled, DownstreamTimeout):
                if cancel.is_cancelled():
                    break
                raise
        results.append(result)
        if progress is not None:
            progress(result, done, len(days))
    return results


def _part_usable(lake: LakeSource, manifest: LakeManifest, verify_in: Path | None) -> bool:
    """Whether the manifest's part is there with its size (a HEAD), and, given a folder to download it
    to, whether it passes a reader's checks."""
    if verify_in is None:
        try:
            return lake.store.head(lake.part_key(manifest.day, manifest.part)).size == manifest.size
        except PluginError:  # gone or unreachable: written again
            return False
    try:
        fetch_part(lake, manifest, verify_in).path.unlink()
    except LakeDamaged:
        return False
    return True
