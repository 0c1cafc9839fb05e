"""The enrichment functions on DuckDB: Arrow UDFs, so DuckDB hands over a whole vector per call.

They are registered on the engine's database before its configuration is locked, and every query's
cursor sees them. ``FLOW_ENRICHED`` is a view over the query's ``FLOW_FLAT`` view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import duckdb.func
import pyarrow as pa

from cloudsql_cos_ts.enrichment.data import load
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS, EnrichmentFunction
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles

_TYPES = {"text": "varchar", "integer": "bigint"}


def register_functions(conn: duckdb.DuckDBPyConnection, files: EnrichmentFiles) -> None:
    for function in FUNCTIONS:
        conn.create_function(
            function.name,
            _per_batch(function, files),
            [_TYPES[kind] for kind in function.parameters],
            _TYPES[function.result],
            type=duckdb.func.ARROW,
            null_handling=duckdb.func.SPECIAL,  # NULL in, NULL out is the function's own rule
            side_effects=False,
        )


def _per_batch(function: EnrichmentFunction, files: EnrichmentFiles) -> Callable[..., Any]:
    """DuckDB counts a UDF's parameters from its Python signature, so each arity has its own."""

    def one(value: pa.Array) -> pa.Array:
        return function.evaluate(load(files), (value,))

    def two(first: pa.Array, second: pa.Array) -> pa.Array:
        return function.evaluate(load(files), (first, second))

    return one if len(function.parameters) == 1 else two
