"""What the DuckDB engine calls to turn the configured source into relations for one query.

``build_duckdb_source`` picks the kind of source from the datasource settings; ``relations`` prunes
by the query's time range, brings the needed objects into the ingest cache and returns ``SELECT``
bodies over local files, only for the relations the SQL reads. DuckDB only ever reads files below
``allowed_directories``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.views import FlatRead, file_list, flow_sql
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.decode import object_key
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate, estimate_pruned, plain_files
from cloudsql_cos_ts.flowlogs.fetch import raise_if_cancelled
from cloudsql_cos_ts.flowlogs.groups import EntryGroup, entry_groups, settled_runs
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.flowlogs.lake.read import LakeReader
from cloudsql_cos_ts.flowlogs.parallel import Job, run_jobs
from cloudsql_cos_ts.flowlogs.plans import Plan, PlanMemo
from cloudsql_cos_ts.flowlogs.pruning import (
    PruneResult,
    RangeListing,
    VnicPrefixCache,
    folder_cache,
    list_range,
    listing_cache,
    modified_cutoff,
)
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_FLAT, SOURCE
from cloudsql_cos_ts.flowlogs.spans import SPANS_GROUP, Spans
from cloudsql_cos_ts.settings.datasource import DatasourceSettings, SourceFormat
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.factory import open_store

_READERS = {
    "json": "read_json({files}, format='auto', union_by_name=true)",
    "parquet": "read_parquet({files}, union_by_name=true)",
    "csv": "read_csv({files}, union_by_name=true)",
}


@dataclass
class SourceRelations:
    views: dict[str, str]  # upper-case relation name -> DuckDB SELECT body
    stats: dict[str, int | float] = field(default_factory=dict)
    damaged: tuple[str, ...] = ()  # keys of objects the views needed but could not read (left out)
    notices: tuple[str, ...] = ()  # warnings for the answer (a flow-lake partition that could not be used)
    flat: FlatRead | None = None  # what FLOW_FLAT reads, when it reads immutable ingest entries
    cache: IngestCache | None = None  # the ingest cache holding them


class DuckDBSource(Protocol):
    allowed_directories: tuple[str, ...]

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        """What ``relations`` would read for the same scan, from the listing alone (nothing downloaded)."""
        ...

    def relations(
        self,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        schema_only: frozenset[str] = frozenset(),
        plan_only: bool = False,
    ) -> SourceRelations: ...


_caches: dict[Path, IngestCache] = {}
_caches_lock = threading.Lock()


def ingest_cache(plugin: PluginSettings) -> IngestCache:
    """One cache object per directory in this process (its index and eviction are shared)."""
    root = (plugin.cache_dir / "ingest").resolve()
    with _caches_lock:
        cache = _caches.get(root)
        if cache is None:
            cache = _caches[root] = IngestCache(root, plugin.ingest_cache_size_bytes)
        return cache


def build_duckdb_source(settings: DatasourceSettings, plugin: PluginSettings) -> DuckDBSource | None:
    """The source of ``settings`` for the DuckDB engine, or None when no source is configured."""
    if settings.source is None:
        return None
    store, prefix = open_store(settings.source, settings.credentials)
    cache = ingest_cache(plugin)
    local_root = settings.source.path if isinstance(settings.source, LocalLocation) else None
    if settings.source_format == "flowlogs":
        context = f"{local_root}/" if local_root else ""
        lake = None
        if settings.lake is not None:
            opened = open_lake(settings.lake, settings.source, settings.credentials)
            lake = LakeReader(opened, trust_after=timedelta(hours=plugin.lake_trust_after_hours))
        return FlowLogSource(store, prefix, cache, context, lake)
    return FileSource(store, prefix, cache, settings.source_format, local_root)


class FlowLogSource:
    """IBM-layout flow logs: pruned by hour, ingested into hour and day entries, FLOW/FLOW_FLAT views.

    With a flow lake, a settled day's entry comes from the lake's partition when it can (``lake/read.py``).
    """

    def __init__(
        self, store: ObjectStore, prefix: str, cache: IngestCache, context: str = "", lake: LakeReader | None = None
    ) -> None:
        self.store, self.prefix, self.cache, self.context, self.lake = store, prefix, cache, context, lake
        self.allowed_directories: tuple[str, ...] = (str(cache.root),)
        self._vnics = VnicPrefixCache()
        self._listings = listing_cache()
        self._folders = folder_cache()
        self._plans = PlanMemo()
        self._spans = Spans(cache, cache.group_dir(store, prefix, SPANS_GROUP))

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        if not referenced & {FLOW, FLOW_FLAT, SOURCE}:
            return SourceEstimate()
        pruned = self._list(scan, cancel).prune()
        groups = entry_groups(pruned, now=datetime.now(UTC))
        held = self.cache.holdings(self._dir(name) for group in groups for name in (group.name, *group.donors))
        return estimate_pruned(pruned, held)

    def _list(self, scan: SourceScan, cancel: CancelToken) -> RangeListing:
        """The scan's listings, shared with the other queries and estimates of the same prefixes."""
        return list_range(
            self.store,
            self.prefix,
            scan.time_range,
            cancel,
            vnic_cache=self._vnics,
            listings=self._listings,
            folders=self._folders,
            context=self.context,
            fresh=scan.fresh_listing,
            trusted=None if self.lake is None else self.lake.trusted_listings,
        )

    def relations(
        self,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        schema_only: frozenset[str] = frozenset(),
        plan_only: bool = False,
    ) -> SourceRelations:
        wanted = {name for name in (FLOW, FLOW_FLAT, SOURCE) if name in referenced}
        if not wanted:
            return SourceRelations(views={})
        if plan_only:  # the views a run builds, over an empty entry: DuckDB plans them, nothing is listed or read
            window = scan.time_range if scan.dashboard_applied else None
            flat = FlatRead((self.cache.empty_entry(),), modified_cutoff(scan.time_range), window)
            return SourceRelations(views=self._views(wanted, flat), flat=flat, cache=self.cache)
        if wanted <= schema_only:  # DESCRIBE(FLOW_FLAT) needs the columns: no listing, no ingest
            flat = FlatRead((), scan.time_range.start, None)
            return SourceRelations(views=self._views(wanted, flat), flat=flat, cache=self.cache)
        began = time.monotonic()
        listed = self._list(scan, cancel)
        listed_at = time.monotonic()
        stats, notices = IngestStats(), _Notices()
        plan = self._plans.get(listed)
        if plan is not None:
            scan.check(plan.objects_needed, plan.bytes_needed)
        if plan is not None and all(self.cache.touch(path) for path in plan.paths):
            stats.objects_cached = plan.objects_needed
        else:
            pruned = listed.prune()
            scan.check(pruned.objects_needed, pruned.bytes_needed)
            plan = self._plan(listed, pruned, cancel, stats, notices)
        runs = plan.runs if FLOW_FLAT in wanted else ()  # FLOW reads the entries (spans hold records only)
        reads, spans = self._spans.reads(plan.paths, runs, merge=not stats.entries_written)
        window = scan.time_range if scan.dashboard_applied else None
        flat = FlatRead(tuple(plan.paths), listed.cutoff, window, reads)
        return SourceRelations(
            views=self._views(wanted, flat),
            damaged=plan.damaged,
            notices=notices.texts(),
            flat=flat,
            cache=self.cache,
            stats=_source_stats(
                stats,
                began,
                listed_at,
                objects_listed=plan.objects_listed,
                objects_needed=plan.objects_needed,
                objects_damaged=len(plan.damaged),
                hours_listed=len(listed.span),
                list_calls=listed.list_calls,
                entries=len(plan.paths),
                spans=spans,
            ),
        )

    def _plan(
        self, listed: RangeListing, pruned: PruneResult, cancel: CancelToken, stats: IngestStats, notices: _Notices
    ) -> Plan:
        """Find or build the range's entries, and remember them for the queries sharing these listings."""
        groups = entry_groups(pruned, now=datetime.now(UTC))
        paths = self._entries(groups, cancel, stats, notices)
        if stats.entries_written:
            self.cache.evict(protect=paths)
        damaged = (self.cache.damaged_in(path) & group.needed_ids for group, path in zip(groups, paths, strict=True))
        plan = Plan(
            listed.listings,
            paths,
            objects_listed=sum(len(v) for v in pruned.listed.values()),
            objects_needed=pruned.objects_needed,
            bytes_needed=pruned.bytes_needed,
            cutoffs=pruned.cutoffs,
            damaged=tuple(sorted({object_key(item) for ids in damaged for item in ids})),
            runs=settled_runs(groups),
        )
        self._plans.put(listed, plan)
        return plan

    @staticmethod
    def _views(wanted: set[str], flat: FlatRead) -> dict[str, str]:
        views = {}
        if FLOW_FLAT in wanted:
            views[FLOW_FLAT] = flat.flat_sql()
        if wanted & {FLOW, SOURCE}:
            flow = flow_sql(flat.paths, flat.cutoff, flat.window)
            views.update({name: flow for name in wanted & {FLOW, SOURCE}})
        return views

    def _entries(
        self, groups: list[EntryGroup], cancel: CancelToken, stats: IngestStats, notices: _Notices
    ) -> list[Path]:
        """The groups' entries in order: cached ones looked up inline, the others built in parallel."""
        paths: dict[str, Path] = {}
        for group in groups:
            hit = self.cache.cached_entry(
                self._dir(group.name), listed_ids=group.listed_ids, needed_ids=group.needed_ids, stats=stats
            )
            if hit is not None:
                paths[group.name] = hit
        missing = [group for group in groups if group.name not in paths]
        per_group = [IngestStats() for _ in missing]
        built = run_jobs([self._entry_job(g, s, notices) for g, s in zip(missing, per_group, strict=True)], cancel)
        paths.update(zip((group.name for group in missing), built, strict=True))
        for group_stats in per_group:
            stats.absorb(group_stats)
        return [paths[group.name] for group in groups]

    def _dir(self, group: str) -> Path:
        return self.cache.group_dir(self.store, self.prefix, group)

    def _entry_job(self, group: EntryGroup, stats: IngestStats, notices: _Notices) -> Job[Path]:
        """Bring one hour or day into the ingest cache: its entry's path."""

        def job(cancel: CancelToken) -> Path:
            raise_if_cancelled(cancel)
            if self.lake is not None and group.day is not None:
                path, notice = self.lake.day_entry(
                    self.cache,
                    self.store,
                    self._dir(group.name),
                    day=group.day,
                    listed=group.listed,
                    needed=group.needed,
                    donors=[self._dir(name) for name in group.donors],
                    cancel=cancel,
                    stats=stats,
                )
                notices.add(notice)
                return path
            if self.lake is not None and group.settled_day is not None:
                day_dir = self._dir(group.donors[0])
                notices.add(
                    self.lake.seed_day(self.cache, day_dir, day=group.settled_day, wanted=group.needed_ids, stats=stats)
                )
            return self.cache.entry_for(
                self.store,
                self._dir(group.name),
                listed=group.listed,
                needed=group.needed,
                cancel=cancel,
                stats=stats,
                donors=[self._dir(name) for name in group.donors],
            )

        return job


