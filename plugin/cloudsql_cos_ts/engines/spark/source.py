"""The datasource's source as Spark DataFrames: Spark reads the objects itself, the plugin only lists.

Flow logs: the plugin prunes by the query's time range exactly as for DuckDB (``flowlogs/pruning.py``,
listing through our storage layer), then hands Spark the hour folders that hold needed objects; Spark
reads every object there (``recursiveFileLookup``) and drops objects modified before the pruning
cutoff through ``_metadata.file_modification_time``, so the views hold the same rows as DuckDB's.
With a flow lake configured, settled days whose lake partition is current are read from their
Parquet parts instead (``lake.py``). Plain JSON / Parquet / CSV sources are read whole. Local folders
are read by the Spark server at the same path (a server on this machine, as in the tests, or a shared
mount); COS through S3A with HMAC keys, set in the datasource's own sessions (``s3a.py``; see
docs/engines.md).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.spark.client import DataFrame, Reader, Session
from cloudsql_cos_ts.engines.spark.lake import LakeParts, choose_parts, lake_flow_flat
from cloudsql_cos_ts.engines.spark.s3a import S3aAccess, s3a_access
from cloudsql_cos_ts.engines.spark.schema import (
    DOCUMENT_SCHEMA,
    FILE_PATH,
    MODIFIED,
    RECORD,
    capture_overlaps,
    empty_relation,
    flow_flat_select,
    flow_select,
    partition_expressions,
    timestamp_literal,
)
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate, estimate_pruned, plain_files
from cloudsql_cos_ts.flowlogs.groups import entry_groups
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.flowlogs.lake.read import TRUST_AFTER, LakeReader
from cloudsql_cos_ts.flowlogs.pruning import PruneResult, VnicPrefixCache, list_range
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_COLUMNS, FLOW_FLAT, FLOW_FLAT_COLUMNS, SOURCE
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation, Location
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.factory import open_store
from cloudsql_cos_ts.timerange import TimeRange

_PLAIN_OPTIONS = {"csv": {"header": "true", "inferSchema": "true"}, "json": {}, "parquet": {}}


@dataclass
class SourceFrames:
    frames: dict[str, DataFrame]  # upper-case relation name -> DataFrame
    stats: dict[str, int | float] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # what the answer should say (a lake day read from raw objects)


class SparkSource(Protocol):
    def relations(
        self,
        session: Session,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        plan_only: bool = False,
    ) -> SourceFrames: ...

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        """What ``relations`` would have Spark read, from the listing alone."""
        ...


@dataclass(frozen=True)
class SparkLocation:
    """Where Spark finds the source: a URI root."""

    root: str  # file:///folder or s3a-…://bucket/prefix (s3a.py), no trailing slash

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}" if key else self.root

    def reader(self, session: Session, fmt: str) -> Reader:
        return session.read.format(fmt)


def _s3a(settings: DatasourceSettings) -> S3aAccess:
    """S3A access to every COS location of the datasource: its source, destination and allowed locations
    (a ``cos://`` URL a statement names lies inside one of them, ``settings/confinement.py``)."""
    roots = (settings.source, settings.lake, *settings.confinement.roots)
    return s3a_access(settings.credentials, [root for root in roots if isinstance(root, CosLocation)])


def session_conf(settings: DatasourceSettings) -> Mapping[str, str]:
    """The S3A settings each Spark session of this datasource carries: none without COS locations or
    HMAC keys (then reading a COS location is the 400 of ``spark_location``)."""
    uses_cos = any(isinstance(root, CosLocation) for root in (settings.source, *settings.confinement.roots))
    return _s3a(settings).conf if uses_cos and settings.credentials.auth == "hmac" else {}


def spark_location(settings: DatasourceSettings, location: Location | None = None) -> SparkLocation:
    """The configured source (or ``location``) as Spark sees it; COS needs HMAC keys (S3A cannot use IBM API keys)."""
    where = location or settings.source
    if isinstance(where, LocalLocation):
        return SparkLocation(f"file://{where.path}")
    assert isinstance(where, CosLocation)
    return SparkLocation(_s3a(settings).uri(where))


def build_spark_source(settings: DatasourceSettings, lake_trust_after: timedelta = TRUST_AFTER) -> SparkSource | None:
    """The source of ``settings`` for Spark; a flow lake's days are trusted ``lake_trust_after`` after their end."""
    if settings.source is None:
        return None
    location = spark_location(settings)
    store, prefix = open_store(settings.source, settings.credentials)
    if settings.source_format == "flowlogs":
        context = f"{settings.source.path}/" if isinstance(settings.source, LocalLocation) else ""
        lake = None
        if settings.lake is not None:
            opened = open_lake(settings.lake, settings.source, settings.credentials)
            reader = LakeReader(opened, trust_after=lake_trust_after)
            lake = SparkLake(reader, spark_location(settings, settings.lake), opened.root)
        return FlowLogSparkSource(store, prefix, location, context, lake)
    return PlainSparkSource(location, settings.source_format)


@dataclass(frozen=True)
class SparkLake:
    """The datasource's flow lake: its manifests, and where Spark finds the parts."""

    reader: LakeReader
    location: SparkLocation  # the lake location as Spark sees it
    root: str  # the lake location's key prefix in its store

    def uris(self, parts: LakeParts) -> list[str]:
        return [self.location.uri(key.removeprefix(self.root)) for key in parts.keys]


class FlowLogSparkSource:
    """IBM-layout flow logs: pruned hour folders read by Spark, FLOW / FLOW_FLAT / __SOURCE views."""

    def __init__(
        self, store: ObjectStore, prefix: str, location: SparkLocation, context: str, lake: SparkLake | None = None
    ) -> None:
        self.store, self.prefix, self.location, self.context = store, prefix, location, context
        self.lake = lake
        self._vnics = VnicPrefixCache()

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        if not referenced & {FLOW, FLOW_FLAT, SOURCE}:
            return SourceEstimate()
        return estimate_pruned(self._pruned(scan, cancel), held=frozenset())  # Spark keeps no ingest cache

    def _pruned(self, scan: SourceScan, cancel: CancelToken) -> PruneResult:
        listed = list_range(
            self.store,
            self.prefix,
            scan.time_range,
            cancel,
            vnic_cache=self._vnics,
            context=self.context,
            trusted=None if self.lake is None else self.lake.reader.trusted_listings,
        )
        return listed.prune()  # no shared listings here: every query lists anew

    def relations(
        self,
        session: Session,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        plan_only: bool = False,
    ) -> SourceFrames:
        wanted = {FLOW, FLOW_FLAT, SOURCE} & referenced
        if not wanted:
            return SourceFrames({})
        began = time.monotonic()
        pruned = self._pruned(scan, cancel)
        if not plan_only:  # a plan reads nothing: Spark only lists the folders to plan their file scan
            scan.check(pruned.objects_needed, pruned.bytes_needed)
        window = scan.time_range if scan.dashboard_applied else None
        parts = LakeParts()
        if self.lake is not None and FLOW_FLAT in wanted and not plan_only:
            parts = choose_parts(self.lake.reader, entry_groups(pruned, now=datetime.now(UTC)))
        every, rest = _hour_folders(pruned), _hour_folders(pruned, leaving_out=parts.days)
        flow, flat = self._frames(session, every, pruned.cutoff, window)
        if parts.keys:  # FLOW_FLAT: the lake's days from their parts, the other hours (if any) from raw objects
            assert self.lake is not None
            flat = lake_flow_flat(session, self.lake.uris(parts), pruned.cutoff, window)
            if rest:
                flat = self._frames(session, rest, pruned.cutoff, window)[1].unionByName(flat)
        frames = {FLOW: flow, SOURCE: flow, FLOW_FLAT: flat}
        return SourceFrames(
            {name: frames[name] for name in wanted},
            stats={
                "objects_listed": sum(len(v) for v in pruned.listed.values()),
                "objects_needed": sum(len(v) for v in pruned.needed.values()),
                "hour_folders_read": len(every if wanted & {FLOW, SOURCE} else rest),
                "hours_listed": pruned.hours_listed,
                "list_calls": pruned.list_calls,
                "lake_parts": len(parts.keys),
                "lake_bytes": parts.bytes,
                "ms_listing": round((time.monotonic() - began) * 1000, 1),
            },
            notices=parts.notices,
        )

    def _frames(
        self, session: Session, folders: list[str], cutoff: datetime, window: TimeRange | None
    ) -> tuple[DataFrame, DataFrame]:
        if not folders:
            return session.sql(empty_relation(FLOW_COLUMNS)), session.sql(empty_relation(FLOW_FLAT_COLUMNS))
        reader = self.location.reader(session, "json")
        documents = (
            reader.schema(DOCUMENT_SCHEMA)
            .option("multiLine", True)
            .option("recursiveFileLookup", True)
            # A damaged object never fails the query: unreadable gzip is skipped, and invalid JSON
            # (PERMISSIVE mode) gives a row of NULLs, dropped below.
            .option("ignoreCorruptFiles", True)
            .load([self.location.uri(self._relative(folder)) for folder in folders])
            .selectExpr("*", f"_metadata.file_path AS {FILE_PATH}", f"_metadata.file_modification_time AS {MODIFIED}")
            .where(f"{MODIFIED} >= {timestamp_literal(cutoff)}")
            .where("flow_logs IS NOT NULL OR coalesce(version, capture_start_time, capture_end_time) IS NOT NULL")
            .selectExpr("*", *partition_expressions())
        )
        if window is not None:  # no time predicate: the objects whose capture window overlaps the range
            documents = documents.where(
                capture_overlaps("try_to_timestamp(capture_start_time)", "try_to_timestamp(capture_end_time)", window)
            )
        flow = documents.selectExpr(*flow_select())
        flat = documents.selectExpr("*", f"explode(flow_logs) AS {RECORD}").selectExpr(*flow_flat_select())
        return flow, flat

    def _relative(self, key: str) -> str:
        """``key`` relative to the location root (the store's keys include the location's prefix)."""
        return key.removeprefix(self.prefix)


def _hour_folders(pruned: PruneResult, leaving_out: frozenset[date] = frozenset()) -> list[str]:
    """The hour folders holding needed objects, but those of the days in ``leaving_out``."""
    # key = …/hour=HH/stream-id=…/NNNNNNNN.gz: the hour folder is two levels up
    return sorted(
        {
            obj.key.rsplit("/", 2)[0]
            for hour, objects in pruned.needed.items()
            if hour.date() not in leaving_out
            for obj in objects
        }
    )


class PlainSparkSource:
    """JSON / Parquet / CSV files behind ``$__source``, read whole by Spark."""

    def __init__(self, location: SparkLocation, fmt: str) -> None:
        self.location, self.fmt = location, fmt

    def estimate(self, scan: SourceScan, referenced: frozenset[str], cancel: CancelToken) -> SourceEstimate:
        if SOURCE not in referenced:
            return SourceEstimate()
        return plain_files(self.fmt, "Spark")

    def relations(
        self,
        session: Session,
        scan: SourceScan,
        referenced: frozenset[str],
        cancel: CancelToken,
        *,
        plan_only: bool = False,
    ) -> SourceFrames:
        if SOURCE not in referenced:
            return SourceFrames({})
        if plan_only:
            raise BadRequest(
                f"no plan for {self.fmt.upper()} files on Spark: Spark learns their columns only by reading them "
                "(run the query, or DESCRIBE it)"
            )
        reader = self.location.reader(session, self.fmt)
        for name, value in _PLAIN_OPTIONS[self.fmt].items():
            reader = reader.option(name, value)
        return SourceFrames({SOURCE: reader.load(self.location.root)})
