"""The Logs format's cost: shaping and encoding flow records as log lines next to the same rows as a table.

Usage: ``.venv/bin/python bench/logs_format.py [--rows N ...] [--reps N]``. Sample flow logs are
generated once (the realistic generator: empty times, ingress and egress), their records become one
Arrow table with ``FLOW_FLAT``'s record and header columns, repeated to each size of ``--rows``. Each
size is shaped and encoded as the plugin answers it: Table, Logs of flow records (the readable line,
labels, level) and Logs of the same columns as ``key=value`` lines (the generic path). Prints the
median CPU seconds of shaping + encoding per format, side by side. CPU time, not wall time: the
machine is shared. Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "plugin")]

from cloudsql_cos_ts.flowlogs.generator import generate  # noqa: E402
from cloudsql_cos_ts.flowlogs.loglines import flow_log_style  # noqa: E402
from cloudsql_cos_ts.flowlogs.schema import RECORD_MEMBERS  # noqa: E402
from cloudsql_cos_ts.frames.encode import encode_frame  # noqa: E402
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape  # noqa: E402
from tests.dashboard.expected import load_records  # noqa: E402

HEADER = ("network_interface_id", "instance_crn")
TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_()}
FORMATS = {
    "table": ShapeOptions(ref_id="A", format="table"),
    "logs (flow)": ShapeOptions(ref_id="A", format="logs", log_style=flow_log_style),
    "logs (key=value)": ShapeOptions(ref_id="A", format="logs", time_column="start_time"),
}


def sample_records() -> pa.Table:
    """Every record of six hours of generated flow logs (4 vNICs), with its object's vNIC and instance."""
    with tempfile.TemporaryDirectory() as folder:
        generate(
            Path(folder), vnics=4, start=datetime(2024, 5, 6, tzinfo=UTC), end=datetime(2024, 5, 6, 6, tzinfo=UTC),
            records_per_object=30, seed=7,
        )
        records = load_records(Path(folder))
    columns = {name: pa.array([r.fields.get(name) for r in records], TYPES[kind]) for name, kind in RECORD_MEMBERS}
    columns |= {name: pa.array([r.header.get(name) for r in records], pa.string()) for name in HEADER}
    return pa.table(columns)


def sized(sample: pa.Table, rows: int) -> pa.Table:
    copies = -(-rows // sample.num_rows)
    return pa.concat_tables([sample] * copies).slice(0, rows).combine_chunks()


def cpu_seconds(table: pa.Table, options: ShapeOptions, reps: int) -> float:
    runs = []
    for _ in range(reps):
        began = time.process_time()
        for frame in shape(table, options, "SELECT * FROM FLOW_FLAT"):
            encode_frame(frame)
        runs.append(time.process_time() - began)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    sample = sample_records()
    print(f"sample: {sample.num_rows} generated records; median CPU seconds of {args.reps} shape + encode runs")
    print(f"{'rows':>10}  " + "  ".join(f"{name:>16}" for name in FORMATS))
    for rows in args.rows:
        table = sized(sample, rows)
        figures = [cpu_seconds(table, options, args.reps) for options in FORMATS.values()]
        print(f"{rows:>10}  " + "  ".join(f"{value:>16.3f}" for value in figures))


if __name__ == "__main__":
    main()
