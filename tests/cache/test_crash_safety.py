"""SIGKILL in the middle of writes, again and again, then a clean start: no corrupt entry is ever served.

Also two plugin processes on one cache directory (Grafana HA on one host): both answer correctly.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from tests.cache.helpers import cache_events, call, tables
from tests.modes import KILLS
from tests.plugin_host import PluginProcess, data_query


def expected_rows(i: int) -> int:
    return 2_000 + 3_000 * (i % 7)


def writing_query(i: int) -> tuple[str, dict[str, object]]:
    """Distinct queries with large results (their values go to files) whose content can be checked."""
    sql = f"SELECT range AS n, range * {i} AS m, 'q{i}' AS tag FROM range({expected_rows(i)})"
    return f"Q{i % 3}", {"rawSql": sql}


def check_answer(i: int, response: object) -> None:
    (table,) = tables(response)  # type: ignore[arg-type]
    assert table.num_rows == expected_rows(i)
    assert table.column("m").to_pylist()[-1] == (expected_rows(i) - 1) * i
    assert set(table.column("tag").to_pylist()) == {f"q{i}"}


def _hammer(process: PluginProcess, start: int, stop: threading.Event) -> None:
    i = start
    while not stop.is_set():
        ref, model = writing_query(i)
        try:
            call(process, data_query(ref, model), timeout=10)
        except grpc.RpcError:
            return  # the process was killed
        i += 1


def test_kill_during_writes_then_clean_restart(cache_dir: Path) -> None:
    rng = random.Random(5)
    for round_number in range(KILLS):
        process = PluginProcess(cache_dir=cache_dir).start()
        assert call(process, data_query("W", {"rawSql": "SELECT 1 AS one"}))["W"].status == 200  # engine loaded
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=3) as pool:
            for worker in range(3):
                pool.submit(_hammer, process, round_number * 7 + worker * 40, stop)
            time.sleep(rng.uniform(0.2, 0.6))
            process.process.kill()  # type: ignore[union-attr]  # SIGKILL, mid-write
            stop.set()
        process.stop()
    survivor = PluginProcess(cache_dir=cache_dir).start()
    try:
        for i in range(KILLS * 7 + 3 * 40):
            ref, model = writing_query(i)
            check_answer(i, call(survivor, data_query(ref, model))[ref])
        assert cache_events(survivor, "hit") > 0, "no entry survived the kills: the test proved nothing"
        assert cache_events(survivor, "corrupt") == 0
    finally:
        survivor.stop()


def test_two_processes_share_one_directory(cache_dir: Path) -> None:
    first, second = PluginProcess(cache_dir=cache_dir).start(), PluginProcess(cache_dir=cache_dir).start()
    try:
        def run(i: int) -> None:
            """Query i in one process, then in the other: the second answer may come from the first's entry.

            (Sent to both at once, a busy machine could run every pair side by side: two misses each.)
            """
            ref, model = writing_query(i)
            for process in (first, second) if i % 2 else (second, first):
                check_answer(i, call(process, data_query(ref, model))[ref])

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(run, range(30)))
        assert cache_events(first, "hit") > 0 and cache_events(second, "hit") > 0
    finally:
        first.stop()
        second.stop()
