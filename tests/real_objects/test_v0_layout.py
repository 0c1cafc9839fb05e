"""IBM's 2020 beta (v0) key layout is recognised and refused with a message, through the plugin process.

A bucket that holds only ``ibm_vpc_flowlogs_v0/…`` objects gets, in Save & test and in every flow-log
query, a message naming that layout instead of "no data"; a bucket that also holds v1 objects is read
as usual (the v0 keys are not flow-log keys to the reader).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.real_objects.cases import readable_records, write, write_v0
from tests.real_objects.serving import FROM_MS, TO_MS

MESSAGE = "holds IBM's 2020 beta flow-log layout (ibm_vpc_flowlogs_v0/…"
COUNT = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)"


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    process = PluginProcess(cache_dir=tmp_path_factory.mktemp("v0") / "cache").start()
    yield process
    process.stop()


def _query(plugin: PluginProcess, source: Path, uid: str) -> pb.DataResponse:
    query = data_query("A", {"rawSql": COUNT, "format": "table", "cacheTtlSeconds": 0}, from_ms=FROM_MS, to_ms=TO_MS)
    return plugin.query(query, context=datasource_context({"source": str(source)}, uid=uid))["A"]


def _health(plugin: PluginProcess, source: Path, uid: str) -> pb.CheckHealthResponse:
    request = pb.CheckHealthRequest(pluginContext=datasource_context({"source": str(source)}, uid=uid))
    return plugin.diagnostics.CheckHealth(request, timeout=20)


@pytest.mark.parametrize("below", ["", "ibm_vpc_flowlogs_v0"], ids=["bucket", "v0 folder"])
def test_a_v0_source_is_named_in_save_and_test_and_in_the_query(
    plugin: PluginProcess, tmp_path: Path, below: str
) -> None:
    write_v0(tmp_path / "bucket")
    source = tmp_path / "bucket" / below
    health = _health(plugin, source, uid=f"v0-health-{below}")
    assert "Warnings: source: the source" in health.message and MESSAGE in health.message, health.message
    answer = _query(plugin, source, uid=f"v0-query-{below}")
    assert answer.status == 400 and MESSAGE in answer.error and "ibm_vpc_flowlogs_v1/" in answer.error


def test_v1_objects_next_to_v0_ones_are_read(plugin: PluginProcess, tmp_path: Path) -> None:
    write(tmp_path / "bucket")
    write_v0(tmp_path / "bucket")
    assert _health(plugin, tmp_path / "bucket", uid="mixed-health").status == pb.CheckHealthResponse.OK
    answer = _query(plugin, tmp_path / "bucket", uid="mixed-query")
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    usable = [r for r in readable_records() if r["start_time"].endswith("Z")]
    assert table.column("n").to_pylist() == [len(usable)]
