"""Driving the real plugin for cache tests: one call, its frames and meta, and the metrics it exposes."""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, datasource_context

RANDOM_SQL = "SELECT random() AS r"  # a new value on every engine run: a repeated value proves a cache hit


def call(
    plugin: PluginProcess,
    *queries: pb.DataQuery,
    context: pb.PluginContext | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> dict[str, pb.DataResponse]:
    request = pb.QueryDataRequest(pluginContext=context or datasource_context(), queries=queries, headers=headers or {})
    return dict(plugin.data.QueryData(request, timeout=timeout).responses)


def tables(response: pb.DataResponse) -> list[pa.Table]:
    assert response.status == 200, response.error
    return [pa.ipc.open_file(pa.py_buffer(f)).read_all() for f in response.frames]


def cache_info(response: pb.DataResponse) -> dict[str, Any]:
    """``meta.custom.cache`` of the answer's first frame."""
    meta = json.loads(tables(response)[0].schema.metadata[b"meta"])
    return dict(meta["custom"]["cache"])


def first_value(response: pb.DataResponse) -> Any:
    return tables(response)[0].column(0)[0].as_py()


def metric(plugin: PluginProcess, name: str, **labels: str) -> float:
    """The value of one series from CollectMetrics (0 when absent)."""
    text = plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=30).metrics.prometheus.decode()
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? ([0-9.e+-]+)$", re.MULTILINE)
    found = pattern.search(text)
    return float(found.group(1)) if found else 0.0


def engine_runs(plugin: PluginProcess) -> float:
    return metric(plugin, "cloudsql_cos_ts_engine_executions_total", engine="duckdb")


def cache_events(plugin: PluginProcess, event: str) -> float:
    return metric(plugin, "cloudsql_cos_ts_result_cache_total", event=event)
