"""``cos://… STORED AS fmt`` relations for the DuckDB engine, each read like a configured source.

IBM SQL Query read any location a statement named. Here a location written in SQL is first
resolved against the datasource's locations (``settings/confinement.py``: a 400 naming
``allowedLocations`` otherwise), then read by the same source classes as the datasource's own
source, with its credentials and ingest cache, so nothing new can be reached through the engine's
sandbox: a flow-log key layout (a prefix through ``ibm_vpc_flowlogs_v1/``) stored as JSON is IBM's
``FLOW`` table over those objects, with the same hour pruning and decoding; any other location is
read as files of its format. Sources are kept per (URL, format), a bounded number, so their
listings and ingest entries serve the following queries.
"""

from __future__ import annotations

from dataclasses import replace

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import ExternalRef
from cloudsql_cos_ts.engines.duckdb.source import DuckDBSource, SourceRelations, build_duckdb_source, ingest_cache
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate
from cloudsql_cos_ts.flowlogs.layout import in_flow_log_layout
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import SOURCE
from cloudsql_cos_ts.lru import BoundedLru
from cloudsql_cos_ts.settings.datasource import DatasourceSettings, SourceFormat
from cloudsql_cos_ts.settings.locations import CosLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings

READABLE: tuple[SourceFormat, ...] = ("json", "parquet", "csv")
_KEPT_SOURCES = 64


def source_format(location: CosLocation, fmt: str) -> SourceFormat:
    """``flowlogs`` for JSON under IBM's flow-log root folder, else the format as stored."""
    if fmt == "json" and in_flow_log_layout(location.prefix):
        return "flowlogs"
    for readable in READABLE:
        if readable == fmt:
            return readable
    raise BadRequest(
        f"STORED AS {fmt.upper()} cannot be read by the duckdb engine; it reads "
        f"{', '.join(f.upper() for f in READABLE)} (convert the objects, or use a Spark engine for ORC)"
    )


class ExternalSources:
    """The statement-named locations of one datasource, as DuckDB views."""

    def __init__(self, settings: DatasourceSettings, plugin: PluginSettings) -> None:
        self._settings, self._plugin = settings, plugin
        self._sources: BoundedLru[tuple[str, str], DuckDBSource] = BoundedLru(_KEPT_SOURCES)
        self.allowed_directories: tuple[str, ...] = (str(ingest_cache(plugin).root),)

    def _source(self, ref: ExternalRef) -> DuckDBSource:
        key = (ref.url, ref.format)
        found = self._sources.get(key)
        if found is None:
            location = self._settings.confinement.resolve(ref.url, purpose="FROM")
            settings = replace(self._settings, source=location, source_format=source_format(location, ref.format))
            found = build_duckdb_source(settings, self._plugin)
            assert found is not None  # settings with a source always give one
            self._sources.put(key, found)
        return found

    def estimate(self, ref: ExternalRef, scan: SourceScan, cancel: CancelToken) -> SourceEstimate:
        """What ``relation`` would read of ``ref``'s location, from its listing."""
        return self._source(ref).estimate(scan, frozenset({SOURCE}), cancel)

    def relation(
        self, ref: ExternalRef, scan: SourceScan, cancel: CancelToken, *, schema_only: bool, plan_only: bool = False
    ) -> SourceRelations:
        """``ref``'s relation as the view of ``SOURCE``: ``FLOW`` for flow logs (pruned by ``scan``), the
        files' rows otherwise."""
        wanted = frozenset({SOURCE})
        return self._source(ref).relations(
            scan, wanted, cancel, schema_only=wanted if schema_only else frozenset(), plan_only=plan_only
        )
