"""A fresh plugin process's start-up CPU, and what its first DuckDB query costs beyond a second one.

Usage: ``.venv/bin/python bench/startup_cpu.py [--reps N] [--baseline COMMAND]``.

``w1_cold.py`` starts a fresh plugin for every cold panel, so the process's start-up (the imports
before the handshake and the warm-up thread's after it) and whatever the first query imports on top
count in each cold panel. This measures them apart: the plugin's CPU at the handshake, once it is idle
after the warm-up thread (start-up), then the first of two equal cold queries (W1's P2 over two copies
of a small generated set, each its own datasource, so both ingest) and the second: what the first
costs more is what only a first query pays; start-up plus that extra is what a fresh process adds to a
cold panel, whichever of the two pays it. With ``--baseline`` (a plugin executable, e.g. a wrapper
starting an earlier source tree) each run of the plugin under test is followed by one of the baseline,
so both see the same load; figures are medians with the spread, CPU seconds of the plugin process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from w1_cold import executable
from w1_cost import process_cpu
from w1_panels import DATA_END, RANGE, Panel, dashboard, datasource_json

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context

IDLE_WINDOW_S = 1.0  # the process counts as idle once its CPU grew by at most one tick over this long
POLL_S = 0.1
IDLE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Startup:
    handshake: float  # CPU seconds when the handshake line was read
    idle: float  # CPU seconds once idle after the warm-up thread
    first: float  # the first cold query's CPU seconds
    second: float  # the second's, over an equal copy of the data

    @property
    def first_extra(self) -> float:
        return self.first - self.second

    @property
    def fresh(self) -> float:
        """What a fresh process costs a cold panel on top of the panel itself (whatever the idle point)."""
        return self.idle + self.first_extra


def wait_idle(pid: int) -> float:
    """The process's CPU seconds once they stop growing (the warm-up thread has finished)."""
    tick = 1 / os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    samples = [process_cpu(pid)]
    window = round(IDLE_WINDOW_S / POLL_S)
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        samples.append(process_cpu(pid))
        if len(samples) > window and samples[-1] - samples[-1 - window] <= tick:
            return samples[-1 - window]
    raise RuntimeError(f"plugin {pid} did not become idle within {IDLE_TIMEOUT_S} s")


def query_cpu(process: PluginProcess, pid: int, panel: Panel, data: Path, uid: str) -> float:
    """CPU seconds of one panel over ``data`` on its own datasource (so nothing is cached yet)."""
    context = datasource_context(datasource_json(data, data.parent / f"{uid}-results"), uid=uid)
    queries = [data_query(q.ref, q.model, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms) for q in panel.queries]
    before = process_cpu(pid)
    answers = process.data.QueryData(pb.QueryDataRequest(pluginContext=context, queries=queries), timeout=300)
    for ref, answer in answers.responses.items():
        if answer.status != 200:
            raise RuntimeError(f"query {ref} failed ({answer.status}): {answer.error}")
    return process_cpu(pid) - before


def measure(scratch: Path, copies: tuple[Path, Path], panel: Panel, command: str | None) -> Startup:
    """One fresh plugin (``command``, or the one under test): start-up, then the two cold queries."""
    with executable(command):
        process = PluginProcess(cache_dir=Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))).start()
    try:
        assert process.process is not None
        pid = process.process.pid
        handshake = process_cpu(pid)
        idle = wait_idle(pid)
        first = query_cpu(process, pid, panel, copies[0], "first")
        second = query_cpu(process, pid, panel, copies[1], "second")
        return Startup(handshake, idle, first, second)
    finally:
        process.stop()


def spread(values: list[float]) -> str:
    """Median and range, e.g. ``0.91 (0.88-0.95)``."""
    ordered = sorted(values)
    return f"{ordered[len(ordered) // 2]:.2f} ({ordered[0]:.2f}-{ordered[-1]:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, choices=range(1, 21))
    parser.add_argument("--baseline", help="a plugin executable to run after each run of the plugin under test")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="startup-cpu-"))
    try:
        first = scratch / "data-1"
        summary = generate(first, vnics=2, start=DATA_END - timedelta(hours=2), end=DATA_END, records_per_object=50)
        second = scratch / "data-2"
        shutil.copytree(first, second)
        panel = next(p for p in dashboard(summary.scanned_target) if p.name == "P2")
        trees = {"plugin": None, **({"baseline": args.baseline} if args.baseline else {})}
        runs: dict[str, list[Startup]] = {name: [] for name in trees}
        for _ in range(args.reps):
            for name, command in trees.items():
                runs[name].append(measure(scratch, (first, second), panel, command))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) before {load_before:.1f}, after {load_after:.1f}; median (min-max) of {args.reps}")
    print(f"{summary.objects} objects per copy; baseline: {args.baseline or '-'}; CPU seconds of the plugin process")
    print(
        f"{'tree':<9}{'handshake':>18}{'idle (start-up)':>18}{'first query':>18}{'second query':>18}"
        f"{'first extra':>18}{'start-up + extra':>18}"
    )
    for name, results in runs.items():
        columns = [
            [r.handshake for r in results],
            [r.idle for r in results],
            [r.first for r in results],
            [r.second for r in results],
            [r.first_extra for r in results],
            [r.fresh for r in results],
        ]
        print(f"{name:<9}" + "".join(f"{spread(c):>18}" for c in columns))
    if args.baseline:
        mine, base = runs["plugin"], runs["baseline"]
        ratios = [m.fresh / b.fresh for m, b in zip(mine, base, strict=True)]
        print(f"start-up + first extra, plugin/baseline per pair: {spread(ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
