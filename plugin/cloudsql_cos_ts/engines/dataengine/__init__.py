"""The legacy IBM Data Engine (SQL Query) engine: the plugin's SQL as jobs of a compatible REST API.

IBM withdrew the service on 2025-01-18; this engine serves installations that still run an endpoint
compatible with its v3 API. ``api.py`` is the REST client, ``relations.py``/``inputs.py``/
``statement.py`` turn the pipeline's SQL into a job statement over ``cos://`` locations,
``results.py`` reads a job's result through the storage layer, ``engine.py`` ties them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.locations import CosLocation, normalize_endpoint

if TYPE_CHECKING:
    from cloudsql_cos_ts.engines.base import Engine
    from cloudsql_cos_ts.settings.datasource import DatasourceSettings
    from cloudsql_cos_ts.settings.plugin import PluginSettings


def create_dataengine_engine(settings: DatasourceSettings, plugin: PluginSettings) -> Engine:
    """The registry's factory: checks what the service needs (an API key, COS locations) up front."""
    from cloudsql_cos_ts.engines.dataengine.api import DEFAULT_API_URL, DataEngineApi
    from cloudsql_cos_ts.engines.dataengine.engine import DataEngineEngine
    from cloudsql_cos_ts.engines.dataengine.relations import source_relations
    from cloudsql_cos_ts.storage.iam import BearerTokens

    if not settings.credentials.api_key:
        raise BadRequest(
            "engine is dataengine: set the IBM Cloud API key in the secure settings; Data Engine accepts only "
            "IAM tokens (COS may still use HMAC keys)"
        )
    destination = settings.destination
    if not isinstance(destination, CosLocation):
        raise BadRequest(
            "engine is dataengine: set destination to a cos://<region>/<bucket>/<prefix> URL; the service writes "
            "every query result there (a local folder cannot be reached by the service)"
        )
    source = settings.source
    if source is not None and not isinstance(source, CosLocation):
        raise BadRequest(
            "engine is dataengine: the service reads the source itself, so source must be a cos:// URL, not a "
            "local folder"
        )
    api_url = normalize_endpoint(settings.dataengine_api_url or DEFAULT_API_URL, field="dataEngineApiUrl")
    tokens = BearerTokens(settings.credentials)
    return DataEngineEngine(
        api=DataEngineApi(api_url, settings.dataengine_instance_crn, tokens.token),
        destination=destination,
        credentials=settings.credentials,
        source_relations=source_relations(source, settings.source_format) if source is not None else {},
        query_timeout_s=settings.query_timeout_s,
        on_close=tokens.close,
    )
