"""Engine factories by settings name: adding an engine is one module plus one line here."""

from __future__ import annotations

from collections.abc import Callable

from cloudsql_cos_ts.engines.base import Engine
from cloudsql_cos_ts.engines.dataengine import create_dataengine_engine
from cloudsql_cos_ts.engines.spark import create_spark_engine
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.plugin import PluginSettings, ensure_private_dir

EngineFactory = Callable[[DatasourceSettings, PluginSettings], Engine]


def _duckdb(settings: DatasourceSettings, plugin: PluginSettings) -> Engine:
    from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
    from cloudsql_cos_ts.engines.duckdb.external import ExternalSources

    source = None
    if settings.source is not None:
        from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source

        source = build_duckdb_source(settings, plugin)
    temp = ensure_private_dir(plugin.cache_dir / "duckdb-tmp")
    return DuckDBEngine(
        threads=settings.threads,
        memory_limit=settings.memory_limit,
        query_timeout_s=settings.query_timeout_s,
        temp_directory=str(temp),
        source=source,
        external=ExternalSources(settings, plugin),
        enrichment=settings.enrichment,
    )


FACTORIES: dict[str, EngineFactory] = {
    "duckdb": _duckdb,
    "spark": create_spark_engine,
    "dataengine": create_dataengine_engine,
}


def create_engine(settings: DatasourceSettings, plugin: PluginSettings) -> Engine:
    factory = FACTORIES.get(settings.engine)
    if factory is None:
        raise BadRequest(
            f"the {settings.engine} engine is not available in this version of the plugin; "
            f"choose one of: {', '.join(sorted(FACTORIES))}"
        )
    return factory(settings, plugin)
