"""200 concurrent QueryData calls over the socket, a third cancelled mid-flight: nothing leaks, nothing rots.

The baseline is taken after a warm-up wave as wide as the load, which brings gRPC's and the query
pool's worker threads, DuckDB's threads and the ingest cache to their working size (pools never
shrink, so a cold baseline would count them as a leak). After the load and a short settle, the
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
FD_MARGIN = 4
RSS_MARGIN_BYTES = 96 * 1024 * 1024  # DuckDB and Arrow keep freed memory in their allocators


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


def test_concurrent_load_with_cancellations(tmp_path: Path, flow_folder: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        expected = _hour_counts(plugin, flow_folder)
        process = psutil.Process(plugin.process.pid)  # type: ignore[union-attr]
        rng = random.Random(10)
        latencies: list[float] = []
        outcomes: dict[str, int] = {"answered": 0, "cancelled": 0, "deadline": 0}
        lock = threading.Lock()

        def one_call(i: int, *, cancel: bool) -> None:
            request, hour = _request(flow_folder, i)
            started = time.monotonic()
            try:
                if cancel and i % 2:
                    future = plugin.data.QueryData.future(request, timeout=60)
                    time.sleep(rng.uniform(0.0, 0.05))
                    future.cancel()
                    response = future.result()
                else:
                    response = plugin.data.QueryData(request, timeout=rng.uniform(0.01, 0.1) if cancel else 60)
            except grpc.FutureCancelledError:
                with lock:
                    outcomes["cancelled"] += 1
                return
            except grpc.RpcError as exc:
                assert exc.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED), exc
                with lock:
                    outcomes["deadline" if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED else "cancelled"] += 1
                return
            assert _count(response.responses["A"]) == expected[hour]
            with lock:
                latencies.append(time.monotonic() - started)
                outcomes["answered"] += 1

        def wave(first: int, *, with_cancels: bool) -> None:
            with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
                calls = [pool.submit(one_call, first + i, cancel=with_cancels and i % 3 == 0) for i in range(CALLS)]
                for call in calls:
                    call.result(timeout=LOAD_BUDGET_S)

        wave(10_000, with_cancels=False)  # warm-up: pools, engine and ingest cache at working size
        baseline = _settled(process, Usage.of(process))
        latencies.clear()
        outcomes.update(answered=0, cancelled=0, deadline=0)
        started = time.monotonic()
        wave(0, with_cancels=True)
        elapsed = time.monotonic() - started
        assert elapsed < LOAD_BUDGET_S
        after = _settled(process, baseline)
        p99 = sorted(latencies)[int(0.99 * (len(latencies) - 1))]
        print(
            f"\nload: {CALLS} calls in {elapsed:.1f} s, {outcomes}, p50 {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms,"
            f" p99 {p99 * 1000:.0f} ms; threads {baseline.threads}->{after.threads}, fds {baseline.fds}->{after.fds},"
            f" rss {baseline.rss / 2**20:.0f}->{after.rss / 2**20:.0f} MiB"
        )
        assert outcomes["answered"] >= CALLS * 2 // 3, outcomes
        assert outcomes["cancelled"] + outcomes["deadline"] >= CALLS // 6, outcomes  # the cancels did land mid-flight
        assert after.within(baseline), (baseline, after)
        assert _hour_counts(plugin, flow_folder) == expected
        assert plugin.metric("cloudsql_cos_ts_result_cache_total", event="corrupt") == 0
        assert plugin.metric("cloudsql_cos_ts_queries_in_flight") == 0
    finally:
        plugin.stop()
