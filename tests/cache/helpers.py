"""Driving the real plugin for cache tests: one call, its frames and meta, and the metrics it exposes."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, decode_frames

RANDOM_SQL = "SELECT random() AS r"  # a new value on every engine run: a repeated value proves a cache hit


def call(
    plugin: PluginProcess,
    *queries: pb.DataQuery,
    context: pb.PluginContext | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> dict[str, pb.DataResponse]:
    return plugin.query(*queries, context=context, headers=headers, timeout=timeout)


def tables(response: pb.DataResponse) -> list[pa.Table]:
    assert response.status == 200, response.error
    return decode_frames(response)


def cache_info(response: pb.DataResponse) -> dict[str, Any]:
    """``meta.custom.cache`` of the answer's first frame."""
    meta = json.loads(tables(response)[0].schema.metadata[b"meta"])
    return dict(meta["custom"]["cache"])


def first_value(response: pb.DataResponse) -> Any:
    return tables(response)[0].column(0)[0].as_py()


def engine_runs(plugin: PluginProcess) -> float:
    return plugin.metric("cloudsql_cos_ts_engine_executions_total", engine="duckdb")


def cache_events(plugin: PluginProcess, event: str) -> float:
    return plugin.metric("cloudsql_cos_ts_result_cache_total", event=event)
