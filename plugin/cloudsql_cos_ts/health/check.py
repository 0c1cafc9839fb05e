"""The datasource's health stages: settings → engine (later issues add credentials, source, scan, destination)."""

from __future__ import annotations

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.health.stages import HealthReport, Stage, run_stages
from cloudsql_cos_ts.instances import DatasourceInstance, InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb

HEALTH_TIMEOUT_S = 15.0


def check_health(instances: InstanceManager, context: pb.PluginContext) -> HealthReport:
    cancel = CancelToken(HEALTH_TIMEOUT_S)
    state: dict[str, DatasourceInstance] = {}

    def settings_stage() -> str:
        settings = instances.settings_for(context)
        source = settings.source.describe() if settings.source else "no source configured ($__source unavailable)"
        return f"engine {settings.engine}, source {source}"

    def engine_stage() -> str:
        state["instance"] = instances.get(context)
        return state["instance"].engine.health(cancel)

    try:
        return run_stages([Stage("settings", settings_stage), Stage("engine", engine_stage)])
    finally:
        cancel.close()
