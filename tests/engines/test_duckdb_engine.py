"""Closing the DuckDB engine while queries run: they stop with a message, the database closes after them.

A datasource's instance is closed when its settings change and when the plugin stops, whether or not
a panel's query is still running on it. DuckDB refuses to close a busy connection; the engine must
neither raise that refusal into the request that closes it nor leave the running query going.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.base import ExecutionRequest
from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine, spill_limit
from cloudsql_cos_ts.errors import DownstreamError, PluginError
from cloudsql_cos_ts.timerange import TimeRange

ENDLESS = "SELECT count(*) AS n FROM range(100000000000) t(x) WHERE x % 7 = 3"
STOP_WITHIN_S = 5.0


def request(sql: str) -> ExecutionRequest:
    return ExecutionRequest(sql=sql, time_range=TimeRange(0, 1), cancel=CancelToken(None), row_limit=10)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[DuckDBEngine]:
    opened = DuckDBEngine(threads=1, memory_limit="256MB", query_timeout_s=60, temp_directory=str(tmp_path))
    yield opened
    opened.close()


def test_closing_stops_a_running_query_and_refuses_new_ones(engine: DuckDBEngine) -> None:
    outcome: list[BaseException] = []
    started = threading.Event()

    def run() -> None:
        started.set()
        try:
            engine.execute(request(ENDLESS))
        except PluginError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    time.sleep(0.3)  # the query is inside DuckDB now
    began = time.monotonic()
    engine.close()  # must not raise DuckDB's "connection is busy"
    worker.join(STOP_WITHIN_S)
    assert not worker.is_alive(), "closing did not stop the running query"
    assert time.monotonic() - began < STOP_WITHIN_S
    (error,) = outcome
    assert isinstance(error, DownstreamError) and "reconfigured" in error.message
    with pytest.raises(DownstreamError, match="run it again"):
        engine.execute(request("SELECT 1"))


def test_closing_an_idle_engine_closes_at_once(engine: DuckDBEngine) -> None:
    assert engine.execute(request("SELECT 42 AS v")).table.column("v").to_pylist() == [42]
    engine.close()
    with pytest.raises(DownstreamError):
        engine.health(CancelToken(None))


@pytest.mark.parametrize(("memory_limit", "spill"), [("4GB", "16GB"), ("512MB", "2048MB"), ("1.5GB", "6GB")])
def test_spilling_is_bounded_by_the_memory_limit(tmp_path: Path, memory_limit: str, spill: str) -> None:
    """DuckDB takes the bound as its max_temp_directory_size (it refuses a value it cannot read)."""
    assert spill_limit(memory_limit) == spill
    bounded = DuckDBEngine(threads=1, memory_limit=memory_limit, query_timeout_s=60, temp_directory=str(tmp_path))
    try:
        assert bounded.health(CancelToken()).startswith("DuckDB")
    finally:
        bounded.close()
