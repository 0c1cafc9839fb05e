"""The resource endpoints the editors call: health, macros, schema, expand, estimate, plan, cache/clear."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from cloudsql_cos_ts import __version__
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.resources.router import Handler, ResourceRequest, ResourceResponse, Router
from cloudsql_cos_ts.timerange import TimeRange

if TYPE_CHECKING:  # the query modules load on first use, after the handshake
    from cloudsql_cos_ts.query.estimate import Asked
    from cloudsql_cos_ts.query.model import QueryModel


def _health(_: ResourceRequest) -> ResourceResponse:
    return ResourceResponse(200, {"status": "ok", "version": __version__})


def _macros(_: ResourceRequest) -> ResourceResponse:
    from cloudsql_cos_ts.resources.reference import macro_reference

    return ResourceResponse(200, macro_reference())


def _schema(_: ResourceRequest) -> ResourceResponse:
    from cloudsql_cos_ts.flowlogs.schema import RELATIONS

    relations = [
        {"name": name, "columns": [{"name": column, "type": kind} for column, kind in columns]}
        for name, columns in RELATIONS.items()
    ]
    return ResourceResponse(200, {"relations": relations})


def _time_range(body: dict[str, object], endpoint: str) -> TimeRange:
    window = body.get("range")
    if not isinstance(window, dict):
        raise BadRequest(f'{endpoint} needs "range": {{"from": <epoch ms>, "to": <epoch ms>}}')
    start, end = window.get("from"), window.get("to")
    if (
        isinstance(start, bool)
        or isinstance(end, bool)
        or not isinstance(start, int | float)
        or not isinstance(end, int | float)
        or not math.isfinite(start)
        or not math.isfinite(end)
    ):
        raise BadRequest("range.from and range.to must be epoch milliseconds (finite numbers)")
    return TimeRange(int(start), int(end))


def _model(body: dict[str, object], endpoint: str) -> QueryModel:
    """The query model of an editor's body (``query``, ``range``, ``intervalMs``), as QueryData would parse it."""
    from cloudsql_cos_ts.query.model import parse_query

    query = body.get("query")
    if not isinstance(query, dict):
        raise BadRequest(f'{endpoint} needs "query": the query model as the editor saves it')
    interval = body.get("intervalMs", 60_000)
    return parse_query(
        json.dumps(query).encode(),
        ref_id=str(query.get("refId") or "A"),
        time_range=_time_range(body, endpoint),
        interval_ms=int(interval) if isinstance(interval, int | float) and not isinstance(interval, bool) else 60_000,
        max_data_points=1000,
    )


def _expand_handler(instances: InstanceManager) -> Handler:
    def expand(request: ResourceRequest) -> ResourceResponse:
        from cloudsql_cos_ts.query.prepare import prepare_sql

        body = request.json()
        model = _model(body, "expand")
        instance = instances.get(request.context)
        refs = body.get("refIds")
        ref_ids = frozenset(str(r) for r in refs) if isinstance(refs, list) else frozenset({model.ref_id})
        expansion, translation = prepare_sql(instance, model, ref_ids | frozenset(_prev_refs(model.raw_sql)))
        return ResourceResponse(200, {"sql": translation.sql, "expandedSql": expansion.sql})

    return expand


def _asked(instances: InstanceManager, request: ResourceRequest, endpoint: str) -> Asked:
    from cloudsql_cos_ts.query.estimate import Asked

    body = request.json()
    from_alert = body.get("fromAlert", False)
    if not isinstance(from_alert, bool):
        raise BadRequest("fromAlert must be true or false")
    return Asked(instances.get(request.context), _model(body, endpoint), from_alert)


def _estimate_handler(instances: InstanceManager) -> Handler:
    def estimate(request: ResourceRequest) -> ResourceResponse:
        """What the query would read, from listings only (docs/estimates-and-budgets.md)."""
        from cloudsql_cos_ts.query.caching import result_cache
        from cloudsql_cos_ts.query.estimate import estimate

        return ResourceResponse(200, estimate(_asked(instances, request, "estimate"), result_cache(instances.plugin)))

    return estimate


def _plan_handler(instances: InstanceManager) -> Handler:
    def plan(request: ResourceRequest) -> ResourceResponse:
        """The engine's plan of the query, made without reading the data."""
        from cloudsql_cos_ts.query.estimate import plan

        return ResourceResponse(200, plan(_asked(instances, request, "plan")))

    return plan


def _clear_cache_handler(instances: InstanceManager) -> Handler:
    def clear_cache(request: ResourceRequest) -> ResourceResponse:
        """Drop the calling datasource's result cache entries (all settings versions)."""
        from cloudsql_cos_ts.query.caching import result_cache

        if not request.context.HasField("dataSourceInstanceSettings"):
            raise BadRequest("cache/clear must be called through a configured datasource")
        uid = request.context.dataSourceInstanceSettings.uid
        return ResourceResponse(200, {"cleared": result_cache(instances.plugin).clear_datasource(uid)})

    return clear_cache


def _prev_refs(sql: str) -> tuple[str, ...]:
    from cloudsql_cos_ts.macros import find_prev_refs

    return find_prev_refs(sql)


def build_router(instances: InstanceManager) -> Router:
    router = Router()
    router.add("GET", "health", _health)
    router.add("GET", "macros", _macros)
    router.add("GET", "schema", _schema)
    router.add("POST", "expand", _expand_handler(instances))
    router.add("POST", "estimate", _estimate_handler(instances))
    router.add("POST", "plan", _plan_handler(instances))
    router.add("POST", "cache/clear", _clear_cache_handler(instances))
    return router
