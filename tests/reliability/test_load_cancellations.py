"""200 concurrent QueryData calls over the socket, a third cancelled mid-flight: nothing leaks, nothing rots.

The baseline is taken after warm-up waves like the load, which bring gRPC's and the query pool's
worker threads, DuckDB's threads and the ingest cache to their working size (pools never shrink, so
a cold baseline would count them as a leak). After the load and a short settle, the plugin's thread
count, open descriptors and RSS must be back within the margins below, and every hour of the flow
logs must still count the same as before the load (no corrupt cache entry).

The result cache's SQLite files are judged apart from every other descriptor. diskcache opens one
connection per (thread, shard) on first use and keeps it for the thread's life, so their number
grows whenever a pool thread first meets a shard — after any number of quiet waves (measured: 3
quiet waves, then +16 on the 11th, on a loaded machine). That growth is bounded by the live threads
and the shards, so it is checked against that bound, not against the baseline; a leak of
connections (the old regression: each miss left a flight thread's files open, 2 per shard) grows
with the calls and passes the bound within one wave. Every other descriptor must come back to the
baseline within a small margin, whatever the machine's load.
"""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import psutil

from cloudsql_cos_ts.cache.service import RESULTS_FOLDER
from cloudsql_cos_ts.cache.store import SHARDS
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, decode_frames
from tests.reliability.flows import HOURS, flow_context, hour_count_query

CALLS = 200
CLIENT_THREADS = 32
LOAD_BUDGET_S = 180.0
SETTLE_S = 10.0
THREAD_MARGIN = 2  # a deadline timer or cancel callback thread may still be winding down
FD_MARGIN = 8  # descriptors other than the result cache's SQLite files
FILES_PER_CONNECTION = 2  # a SQLite connection in WAL mode holds the database and its -wal file
RSS_MARGIN_BYTES = 96 * 1024 * 1024  # DuckDB and Arrow keep freed memory in their allocators
MAX_WARM_UP_WAVES = 16


@dataclass(frozen=True)
class Usage:
    threads: int
    fds: int  # every descriptor but the result cache's SQLite files
    cache_fds: int  # the result cache's SQLite files (database, -wal, -shm)
    rss: int

    @staticmethod
    def of(process: psutil.Process, cache_dir: Path) -> Usage:
        results = f"{cache_dir / RESULTS_FOLDER}/"
        targets = []
        for fd in Path(f"/proc/{process.pid}/fd").iterdir():
            try:
                targets.append(fd.readlink().as_posix())
            except OSError:  # closed while we looked
                continue
        cache_fds = sum(1 for target in targets if target.startswith(results) and ".db" in target)
        return Usage(process.num_threads(), len(targets) - cache_fds, cache_fds, process.memory_info().rss)

    def cache_fd_bound(self) -> int:
        """At most one connection per (live thread, shard), plus one shared -shm mapping per shard."""
        return self.threads * SHARDS * FILES_PER_CONNECTION + SHARDS

    def within(self, baseline: Usage) -> bool:
        return (
            self.threads <= baseline.threads + THREAD_MARGIN
            and self.fds <= baseline.fds + FD_MARGIN
            and self.cache_fds <= self.cache_fd_bound()
            and self.rss <= baseline.rss + RSS_MARGIN_BYTES
        )


def _request(folder: Path, i: int) -> tuple[pb.QueryDataRequest, int]:
    """Call ``i``: hour ``i % HOURS``; odd calls are misses (a distinct but equivalent SQL text)."""
    hour = i % HOURS
    query = hour_count_query("A", hour)
    if i % 2:
        query.json = query.json.replace(b"(string)", f"(string) AND {i} = {i}".encode())
    return pb.QueryDataRequest(pluginContext=flow_context(folder), queries=[query]), hour


def _count(response: pb.DataResponse) -> int:
    assert response.status == 200, response.error
    return int(decode_frames(response)[0].column("n")[0].as_py())


def _hour_counts(plugin: PluginProcess, folder: Path) -> list[int]:
    return [_count(plugin.query(hour_count_query("A", h), context=flow_context(folder))["A"]) for h in range(HOURS)]


def _settled(process: psutil.Process, cache_dir: Path, baseline: Usage | None = None) -> Usage:
    """Usage once it is within the baseline's margins (or its own, for the baseline), or after SETTLE_S."""
    deadline = time.monotonic() + SETTLE_S
    usage = Usage.of(process, cache_dir)
    while not usage.within(baseline or usage) and time.monotonic() < deadline:
        time.sleep(0.5)
        usage = Usage.of(process, cache_dir)
    return usage


