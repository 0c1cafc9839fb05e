"""W7: memory of big answers — ``SELECT * FROM FLOW_FLAT`` over seven days through the real plugin.

Usage: ``.venv/bin/python bench/w7_memory.py [--data DIR] [--concurrency 1,5,20] [--row-limit N]
[--json-data '{...}'] [--seconds S] [--answer-memory-mb MB] [--before PLUGIN_DIR]``. Uses W1's set
(10 vNICs x 7 days, ~1.08M records; generated into ``DIR`` once). For each concurrency a fresh plugin
process (started as Grafana starts it, the result cache off) first ingests the week with a
``COUNT(*)``, so the figures are the answer's memory and not the cold ingest's; then N different
``SELECT *`` queries (one request each, sent at once) run while a sampler reads the process's RSS
from ``/proc`` every 50 ms.

Printed per concurrency: the plugin's RSS before the queries, its peak (sampled, and the kernel's
high-water mark since the queries began: the larger counts, as a spike between samples is in the mark),
the Arrow bytes of one answer's frame (its columns uncompressed) and the bytes sent for it (big
frames' bodies are compressed), peak / frame bytes (goal for one answer <= 2x), the growth over the RSS
before against both (and against the answer budget when ``--answer-memory-mb`` gives it), the plugin's CPU
seconds for the queries, how many answers were 200 and how many were refused (status and message), and the RSS
over time.
The bench never waits past ``--seconds`` for an answer: one that does not come is reported (status -1)
and the plugin is killed at the end of its step.
Each answer is dropped as soon as its size is read, so the bench's own memory stays small.
With ``--before`` (another checkout's ``plugin/`` folder, e.g. from ``git archive``) every step runs
with that code first and then with this checkout's, and a last table puts their peaks side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa
from w1_panels import RANGE, ensure_data

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context

MIB = 1 << 20
SAMPLE_S = 0.05
RATIO_GOAL = 2.0


def rss_bytes(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Sampler:
    """RSS of one process every SAMPLE_S seconds, in a thread, until stopped."""

    pid: int
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        began = time.monotonic()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.samples.append((time.monotonic() - began, rss_bytes(self.pid)[0]))
                except (FileNotFoundError, ProcessLookupError, KeyError):
                    return
                self._stop.wait(SAMPLE_S)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def timeline(self, points: int = 12) -> str:
        """A few (seconds, MiB) points spread over the run."""
        if not self.samples:
            return ""
        step = max(1, len(self.samples) // points)
        chosen = [*self.samples[::step], self.samples[-1]]
        return " ".join(f"{t:.1f}s:{rss / MIB:.0f}" for t, rss in chosen)


@dataclass
class Outcome:
    status: int
    frame_bytes: int  # the frame's Arrow bytes, as its columns take in memory (the measure)
    wire_bytes: int  # the frame as sent (big frames' bodies are compressed)
    rows: int
    error: str


def ask(process: PluginProcess, context: pb.PluginContext, sql: str, timeout_s: float) -> Outcome:
    query = data_query("A", {"rawSql": sql, "format": "table"}, from_ms=RANGE.from_ms, to_ms=RANGE.to_ms)
    try:
        answer = process.data.QueryData(pb.QueryDataRequest(pluginContext=context, queries=[query]), timeout=timeout_s)
    except grpc.RpcError as exc:  # past the time bound, or the process died
        return Outcome(-1, 0, 0, 0, f"no answer: {exc.code()}")
    response = answer.responses["A"]
    wire_bytes = sum(len(frame) for frame in response.frames)
    sizes = [frame_size(frame) for frame in response.frames]
    rows, arrow_bytes = sum(size[0] for size in sizes), sum(size[1] for size in sizes)
    return Outcome(response.status or 200, arrow_bytes, wire_bytes, rows, response.error)


def frame_size(frame: bytes) -> tuple[int, int]:
    """Rows and Arrow bytes of one Arrow IPC file frame, one record batch in memory at a time."""
    reader = pa.ipc.open_file(pa.py_buffer(frame))
    batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    sizes = [(batch.num_rows, batch.nbytes) for batch in batches]
    return sum(rows for rows, _ in sizes), sum(nbytes for _, nbytes in sizes)


@dataclass(frozen=True)
class Setup:
    """What every step shares: the data, a scratch folder, the datasource and plugin settings, the time bound."""

    data: Path
    scratch: Path
    json_data: dict[str, Any]
    env: dict[str, str]
    timeout_s: float
    budget: int = 0  # GF_PLUGIN_ANSWER_MEMORY_BYTES when given: the growth is printed against it


@dataclass(frozen=True)
class Step:
    """One concurrency's run: what it printed, its sampled peak and the bytes of one answered frame."""

    report: str
    peak: int = 0
    frame: int = 0
    answered: int = 0
    cpu: float = 0.0


