"""A MacroContext factory shared by the macro tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from cloudsql_cos_ts.macros import MacroContext
from cloudsql_cos_ts.timerange import TimeRange

# 2024-05-06T10:00:00Z .. 2024-05-06T11:00:00.250Z
RANGE = TimeRange(1714989600000, 1714993200250)
COLUMN_TYPES = {
    "start_time": "VARCHAR",
    "capture_start_time": "TIMESTAMP",
    "connection_start_time": "TIMESTAMP WITH TIME ZONE",
    "epoch": "BIGINT",
    "vnic-id": "VARCHAR",
}


def base_context() -> MacroContext:
    return MacroContext(
        time_range=RANGE,
        interval_ms=300_000,
        max_data_points=1000,
        time_column="start_time",
        source_relation="__SOURCE",
        column_type=COLUMN_TYPES.get,
        destination_configured=True,
        request_ref_ids=frozenset({"A", "B"}),
    )


@pytest.fixture
def context() -> Callable[..., MacroContext]:
    """``context(time_column="", ...)``: the base context with some fields replaced."""

    def build(**changes: Any) -> MacroContext:
        return replace(base_context(), **changes)

    return build