class _Notices:
    """The notices of one query's entry jobs, which run on several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: list[str] = []

    def add(self, text: str | None) -> None:
        if text is not None:
            with self._lock:
                self._texts.append(text)

    def texts(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._texts))


class FileSource:
    """Plain JSON/Parquet/CSV files behind ``$__source``: read in place (local) or mirrored (COS)."""

    def __init__(
        self, store: ObjectStore, prefix: str, cache: IngestCache, fmt: SourceFormat, local_root: Path | None
    ) -> None:
        self.store, self.prefix, self.cache, self.fmt, self.local_root = store, prefix, cache, fmt, local_root
        dirs = [str(cache.root)] + ([str(local_root)] if local_root else [])
        self.allowed_directories: tuple[str, ...] = tuple(dirs)

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        if SOURCE not in referenced:
            return SourceEstimate()
        return plain_files(self.fmt, "DuckDB")

    def relations(
        self,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        schema_only: frozenset[str] = frozenset(),
        plan_only: bool = False,
    ) -> SourceRelations:
        if SOURCE not in referenced:
            return SourceRelations(views={})
        if plan_only and self.local_root is None:
            raise BadRequest(
                f"no plan for {self.fmt.upper()} files on COS: DuckDB learns their columns only by reading them "
                "(run the query, or DESCRIBE it)"
            )
        began = time.monotonic()
        objects = [o for o in self.store.list(self.prefix).objects if not o.key.rsplit("/", 1)[-1].startswith(".")]
        listed_at = time.monotonic()
        stats = IngestStats()
        if self.local_root is not None:
            paths = [self.local_root / o.key for o in objects]
        else:
            paths = [self._mirror(o.key, o.etag, cancel, stats) for o in objects]
        if not paths:
            body = "SELECT CAST(NULL AS VARCHAR) AS value WHERE false"
        else:
            body = "SELECT * FROM " + _READERS[self.fmt].format(files=file_list(paths))
        return SourceRelations(
            views={SOURCE: body},
            stats=_source_stats(stats, began, listed_at, objects_listed=len(objects), hours_listed=0),
        )

    def _mirror(self, key: str, etag: str, cancel: CancelToken, stats: IngestStats) -> Path:
        """A local copy of one object, named by (store, key, ETag) and kept with the original suffix."""
        raise_if_cancelled(cancel)
        name = hashlib.sha256(f"{self.store.identity}\0{key}\0{etag}".encode()).hexdigest()
        suffix = "".join(Path(key).suffixes[-2:])
        path = self.cache.root / "files" / f"{name}{suffix}"
        if path.exists():
            stats.objects_cached += 1
            return path
        data, _ = self.store.get(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")
        temp.write_bytes(data)
        os.replace(temp, path)
        stats.objects_read += 1
        stats.bytes_read += len(data)
        return path


def _source_stats(stats: IngestStats, began: float, listed_at: float, **listing: int) -> dict[str, int | float]:
    """What a query's source read, as its frame meta shows it (``custom.source``): the listing's
    counts, then the ingest's, then how long each took (monotonic seconds in, milliseconds out)."""
    return {
        **listing,
        "objects_read": stats.objects_read,
        "objects_cached": stats.objects_cached,
        "bytes_read": stats.bytes_read,
        "records_decoded": stats.records_decoded,
        "lake_parts": stats.lake_parts,
        "lake_bytes": stats.lake_bytes,
        "ms_listing": round((listed_at - began) * 1000, 1),
        "ms_ingest": round((time.monotonic() - listed_at) * 1000, 1),
    }
