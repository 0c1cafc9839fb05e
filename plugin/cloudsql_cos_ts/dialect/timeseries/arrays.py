"""SQL over the value arrays of whole series: the shared pieces of ``warping.py`` and ``spectral.py``.

The measures that compare value sequences as wholes (not values paired by tick) group a series into
the array of its values and compute on it with the higher-order array functions both engines have
(``aggregate``, ``transform``). Their work grows with the product of the lengths, so one bound,
``MAX_CELLS``, turns an oversized input into NULL instead of a query that runs for minutes.
"""

from __future__ import annotations

from cloudsql_cos_ts.dialect.timeseries.sql import Series

MAX_CELLS = 4_000_000
INFINITY = "CAST('Infinity' AS DOUBLE)"


def values(series: Series) -> str:
    """The series' non-NULL values in series order, as an array (an aggregate); empty, not NULL, when there
    are none (DuckDB's aggregate of no rows is NULL, Spark's an empty array)."""
    point = f"named_struct('t', {series.tick}, 'v', CAST({series.value} AS DOUBLE))"
    kept = f"CASE WHEN {series.tick} IS NOT NULL AND {series.value} IS NOT NULL THEN {point} END"
    return f"coalesce(transform(array_sort(collect_list({kept})), p -> p.v), CAST(array() AS ARRAY<DOUBLE>))"


def total(array: str, term: str) -> str:
    """The sum over ``array``'s elements ``x`` of ``term``."""
    return f"aggregate({array}, CAST(0 AS DOUBLE), (total, x) -> total + {term})"


def let(name: str, value: str, body: str) -> str:
    """``body`` with the lambda variable ``name`` bound to ``value`` once. SQL has no local names, and an
    expression written twice is computed twice (per element, inside a lambda), so without this the
    mean of an array would be recomputed for each of its elements."""
    return f"element_at(transform(array({value}), {name} -> {body}), 1)"


def centred(array: str) -> str:
    """``array`` minus its mean."""
    return let("mean_", f"{total(array, 'x')} / size({array})", f"transform({array}, x -> x - mean_)")


def too_big(*arrays: str) -> str:
    """Whether the product of the arrays' sizes exceeds ``MAX_CELLS`` (read at lowering time, so tests can lower it)."""
    return f"{' * '.join(f'size({array})' for array in arrays)} > {MAX_CELLS}"
