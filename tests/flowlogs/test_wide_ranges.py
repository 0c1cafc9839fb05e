"""Wide ranges through the plugin process: a century over two hours of flow logs costs under a CPU-second.

Issue 25: a range from 1900 to now named every one of its hours, ran a minute at 100 % of a core and
ended in a 504; a ``$__timeGroup`` fill over more buckets than the row limit read the range before
refusing it. The plugin runs as Grafana starts it; CPU time is its process's (psutil), which a busy
machine stretches far less than wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames

DATA_END = datetime(2026, 5, 8, 2, tzinfo=UTC)
DATA_START = DATA_END - timedelta(hours=2)
CENTURY_START = datetime(1926, 1, 1, tzinfo=UTC)
COUNT_SQL = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilter(string)"
FILL_SQL = (
    "SELECT $__timeGroup(start_time, '1s', 0) AS time, count(*) AS n FROM FLOW_FLAT "
    "WHERE $__timeFilter(string) GROUP BY 1"
)
CPU_LIMIT_S = 1.0


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


class Plugin:
    """The plugin process over the two hours of data, with the result cache off."""

    def __init__(self, process: PluginProcess, data: Path) -> None:
        self.process = process
        self.cpu = psutil.Process(process.process.pid if process.process else 0)
        self.context = datasource_context({"source": str(data), "cacheTtlSeconds": 0}, uid="wide-ranges")

    def run(self, sql: str, start: datetime, end: datetime) -> tuple[pb.DataResponse, float, float]:
        """The answer, the plugin's CPU seconds and the wall seconds of one QueryData call."""
        query = data_query("A", {"rawSql": sql, "timeColumn": "start_time"}, from_ms=_ms(start), to_ms=_ms(end))
        times, began = self.cpu.cpu_times(), time.monotonic()
        answer = self.process.query(query, context=self.context, timeout=120)["A"]
        after = self.cpu.cpu_times()
        return answer, after.user + after.system - times.user - times.system, time.monotonic() - began


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    root = tmp_path_factory.mktemp("wide")
    generate(root / "data", vnics=2, start=DATA_START, end=DATA_END, records_per_object=5)
    process = PluginProcess(cache_dir=root / "cache").start()
    try:
        yield Plugin(process, root / "data")
    finally:
        process.stop()


def _count(answer: pb.DataResponse) -> int:
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return int(table.column("n")[0].as_py())


def test_a_century_costs_under_a_cpu_second(plugin: Plugin) -> None:
    near, _, _ = plugin.run(COUNT_SQL, DATA_START - timedelta(hours=1), DATA_END)  # instance, engine, ingest
    records = _count(near)
    assert records > 0
    empty, empty_cpu, _ = plugin.run(COUNT_SQL, CENTURY_START, DATA_START - timedelta(days=1))
    full, full_cpu, _ = plugin.run(COUNT_SQL, CENTURY_START, DATA_END)
    assert (_count(empty), _count(full)) == (0, records)
    assert empty_cpu < CPU_LIMIT_S and full_cpu < CPU_LIMIT_S, (empty_cpu, full_cpu)


def test_a_fill_over_more_buckets_than_the_row_limit_is_a_400_at_once(plugin: Plugin) -> None:
    answer, cpu, wall = plugin.run(FILL_SQL, DATA_END - timedelta(days=3653), DATA_END)
    assert answer.status == 400 and "more than the row limit of 1000000 rows" in answer.error
    assert cpu < CPU_LIMIT_S and wall < 1.0, (cpu, wall)