class LoadRun:
    """Waves of concurrent calls against one plugin; answered calls are checked and timed."""

    def __init__(self, plugin: PluginProcess, folder: Path, expected: list[int]) -> None:
        self._plugin, self._folder, self._expected = plugin, folder, expected
        self._rng = random.Random(10)
        self._lock = threading.Lock()
        self.latencies: list[float] = []
        self.outcomes = {"answered": 0, "cancelled": 0, "deadline": 0}

    def reset(self) -> None:
        self.latencies.clear()
        self.outcomes = dict.fromkeys(self.outcomes, 0)

    def _send(self, request: pb.QueryDataRequest, i: int, *, cancel: bool) -> pb.QueryDataResponse:
        """Plain, or cancelled by the client after up to 50 ms (odd calls), or with a 10-100 ms deadline."""
        if cancel and i % 2:
            future = self._plugin.data.QueryData.future(request, timeout=60)
            time.sleep(self._rng.uniform(0.0, 0.05))
            future.cancel()
            return future.result()  # type: ignore[no-any-return]
        return self._plugin.data.QueryData(request, timeout=self._rng.uniform(0.01, 0.1) if cancel else 60)

    def one_call(self, i: int, *, cancel: bool) -> None:
        request, hour = _request(self._folder, i)
        started = time.monotonic()
        try:
            response = self._send(request, i, cancel=cancel)
        except grpc.FutureCancelledError:
            outcome = "cancelled"
        except grpc.RpcError as exc:
            assert exc.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED), exc
            outcome = "deadline" if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED else "cancelled"
        else:
            assert _count(response.responses["A"]) == self._expected[hour]
            outcome = "answered"
        with self._lock:
            self.outcomes[outcome] += 1
            if outcome == "answered":
                self.latencies.append(time.monotonic() - started)

    def wave(self, first: int, *, with_cancels: bool) -> None:
        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            calls = [pool.submit(self.one_call, first + i, cancel=with_cancels and i % 3 == 0) for i in range(CALLS)]
            for call in calls:
                call.result(timeout=LOAD_BUDGET_S)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(fraction * (len(ordered) - 1))]


def _warm_up(load: LoadRun, process: psutil.Process, cache_dir: Path) -> int:
    """Waves like the load (cancels in every other one) until two in a row open no descriptor; how many ran."""
    fds, quiet = Usage.of(process, cache_dir).fds, 0
    for wave in range(MAX_WARM_UP_WAVES):
        load.wave(10_000 * (wave + 1), with_cancels=wave % 2 == 1)
        now = Usage.of(process, cache_dir).fds
        quiet = quiet + 1 if now <= fds else 0
        fds = max(fds, now)
        if quiet == 2:
            return wave + 1
    return MAX_WARM_UP_WAVES


def test_concurrent_load_with_cancellations(tmp_path: Path, flow_folder: Path) -> None:
    cache_dir = tmp_path / "cache"
    plugin = PluginProcess(cache_dir=cache_dir).start()
    try:
        expected = _hour_counts(plugin, flow_folder)
        process = psutil.Process(plugin.process.pid)  # type: ignore[union-attr]
        load = LoadRun(plugin, flow_folder, expected)
        warm_up_waves = _warm_up(load, process, cache_dir)
        baseline = _settled(process, cache_dir)
        load.reset()
        started = time.monotonic()
        load.wave(0, with_cancels=True)
        elapsed = time.monotonic() - started
        after = _settled(process, cache_dir, baseline)
        print(
            f"\nload after {warm_up_waves} warm-up waves: {CALLS} calls in {elapsed:.1f} s, {load.outcomes},"
            f" p50 {load.percentile(0.5) * 1000:.0f} ms,"
            f" p99 {load.percentile(0.99) * 1000:.0f} ms; threads {baseline.threads}->{after.threads},"
            f" fds {baseline.fds}->{after.fds}, result-cache fds {baseline.cache_fds}->{after.cache_fds}"
            f" (bound {after.cache_fd_bound()}), rss {baseline.rss / 2**20:.0f}->{after.rss / 2**20:.0f} MiB"
        )
        assert elapsed < LOAD_BUDGET_S
        assert load.outcomes["answered"] >= CALLS // 2, load.outcomes
        assert load.outcomes["cancelled"] + load.outcomes["deadline"] >= CALLS // 6, load.outcomes
        assert after.within(baseline), (baseline, after)
        assert _hour_counts(plugin, flow_folder) == expected
        assert plugin.metric("cloudsql_cos_ts_result_cache_total", event="corrupt") == 0
        assert plugin.metric("cloudsql_cos_ts_queries_in_flight") == 0
    finally:
        plugin.stop()
