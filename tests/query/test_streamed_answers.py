"""A plain table answer is encoded as the engine's batches arrive; it is the answer the whole table gives.

Query ``S`` of each request takes the streamed path; ``W`` runs the same SQL but is read by ``R``
through ``$__source_prev``, which needs its whole table, so it takes the whole-table path. Their frames
must be the same (schema, field metadata, rows, the row limit's notice), and a refusal for the
query's memory cap mid-stream must be the refusal the whole-table path gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from tests.engines.inprocess import Answer, InProcessPlugin, answer_meta
from tests.plugin_host import data_query

START = datetime(2026, 11, 19, tzinfo=UTC)
END = START + timedelta(hours=6)
SQL = "SELECT * FROM FLOW_FLAT ORDER BY ALL"
ROW_LIMIT = 50_000  # of ~61,000 rows: the limit cuts the stream


def ask(plugin: InProcessPlugin) -> dict[str, Answer]:
    def query(ref: str, sql: str) -> object:
        return data_query(
            ref, {"rawSql": sql}, from_ms=int(START.timestamp() * 1000), to_ms=int(END.timestamp() * 1000)
        )

    return plugin.run(query("S", SQL), query("W", SQL), query("R", "SELECT COUNT(*) AS n FROM $__source_prev(W)"))


@pytest.fixture(scope="module", params=[{"rowLimit": ROW_LIMIT}, {"queryMemoryLimitMB": 2}], ids=["row-limit", "cap"])
def plugin(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[InProcessPlugin]:
    folder = tmp_path_factory.mktemp("streamed")
    generate(folder / "logs", vnics=2, start=START, end=END, records_per_object=400)
    json_data = {"source": str(folder / "logs"), "cacheTtlSeconds": 0, **request.param}
    plugin = InProcessPlugin(json_data, folder / "cache", uid="streamed")
    try:
        yield plugin
    finally:
        plugin.close()


def test_the_streamed_answer_is_the_whole_tables_answer(plugin: InProcessPlugin) -> None:
    answers = ask(plugin)
    streamed, whole = answers["S"], answers["W"]
    assert (streamed.status, streamed.error) == (whole.status, whole.error)
    if whole.status != 200:  # the memory cap: refused mid-stream, with the whole-table path's message
        assert whole.status == 413 and "queryMemoryLimitMB (2 MB)" in whole.error
        assert not streamed.frames and answers["R"].status == 400
        return
    (got,), (expected,) = streamed.frames, whole.frames
    assert got.num_rows == ROW_LIMIT == answers["R"].frames[0].column(0)[0].as_py()
    assert got.schema.remove_metadata().equals(expected.schema.remove_metadata())
    assert [f.metadata for f in got.schema] == [f.metadata for f in expected.schema]
    assert got.equals(expected)
    meta, expected_meta = answer_meta(got), answer_meta(expected)
    assert meta == expected_meta
    assert any(f"cut at {ROW_LIMIT} rows" in notice["text"] for notice in meta["notices"])
