"""IBM's ``FROM cos://…`` and ``INTO cos://…`` in a statement: checked before anything runs.

Every location must lie inside the datasource's locations (``settings/confinement.py``), and its
format must be one the engine reads or the plugin writes; otherwise the query is a 400 that names
the setting or the format, before any listing or read. An ``INTO cos://…`` clause becomes the
query's write request (``Expansion.dest`` with a location), which the pipeline carries out after
the engine ran, as it does for ``INTO $__dest(…)``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from cloudsql_cos_ts.dialect import ExternalRef, Translation
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.layout import in_flow_log_layout
from cloudsql_cos_ts.flowlogs.schema import FLOW_COLUMNS, Column
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.macros import DestSpec, Expansion
from cloudsql_cos_ts.macros.model import DestFormat

# What each engine reads in FROM cos://… STORED AS; Data Engine passes the clause to IBM's service.
_READS = {
    "duckdb": ("json", "parquet", "csv"),
    "spark": ("json", "parquet", "csv"),
    "dataengine": ("json", "parquet", "csv", "orc", "avro"),
}
_WRITES = ("json", "parquet", "csv", "orc")  # the plugin writes these (storage/targets.py)
_SERVICE_WRITES = ("json", "parquet", "csv")  # Data Engine writes them and the plugin reads the result back


def _names(formats: tuple[str, ...]) -> str:
    return ", ".join(f.upper() for f in formats)


def external_schema(ref: ExternalRef) -> tuple[Column, ...] | None:
    """``FLOW``'s columns for JSON in IBM's flow-log layout (the engines read it as ``FLOW``), else unknown."""
    return FLOW_COLUMNS if ref.format == "json" and in_flow_log_layout(ref.url) else None


def check_locations(instance: DatasourceInstance, expansion: Expansion, translation: Translation) -> Expansion:
    """``expansion`` with the statement's ``INTO cos://…`` as its write request; 400 on a location or
    format this datasource cannot use."""
    engine = instance.engine.name
    confinement = instance.settings.confinement
    for ref in translation.external:
        if engine not in _READS:
            raise BadRequest(
                f"the {engine} engine does not read cos://… STORED AS locations yet; use the duckdb engine, or make "
                "the location the datasource's source and read it with $__source"
            )
        confinement.resolve(ref.url, purpose="FROM")
        if ref.format not in _READS[engine]:
            stored, readable = ref.format.upper(), _names(_READS[engine])
            raise BadRequest(f"STORED AS {stored} cannot be read by the {engine} engine (it reads {readable})")
    target = translation.target
    if target is None:
        return expansion
    if expansion.dest is not None:
        raise BadRequest("a query has one INTO: either INTO $__dest(...) or INTO cos://…, not both")
    confinement.resolve(target.url, purpose="INTO")
    writable = _SERVICE_WRITES if engine == "dataengine" else _WRITES
    if target.format not in writable:
        written = target.format.upper()
        raise BadRequest(f"INTO … STORED AS {written} cannot be written by the {engine} engine; use {_names(writable)}")
    dest = DestSpec(
        format=cast(DestFormat, target.format),
        suffix="",
        location=target.url,
        job_prefix=target.job_prefix,
        partition_by=target.partition_by,
        objects=target.objects,
        rows_per_object=target.rows_per_object,
    )
    return replace(expansion, dest=dest)
