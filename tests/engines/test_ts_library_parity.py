"""IBM's time-series functions on the real Spark Connect server and on DuckDB: both equal the Python references.

The cases of ``tests/dialect/ts_cases.py`` run as UNION ALL queries of up to ``CHUNK`` cases (each
row labelled by its case), so Spark plans and starts jobs a few times, not once per function; the
expressions and the whole-series reducers are one query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.base import Engine, ExecutionRequest
from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.timerange import TimeRange
from tests.dialect import ts_cases
from tests.dialect.test_ts_library import close
from tests.engines.test_spark_engine import spark_engine

RANGE = TimeRange(ts_cases.T0, ts_cases.T0 + 86_400_000)
OBS = ts_cases.table()


@pytest.fixture(scope="module")
def engines(spark_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    root: Path = tmp_path_factory.mktemp("ts-library")
    spark = spark_engine(spark_url, root / "spark")
    duck = DuckDBEngine(threads=1, memory_limit="1GB", query_timeout_s=120, temp_directory=str(root / "duck"))
    yield {"spark": spark, "duckdb": duck}
    spark.close()
    duck.close()


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    translation = translate(sql, dialect=engine.dialect)
    table: pa.Table = engine.execute(
        ExecutionRequest(
            sql=translation.sql,
            time_range=RANGE,
            cancel=CancelToken(),
            row_limit=100_000,
            referenced=translation.referenced,
            tables={"OBS": OBS},
        )
    ).table
    return [tuple(row.values()) for row in table.to_pylist()]


def _union(cases: list[ts_cases.Case]) -> str:
    selects = ",\n".join(
        f"c{index} AS (SELECT '{case.id}' AS fn, k, TS_EXPLODE({case.inner}) AS (tt, value) FROM {case.source})"
        for index, case in enumerate(cases)
    )
    union = " UNION ALL ".join(f"SELECT * FROM c{index}" for index in range(len(cases)))
    return ts_cases.ALL_SERIES_CTE.rstrip() + ",\n" + selects + "\n" + union


# one case per TS_EXP_*/TS_ANCHOR_* use: checked on Spark by test_expressions (one query), row by row on DuckDB
EXPRESSION_CASES = ("map_", "conditional_", "filter_")


CHUNK = 12  # cases per query: Spark's planning grows faster than linearly with the size of one UNION


def _batches() -> list[list[ts_cases.Case]]:
    """The cases in queries of one value type (a UNION needs one type) and at most CHUNK cases."""
    batches = []
    for text in (False, True):
        cases = [case for case in ts_cases.CASES if case.text == text and not case.id.startswith(EXPRESSION_CASES)]
        batches += [cases[start : start + CHUNK] for start in range(0, len(cases), CHUNK)]
    return batches


BATCHES = _batches()


@pytest.mark.parametrize("batch", range(len(BATCHES)), ids=[f"{b[0].id}..{b[-1].id}" for b in BATCHES])
@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_every_function_against_reference(engines: dict[str, Engine], engine: str, batch: int) -> None:
    """Every case's rows, from one UNION ALL query per batch, equal its reference."""
    cases = BATCHES[batch]
    by_case: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for fn, *row in _rows(engines[engine], _union(cases)):
        by_case[fn].append(tuple(row))
    for case in cases:
        close(by_case[case.id], case.expected)


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_whole_series_reducers(engines: dict[str, Engine], engine: str) -> None:
    close(_rows(engines[engine], ts_cases.REDUCERS_SQL), ts_cases.expected_reducers())


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_expressions(engines: dict[str, Engine], engine: str) -> None:
    close(_rows(engines[engine], ts_cases.EXPRESSIONS_SQL), ts_cases.expected_expressions())


@pytest.mark.parametrize("segmenter", sorted(ts_cases.FLATTENED))
@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_flatten(engines: dict[str, Engine], engine: str, segmenter: str) -> None:
    close(_rows(engines[engine], ts_cases.flatten_sql(segmenter)), ts_cases.expected_flatten(segmenter))


@pytest.mark.parametrize("joins", [True, False], ids=["joins", "aligns"])
@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_joins_and_aligns(engines: dict[str, Engine], engine: str, joins: bool) -> None:
    """Every temporal join (aligns: every align) in one query."""
    rows = ts_cases.flat_pairs(_rows(engines[engine], ts_cases.pairs_sql(joins)))
    close(rows, ts_cases.expected_pairs(joins))


PAIRWISE = {
    "series": (ts_cases.PAIR_REDUCERS_SQL, ts_cases.expected_pair_reducers),
    "segments": (ts_cases.SEGMENT_PAIRS_SQL, ts_cases.expected_segment_pairs),
    "dtw": (ts_cases.DTW_SQL, ts_cases.expected_dtw),
}


@pytest.mark.parametrize("which", sorted(PAIRWISE))
@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_pairwise_reducers(engines: dict[str, Engine], engine: str, which: str) -> None:
    """TS_CORRELATION and TS_MANHATTAN_DISTANCE per series pair, their TS_SEG_ forms per time window, TS_DTW."""
    sql, expected = PAIRWISE[which]
    close(_rows(engines[engine], sql), expected())


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_describe(engines: dict[str, Engine], engine: str) -> None:
    close(_rows(engines[engine], ts_cases.DESCRIBE_SQL), ts_cases.expected_describe())


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_cross_correlation(engines: dict[str, Engine], engine: str) -> None:
    rows = ts_cases.flat_arrays(_rows(engines[engine], ts_cases.CROSS_CORRELATION_SQL))
    close(rows, ts_cases.expected_cross_correlation())


@pytest.mark.parametrize("arrays", [False, True], ids=["numbers", "arrays"])
@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_segment_measures(engines: dict[str, Engine], engine: str, arrays: bool) -> None:
    """The TS_SEG_ forms of the measures per time window: those giving a number in one query, those giving an
    array (TS_SEG_FFT, …) in another."""
    names = sorted(name for name in ts_cases.SEGMENT_MEASURES if (name in ts_cases.ARRAY_MEASURES) == arrays)
    rows = ts_cases.segment_measure_rows(_rows(engines[engine], ts_cases.segment_measures_sql(names)))
    close(rows, [(name, *row) for name in names for row in ts_cases.expected_segment_measure(name)])


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_noise_keeps_ticks_and_nulls(engines: dict[str, Engine], engine: str) -> None:
    """TS_AWGN and TS_MWGN run (their distribution is checked on DuckDB, tests/dialect/test_ts_library.py)."""
    close(ts_cases.noise_shape(_rows(engines[engine], ts_cases.NOISE_SQL)), ts_cases.expected_noise_shape())


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_series_measures(engines: dict[str, Engine], engine: str) -> None:
    """TS_DL, TS_SBD, TS_AUTO_CORRELATION and TS_FFT both ways, per key, in one query."""
    close(ts_cases.flat_measures(_rows(engines[engine], ts_cases.MEASURES_SQL)), ts_cases.expected_measures())


@pytest.mark.parametrize("engine", ["spark", "duckdb"])
def test_series_selected_directly(engines: dict[str, Engine], engine: str) -> None:
    close(_rows(engines[engine], ts_cases.SELECTED_SQL), ts_cases.expected_selected())
