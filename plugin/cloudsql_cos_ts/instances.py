"""One live datasource instance per Grafana datasource, rebuilt when its settings change.

Grafana sends the full instance settings with every call; parsing them and opening an engine per
call would be wasteful, so instances are cached per datasource — org, numeric id and uid, since a
uid is unique only within an org (:mod:`cloudsql_cos_ts.settings.identity`) — and replaced when
their version changes: ``lastUpdatedMS`` or the settings themselves, so two edits within Grafana's
one-second precision are not missed. Invalid settings are cached too, as the error every query of
that datasource answers with. A datasource with a flow lake location also owns the lake's follower
(``flowlogs/lake/follow.py``), started with the instance and stopped when it is closed or replaced.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudsql_cos_ts.errors import BadRequest, InternalError, PluginError, reported_internal_error
from cloudsql_cos_ts.log import log
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.plugin import PluginSettings

if TYPE_CHECKING:
    import pyarrow as pa

    from cloudsql_cos_ts.engines.base import Engine
    from cloudsql_cos_ts.flowlogs.lake.follow import Follower
    from cloudsql_cos_ts.macros import DestSpec
    from cloudsql_cos_ts.settings.datasource import DatasourceSettings


@dataclass
class DatasourceInstance:
    settings: DatasourceSettings
    engine: Engine
    follower: Follower | None = None  # keeps the flow lake current (a lake location is set)

    def column_type(self, name: str) -> str | None:
        """Type of a flow-log column by name (``$__timeFilter`` infers its comparison from it)."""
        if self.settings.source_format != "flowlogs":
            return None
        from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_FLAT, RELATIONS

        for relation in (FLOW_FLAT, FLOW):
            for column, kind in RELATIONS[relation]:
                if column.lower() == name.lower():
                    return kind
        return None

    def write_destination(self, dest: DestSpec, table: pa.Table) -> str:
        """Write a ``$__dest`` result where the datasource's destination points, or an ``INTO cos://…``
        result where the statement said if that lies inside the datasource's locations; returns its location."""
        from cloudsql_cos_ts.storage.results import write_result
        from cloudsql_cos_ts.storage.targets import write_target

        if dest.location is not None:
            location = self.settings.confinement.resolve(dest.location, purpose="INTO")
            return write_target(table, location, dest, self.settings.credentials)
        if self.settings.destination is None:
            raise BadRequest("$__dest needs a destination: set the datasource's destination (cos://… or a folder)")
        return write_result(table, self.settings.destination, dest.format, dest.suffix, self.settings.credentials)

    def close(self) -> None:
        """Stop the follower and release the engine; a failure is logged, never raised into the request or
        stop that closes it."""
        if self.follower is not None:
            self.follower.stop()
        try:
            self.engine.close()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warn("closing a datasource's engine failed", uid=self.settings.uid, error=error)


@dataclass
class _Entry:
    # The settings message as Grafana sent it (lastUpdatedMS, jsonData, secure fields, …), serialized with
    # sorted map keys: compared in memory only, like the replay fingerprint, and cheaper than a digest.
    version: bytes
    instance: DatasourceInstance | None
    error: PluginError | None


class InstanceManager:
    """Thread-safe cache of datasource instances keyed by org, datasource id and uid."""

    def __init__(self, plugin: PluginSettings) -> None:
        self.plugin = plugin
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int, str], _Entry] = {}

    def settings_for(self, context: pb.PluginContext) -> DatasourceSettings:
        """Parse settings without opening an engine (resource endpoints that only need settings)."""
        # Imported on the first request, not with this module: the server imports this module before
        # Grafana's handshake, and the settings and engines pull in sqlglot, numpy and the dialect.
        from cloudsql_cos_ts.settings.datasource import parse_datasource_settings

        raw = _raw_settings(context)
        return parse_datasource_settings(
            uid=raw.uid,
            name=raw.name,
            last_updated_ms=raw.lastUpdatedMS,
            json_data=raw.jsonData,
            secure=dict(raw.decryptedSecureJsonData),
            org_id=context.orgId,
            datasource_id=raw.id,
        )

    def get(self, context: pb.PluginContext) -> DatasourceInstance:
        raw = _raw_settings(context)
        key = (context.orgId, raw.id, raw.uid)
        version = raw.SerializeToString(deterministic=True)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                if entry is not None and entry.instance is not None:
                    entry.instance.close()
                entry = self._build(context, version)
                if isinstance(entry.error, InternalError):
                    self._entries.pop(key, None)  # not the settings' fault: the next request tries again
                else:
                    self._entries[key] = entry
        if entry.error is not None:
            raise entry.error
        assert entry.instance is not None
        return entry.instance

    def _build(self, context: pb.PluginContext, version: bytes) -> _Entry:
        from cloudsql_cos_ts.engines.registry import create_engine  # after the handshake (settings_for)

        log.add_secrets(context.dataSourceInstanceSettings.decryptedSecureJsonData.values())
        try:
            settings = self.settings_for(context)
            engine = create_engine(settings, self.plugin)
            instance = DatasourceInstance(settings, engine, _follower(settings, self.plugin))
            log.info(
                "datasource instance ready",
                org=settings.org_id,
                id=settings.datasource_id,
                uid=settings.uid,
                engine=settings.engine,
                version=settings.last_updated_ms,
            )
            return _Entry(version, instance, None)
        except PluginError as exc:
            log.warn("datasource settings rejected", error=exc.message)
            return _Entry(version, None, exc)
        except Exception as exc:  # a bug or a broken installation: answer per query, log the details
            error = reported_internal_error(
                "opening the datasource failed", exc, told="the plugin could not open this datasource"
            )
            return _Entry(version, None, error)

    def close(self) -> None:
        with self._lock:
            for entry in self._entries.values():
                if entry.instance is not None:
                    entry.instance.close()
            self._entries.clear()


def _follower(settings: DatasourceSettings, plugin: PluginSettings) -> Follower | None:
    """The started lake follower of a datasource with a lake location; it compacts into the same ingest
    cache the DuckDB engine reads, so a day it compacted is also a warm day entry here."""
    if settings.lake is None:
        return None
    from cloudsql_cos_ts.engines.duckdb.source import ingest_cache
    from cloudsql_cos_ts.flowlogs.lake.follow import FollowPolicy, follower_for

    policy = FollowPolicy(requests_per_s=plugin.lake_requests_per_second)
    follower = follower_for(settings, ingest_cache(plugin), policy)
    return follower.start() if follower is not None else None


def _raw_settings(context: pb.PluginContext) -> pb.DataSourceInstanceSettings:
    if not context.HasField("dataSourceInstanceSettings"):
        raise BadRequest("the request carries no datasource settings (it must come from a configured datasource)")
    return context.dataSourceInstanceSettings
