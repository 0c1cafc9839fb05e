"""Where a Spark session's first enriching query waits: registering the functions, the Python workers' start.

Usage: ``.venv/bin/python bench/spark_enrich_startup.py [--sessions 2] [--calls 3] [--function geo_country]
[--spark-url sc://…]``.
Each of ``--sessions`` fresh Spark Connect sessions (set up as the engine sets up its own) registers one
enrichment function as the engine does (``engines/spark/enrich.py``: the function and its lookup table
pickled and sent to the server), then calls it on one row ``--calls`` times and once over 100,000 rows.
Printed for every step: wall seconds, the Spark server JVM's CPU seconds, the CPU of the Python
processes the JVM started (Spark's Python daemons and the workers they fork) and how many of them run:
a daemon started per session is what the first call of every session pays for. The server is started
and stopped here (scripts/spark_connect.sh) unless ``--spark-url`` is given (then only wall seconds).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from w1_cost import process_cpu

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "plugin")]

from cloudsql_cos_ts.engines.spark.client import Session, load_pyspark  # noqa: E402
from cloudsql_cos_ts.engines.spark.enrich import ensure_functions  # noqa: E402
from cloudsql_cos_ts.engines.spark.sessions import SESSION_CONF  # noqa: E402
from cloudsql_cos_ts.enrichment.data import EnrichmentData, load  # noqa: E402
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles  # noqa: E402
from cloudsql_cos_ts.settings.secret import Secret  # noqa: E402

SCRIPT = REPO / "scripts" / "spark_connect.sh"
DAEMON = "pyspark.daemon"


def children(pid: int) -> list[int]:
    """Every process below ``pid`` (the JVM's Python daemons and the workers they fork)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            kids = (task / "children").read_text().split()
            found += map(int, kids)
            todo += map(int, kids)
    return found


def python_side(jvm: int) -> tuple[float, int]:
    """CPU seconds of the Python processes under the JVM now, and how many there are."""
    cpu, count = 0.0, 0
    for pid in children(jvm):
        try:
            cpu += process_cpu(pid)
            count += DAEMON in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue  # a worker that ended meanwhile
    return cpu, count


def step(label: str, jvm: int | None, work: Callable[[], object]) -> None:
    began = time.perf_counter()
    before = (process_cpu(jvm), python_side(jvm)[0]) if jvm else (0.0, 0.0)
    work()
    wall = time.perf_counter() - began
    if jvm is None:
        print(f"{label:<28} wall {wall:6.2f} s", flush=True)
        return
    python_cpu, count = python_side(jvm)
    print(
        f"{label:<28} wall {wall:6.2f} s  JVM CPU {process_cpu(jvm) - before[0]:5.2f} s  "
        f"Python CPU {python_cpu - before[1]:5.2f} s  Python processes {count}",
        flush=True,
    )


def run(url: str, jvm: int | None, sessions: int, calls: int, function: str) -> None:
    pyspark = load_pyspark()
    data = load(EnrichmentFiles())
    for number in range(1, sessions + 1):
        session: Session = pyspark.open(url, Secret(""))
        try:
            one_session(f"session {number}", session, jvm, data, calls=calls, function=function)
        finally:
            session.stop()


def one_session(
    name: str, session: Session, jvm: int | None, data: EnrichmentData, *, calls: int, function: str
) -> None:
    """The engine's session settings, the function registered, then its calls."""
    for key, value in SESSION_CONF.items():
        session.conf.set(key, value)
    rows = f"SELECT count({function}(concat(id % 223 + 1, '.', id % 199, '.7.9'))) FROM range(100000)"
    step(f"{name}: register", jvm, lambda: ensure_functions(session, data, frozenset({function})))
    for call in range(1, calls + 1):
        step(f"{name}: call {call}", jvm, lambda: session.sql(f"SELECT {function}('9.9.9.9')").toArrow())
    step(f"{name}: 100,000 rows", jvm, lambda: session.sql(rows).toArrow())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--function", default="geo_country")
    parser.add_argument("--spark-url", default="")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="spark-enrich-")) / "spark"
    url = args.spark_url
    if not url:
        started = subprocess.run([str(SCRIPT), "start", str(state)], check=True, capture_output=True, text=True)
        url = started.stdout.strip().splitlines()[-1]
    jvm = None if args.spark_url else int(next(state.glob("*.pid")).read_text().strip())
    load_before = os.getloadavg()[0]
    try:
        run(url, jvm, args.sessions, args.calls, args.function)
    finally:
        if not args.spark_url:
            subprocess.run([str(SCRIPT), "stop", str(state)], check=False, capture_output=True)
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
