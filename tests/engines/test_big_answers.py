"""Big answers through the real plugin process: answered or refused with a clear 4xx, never killed.

A ``SELECT *`` over the generated flow logs is the biggest answer a user can ask for. Under a
``queryMemoryLimitMB`` it cannot meet, the query gets a 413 naming the setting, and the process
answers the next query; with room, it is answered in full. Several at once share the process's
answer budget (``GF_PLUGIN_ANSWER_MEMORY_BYTES``): each is answered or refused with a 429, and the
process's memory high-water mark grows by far less than the answers would take together.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from cloudsql_cos_ts.engines.answer_memory import ENTRY_BYTES
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context

START = datetime(2026, 11, 19, tzinfo=UTC)
END = START + timedelta(hours=12)
MB = 1 << 20


@pytest.fixture(scope="module")
def flowlogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-answers")
    generate(folder, vnics=2, start=START, end=END, records_per_object=40)
    return folder


@pytest.fixture
def plugin(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PluginProcess]:
    env = getattr(request, "param", {})
    process = PluginProcess(cache_dir=tmp_path / "cache", extra_env=env).start()
    try:
        yield process
    finally:
        process.stop()


def ask(plugin: PluginProcess, context: pb.PluginContext, sql: str) -> pb.DataResponse:
    query = data_query("A", {"rawSql": sql}, from_ms=int(START.timestamp() * 1000), to_ms=int(END.timestamp() * 1000))
    return plugin.query(query, context=context, timeout=120)["A"]


def high_water(plugin: PluginProcess) -> int:
    assert plugin.process is not None
    with open(f"/proc/{plugin.process.pid}/status") as handle:
        line = next(line for line in handle if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def rows_of(answer: pb.DataResponse) -> int:
    return sum(pa.ipc.open_file(pa.py_buffer(frame)).read_all().num_rows for frame in answer.frames)


def shape_of(answer: pb.DataResponse) -> tuple[int, int]:
    """(rows, columns) of an answer's one frame."""
    (frame,) = answer.frames
    table = pa.ipc.open_file(pa.py_buffer(frame)).read_all()
    return table.num_rows, table.num_columns


def test_a_big_answer_over_the_cap_is_a_413_and_the_plugin_answers_on(flowlogs: Path, plugin: PluginProcess) -> None:
    capped = datasource_context({"source": str(flowlogs), "queryMemoryLimitMB": 4, "cacheTtlSeconds": 0})
    refused = ask(plugin, capped, "SELECT * FROM FLOW_FLAT")
    assert refused.status == 413 and refused.errorSource == "downstream"
    assert "queryMemoryLimitMB (4 MB)" in refused.error and "Select fewer columns" in refused.error
    assert not refused.frames
    counted = ask(plugin, capped, "SELECT COUNT(*) AS n FROM FLOW_FLAT")
    assert counted.status == 200
    roomy = datasource_context({"source": str(flowlogs), "queryMemoryLimitMB": 2000, "cacheTtlSeconds": 0}, version=2)
    answered = ask(plugin, roomy, "SELECT * FROM FLOW_FLAT")
    assert answered.status == 200, answered.error
    total = ask(plugin, roomy, "SELECT COUNT(*) AS n FROM FLOW_FLAT")
    assert rows_of(answered) == pa.ipc.open_file(pa.py_buffer(total.frames[0])).read_all().column(0)[0].as_py()
    columns = pa.ipc.open_file(pa.py_buffer(answered.frames[0])).read_all().nbytes
    assert len(answered.frames[0]) < columns / 2, "a big answer travels with compressed bodies (frames/ipc.py)"
    assert plugin.process is not None and plugin.process.poll() is None


BUDGET = 8 * ENTRY_BYTES  # room for some answers at once: each counted as its entry, then 3 x (frame so far + a batch)
DUCKDB_MB = 128  # the datasource's memoryLimit: DuckDB's own working memory


def reset_high_water(plugin: PluginProcess) -> int:
    """Start the process's peak RSS afresh (Linux: ``clear_refs`` 5); its RSS now."""
    assert plugin.process is not None
    Path(f"/proc/{plugin.process.pid}/clear_refs").write_text("5")
    return high_water(plugin)


@pytest.mark.parametrize("plugin", [{"GF_PLUGIN_ANSWER_MEMORY_BYTES": str(BUDGET)}], indirect=True)
def test_concurrent_big_answers_stay_within_the_process_budget(flowlogs: Path, plugin: PluginProcess) -> None:
    """1, 5 and 20 big answers at once: each answered or refused with a 429, the process's peak growth within the
    answer budget (a refused query's partial result, kept alive by its exception, once took it past)."""
    json_data = {"source": str(flowlogs), "queryMemoryLimitMB": 2000, "memoryLimit": f"{DUCKDB_MB}MB"}
    context = datasource_context({**json_data, "cacheTtlSeconds": 0})
    assert ask(plugin, context, "SELECT COUNT(*) AS n FROM FLOW_FLAT").status == 200  # ingest first
    one = ask(plugin, context, "SELECT * FROM FLOW_FLAT")  # and the first big answer's one-off costs
    assert one.status == 200, one.error
    for at_once in (1, 5, 20):
        before = reset_high_water(plugin)
        sqls = [f"SELECT *, {i} AS copy FROM FLOW_FLAT" for i in range(at_once)]
        with ThreadPoolExecutor(at_once) as pool:
            answers = list(pool.map(lambda sql: ask(plugin, context, sql), sqls))
        grown = high_water(plugin) - before
        refused = [a for a in answers if a.status != 200]
        assert all(a.status == 429 and "GF_PLUGIN_ANSWER_MEMORY_BYTES" in a.error for a in refused), refused[:1]
        # Every answer whole: the first big answer's rows, and its columns plus `copy` (compressed frames' byte
        # sizes differ with their contents, so the frames themselves are compared).
        shapes = {shape_of(a) for a in answers if a.status == 200}
        assert len(refused) < at_once and shapes == {(rows_of(one), shape_of(one)[1] + 1)}
        print(f"{at_once} at once: {at_once - len(refused)} answered, peak +{grown / MB:.0f} MB")
        assert grown <= BUDGET, f"{at_once} at once: peak +{grown / MB:.0f} MB over a {BUDGET / MB:.0f} MB budget"
    assert plugin.process is not None and plugin.process.poll() is None
