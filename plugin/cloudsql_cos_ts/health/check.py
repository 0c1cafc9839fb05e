"""The datasource's health walk: settings → credentials → source → scan → destination → enrichment → engine.

Each stage proves one link of the path a query takes, so the first failure tells the user which
setting to fix. Nothing here starts a query job on a paid service: the credentials stage only asks
IAM for a token, the source stage lists a few folders, the scan reads one object, and the engine
stage asks the engine for its version. The whole walk stays within :data:`HEALTH_TIMEOUT_S`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.health.credentials import check_credentials, cos_locations
from cloudsql_cos_ts.health.destination import check_destination
from cloudsql_cos_ts.health.enrichment import check_enrichment
from cloudsql_cos_ts.health.scan import scan_newest
from cloudsql_cos_ts.health.source import SourceProbe, describe_probe, probe_source
from cloudsql_cos_ts.health.stages import HealthReport, Stage, run_stages
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.storage.iam import token_url

HEALTH_TIMEOUT_S = 15.0
CREDENTIALS_TIMEOUT_S = 5.0
SOURCE_TIMEOUT_S = 5.0
SCAN_TIMEOUT_S = 4.0
DESTINATION_TIMEOUT_S = 4.0
ENGINE_TIMEOUT_S = 5.0
ENRICHMENT_TIMEOUT_S = 5.0
_ENDPOINT_HINT = (
    "check the endpoint settings (COS region or endpoint, IAM endpoint) and that the plugin's machine can reach them"
)


@dataclass
class _Walk:
    """What earlier stages found and later ones use."""

    instances: InstanceManager
    context: pb.PluginContext
    budget: CancelToken
    settings: DatasourceSettings | None = None
    probe: SourceProbe | None = None

    def checked_settings(self) -> DatasourceSettings:
        assert self.settings is not None, "the settings stage runs first"
        return self.settings

    def settings_stage(self) -> str:
        self.settings = self.instances.settings_for(self.context)
        source = self.settings.source.describe() if self.settings.source else "none"
        dest = self.settings.destination.describe() if self.settings.destination else "none"
        return f"engine {self.settings.engine}, source {source} ({self.settings.source_format}), destination {dest}"

    def credentials_stage(self) -> str:
        return check_credentials(self.checked_settings(), CREDENTIALS_TIMEOUT_S - 1.0)

    def source_stage(self) -> str:
        self.probe = probe_source(self.checked_settings())
        return describe_probe(self.probe)

    def scan_stage(self) -> str:
        settings = self.checked_settings()
        return scan_newest(self.probe, settings.source_format, settings.damaged_objects)

    def destination_stage(self) -> str:
        return check_destination(self.checked_settings())

    def enrichment_stage(self) -> str:
        return check_enrichment(self.checked_settings())

    def engine_stage(self) -> str:
        return self.instances.get(self.context).engine.health(self.budget)

    def endpoints(self) -> str:
        """The endpoints a COS stage talks to, named in its timeout message (they are the thing to check)."""
        settings = self.settings
        if settings is None:
            return ""
        endpoints = sorted({location.endpoint for location in cos_locations(settings)})
        named = [f"the COS endpoint {endpoint}" for endpoint in endpoints]
        if named and settings.credentials.auth == "iam":  # the SDK fetches its token there first
            named.append(f"the IAM endpoint {token_url(settings.credentials.iam_endpoint)}")
        return " or ".join(named)

    def stages(self) -> list[Stage]:
        hint, named = _ENDPOINT_HINT, self.endpoints
        return [
            Stage("settings", self.settings_stage),
            Stage("credentials", self.credentials_stage, CREDENTIALS_TIMEOUT_S, hint, named),
            Stage("source", self.source_stage, SOURCE_TIMEOUT_S, hint, named),
            Stage("scan", self.scan_stage, SCAN_TIMEOUT_S, hint, named),
            Stage("destination", self.destination_stage, DESTINATION_TIMEOUT_S, hint, named),
            Stage("enrichment", self.enrichment_stage, ENRICHMENT_TIMEOUT_S, "check the enrichment files' size"),
            Stage("engine", self.engine_stage, ENGINE_TIMEOUT_S, "check that the engine is running and reachable"),
        ]


def check_health(instances: InstanceManager, context: pb.PluginContext) -> HealthReport:
    budget = CancelToken(HEALTH_TIMEOUT_S)
    try:
        report = run_stages(_Walk(instances, context, budget).stages(), budget)
    finally:
        budget.close()
    return _scrubbed(report, context.dataSourceInstanceSettings.decryptedSecureJsonData.values())


def _scrubbed(report: HealthReport, secrets: Iterable[str]) -> HealthReport:
    """Mask any secret value in the report: messages are built not to hold one; this makes it certain."""
    values = [s for s in secrets if len(s) >= 4]

    def mask(text: str) -> str:
        for value in values:
            text = text.replace(value, "****")
        return text

    report.message = mask(report.message)
    for stage in report.stages:
        stage.detail = mask(stage.detail)
    return report
