"""200 concurrent QueryData calls over the socket, a third cancelled mid-flight: nothing leaks, nothing rots.

The baseline is taken after warm-up waves like the load, which bring gRPC's and the query pool's
worker threads, DuckDB's threads, the ingest cache and the result cache's per-thread SQLite
connections to their working size (pools never shrink, so a cold baseline would count them as a
leak). The connections fill up slowly — each wave lets a few more (thread, shard) pairs meet; 24
waves measured 186 -> 202 descriptors, flat from the 12th on — so the warm-up goes on until two
waves in a row open no descriptor. After the load and a short settle, the
plugin's thread count, open descriptors and RSS must be back within the margins below, and every
hour of the flow logs must still count the same as before the load (no corrupt cache entry).
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

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, decode_frames
from tests.reliability.flows import HOURS, flow_context, hour_count_query

CALLS = 200
CLIENT_THREADS = 32
LOAD_BUDGET_S = 180.0
SETTLE_S = 10.0
THREAD_MARGIN = 2  # a deadline timer or cancel callback thread may still be winding down
FD_MARGIN = 8  # regression: every miss used to leave 2 SQLite files per shard open (flight threads)
RSS_MARGIN_BYTES = 96 * 1024 * 1024  # DuckDB and Arrow keep freed memory in their allocators
MAX_WARM_UP_WAVES = 16


@dataclass(frozen=True)
class Usage:
    threads: int
    fds: int
    rss: int

    @staticmethod
    def of(process: psutil.Process) -> Usage:
        return Usage(process.num_threads(), process.num_fds(), process.memory_info().rss)

    def within(self, baseline: Usage) -> bool:
        return (
            self.threads <= baseline.threads + THREAD_MARGIN
            and self.fds <= baseline.fds + FD_MARGIN
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


def _settled(process: psutil.Process, baseline: Usage) -> Usage:
    deadline = time.monotonic() + SETTLE_S
    usage = Usage.of(process)
    while not usage.within(baseline) and time.monotonic() < deadline:
        time.sleep(0.5)
        usage = Usage.of(process)
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


def _warm_up(load: LoadRun, process: psutil.Process) -> int:
    """Waves like the load (cancels in every other one) until two in a row open no descriptor; how many ran."""
    fds, quiet = Usage.of(process).fds, 0
    for wave in range(MAX_WARM_UP_WAVES):
        load.wave(10_000 * (wave + 1), with_cancels=wave % 2 == 1)
        now = Usage.of(process).fds
        quiet = quiet + 1 if now <= fds else 0
        fds = max(fds, now)
        if quiet == 2:
            return wave + 1
    return MAX_WARM_UP_WAVES


def test_concurrent_load_with_cancellations(tmp_path: Path, flow_folder: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        expected = _hour_counts(plugin, flow_folder)
        process = psutil.Process(plugin.process.pid)  # type: ignore[union-attr]
        load = LoadRun(plugin, flow_folder, expected)
        warm_up_waves = _warm_up(load, process)
        baseline = _settled(process, Usage.of(process))
        load.reset()
        started = time.monotonic()
        load.wave(0, with_cancels=True)
        elapsed = time.monotonic() - started
        after = _settled(process, baseline)
        print(
            f"\nload after {warm_up_waves} warm-up waves: {CALLS} calls in {elapsed:.1f} s, {load.outcomes},"
            f" p50 {load.percentile(0.5) * 1000:.0f} ms,"
            f" p99 {load.percentile(0.99) * 1000:.0f} ms; threads {baseline.threads}->{after.threads},"
            f" fds {baseline.fds}->{after.fds}, rss {baseline.rss / 2**20:.0f}->{after.rss / 2**20:.0f} MiB"
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
