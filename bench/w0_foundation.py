"""Foundation figures: handshake time, QueryData round trip for a 1,000-row frame, dist/ size.

Run: .venv/bin/python bench/w0_foundation.py [--executable dist/gpx_cloudsql_cos_ts_linux_amd64]
The plugin is started exactly as Grafana starts it (tests/plugin_host.py); figures are medians.
For scale, the same round trip is measured for a 1-row frame in the same run, so the cost of the
frame itself is visible next to the fixed cost of a call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cloudsql_cos_ts.proto import backend_pb2 as pb  # noqa: E402
from tests.plugin_host import PluginProcess, data_query, datasource_context  # noqa: E402

TS_1000 = (
    "SELECT TIMESTAMP '2024-05-06 00:00:00' + range * INTERVAL 1 MINUTE AS time, "
    "CASE WHEN range % 2 = 0 THEN 'a' ELSE 'b' END AS host, range * 1.5 AS value FROM range(1000)"
)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def handshake_times(runs: int, cache: Path) -> list[float]:
    times = []
    for _ in range(runs):
        plugin = PluginProcess(cache_dir=cache).start()
        times.append(plugin.handshake_seconds)
        plugin.shutdown()
        plugin.wait(5)
        plugin.stop()
    return times


def round_trips(plugin: PluginProcess, sql: str, calls: int) -> list[float]:
    request = pb.QueryDataRequest(
        pluginContext=datasource_context({"cacheTtlSeconds": 0}, uid="bench"),
        queries=[data_query("A", {"rawSql": sql, "format": "time_series", "timeColumn": "time"})],
    )
    plugin.data.QueryData(request, timeout=60)  # warm: instance, imports
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        answer = plugin.data.QueryData(request, timeout=60).responses["A"]
        times.append(time.perf_counter() - started)
        assert answer.status == 200, answer.error
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executable", default=str(REPO / "dist" / "gpx_cloudsql_cos_ts_linux_amd64"))
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    os.environ["CLOUDSQL_PLUGIN_EXECUTABLE"] = args.executable
    with tempfile.TemporaryDirectory() as temp:
        cache = Path(temp) / "cache"
        starts = handshake_times(args.starts, cache)
        plugin = PluginProcess(cache_dir=cache).start()
        try:
            big = round_trips(plugin, TS_1000, args.calls)
            small = round_trips(plugin, TS_1000.replace("range(1000)", "range(1)"), args.calls)
        finally:
            plugin.stop()
    ms = lambda values: statistics.median(values) * 1000  # noqa: E731
    p99 = lambda values: sorted(values)[int(len(values) * 0.99) - 1] * 1000  # noqa: E731
    print(f"executable: {args.executable}")
    print(f"handshake, median of {len(starts)} starts: {ms(starts):.0f} ms (min {min(starts) * 1000:.0f}, "
          f"max {max(starts) * 1000:.0f})")
    print(f"QueryData round trip, 1,000-row time series (2 frames), {args.calls} calls: "
          f"median {ms(big):.2f} ms, p99 {p99(big):.2f} ms")
    print(f"QueryData round trip, 1-row time series (same query), {args.calls} calls: "
          f"median {ms(small):.2f} ms, p99 {p99(small):.2f} ms")
    dist = REPO / "dist"
    print(f"dist/ size: {dir_size(dist) / 1e6:.1f} MB ({dir_size(dist / 'backend') / 1e6:.1f} MB Python runtime)")


if __name__ == "__main__":
    main()
