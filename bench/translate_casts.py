"""Translation time of the shipped dashboard's queries with and without Spark's implicit casts.

Usage: ``.venv/bin/python bench/translate_casts.py [--reps N]``. Every query of the bundled dashboard,
its variables and the alert rule is macro-expanded once (a 3-hour range), then translated to DuckDB
``--reps`` times without schemas (no casts written) and with the known flow-log schemas (sqlglot
type annotation, ``dialect/coercion.py``). Prints the median milliseconds per translation of each.
The plugin memoises a translation per query text and range, so this is paid once per query and
(aligned) range, not per cache hit. Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "plugin")]

from cloudsql_cos_ts.dialect import Schemas, translate  # noqa: E402
from cloudsql_cos_ts.flowlogs.schema import FLOW_COLUMNS, RELATIONS, SOURCE  # noqa: E402
from cloudsql_cos_ts.macros import expand_macros  # noqa: E402
from tests.dashboard.shipped import load_models  # noqa: E402
from tests.dialect.conftest import context  # noqa: E402


def _median_ms(sqls: list[str], schemas: Schemas | None, reps: int) -> float:
    rounds = []
    for _ in range(reps):
        began = time.perf_counter()
        for sql in sqls:
            translate(sql, dialect="duckdb", schemas=schemas)
        rounds.append((time.perf_counter() - began) / len(sqls) * 1000)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    models = load_models().values()
    sqls = [expand_macros(m["rawSql"].replace("${target_ip}", "10.0.0.1"), context("start_time")).sql for m in models]
    schemas = {**RELATIONS, SOURCE: FLOW_COLUMNS}
    _median_ms(sqls, schemas, 2)  # warm sqlglot's caches
    plain, typed = _median_ms(sqls, None, args.reps), _median_ms(sqls, schemas, args.reps)
    print(f"{len(sqls)} queries, median ms per translation: without casts {plain:.2f}, with casts {typed:.2f}")


if __name__ == "__main__":
    main()
