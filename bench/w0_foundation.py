"""Foundation figures: handshake time, idle memory, QueryData round trip, dist/ and release zip sizes.

Run: .venv/bin/python bench/w0_foundation.py [--executable dist/gpx_cloudsql_cos_ts_linux_amd64]
The plugin is started exactly as Grafana starts it (tests/plugin_host.py); figures are medians.
For scale, the same round trip is measured for a 1-row frame in the same run, so the cost of the
frame itself is visible next to the fixed cost of a call. The handshake and the idle memory are
also measured, in the same run and the same way, for a minimal Go SDK plugin (bench/goplugin,
built here with `go build` unless --go-plugin names a binary): the floor a plugin can reach. Next to
the handshake's wall time, the CPU time the process spent up to its handshake line: on a busy shared
machine a start that needs more CPU waits longer for it, so the ratio of wall times depends on the
load and the CPU times say what each start costs. ``--compare`` adds other builds of the plugin (say,
the one before a change) to the same interleaved starts, so before and after meet the same load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cloudsql_cos_ts.proto import backend_pb2 as pb  # noqa: E402
from tests.plugin_host import PluginProcess, data_query, datasource_context, grafana_env  # noqa: E402

TS_1000 = (
    "SELECT TIMESTAMP '2024-05-06 00:00:00' + range * INTERVAL 1 MINUTE AS time, "
    "CASE WHEN range % 2 = 0 THEN 'a' ELSE 'b' END AS host, range * 1.5 AS value FROM range(1000)"
)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def start_like_grafana(executable: str, cache: Path) -> tuple[subprocess.Popen[bytes], float, float]:
    """Start a plugin with go-plugin's environment; return it, the seconds to its handshake line and
    the CPU seconds it had used by then.

    Any plugin, ours or the Go SDK one (whose handshake line carries more fields), is timed the same.
    """
    started = time.monotonic()
    process = subprocess.Popen(
        [executable],
        env=grafana_env(cache),
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    elapsed = time.monotonic() - started
    cpu = psutil.Process(process.pid).cpu_times()
    assert line.startswith("1|2|"), f"{executable} printed no handshake: {line!r}"
    return process, elapsed, cpu.user + cpu.system


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)
    assert process.stdout is not None
    process.stdout.close()


def handshake_times(executables: list[str], runs: int, cache: Path) -> list[tuple[list[float], list[float]]]:
    """Wall and CPU seconds to the handshake of each executable, started in turn so that load on a
    shared machine weighs on all of them alike."""
    times: list[tuple[list[float], list[float]]] = [([], []) for _ in executables]
    for _ in range(runs):
        for executable, (wall, cpu) in zip(executables, times, strict=True):
            process, elapsed, used = start_like_grafana(executable, cache)
            wall.append(elapsed)
            cpu.append(used)
            stop(process)
    return times


def idle_rss_bytes(executable: str, cache: Path, settle_s: float) -> int:
    """Resident memory of the process tree once started and left alone (the warm-up imports done)."""
    process, _, _ = start_like_grafana(executable, cache)
    try:
        time.sleep(settle_s)
        root = psutil.Process(process.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    finally:
        stop(process)


def build_go_plugin(folder: Path) -> str:
    binary = folder / "goplugin"
    subprocess.run(["go", "build", "-o", str(binary), "./server"], cwd=REPO / "bench" / "goplugin", check=True)
    return str(binary)


def release_zip_sizes() -> list[tuple[str, int, int]]:
    """Every zip scripts/package_release.sh wrote (per platform, any platform, the Spark client): its
    name, its size and the bytes it unpacks to."""
    sizes = []
    for path in sorted((REPO / "build" / "release").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            sizes.append((path.name, path.stat().st_size, sum(info.file_size for info in archive.infolist())))
    return sizes


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
    parser.add_argument("--go-plugin", help="a built bench/goplugin server (default: build it with go)")
    parser.add_argument(
        "--compare", action="append", default=[], help="another plugin executable whose handshake to time alike"
    )
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before idle memory is read")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        cache = Path(temp) / "cache"
        go_plugin = args.go_plugin or build_go_plugin(Path(temp))
        *plugins, (go_starts, go_cpu) = handshake_times([args.executable, *args.compare, go_plugin], args.starts, cache)
        go_rss = idle_rss_bytes(go_plugin, cache, args.settle)
        rss = idle_rss_bytes(args.executable, cache, args.settle)
        os.environ["CLOUDSQL_PLUGIN_EXECUTABLE"] = args.executable
        plugin = PluginProcess(cache_dir=cache).start()
        try:
            big = round_trips(plugin, TS_1000, args.calls)
            small = round_trips(plugin, TS_1000.replace("range(1000)", "range(1)"), args.calls)
        finally:
            plugin.stop()
    ms = lambda values: statistics.median(values) * 1000  # noqa: E731
    p99 = lambda values: sorted(values)[int(len(values) * 0.99) - 1] * 1000  # noqa: E731
    spread = lambda values: f"min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}"  # noqa: E731
    for executable, (starts, cpu) in zip([args.executable, *args.compare], plugins, strict=True):
        print(f"executable: {executable}")
        print(
            f"handshake, median of {len(starts)} starts: {ms(starts):.0f} ms ({spread(starts)}); "
            f"Go SDK plugin {ms(go_starts):.0f} ms ({spread(go_starts)}); ratio {ms(starts) / ms(go_starts):.1f}x"
        )
        print(
            f"CPU time to the handshake, median: {ms(cpu):.0f} ms ({spread(cpu)}); Go SDK plugin {ms(go_cpu):.0f} ms "
            f"({spread(go_cpu)}); ratio {ms(cpu) / max(ms(go_cpu), 1):.1f}x"
        )
    print(f"idle RSS after {args.settle:g} s: {rss / 2**20:.0f} MiB; Go SDK plugin {go_rss / 2**20:.0f} MiB")
    print(
        f"QueryData round trip, 1,000-row time series (2 frames), {args.calls} calls: "
        f"median {ms(big):.2f} ms, p99 {p99(big):.2f} ms"
    )
    print(
        f"QueryData round trip, 1-row time series (same query), {args.calls} calls: "
        f"median {ms(small):.2f} ms, p99 {p99(small):.2f} ms"
    )
    dist = REPO / "dist"
    print(f"dist/ size: {dir_size(dist) / 1e6:.1f} MB ({dir_size(dist / 'backend') / 1e6:.1f} MB Python runtime)")
    for name, packed, unpacked in release_zip_sizes():
        print(f"release zip {name}: {packed / 1e6:.1f} MB, unpacks to {unpacked / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
