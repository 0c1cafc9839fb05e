"""apply_fills against hand-built results."""

from __future__ import annotations

import tracemalloc
from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros import TimeGroupFill, apply_fills, check_bucket_counts
from cloudsql_cos_ts.timerange import TimeRange

MINUTE = 60_000
T0 = 1714989600000  # 2024-05-06T10:00:00Z
RANGE = TimeRange(T0 + 30_000, T0 + 4 * MINUTE)  # buckets 10:00 .. 10:04


def _t(minute: int) -> datetime:
    return datetime(2024, 5, 6, 10, minute)


def _table(times: list[int], **columns: list[object]) -> pa.Table:
    data: dict[str, pa.Array] = {"time": pa.array([_t(m) for m in times], pa.timestamp("us"))}
    for name, values in columns.items():
        data[name] = pa.array(values)
    return pa.table(data)


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    return [tuple(row.values()) for row in table.to_pylist()]


@pytest.mark.parametrize(
    ("mode", "value", "filled"),
    [
        ("null", None, [(_t(0), None), (_t(1), 5), (_t(2), None), (_t(3), 7), (_t(4), None)]),
        ("previous", None, [(_t(0), None), (_t(1), 5), (_t(2), 5), (_t(3), 7), (_t(4), 7)]),
        ("value", 0.0, [(_t(0), 0), (_t(1), 5), (_t(2), 0), (_t(3), 7), (_t(4), 0)]),
    ],
)
def test_single_series(mode: str, value: float | None, filled: list[tuple[object, ...]]) -> None:
    table = _table([3, 1], n=[7, 5])
    fill = TimeGroupFill(MINUTE, mode, value, "time")  # type: ignore[arg-type]
    result = apply_fills(table, (fill,), RANGE, 100)
    assert _rows(result) == filled
    assert result.schema == table.schema


def test_each_label_set_is_filled_on_its_own() -> None:
    table = _table([1, 2], ip=["a", "b"], n=[1.5, 2.5])
    result = apply_fills(table, (TimeGroupFill(2 * MINUTE, "value", 0.0, None),), RANGE, 100)
    assert _rows(result) == [
        (_t(0), "a", 0.0),
        (_t(0), "b", 0.0),
        (_t(1), "a", 1.5),
        (_t(2), "a", 0.0),
        (_t(2), "b", 2.5),
        (_t(4), "a", 0.0),
        (_t(4), "b", 0.0),
    ]


def test_empty_result_without_labels_gets_every_bucket() -> None:
    table = _table([], n=pa.array([], pa.int64()).to_pylist())
    table = table.cast(pa.schema([("time", pa.timestamp("us")), ("n", pa.int64())]))
    result = apply_fills(table, (TimeGroupFill(MINUTE, "value", 0.0, "time"),), RANGE, 100)
    assert _rows(result) == [(_t(m), 0) for m in range(5)]


def test_timezone_aware_time_column_and_named_column() -> None:
    table = pa.table(
        {
            "label": ["x"],
            "bucket": pa.array([_t(2)], pa.timestamp("ms", tz="UTC")),
            "n": [1],
        }
    )
    result = apply_fills(table, (TimeGroupFill(MINUTE, "null", None, "BUCKET"),), RANGE, 100)
    assert result.column("bucket").type == pa.timestamp("ms", tz="UTC")
    assert result.column("n").to_pylist() == [None, None, 1, None, None]


def test_row_limit() -> None:
    with pytest.raises(BadRequest, match="would return more than the row limit of 3 rows; use a larger interval"):
        apply_fills(_table([1], n=[1]), (TimeGroupFill(MINUTE, "null", None, "time"),), RANGE, 3)


def test_no_timestamp_column() -> None:
    with pytest.raises(BadRequest, match="the result has no timestamp column to fill"):
        apply_fills(pa.table({"n": [1]}), (TimeGroupFill(MINUTE, "null", None, None),), RANGE, 10)


def test_integer_column_refuses_a_fractional_fill() -> None:
    with pytest.raises(BadRequest, match=r"column n holds integers, the fill 0\.5 is not one"):
        apply_fills(_table([1], n=[1]), (TimeGroupFill(MINUTE, "value", 0.5, "time"),), RANGE, 10)


def test_no_fills_is_identity() -> None:
    table = _table([1], n=[1])
    assert apply_fills(table, (), RANGE, 10) is table


DAY = 86_400_000


