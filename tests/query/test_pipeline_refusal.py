"""A query refused for memory lets its partial result go at once, not when the garbage collector next runs.

The refusal is raised inside the engine's run with the batches gathered so far in its locals; the
exception travels on to every caller sharing the run, and a cycle through its traceback would keep
those batches alive until a collection. Garbage collection is off here, so only what the pipeline
itself lets go is freed: no record batch or table may outlive the refused query.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from tests.engines.inprocess import InProcessPlugin
from tests.plugin_host import data_query

START = datetime(2026, 11, 19, tzinfo=UTC)
END = START + timedelta(hours=6)
CAP_MB = 2
QUERY = data_query(
    "A",
    {"rawSql": "SELECT * FROM FLOW_FLAT"},
    from_ms=int(START.timestamp() * 1000),
    to_ms=int(END.timestamp() * 1000),
)


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessPlugin]:
    folder = tmp_path_factory.mktemp("refusal")
    generate(folder / "logs", vnics=2, start=START, end=END, records_per_object=40)
    json_data = {"source": str(folder / "logs"), "queryMemoryLimitMB": CAP_MB, "cacheTtlSeconds": 0}
    plugin = InProcessPlugin(json_data, folder / "cache", uid="refusal")
    try:
        yield plugin
    finally:
        plugin.close()


def arrow_results() -> int:
    """Record batches and tables alive in this process (all of them are tracked by the collector)."""
    return sum(isinstance(found, pa.RecordBatch | pa.Table) for found in gc.get_objects())


def test_a_refused_querys_partial_result_is_freed_without_the_collector(capped: InProcessPlugin) -> None:
    first = capped.run(QUERY)["A"]  # ingests the source and warms every cache the run has
    assert first.status == 413, first.error
    gc.collect()
    gc.disable()
    try:
        before = arrow_results()
        refused = capped.run(QUERY)["A"]
        kept = arrow_results() - before
    finally:
        gc.enable()
    assert refused.status == 413 and f"queryMemoryLimitMB ({CAP_MB} MB)" in refused.error
    assert kept <= 0, f"{kept} record batches or tables outlive the refused query"
