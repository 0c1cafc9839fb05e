"""IBM's time-series functions through QueryData's pipeline on the real Spark Connect server and on
DuckDB: both equal the Python references.

The observations of ``tests/dialect/ts_cases.py`` are written once as a Parquet file, the folder of a
datasource's source (``sourceFormat: parquet``); each case's SQL reads it as ``$__source`` instead of
``obs`` and goes through the whole QueryData pipeline (request model, macros, dialect, engine, frames).
The frames hold lists and structs as JSON (Grafana's JSON field type), decoded here before the rows
are compared with the references.

The cases run as UNION ALL queries of up to ``CHUNK`` cases (each row labelled by its case), so Spark
plans and starts jobs a few times, not once per function; the expressions and the whole-series
reducers are one query each.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.dialect import ts_cases
from tests.dialect.test_ts_library import close
from tests.engines.inprocess import InProcessPlugin
from tests.plugin_host import data_query

DAY = 86_400_000


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A datasource's source settings: a folder holding the observations as one Parquet file."""
    folder = tmp_path_factory.mktemp("ts-library") / "obs"
    folder.mkdir()
    pq.write_table(ts_cases.table(), folder / "obs.parquet")
    return {"source": str(folder), "sourceFormat": "parquet"}


@pytest.fixture(scope="module", params=["spark", "duckdb"])
def plugin(
    request: pytest.FixtureRequest, source: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessPlugin]:
    """One datasource per engine over the same source; Spark's server starts only for the Spark one."""
    engine = {"engine": "spark", "sparkUrl": request.getfixturevalue("spark_url")} if request.param == "spark" else {}
    root = tmp_path_factory.mktemp(f"ts-library-{request.param}")
    answering = InProcessPlugin(source | engine | {"destination": str(root / "dest")}, root / "cache", request.param)
    yield answering
    answering.close()


def _column(values: pa.ChunkedArray) -> list[Any]:
    """A frame column as Python values; a JSON column (binary) holds the engine's lists and structs."""
    if pa.types.is_binary(values.type):
        return [None if value is None else json.loads(value) for value in values.to_pylist()]
    return list(values.to_pylist())


def _rows(plugin: InProcessPlugin, sql: str) -> list[tuple[Any, ...]]:
    """The rows QueryData answers for ``sql`` over ``$__source`` (the cases name the observations ``obs``)."""
    raw = re.sub(r"\bFROM obs\b", "FROM $__source", sql)
    query = data_query("A", {"rawSql": raw, "format": "table"}, from_ms=ts_cases.T0, to_ms=ts_cases.T0 + DAY)
    answer = plugin.run(query)["A"]
    assert answer.status == 200, answer.error
    return [row for frame in answer.frames for row in zip(*map(_column, frame.columns), strict=True)]


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
def test_every_function_against_reference(plugin: InProcessPlugin, batch: int) -> None:
    """Every case's rows, from one UNION ALL query per batch, equal its reference."""
    cases = BATCHES[batch]
    by_case: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for fn, *row in _rows(plugin, _union(cases)):
        by_case[fn].append(tuple(row))
    for case in cases:
        close(by_case[case.id], case.expected)


def test_whole_series_reducers(plugin: InProcessPlugin) -> None:
    close(_rows(plugin, ts_cases.REDUCERS_SQL), ts_cases.expected_reducers())


def test_expressions(plugin: InProcessPlugin) -> None:
    close(_rows(plugin, ts_cases.EXPRESSIONS_SQL), ts_cases.expected_expressions())


@pytest.mark.parametrize("segmenter", sorted(ts_cases.FLATTENED))
def test_flatten(plugin: InProcessPlugin, segmenter: str) -> None:
    close(_rows(plugin, ts_cases.flatten_sql(segmenter)), ts_cases.expected_flatten(segmenter))


@pytest.mark.parametrize("joins", [True, False], ids=["joins", "aligns"])
def test_joins_and_aligns(plugin: InProcessPlugin, joins: bool) -> None:
    """Every temporal join (aligns: every align) in one query."""
    rows = ts_cases.flat_pairs(_rows(plugin, ts_cases.pairs_sql(joins)))
    close(rows, ts_cases.expected_pairs(joins))


PAIRWISE = {
    "series": (ts_cases.PAIR_REDUCERS_SQL, ts_cases.expected_pair_reducers),
    "segments": (ts_cases.SEGMENT_PAIRS_SQL, ts_cases.expected_segment_pairs),
    "dtw": (ts_cases.DTW_SQL, ts_cases.expected_dtw),
}


@pytest.mark.parametrize("which", sorted(PAIRWISE))
def test_pairwise_reducers(plugin: InProcessPlugin, which: str) -> None:
    """TS_CORRELATION and TS_MANHATTAN_DISTANCE per series pair, their TS_SEG_ forms per time window, TS_DTW."""
    sql, expected = PAIRWISE[which]
    close(_rows(plugin, sql), expected())


def test_describe(plugin: InProcessPlugin) -> None:
    close(_rows(plugin, ts_cases.DESCRIBE_SQL), ts_cases.expected_describe())


def test_cross_correlation(plugin: InProcessPlugin) -> None:
    rows = ts_cases.flat_arrays(_rows(plugin, ts_cases.CROSS_CORRELATION_SQL))
    close(rows, ts_cases.expected_cross_correlation())


@pytest.mark.parametrize("arrays", [False, True], ids=["numbers", "arrays"])
def test_segment_measures(plugin: InProcessPlugin, arrays: bool) -> None:
    """The TS_SEG_ forms of the measures per time window: those giving a number in one query, those giving an
    array (TS_SEG_FFT, …) in another."""
    names = sorted(name for name in ts_cases.SEGMENT_MEASURES if (name in ts_cases.ARRAY_MEASURES) == arrays)
    rows = ts_cases.segment_measure_rows(_rows(plugin, ts_cases.segment_measures_sql(names)))
    close(rows, [(name, *row) for name in names for row in ts_cases.expected_segment_measure(name)])


def test_noise_keeps_ticks_and_nulls(plugin: InProcessPlugin) -> None:
    """TS_AWGN and TS_MWGN run (their distribution is checked on DuckDB, tests/dialect/test_ts_library.py)."""
    close(ts_cases.noise_shape(_rows(plugin, ts_cases.NOISE_SQL)), ts_cases.expected_noise_shape())


def test_series_measures(plugin: InProcessPlugin) -> None:
    """TS_DL, TS_SBD, TS_AUTO_CORRELATION and TS_FFT both ways, per key, in one query."""
    close(ts_cases.flat_measures(_rows(plugin, ts_cases.MEASURES_SQL)), ts_cases.expected_measures())


def test_series_selected_directly(plugin: InProcessPlugin) -> None:
    close(_rows(plugin, ts_cases.SELECTED_SQL), ts_cases.expected_selected())


def test_creations_and_typed_explodes(plugin: InProcessPlugin) -> None:
    """IBM's creation aggregates (with each TRS form) and the typed explodes, in one query."""
    close(_rows(plugin, ts_cases.BUILDING_SQL), ts_cases.expected_building())
