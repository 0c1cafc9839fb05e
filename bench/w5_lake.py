"""W5: a cold dashboard over an object store with latency — raw objects vs the flow lake.

Usage: ``.venv/bin/python bench/w5_lake.py [--data DIR] [--delay-ms 30] [--reps 1]``.
The W1 set (10 vNICs x 7 days, generated once into ``DIR``) is uploaded to the S3-compatible test
server, which sits behind a loopback front that holds every request for ``--delay-ms`` (a stand-in
for the round trip to COS) and counts list calls, GETs, PUTs and bytes. Then, side by side in one run:

* **raw** — a fresh plugin process (empty ingest cache, result cache off) loads the dashboard: the six
  panels at once, as Grafana sends them, over the raw objects;
* **lake** — the settled days are compacted into the lake first (``cloudsql-cos-ts compact``'s code, its
  cost printed apart), then another fresh plugin with the lake location set loads the same dashboard.
  The lake's follower lease is held for the run, as it is when another replica follows the lake, so
  the fresh plugin's own follower only checks the lease.

Printed: wall and plugin CPU seconds, list calls, GETs and MB per side, their ratios, and whether
every panel's answer is the same on both sides. Goal (issue 20): the lake's cold dashboard <= 1/10 of
raw's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from w1_cost import Cost, own_cpu
from w1_dashboard import Plugin, compare, frame_rows
from w1_panels import DATA_END, DATA_START, Panel, dashboard, ensure_data

from cloudsql_cos_ts.cli.compact import CompactRange, compact
from cloudsql_cos_ts.flowlogs.lake.follow import take_lease
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.settings.datasource import Credentials, parse_datasource_settings
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.storage.s3_front import RequestCounts, S3Front, s3_front
from tests.storage.s3_server import s3_server

GOAL_RATIO = 0.1
QUERY_TIMEOUT_S = 1800
BUCKET = "flowlogs"
RAW_PREFIX = "raw/"
LAKE_PREFIX = "lake/"
KEY_ID, SECRET = "w5-access-key", "w5-secret-key"
SECURE = {"hmacAccessKeyId": KEY_ID, "hmacSecretAccessKey": SECRET}
KEYS = Credentials(auth="hmac", hmac_access_key_id=Secret(KEY_ID), hmac_secret_access_key=Secret(SECRET))
UPLOAD_THREADS = 16


@dataclass
class Load:
    """One cold dashboard load: its cost, the store requests it made and each panel's rows."""

    cost: Cost
    requests: RequestCounts
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


def upload(data: Path, endpoint: str) -> int:
    """The data set's objects into the bucket below ``RAW_PREFIX``, straight to the server (no delay)."""
    store = CosStore(endpoint, BUCKET, KEYS)
    files = [p for p in (data / "ibm_vpc_flowlogs_v1").rglob("*") if p.is_file()]

    def put(path: Path) -> None:
        store.put(RAW_PREFIX + path.relative_to(data).as_posix(), path.read_bytes())

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        list(pool.map(put, files))
    return len(files)


def cos_settings(front: S3Front) -> dict[str, Any]:
    """The bucket through the front; a loaded machine can take the raw side past the default query timeout."""
    return {"cosEndpoint": front.url, "authType": "hmac", "queryTimeoutSeconds": QUERY_TIMEOUT_S}


def cold_load(front: S3Front, panels: list[Panel], scratch: Path, **settings: Any) -> Load:
    """A fresh plugin (empty caches) loads the dashboard: the six panels at once."""
    source = f"cos://us-south/{BUCKET}/{RAW_PREFIX}"
    plugin = Plugin(source, scratch, SECURE, **cos_settings(front), **settings)
    try:
        before = front.counts()
        cost, answers = plugin.timed(*panels)
        requests = front.counts() - before
    finally:
        plugin.stop()
    last = {panel.name: answer[panel.queries[-1].ref] for panel, answer in zip(panels, answers, strict=True)}
    return Load(cost, requests, {name: frame_rows(answer) for name, answer in last.items()})


Side = Callable[[S3Front, list[Panel], Path], Load]


def raw_side(front: S3Front, panels: list[Panel], scratch: Path) -> Load:
    return cold_load(front, panels, scratch)


def lake_side(front: S3Front, panels: list[Panel], scratch: Path) -> Load:
    return cold_load(front, panels, scratch, **LAKE_SETTINGS)


LAKE_SETTINGS = {
    "lakeLocation": f"cos://us-south/{BUCKET}/{LAKE_PREFIX}",
    "allowedLocations": [f"cos://us-south/{BUCKET}/{LAKE_PREFIX}"],
}