def run_step(setup: Setup, concurrency: int, plugin_path: Path | None = None) -> Step:
    context = datasource_context({"source": str(setup.data), "cacheTtlSeconds": 0, **setup.json_data}, uid="w7")
    cache_dir = Path(tempfile.mkdtemp(prefix="w7-cache-", dir=setup.scratch))
    env = {**setup.env, **({"PYTHONPATH": str(plugin_path)} if plugin_path else {})}
    process = PluginProcess(cache_dir=cache_dir, extra_env=env).start()
    timeout_s = setup.timeout_s
    assert process.process is not None
    pid = process.process.pid
    try:
        warm = ask(process, context, "SELECT COUNT(*) AS n FROM FLOW_FLAT", timeout_s)
        if warm.status != 200:
            return Step(f"concurrency {concurrency}: ingest failed ({warm.status}): {warm.error}")
        baseline = rss_bytes(pid)[0]
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the kernel's high-water mark from here: the queries'
        cpu_before = cpu_seconds(pid)
        sqls = [f"SELECT *, {i} AS q FROM FLOW_FLAT" for i in range(concurrency)]
        began = time.monotonic()
        with Sampler(pid) as sampler, ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(lambda sql: ask(process, context, sql, timeout_s), sqls))
        wall = time.monotonic() - began
        high_water = rss_bytes(pid)[1]
        cpu = cpu_seconds(pid) - cpu_before
        alive = process.process.poll() is None
    finally:
        process.stop()
    ok = [o for o in outcomes if o.status == 200]
    refused: dict[str, int] = {}
    for o in outcomes:
        if o.status != 200:
            refused[f"{o.status} {o.error[:160]}"] = refused.get(f"{o.status} {o.error[:160]}", 0) + 1
    frame = max((o.frame_bytes for o in ok), default=0)
    wire = max((o.wire_bytes for o in ok), default=0)
    peak = max(sampler.peak, high_water)  # the sampler can miss a short spike; the kernel's mark cannot
    ratio = f"{peak / frame:.2f}x" if frame else "-"
    lines = [
        f"concurrency {concurrency}: {len(ok)} answered ({ok[0].rows if ok else 0} rows, frame {frame / MIB:.0f} MiB, "
        f"{wire / MIB:.0f} MiB sent), "
        f"{len(outcomes) - len(ok)} refused, {wall:.1f} s, plugin CPU {cpu:.1f} s, plugin alive after: {alive}",
        f"  RSS before {baseline / MIB:.0f} MiB, peak sampled {sampler.peak / MIB:.0f} MiB, high-water "
        f"{high_water / MIB:.0f} MiB; peak / one frame {ratio}, growth / one frame "
        f"{(peak - baseline) / frame if frame else 0:.2f}x, growth / sent bytes "
        f"{(peak - baseline) / wire if wire else 0:.2f}x"
        + (
            f" (goal <= {RATIO_GOAL:g}x: {'MET' if peak <= RATIO_GOAL * frame else 'NOT MET'})"
            if concurrency == 1 and frame
            else ""
        )
        + (f"; growth / answer budget {(peak - baseline) / setup.budget:.2f}x" if setup.budget else ""),
        f"  RSS over time (MiB): {sampler.timeline()}",
    ]
    lines += [f"  refused x{count}: {message}" for message, count in refused.items()]
    return Step("\n".join(lines), peak - baseline, frame, len(ok), cpu)


def side_by_side(steps: list[tuple[int, Step, Step]]) -> str:
    """Before and after per concurrency: the peak's growth over the RSS before the queries, and its ratio."""
    lines = [
        "concurrency  frame MiB  before: answered  peak-before MiB  x frame  CPU s"
        "   after: answered  peak-before MiB  x frame  CPU s"
    ]
    for concurrency, old, new in steps:
        frame = max(old.frame, new.frame)
        cells = [f"{concurrency:>11}  {frame / MIB:>9.0f}"]
        for step in (old, new):
            ratio = f"{step.peak / frame:.2f}" if frame else "-"
            cells.append(f"{step.answered:>16}  {step.peak / MIB:>15.0f}  {ratio:>7}  {step.cpu:>5.1f}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--concurrency", default="1,5,20")
    parser.add_argument("--row-limit", type=int, default=1_000_000)
    parser.add_argument("--json-data", default="{}", help="more datasource jsonData, e.g. a memory cap")
    parser.add_argument("--seconds", type=float, default=300.0, help="the longest one step may take")
    parser.add_argument("--answer-memory-mb", type=int, help="GF_PLUGIN_ANSWER_MEMORY_BYTES, in MiB")
    parser.add_argument("--before", type=Path, help="a plugin/ folder of older code, run first at each step")
    args = parser.parse_args()
    data = args.data.resolve()
    ensure_data(data)
    json_data = {"rowLimit": args.row_limit, **json.loads(args.json_data)}
    env = {"GF_PLUGIN_ANSWER_MEMORY_BYTES": str(args.answer_memory_mb * MIB)} if args.answer_memory_mb else {}
    scratch = Path(tempfile.mkdtemp(prefix="w7-"))
    print(
        f"W7: SELECT * FROM FLOW_FLAT, 7 days, jsonData {json.dumps(json_data)}, environment {env}; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    steps = []
    try:
        for concurrency in (int(n) for n in args.concurrency.split(",")):
            setup = Setup(data, scratch, json_data, env, args.seconds, (args.answer_memory_mb or 0) * MIB)
            old = None
            if args.before:
                old = run_step(setup, concurrency, args.before.resolve())
                print(f"before: {old.report}", flush=True)
            new = run_step(setup, concurrency)
            print(f"after: {new.report}" if old else new.report, flush=True)
            if old:
                steps.append((concurrency, old, new))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if steps:
        print(side_by_side(steps))
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
