"""A small generated flow-log folder, a datasource over it and queries whose answers are known.

Queries over different hours of the set are cache misses (each reads its own objects); repeating
one is a hit. The expected count of every query is computed once over the whole range and split
by hour, so any corrupted cache entry or half-ingested object shows as a wrong number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import data_query, datasource_context

END = datetime(2026, 5, 8, tzinfo=UTC)
HOURS = 6
COUNT_SQL = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilter(string)"


def generate_small_set(folder: Path) -> GenerationSummary:
    return generate(folder, vnics=3, start=END - timedelta(hours=HOURS), end=END, records_per_object=20)


def flow_context(folder: Path, uid: str = "flows", **secure: str) -> pb.PluginContext:
    return datasource_context({"source": str(folder), "timeColumn": "start_time"}, secure=secure, uid=uid)


def hour_range_ms(hour: int) -> tuple[int, int]:
    """``[start, end]`` of hour ``hour`` (0 = the first) of the set, in epoch ms (closed, as macros filter)."""
    start = END - timedelta(hours=HOURS - hour)
    return int(start.timestamp() * 1000), int(start.timestamp() * 1000) + 3_600_000 - 1


def hour_count_query(ref_id: str, hour: int) -> pb.DataQuery:
    start, end = hour_range_ms(hour)
    return data_query(ref_id, {"rawSql": COUNT_SQL, "timeColumn": "start_time"}, from_ms=start, to_ms=end)
