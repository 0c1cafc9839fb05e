"""IBM time-series functions through QueryData's pipeline on both engines, over generated flow logs.

A panel-style request: one query reads the raw observations, another runs several TS functions at
once (a UNION ALL labelled by function). Both engines must answer the same frames, equal to the
plain-Python references applied to the observations the first query returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from tests.dashboard.expected import epoch_ms
from tests.dialect import ts_python as py
from tests.dialect.test_ts_library import close
from tests.engines.inprocess import InProcessPlugin
from tests.plugin_host import data_query

START, END = datetime(2024, 5, 6, 0, 0, tzinfo=UTC), datetime(2024, 5, 6, 3, 0, tzinfo=UTC)
HOUR = 3_600_000
RAW = (
    "SELECT action, unix_millis(to_timestamp(start_time)) AS t, CAST(bytes_from_initiator AS DOUBLE) AS v "
    "FROM FLOW_FLAT WHERE to_timestamp(start_time) IS NOT NULL"  # empty times (real objects) have no tick
)
# function label -> (SQL inside TS_EXPLODE, reference on one action's series)
FUNCTIONS: dict[str, tuple[str, Callable[[py.Series], py.Series]]] = {
    "diff": ("TS_DIFF(ts)", py.diff),
    "sliding_avg": (
        "TS_SEG_AVG(TS_SEGMENT_BY_TIME(ts, PT30M, PT10M))",
        lambda s: py.reduce_segments(py.by_time(s, HOUR // 2, HOUR // 6), "AVG"),
    ),
    "hourly_count": (
        "TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, hour, hour))",
        lambda s: py.reduce_segments(py.by_time(s, HOUR, HOUR), "COUNT"),
    ),
    "resample_linear": (
        "TS_RESAMPLE(ts, 600000, TS_INTERPOLATOR_LINEAR(0.0, 1, 1))",
        lambda s: py.resample(s, 600_000, "LINEAR", 0.0),
    ),
    "combined": (
        "TS_COMBINE_DUPLICATE_TIMETICKS(ts, TS_COMBINER_MAX())",
        lambda s: py.combine(s, "MAX"),
    ),
    "zscore": ("TS_ZSCORE(ts, 1000, 500)", lambda s: py.zscore(s, 1000.0, 500.0)),
}
TS_SQL = (
    "WITH series AS (SELECT action, ts FROM (SELECT action, start_time, CAST(bytes_from_initiator AS DOUBLE) AS v "
    'FROM FLOW_FLAT) USING TIME_SERIES_FORMAT(key="action", timetick="start_time", value="v") IN ts) '
    + " UNION ALL ".join(
        f"SELECT '{label}' AS fn, action, TS_EXPLODE({inner}) AS (tt, value) FROM series"
        for label, (inner, _) in FUNCTIONS.items()
    )
)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory, spark_url: str) -> Iterator[dict[str, InProcessPlugin]]:
    root = tmp_path_factory.mktemp("ts-querydata")
    data = root / "flowlogs"
    generate(data, vnics=2, start=START, end=END, records_per_object=20, seed=18)
    duck = InProcessPlugin({"source": str(data), "destination": str(root / "d1")}, root / "c1", "duck")
    spark = InProcessPlugin(
        {"engine": "spark", "sparkUrl": spark_url, "source": str(data), "destination": str(root / "d2")},
        root / "c2",
        "spark",
    )
    yield {"duckdb": duck, "spark": spark}
    duck.close()
    spark.close()


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in table.to_pylist()]


def _answer(plugin: InProcessPlugin, sql: str) -> list[tuple[Any, ...]]:
    query = data_query("A", {"rawSql": sql, "format": "table"}, from_ms=epoch_ms(START), to_ms=epoch_ms(END))
    answer = plugin.run(query)["A"]
    assert answer.status == 200, answer.error
    return [row for frame in answer.frames for row in _rows(frame)]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_ts_functions_through_query_data(plugins: dict[str, InProcessPlugin], engine: str) -> None:
    series: dict[str, py.Series] = defaultdict(list)
    for action, tick, value in _answer(plugins[engine], RAW):
        series[action].append((tick, value))
    assert len(series) == 2 and all(len(s) > 20 for s in series.values())
    got: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for fn, action, tick, value in _answer(plugins[engine], TS_SQL):
        got[fn].append((action, tick, value))
    for label, (_, reference) in FUNCTIONS.items():
        expected = [(a, t, v) for a, s in series.items() for t, v in reference(py.ordered(s))]
        close(got[label], expected)
