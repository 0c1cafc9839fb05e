"""Ordering chained queries ($__source_prev) into waves."""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.query.graph import plan_waves


@pytest.mark.parametrize(
    ("deps", "waves", "failed"),
    [
        ({"A": (), "B": ("A",)}, [["A"], ["B"]], {}),
        ({"A": (), "B": (), "C": ("A", "B")}, [["A", "B"], ["C"]], {}),
        ({"A": ("B",), "B": ("A",), "C": ()}, [["C"]], {"A": "cycle", "B": "cycle"}),
        ({"A": ("Z",), "B": ("A",)}, [], {"A": "no query Z", "B": "which failed"}),
        ({"A": ("A",)}, [], {"A": "its own result"}),
    ],
)
def test_plan(deps: dict[str, tuple[str, ...]], waves: list[list[str]], failed: dict[str, str]) -> None:
    plan = plan_waves(deps)
    assert plan.waves == waves
    assert set(plan.failures) == set(failed)
    for ref, text in failed.items():
        assert text in plan.failures[ref].message