def compact_lake(front: S3Front, scratch: Path) -> Load:
    """The W1 days into the lake as ``cloudsql-cos-ts compact`` does, through the delaying front."""
    json_data = {"source": f"cos://us-south/{BUCKET}/{RAW_PREFIX}", **cos_settings(front), **LAKE_SETTINGS}
    settings = parse_datasource_settings(
        uid="w5", name="w5", last_updated_ms=1, secure=SECURE, json_data=json.dumps(json_data).encode()
    )
    assert settings.lake is not None and settings.source is not None
    before, wall, cpu = front.counts(), time.perf_counter(), own_cpu()
    days = CompactRange(DATA_START.date(), (DATA_END - timedelta(days=1)).date())
    code = compact(settings, PluginSettings(cache_dir=scratch / "compactor"), days, show_progress=False, verify=False)
    if code:
        raise SystemExit("the compaction failed")
    cost = Cost(time.perf_counter() - wall, own_cpu() - cpu)
    lake = open_lake(settings.lake, settings.source, settings.credentials)
    take_lease(lake, "w5-another-replica", datetime.now(UTC), timedelta(hours=1))
    return Load(cost, front.counts() - before)


def row(name: str, loads: list[Load]) -> list[str]:
    wall = statistics.median(load.cost.wall for load in loads)
    cpu = statistics.median(load.cost.cpu for load in loads)
    last = loads[-1].requests
    return [name, f"{wall:.2f}", f"{cpu:.2f}", str(last["list"]), str(last["get"]), f"{last.bytes_out / 1e6:.1f}"]


def print_table(rows: list[list[str]]) -> None:
    header = ["side", "wall s", "plugin cpu s", "list calls", "GETs", "MB"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def measure(
    data: Path, scratch: Path, delay_s: float, reps: int, sides: dict[str, Side]
) -> tuple[dict[str, list[Load]], Load | None]:
    panels = dashboard(ensure_data(data))
    loads: dict[str, list[Load]] = {name: [] for name in sides}
    compaction = None
    with s3_server(BUCKET) as endpoint, s3_front(endpoint, delay_s) as front:
        print(f"uploaded {upload(data, endpoint)} objects", flush=True)
        if "lake" in sides:
            compaction = compact_lake(front, scratch)
            print(f"compaction: {compaction.cost.wall:.1f} s", flush=True)
        for _ in range(reps):  # sides interleaved, so a change in the machine's load hits both
            for name, side in sides.items():
                loads[name].append(side(front, panels, scratch))
                print(f"{name}: {loads[name][-1].cost.wall:.1f} s", flush=True)
    return loads, compaction


def report(loads: dict[str, list[Load]], compaction: Load | None, reps: int) -> bool:
    rows = [row(name, side) for name, side in loads.items()]
    if compaction is not None:
        rows.append(row("compaction (once, bench process cpu)", [compaction]))
    print_table(rows)
    walls = {name: [round(load.cost.wall, 2) for load in side] for name, side in loads.items()}
    print(f"every repetition (wall s): {walls}")
    if "lake" not in loads:
        return True
    raw, lake = loads["raw"][-1], loads["lake"][-1]
    same = {name: compare(lake.rows[name], raw.rows[name]) for name in raw.rows}
    print(f"same answer, lake vs raw: {same}")
    ratio = statistics.median(x.cost.wall for x in loads["lake"]) / statistics.median(x.cost.wall for x in loads["raw"])
    met = ratio <= GOAL_RATIO and "NO" not in same.values()
    print(f"goal lake <= {GOAL_RATIO:.2f} x raw wall: {ratio:.3f} -> {'MET' if met else 'NOT MET'} (median of {reps})")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--delay-ms", type=float, default=30.0, help="added to every store request")
    parser.add_argument("--reps", type=int, default=1, choices=range(1, 6))
    parser.add_argument("--no-lake", action="store_true", help="the raw side only")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="w5-"))
    load_before, cpu_before = os.getloadavg(), own_cpu()
    try:
        sides: dict[str, Side] = {"raw": raw_side} if args.no_lake else {"raw": raw_side, "lake": lake_side}
        loads, compaction = measure(args.data.resolve(), scratch, args.delay_ms / 1000, args.reps, sides)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"load average (1 min) before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"bench process CPU {own_cpu() - cpu_before:.1f} s; {args.delay_ms:.0f} ms added to every request"
    )
    return 0 if report(loads, compaction, args.reps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
