"""The editor's time-series help lists only what the lowering supports: every example also translates for
Spark (``tests/dialect/test_translate.py`` runs each on DuckDB)."""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.dialect.timeseries.refused import CANNOT_REPRODUCE
from cloudsql_cos_ts.dialect.ts_reference import TS_FUNCTIONS, FunctionHelp


@pytest.mark.parametrize("entry", TS_FUNCTIONS, ids=[entry.name for entry in TS_FUNCTIONS])
def test_example_translates_for_spark(entry: FunctionHelp) -> None:
    assert translate(entry.example, dialect="spark").sql


def test_names_are_unique_and_none_is_refused() -> None:
    names = [entry.name for entry in TS_FUNCTIONS]
    assert len(names) == len(set(names))
    assert not set(names) & set(CANNOT_REPRODUCE)