@pytest.mark.parametrize(
    ("interval_ms", "time_range"),
    [
        (1_000, TimeRange(T0, T0 + 35 * DAY)),  # 3 million buckets: building them took 300 MB and seconds
        (1_000, TimeRange(T0, T0 + 1_000 * DAY)),  # 86 million: this one took 10 GB and more
        (1, TimeRange(-62_135_596_800_000, 253_402_300_799_999)),  # every millisecond of years 1 to 9999
    ],
)
def test_row_limit_is_checked_before_any_bucket_is_built(interval_ms: int, time_range: TimeRange) -> None:
    """Found by the long fuzz run: the buckets of a user's range and interval were built, then counted (OOM)."""
    apply_fills(_table([1], n=[1]), (TimeGroupFill(MINUTE, "value", 0.0, "time"),), RANGE, 10)  # first-call imports
    tracemalloc.start()
    try:
        with pytest.raises(BadRequest, match="more than the row limit of 1000000 rows"):
            apply_fills(_table([1], n=[1]), (TimeGroupFill(interval_ms, "value", 0.0, "time"),), time_range, 1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak} bytes to refuse"


def test_row_limit_counts_each_groups_own_rows() -> None:
    """The limit is exact: 2 series x 5 buckets fit 10 rows, not 9 (rows already in a bucket are not added twice)."""
    table = _table([1, 1, 3], ip=["a", "b", "a"], n=[1, 2, 3])
    fill = (TimeGroupFill(MINUTE, "null", None, "time"),)
    assert apply_fills(table, fill, RANGE, 10).num_rows == 10
    with pytest.raises(BadRequest, match="row limit of 9 rows"):
        apply_fills(table, fill, RANGE, 9)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.0, pa.decimal128(2, 1), Decimal("0.0")),
        (-2.5, pa.decimal128(10, 3), Decimal("-2.500")),
        (7.0, pa.decimal256(40, 1), Decimal("7.0")),
    ],
)
def test_decimal_columns_are_filled_with_decimals(value: float, kind: pa.DataType, expected: Decimal) -> None:
    """Found by fuzzing: ``1.5 AS v`` is DECIMAL(2,1) on DuckDB, and a float fill made Arrow fail (a 500)."""
    table = pa.table({"time": pa.array([_t(1)], pa.timestamp("us")), "v": pa.array([Decimal("1.5")], kind)})
    result = apply_fills(table, (TimeGroupFill(MINUTE, "value", value, "time"),), RANGE, 100)
    assert result.column("v").to_pylist() == [expected, Decimal("1.5"), expected, expected, expected]
    assert result.schema == table.schema


@pytest.mark.parametrize("value", [100.0, 0.05, float("inf"), float("nan")])
def test_decimal_fill_that_does_not_fit_is_a_400(value: float) -> None:
    table = pa.table(
        {"time": pa.array([_t(1)], pa.timestamp("us")), "v": pa.array([Decimal("1.5")], pa.decimal128(2, 1))}
    )
    with pytest.raises(BadRequest, match=r"column v holds decimal128\(2, 1\), the fill .* does not fit it"):
        apply_fills(table, (TimeGroupFill(MINUTE, "value", value, "time"),), RANGE, 100)


YEAR_1 = -62_135_596_800_000  # 0001-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("interval_ms", "time_range", "row_limit", "refused"),
    [
        (1000, TimeRange(T0, T0 + 999_999), 1000, False),  # exactly the limit
        (1000, TimeRange(T0, T0 + 1_000_000), 1000, True),
        (MINUTE, TimeRange(YEAR_1, 253_402_300_799_999), 1_000_000, True),  # years 1 to 9999
        (100 * 86_400_000, TimeRange(YEAR_1, 253_402_300_799_999), 1_000_000, False),
    ],
)
def test_bucket_counts_are_checked_before_the_query_runs(
    interval_ms: int, time_range: TimeRange, row_limit: int, refused: bool
) -> None:
    fills = (TimeGroupFill(MINUTE, "null", None, None), TimeGroupFill(interval_ms, "value", 0.0, None))
    if refused:
        with pytest.raises(BadRequest, match=f"more than the row limit of {row_limit} rows"):
            check_bucket_counts(fills, time_range, row_limit)
    else:
        check_bucket_counts(fills[1:], time_range, row_limit)


def test_buckets_of_the_year_0_are_kept_and_none_is_added_there() -> None:
    """Issue 25: a bucket before the year 1 (DuckDB floors into the year 0) failed to_pylist() with a 500."""
    step = 100 * 86_400_000
    first = YEAR_1 // step * step  # in the year 0
    table = pa.table({"time": pa.array([first], pa.int64()).cast(pa.timestamp("ms")), "v": pa.array([1])})
    filled = apply_fills(table, (TimeGroupFill(step, "value", 0.0, None),), TimeRange(YEAR_1, YEAR_1 + 2 * step), 10)
    assert filled.column("time").cast(pa.int64()).to_pylist() == [first, first + step, first + 2 * step]
    assert filled.column("v").to_pylist() == [1, 0, 0]
