"""Process metrics served through ``Diagnostics.CollectMetrics`` in Prometheus text format.

A private registry (not prometheus_client's global one) keeps the output to our own series, with
names prefixed ``cloudsql_cos_ts_``; Grafana adds the plugin id when it scrapes them.
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

M = TypeVar("M", Counter, Histogram)

REGISTRY = CollectorRegistry(auto_describe=True)

QUERIES = Counter(
    "cloudsql_cos_ts_queries",
    "Queries answered, by HTTP-like status and engine",
    ["status", "engine"],
    registry=REGISTRY,
)
QUERY_DURATION = Histogram(
    "cloudsql_cos_ts_query_duration_seconds",
    "Wall time of one query from request to frames",
    ["engine"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge("cloudsql_cos_ts_queries_in_flight", "Queries running now", registry=REGISTRY)
CACHE_EVENTS = Counter(
    "cloudsql_cos_ts_result_cache",
    "Result cache events: hit, miss, shared (joined an identical run), stored, too_large, expired, evicted, "
    "corrupt, cleared",
    ["event"],
    registry=REGISTRY,
)
ENGINE_EXECUTIONS = Counter(
    "cloudsql_cos_ts_engine_executions",
    "Statements handed to an engine (cache hits and shared runs do not count)",
    ["engine"],
    registry=REGISTRY,
)
CACHE_BYTES = Gauge("cloudsql_cos_ts_result_cache_bytes", "Bytes held by the result cache", registry=REGISTRY)
OBJECTS_READ = Counter(
    "cloudsql_cos_ts_source_objects",
    "Source objects listed, pruned (outside the range), read from the store, served from the ingest cache, "
    "or damaged (left out)",
    ["event"],
    registry=REGISTRY,
)
SOURCE_BYTES = Counter("cloudsql_cos_ts_source_bytes", "Bytes downloaded from source objects", registry=REGISTRY)
SOURCE_RECORDS = Counter("cloudsql_cos_ts_source_records", "Flow-log records decoded", registry=REGISTRY)
QUERY_QUEUED = Histogram(
    "cloudsql_cos_ts_query_queued_seconds",
    "Time from a request's arrival to its engine run's start (engine runs only)",
    ["engine"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
    registry=REGISTRY,
)
QUERY_RUNNING = Histogram(
    "cloudsql_cos_ts_query_running_seconds",
    "Time of an engine run with its shaping and encoding (engine runs only)",
    ["engine"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)


@cache
def labelled(metric: M, *values: str) -> M:
    """``metric.labels(*values)``, looked up once: a cache hit counts three series, and each lookup
    (a lock and a tuple of label names) cost more than the rest of the count. Label values are
    bounded sets (statuses, engine and event names), so the memo is too."""
    return metric.labels(*values)


def prometheus_text() -> bytes:
    return bytes(generate_latest(REGISTRY))
