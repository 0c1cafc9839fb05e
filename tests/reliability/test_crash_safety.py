"""SIGKILL the plugin at random points of cold flow-log queries (ingest) and cache writes, again and again.

The ingest cache is kept smaller than the flow-log set, so hours are evicted and ingested again
all along: every round kills the process while it downloads, parses and writes ingest entries and
result cache entries. After each restart every hour must count exactly as a process with its own
empty cache counts it. A clean lifecycle (queries, Shutdown) must leave no socket folder and no
temporary file behind. (tests/cache/test_crash_safety.py covers kills during result-cache writes
of large in-memory results.)
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from tests.modes import KILLS
from tests.plugin_host import PluginProcess, decode_frames
from tests.reliability.flows import HOURS, flow_context, hour_count_query

INGEST_CACHE_BYTES = "150000"  # about two hours of the generated set: the rest is evicted and ingested again
TEMP_PATTERNS = (".tmp*", "*.tmp", "*.part", "*.partial")


def _counts(plugin: PluginProcess, folder: Path) -> list[int]:
    answers = [plugin.query(hour_count_query("A", h), context=flow_context(folder))["A"] for h in range(HOURS)]
    assert all(a.status == 200 for a in answers), [a.error for a in answers]
    return [int(decode_frames(a)[0].column("n")[0].as_py()) for a in answers]


def _start(cache_dir: Path) -> PluginProcess:
    return PluginProcess(
        cache_dir=cache_dir, extra_env={"GF_PLUGIN_INGEST_CACHE_SIZE_BYTES": INGEST_CACHE_BYTES}
    ).start()


def _hammer(plugin: PluginProcess, folder: Path, seed: int, stop: threading.Event) -> None:
    """Cold and fresh queries until the process dies: random hours, SQL texts never cached before."""
    rng = random.Random(seed)
    for i in range(1_000):
        if stop.is_set():
            return
        query = hour_count_query("A", rng.randrange(HOURS))
        query.json = query.json.replace(b"(string)", f"(string) AND {seed} + {i} > 0".encode())
        try:
            plugin.query(query, context=flow_context(folder), timeout=10)
        except grpc.RpcError:
            return  # killed


def _temp_files(folder: Path) -> list[Path]:
    return sorted({path for pattern in TEMP_PATTERNS for path in folder.rglob(pattern)})


def test_sigkill_during_ingest_and_cache_writes_then_correct_answers(tmp_path: Path, flow_folder: Path) -> None:
    reference = _start(tmp_path / "reference-cache")
    try:
        expected = _counts(reference, flow_folder)
    finally:
        reference.stop()
    cache_dir = tmp_path / "cache"
    rng = random.Random(20)
    for round_number in range(KILLS):
        plugin = _start(cache_dir)
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=3) as pool:
            for worker in range(3):
                pool.submit(_hammer, plugin, flow_folder, round_number * 10 + worker, stop)
            time.sleep(rng.uniform(0.05, 0.8))
            plugin.process.kill()  # type: ignore[union-attr]  # SIGKILL at a random point
            stop.set()
        plugin.stop()
        survivor = _start(cache_dir)
        try:
            assert _counts(survivor, flow_folder) == expected, f"round {round_number}"
            assert survivor.metric("cloudsql_cos_ts_result_cache_total", event="corrupt") == 0
        finally:
            survivor.stop()
    stale = _temp_files(cache_dir)
    print(f"\n{KILLS} kills; temporary files left by killed writers: {len(stale)}")


def test_clean_shutdown_leaves_no_socket_or_temporary_file(tmp_path: Path, flow_folder: Path) -> None:
    cache_dir = tmp_path / "cache"
    plugin = _start(cache_dir)
    try:
        socket_dir = plugin.socket_dir
        assert socket_dir is not None and socket_dir.is_dir()
        _counts(plugin, flow_folder)
        plugin.shutdown()
        assert plugin.wait(timeout_s=5) == 0
        assert not socket_dir.exists(), "the socket folder outlived the process"
        assert _temp_files(cache_dir) == []
        assert not any((cache_dir / "duckdb-tmp").iterdir()), "DuckDB spill files outlived the process"
    finally:
        plugin.stop()


def test_the_next_plugin_removes_the_socket_folder_a_killed_one_left(tmp_path: Path) -> None:
    """A SIGKILLed plugin cannot remove its socket folder; the next plugin to start does."""
    killed = PluginProcess(cache_dir=tmp_path / "cache").start()
    successor: PluginProcess | None = None
    try:
        left = killed.socket_dir
        assert left is not None
        killed.process.kill()  # type: ignore[union-attr]
        killed.wait(timeout_s=10)
        assert left.is_dir(), "the killed plugin removed its folder: the test proves nothing"
        successor = PluginProcess(cache_dir=tmp_path / "cache").start()
        deadline = time.monotonic() + 20
        while left.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left.exists(), "the successor did not remove its dead predecessor's socket folder"
        assert successor.socket_dir is not None and successor.socket_dir.is_dir(), "the sweep removed a live folder"
        assert successor.health_status("plugin") == 1  # SERVING: its own socket still answers
    finally:
        killed.stop()
        if successor is not None:
            successor.stop()
