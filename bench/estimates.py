"""Issue 26: the estimate's latency and the shipped alert rule's evaluations, on the W1 set.

Usage: ``.venv/bin/python bench/estimates.py [--data DIR] [--warm-reps N]``.

The W1 set (10 vNICs x 7 days, realistic generator; made once by ``w1_panels.ensure_data``) is
linked into a scratch folder per scenario, so the objects the bench adds never reach it. Through
the plugin as Grafana starts it (``tests/plugin_host.py``), in one run:

* **estimate** — ``POST estimate`` for the shipped alert query over the whole week: cold (a fresh
  plugin, nothing listed yet) and warm (the median of repeats while the listings are shared);
  goal: warm < 200 ms;
* **alert rule** — the shipped rule's query sent as alerting sends it (``FromAlert``), first on an
  empty ingest cache, then, after ten minutes of new objects are written, one evaluation interval
  later (the rule's 1 minute; its range moved by ten minutes): its own 30-minute window, and the same
  query over the whole week (the "full query"), each in its own plugin; the objects each evaluation
  downloaded are printed next to the objects added. Goal: second evaluation < 1 s. The second
  evaluation starts a minute after the first ended, once the plugin's one-minute memory of the vNIC
  prefixes has expired: W1's objects were written by an older generator (``record-type=all``,
  plain subnet ids), so the new objects' vNIC prefixes are new ones.

Figures are wall seconds and the plugin process's CPU seconds (``w1_cost``): the machine may be shared,
so the load average is printed with them and the verdicts are given for both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from w1_cost import Cost, process_cpu
from w1_panels import DATA_END, ensure_data

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.pruning import VNIC_CACHE_TTL_S
from tests.dashboard.shipped import load_models
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta

ALERT_HEADERS = {"FromAlert": "true"}
ADDED_MINUTES = 10
WARM_GOAL_MS = 200
SECOND_GOAL_S = 1.0
END_MS = int(DATA_END.timestamp() * 1000)
WINDOWS_MS = {"shipped rule (30 min)": 1_800_000, "full query (7 days)": 7 * 86_400_000}


@contextmanager
def plugin_over(data: Path, scratch: Path, name: str) -> Iterator[tuple[PluginProcess, Any, Path]]:
    """A fresh plugin over a linked copy of the set: its own ingest cache, objects added only to the copy."""
    folder = scratch / name
    shutil.copytree(data / "ibm_vpc_flowlogs_v1", folder / "ibm_vpc_flowlogs_v1", copy_function=os.link)
    process = PluginProcess(cache_dir=folder / ".cache").start()
    try:
        yield process, datasource_context({"source": str(folder)}, uid=f"bench-{name}"), folder
    finally:
        process.stop()


def alert_model() -> dict[str, Any]:
    return {key: value for key, value in load_models()["alert"].items() if key != "refId"}


def pid(process: PluginProcess) -> int:
    assert process.process is not None
    return process.process.pid


def estimate_ms(process: PluginProcess, context: Any, window_ms: int) -> tuple[Cost, dict[str, Any]]:
    """One estimate: wall and CPU milliseconds, and the answer."""
    body = {"query": {"refId": "A", **alert_model()}, "range": {"from": END_MS - window_ms, "to": END_MS}}
    began, cpu = time.perf_counter(), process_cpu(pid(process))
    status, answer = process.call_resource("estimate", "POST", json.dumps(body).encode(), context)
    cost = Cost((time.perf_counter() - began) * 1000, (process_cpu(pid(process)) - cpu) * 1000)
    if status != 200:
        raise SystemExit(f"estimate failed: {answer}")
    return cost, answer


def evaluate(process: PluginProcess, context: Any, end_ms: int, window_ms: int) -> tuple[Cost, int]:
    """One alert evaluation: wall and CPU seconds, and the objects it downloaded."""
    query = data_query("A", alert_model(), from_ms=end_ms - window_ms, to_ms=end_ms)
    began, cpu = time.perf_counter(), process_cpu(pid(process))
    answer = process.query(query, context=context, headers=ALERT_HEADERS, timeout=900)["A"]
    cost = Cost(time.perf_counter() - began, process_cpu(pid(process)) - cpu)
    if answer.status != 200:
        raise SystemExit(f"the alert query failed: {answer.error}")
    stats = {s["displayName"]: s["value"] for s in frame_meta(decode_frames(answer)[0])["stats"]}
    return cost, int(stats["Objects read"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--warm-reps", type=int, default=9)
    args = parser.parse_args()
    ensure_data(args.data)
    scratch = Path(tempfile.mkdtemp(prefix="bench-estimates-"))
    try:
        week = WINDOWS_MS["full query (7 days)"]
        with plugin_over(args.data, scratch, "estimate") as (process, context, _):
            cold, found = estimate_ms(process, context, week)
            repeats = [estimate_ms(process, context, week)[0] for _ in range(args.warm_reps)]
            warm = Cost(statistics.median(c.wall for c in repeats), statistics.median(c.cpu for c in repeats))
        rows = []
        for name, window in WINDOWS_MS.items():
            with plugin_over(args.data, scratch, name.split()[0]) as (process, context, folder):
                first = evaluate(process, context, END_MS, window)
                ended = time.monotonic()
                added = generate(folder, vnics=10, start=DATA_END, end=DATA_END + timedelta(minutes=ADDED_MINUTES))
                time.sleep(max(0.0, VNIC_CACHE_TTL_S + 1 - (time.monotonic() - ended)))
                second = evaluate(process, context, END_MS + ADDED_MINUTES * 60_000, window)
                rows.append((name, first, second, added.objects))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"estimate of the alert query over 7 days: {found['objects']} objects, {found['bytes'] / 1e6:.1f} MB")
    print(f"{'estimate':<24}{'cold ms':>10}{'cold cpu':>10}{'warm ms':>10}{'warm cpu':>10}")
    print(f"{'W1, 7 days':<24}{cold.wall:>10.0f}{cold.cpu:>10.0f}{warm.wall:>10.0f}{warm.cpu:>10.0f}")
    print(
        f"goal warm < {WARM_GOAL_MS} ms: wall {verdict(warm.wall < WARM_GOAL_MS)}, "
        f"CPU {verdict(warm.cpu < WARM_GOAL_MS)}"
    )
    print()
    columns = zip(("first s", "cpu", "read", "second s", "cpu", "read", "added"), (9, 7, 7, 10, 7, 6, 7), strict=True)
    print(f"{'alert evaluation':<24}" + "".join(f"{name:>{width}}" for name, width in columns))
    for name, (first, first_read), (second, second_read), added in rows:
        print(
            f"{name:<24}{first.wall:>9.2f}{first.cpu:>7.2f}{first_read:>7}"
            f"{second.wall:>10.2f}{second.cpu:>7.2f}{second_read:>6}{added:>7}"
        )
    worst = [second for _, _, (second, _), _ in rows]
    print(
        f"goal second evaluation < {SECOND_GOAL_S:g} s: wall {verdict(max(c.wall for c in worst) < SECOND_GOAL_S)}, "
        f"CPU {verdict(max(c.cpu for c in worst) < SECOND_GOAL_S)}"
    )


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


if __name__ == "__main__":
    main()
