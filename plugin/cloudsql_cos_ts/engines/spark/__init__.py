"""The Spark engine: the plugin's SQL on any Spark 4.x cluster through Spark Connect.

``client.py`` loads the optional pyspark client, ``retries.py`` bounds its retries (none for a refused
connection), ``sessions.py`` leases Spark Connect sessions, ``schema.py`` and ``source.py`` give Spark
the same FLOW / FLOW_FLAT / __SOURCE relations as DuckDB,
``s3a.py`` gives its sessions the datasource's COS settings, ``external.py`` reads ``cos://… STORED AS``
locations, ``errors.py`` maps Spark's failures to the plugin's errors, ``enrich.py`` registers the
enrichment functions, ``engine.py`` ties them together.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudsql_cos_ts.engines.base import Engine
    from cloudsql_cos_ts.settings.datasource import DatasourceSettings
    from cloudsql_cos_ts.settings.plugin import PluginSettings


def create_spark_engine(settings: DatasourceSettings, plugin: PluginSettings) -> Engine:
    """The registry's factory; imports the engine (and pyspark) only when a datasource uses Spark."""
    from cloudsql_cos_ts.engines.spark.client import load_pyspark
    from cloudsql_cos_ts.engines.spark.engine import SparkEngine
    from cloudsql_cos_ts.engines.spark.external import SparkExternalSources
    from cloudsql_cos_ts.engines.spark.source import build_spark_source, session_conf

    pyspark = load_pyspark(plugin.spark_client)
    return SparkEngine(
        pyspark=pyspark,
        open_session=lambda: pyspark.open(settings.spark_url, settings.spark_token),
        url=settings.spark_url,
        query_timeout_s=settings.query_timeout_s,
        source=build_spark_source(settings, timedelta(hours=plugin.lake_trust_after_hours)),
        external=SparkExternalSources(settings),
        session_conf=session_conf(settings),
        enrichment=settings.enrichment,
    )
