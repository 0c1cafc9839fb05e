"""Identical queries at the same moment run once; a waiter that leaves does not stop the others."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import psutil

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.cache.helpers import cache_events, call, engine_runs, first_value
from tests.plugin_host import PluginProcess, data_query

SLOW_SQL = "SELECT sum(range * 7 % 13) AS n, random() AS r FROM range({rows})"


def warm_up(plugin: PluginProcess) -> None:
    """The first query of a process loads the engine; timings below are about the cache, not that."""
    assert call(plugin, data_query("W", {"rawSql": "SELECT 1 AS one"}))["W"].status == 200


def give_up_after(plugin: PluginProcess, query: pb.DataQuery, timeout_s: float) -> None:
    """Call with a gRPC deadline that passes while the query runs, as Grafana's alert timeout does."""
    try:  # the plugin's own deadline timer may answer 504 just before the client gives up
        answer = call(plugin, query, timeout=timeout_s)["A"]
        assert answer.status == 504, answer.error
    except grpc.RpcError as raised:
        assert raised.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_twenty_concurrent_identical_queries_run_the_engine_once(plugin: PluginProcess) -> None:
    query = data_query("A", {"rawSql": SLOW_SQL.format(rows=50_000_000)})
    before = engine_runs(plugin)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: call(plugin, query)["A"], range(20)))
    assert {first_value(a) for a in answers} == {first_value(answers[0])}
    assert engine_runs(plugin) == before + 1
    assert cache_events(plugin, "miss") == 1
    assert cache_events(plugin, "shared") + cache_events(plugin, "hit") == 19


def test_a_cancelled_waiter_leaves_the_shared_run_to_the_others(plugin: PluginProcess) -> None:
    """The run must outlast the leaving waiter (0.6 s) on any machine: 120 million rows took 0.64 s on a fast one,
    so a billion (about 5 s there) leaves room on faster machines and stays under the patient's minute."""
    warm_up(plugin)
    query = data_query("A", {"rawSql": SLOW_SQL.format(rows=1_000_000_000)})
    before = engine_runs(plugin)
    with ThreadPoolExecutor(max_workers=2) as pool:
        patient = pool.submit(call, plugin, query, timeout=60)
        time.sleep(0.2)
        pool.submit(give_up_after, plugin, query, 0.4).result()
        answer = patient.result()["A"]
    assert answer.status == 200, answer.error
    assert engine_runs(plugin) == before + 1


def test_the_shared_run_stops_when_its_last_waiter_leaves(plugin: PluginProcess) -> None:
    """The engine stops: the plugin's CPU use falls back to idle right after the only waiter left."""
    assert plugin.process is not None
    process = psutil.Process(plugin.process.pid)
    warm_up(plugin)
    query = data_query("A", {"rawSql": SLOW_SQL.format(rows=20_000_000_000)})
    give_up_after(plugin, query, 0.5)
    time.sleep(0.5)
    busy = process.cpu_times()
    time.sleep(1.0)
    idle = process.cpu_times()
    used = (idle.user + idle.system) - (busy.user + busy.system)
    assert used < 0.3, f"the plugin still used {used:.2f} CPU seconds in a second: the shared run kept going"
    # and the same query starts afresh instead of joining the abandoned run
    give_up_after(plugin, query, 0.3)
