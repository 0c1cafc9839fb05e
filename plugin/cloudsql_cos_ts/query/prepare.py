"""From a query model to engine SQL: macro expansion, then dialect translation.

Shared by QueryData and the ``expand`` resource endpoint (the editor's "Preview SQL"), so the
preview is exactly what would run.
"""

from __future__ import annotations

from cloudsql_cos_ts.dialect import Schemas, Translation, translate
from cloudsql_cos_ts.flowlogs.schema import FLOW_COLUMNS, RELATIONS, SOURCE
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.macros import Expansion, MacroContext, expand_macros
from cloudsql_cos_ts.query.adhoc import FILTER_COLUMNS
from cloudsql_cos_ts.query.ibm_locations import check_locations, external_schema
from cloudsql_cos_ts.query.model import QueryModel


def macro_context(instance: DatasourceInstance, model: QueryModel, ref_ids: frozenset[str]) -> MacroContext:
    settings = instance.settings
    return MacroContext(
        time_range=model.time_range,
        interval_ms=model.interval_ms,
        max_data_points=model.max_data_points,
        time_column=model.time_column,
        source_relation=SOURCE if settings.source is not None else None,
        column_type=instance.column_type,
        destination_configured=settings.destination is not None,
        request_ref_ids=ref_ids,
    )


def known_schemas(instance: DatasourceInstance) -> Schemas:
    """The relations whose column types the dialect knows before the engine reads anything: the
    flow-log views, and ``$__source`` when it reads flow logs (it is ``FLOW`` then)."""
    if instance.settings.source_format != "flowlogs":
        return RELATIONS
    return {**RELATIONS, SOURCE: FLOW_COLUMNS}


def prepare_sql(
    instance: DatasourceInstance, model: QueryModel, ref_ids: frozenset[str]
) -> tuple[Expansion, Translation]:
    expansion = expand_macros(model.raw_sql, macro_context(instance, model, ref_ids))
    translation = translate(
        expansion.sql,
        dialect=instance.engine.dialect,
        filters=model.adhoc_filters,
        filter_columns=FILTER_COLUMNS,
        schemas=known_schemas(instance),
        external_schema=external_schema,
        row_limit=instance.settings.row_limit,
    )
    return check_locations(instance, expansion, translation), translation
