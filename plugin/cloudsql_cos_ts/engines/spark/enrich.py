"""The enrichment functions on Spark: Arrow UDFs registered in a session before the first query
that calls them.

Spark runs them in its Python workers, one Arrow batch per call. The enrichment modules (and the
memo's ``lru`` module) travel by value with the function (the workers need numpy and pyarrow, as for
any Arrow UDF, not this plugin), and each function carries only the lookup table it reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa

import cloudsql_cos_ts.enrichment as enrichment_package
import cloudsql_cos_ts.lru as lru_module
from cloudsql_cos_ts.engines.spark.client import Session
from cloudsql_cos_ts.enrichment.data import EnrichmentData
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS, EnrichmentFunction

_TYPES = {"text": "StringType", "integer": "LongType"}  # pyspark.sql.types classes
_REGISTERED = "_cloudsql_enrichment"  # the names of the functions registered in a session


def has_functions(session: Session, names: frozenset[str]) -> bool:
    """Whether earlier queries registered all of ``names`` in ``session``.

    The server starts Python workers per session for the functions, so a query calling them waits far
    less on a session that already ran them than on a new one (docs/benchmarks.md, W8 on Spark).
    """
    return names <= getattr(session, _REGISTERED, set())


def ensure_functions(session: Session, data: EnrichmentData, names: frozenset[str]) -> None:
    """Register the functions ``names`` in ``session`` that no earlier query registered there (each
    carries its lookup table to Spark, so a query registers only what it calls)."""
    registered: set[str] = getattr(session, _REGISTERED, set())
    missing = [function for function in FUNCTIONS if function.name in names - registered]
    if not missing:
        return
    functions = importlib.import_module("pyspark.sql.functions")
    types = importlib.import_module("pyspark.sql.types")
    pickler = importlib.import_module("pyspark.cloudpickle")
    pickler.register_pickle_by_value(enrichment_package)
    pickler.register_pickle_by_value(lru_module)  # the functions' memo (EnrichmentData.memo_for)
    for function in missing:
        kind = getattr(types, _TYPES[function.result])()
        udf = functions.arrow_udf(_per_batch(function, data.only(function.uses)), kind)
        session.udf.register(function.name, udf)
        registered.add(function.name)
    setattr(session, _REGISTERED, registered)


def _per_batch(function: EnrichmentFunction, data: EnrichmentData) -> Callable[..., Any]:
    """Spark reads an Arrow UDF's kind from its type hints, one signature per arity."""

    def one(value: pa.Array) -> pa.Array:
        return function.evaluate(data, (value,))

    def two(first: pa.Array, second: pa.Array) -> pa.Array:
        return function.evaluate(data, (first, second))

    return one if len(function.parameters) == 1 else two
