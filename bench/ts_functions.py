"""IBM time-series queries, as the plugin lowers them, against the plain SQL a person would write instead.

Usage: ``.venv/bin/python bench/ts_functions.py [--data DIR] [--reps N] [--threads T] [--only TEXT]``. W1's set
(10 vNICs x 7 days, ~1.08M records; generated into ``--data`` on first use) is read from one Parquet
copy of ``FLOW_FLAT`` (``w1_raw.py``), so the figures compare the SQL, not the reading of objects.
Both members of a pair are written in IBM's dialect and translated by the plugin, then run on one
DuckDB connection with the plugin engine's thread count; both must return the same rows (checked,
so the plain SQL is a fair equivalent). The two run in turn, ``--reps`` times, so a change of load
hits both; the medians of wall and CPU seconds (this process: DuckDB runs in it) are printed side by
side with their ratios and the spread of the per-run CPU ratio, the figure to trust when others share
the machine. Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "plugin"), str(REPO / "bench")]

import duckdb  # noqa: E402
from w1_cost import Cost, median, own_cpu  # noqa: E402
from w1_panels import ensure_data  # noqa: E402
from w1_raw import parquet_copy, parquet_view, raw_connection  # noqa: E402

from cloudsql_cos_ts.dialect import translate  # noqa: E402

_SERIES = (
    "WITH series AS (SELECT action, ts FROM FLOW_FLAT "
    'USING TIME_SERIES_FORMAT(key="action", timetick="start_time", value="bytes_from_initiator") IN ts) '
)
# the observations: rows whose start time does not parse have no tick, so no series holds them
_TICKS = (
    "WITH obs AS (SELECT * FROM (SELECT action, unix_millis(to_timestamp(start_time)) AS t, "
    "bytes_from_initiator AS v FROM FLOW_FLAT) WHERE t IS NOT NULL) "
)
# name -> (IBM time-series SQL, the plain Spark SQL a person would write for the same rows); both
# are translated by the plugin, so the comparison is between the two queries, not two dialects
PAIRS: dict[str, tuple[str, str]] = {
    "P3 hourly count": (
        _SERIES + "SELECT action, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, hour, hour))) AS (tt, value) "
        "FROM series",
        # every hour from an action's first to its last, an hour without records counted 0 (as TS_SEGMENT_BY_TIME)
        _TICKS + ", hours AS (SELECT action, CAST(floor(t / 3600000) AS BIGINT) AS h, count(*) AS n FROM obs "
        "GROUP BY 1, 2), grid AS (SELECT action, explode(sequence(min(h), max(h))) AS h "
        "FROM hours GROUP BY action) SELECT grid.action, grid.h * 3600000, CAST(coalesce(hours.n, 0) AS DOUBLE) "
        "FROM grid LEFT JOIN hours ON hours.action = grid.action AND hours.h = grid.h",
    ),
    "15 min sliding sum every minute": (
        _SERIES + "SELECT action, TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, PT15M, PT1M))) AS (tt, value) "
        "FROM series",
        # every window from an action's first minute to the first window reaching its last minute (IBM's
        # range), a window without records NULL
        _TICKS + ", minutes AS (SELECT action, CAST(floor(t / 60000) AS BIGINT) AS m, sum(v) AS s FROM obs "
        "GROUP BY 1, 2), sums AS (SELECT action, m - lag AS w, sum(s) AS s FROM minutes "
        "LATERAL VIEW explode(sequence(0, 14)) AS lag GROUP BY action, m - lag), "
        "grid AS (SELECT action, explode(sequence(min(m), greatest(min(m), max(m) - 14))) AS w FROM minutes "
        "GROUP BY action) SELECT grid.action, grid.w * 60000, CAST(sums.s AS DOUBLE) FROM grid "
        "LEFT JOIN sums ON sums.action = grid.action AND sums.w = grid.w",
    ),
    "z-score": (
        _SERIES + "SELECT action, TS_EXPLODE(TS_ZSCORE(ts, 5000, 2000)) AS (tt, value) FROM series",
        _TICKS + "SELECT action, t, (v - 5000) / 2000 FROM obs",
    ),
    "align of two series": (
        "WITH pairs AS (SELECT action, TIME_SERIES(TS_TIMESTAMP(start_time), bytes_from_initiator) AS a, "
        "TIME_SERIES(TS_TIMESTAMP(end_time), bytes_from_target) AS b FROM FLOW_FLAT GROUP BY action) "
        "SELECT action, TS_EXPLODE(TS_LEFT_ALIGN(a, b, TS_INTERPOLATOR_PREV(0))) AS (tt, x, y) FROM pairs",
        "WITH u AS (SELECT action, unix_millis(to_timestamp(start_time)) AS t, bytes_from_initiator AS v, 0 AS side "
        "FROM FLOW_FLAT UNION ALL SELECT action, unix_millis(to_timestamp(end_time)), bytes_from_target, 1 "
        "FROM FLOW_FLAT), w AS (SELECT action, t, v, side, last_value(CASE WHEN side = 1 THEN named_struct('v', v) "
        "END, true) OVER (PARTITION BY action ORDER BY t, side DESC, v ASC NULLS LAST ROWS BETWEEN UNBOUNDED "
        "PRECEDING AND CURRENT ROW) AS b FROM u WHERE t IS NOT NULL) "
        "SELECT action, t, v, CASE WHEN b IS NULL THEN 0 ELSE b.v END FROM w WHERE side = 0",
    ),
    "difference": (
        _SERIES + "SELECT action, TS_EXPLODE(TS_DIFF(ts)) AS (tt, value) FROM series",
        _TICKS + ", d AS (SELECT action, t, v - lag(v) OVER (PARTITION BY action ORDER BY t, v) AS dv, "
        "row_number() OVER (PARTITION BY action ORDER BY t, v) AS n FROM obs) SELECT action, t, dv FROM d WHERE n > 1",
    ),
}


def _timed(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[Cost, list[Any]]:
    started, cpu = time.perf_counter(), own_cpu()
    rows = connection.execute(sql).fetchall()
    return Cost(time.perf_counter() - started, own_cpu() - cpu), rows


def _canonical(rows: list[Any]) -> list[tuple[tuple[bool, Any], ...]]:
    """The rows in one order, floats rounded; a NULL sorts after every value of its column."""
    return sorted(tuple((v is None, round(v, 6) if isinstance(v, float) else v) for v in row) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="run only the queries whose name contains this text")
    args = parser.parse_args()
    ensure_data(args.data)
    connection = raw_connection(args.threads)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(parquet_view(parquet_copy(args.data, args.threads, "4GB")))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {args.reps} runs each, in turn")
    print(
        f"{'query':34} {'TS wall':>8} {'plain':>7} {'ratio':>6} {'TS cpu':>7} {'plain':>7} {'ratio':>6} "
        f"{'cpu ratio range':>15} {'rows':>8}"
    )
    for name, (ts_sql, plain_sql) in PAIRS.items():
        if args.only and args.only not in name:
            continue
        queries = [translate(sql, dialect="duckdb").sql for sql in (ts_sql, plain_sql)]
        costs: tuple[list[Cost], list[Cost]] = ([], [])
        for _ in range(args.reps):
            (ts_cost, ts_rows), (plain_cost, plain_rows) = (_timed(connection, sql) for sql in queries)
            costs[0].append(ts_cost)
            costs[1].append(plain_cost)
        if _canonical(ts_rows) != _canonical(plain_rows):
            raise SystemExit(f"{name}: the TS query and the plain SQL disagree")
        ts, plain = (median(one) for one in costs)
        ratios = [t.cpu / p.cpu for t, p in zip(*costs, strict=True)]
        print(
            f"{name:34} {ts.wall:8.3f} {plain.wall:7.3f} {ts.wall / plain.wall:6.2f} {ts.cpu:7.3f} {plain.cpu:7.3f} "
            f"{ts.cpu / plain.cpu:6.2f} {min(ratios):7.2f}-{max(ratios):<7.2f} {len(ts_rows):8}"
        )
    connection.close()


if __name__ == "__main__":
    main()
