"""``cos://… STORED AS fmt`` relations for the Spark engine, each read like a configured source.

The location is first resolved against the datasource's locations (``settings/confinement.py``:
a 400 naming ``allowedLocations`` otherwise); the query layer has already refused formats Spark is
not offered. Then it is read by the same source classes as the datasource's own source: a flow-log
key layout stored as JSON is IBM's ``FLOW`` table (pruned hour folders), anything else the files of
its format. Every such location lies in a bucket of the datasource's locations, whose S3A settings
each of its sessions already carries (``source.session_conf``), so no new credentials are involved.
Sources are kept per (URL, format), a bounded number, so their vNIC listings serve later queries.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import ExternalRef
from cloudsql_cos_ts.engines.spark.client import DataFrame, Session
from cloudsql_cos_ts.engines.spark.source import SparkSource, build_spark_source
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate
from cloudsql_cos_ts.flowlogs.layout import in_flow_log_layout
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import SOURCE
from cloudsql_cos_ts.lru import BoundedLru
from cloudsql_cos_ts.settings.datasource import DatasourceSettings, SourceFormat

_KEPT_SOURCES = 64


class SparkExternalSources:
    """The statement-named locations of one datasource, as Spark DataFrames."""

    def __init__(self, settings: DatasourceSettings) -> None:
        self._settings = settings
        self._sources: BoundedLru[tuple[str, str], SparkSource] = BoundedLru(_KEPT_SOURCES)

    def _source(self, ref: ExternalRef) -> SparkSource:
        key = (ref.url, ref.format)
        found = self._sources.get(key)
        if found is None:
            location = self._settings.confinement.resolve(ref.url, purpose="FROM")
            flow_logs = ref.format == "json" and in_flow_log_layout(location.prefix)
            fmt = "flowlogs" if flow_logs else cast(SourceFormat, ref.format)
            # the flow lake holds the datasource's own source only: a location named in SQL is read raw
            found = build_spark_source(replace(self._settings, source=location, source_format=fmt, lake=None))
            assert found is not None  # settings with a source always give one
            self._sources.put(key, found)
        return found

    def frame(
        self, session: Session, ref: ExternalRef, scan: SourceScan, cancel: CancelToken, *, plan_only: bool = False
    ) -> DataFrame:
        """``ref``'s rows: ``FLOW`` for flow logs (pruned by ``scan``; none for a plan), the files' rows otherwise."""
        source = self._source(ref)
        return source.relations(session, scan, frozenset({SOURCE}), cancel, plan_only=plan_only).frames[SOURCE]

    def estimate(self, ref: ExternalRef, scan: SourceScan, cancel: CancelToken) -> SourceEstimate:
        """What ``frame`` would have Spark read of ``ref``'s location, from its listing."""
        return self._source(ref).estimate(scan, frozenset({SOURCE}), cancel)
