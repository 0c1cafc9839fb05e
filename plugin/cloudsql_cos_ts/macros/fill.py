"""Gap filling for ``$__timeGroup(column, interval, fill)``: add the buckets the query returned no row for.

SQL only returns buckets that have data; a graph of counts should show 0 (or a gap, or the last
value) where there was none. After the engine ran the query, every bucket ``floor(from / interval)
* interval, + interval, … <= to`` of the dashboard range that is missing gets a row:

* rows are grouped by their text/boolean columns (the labels of a long time series, e.g.
  ``target_ip``), and each group is filled on its own;
* the other columns of a new row are NULL (``NULL``), the group's previous row's values
  (``previous``; NULL before the first row) or the number (numeric columns; others NULL);
* the result is sorted by time. Rows the query returned are kept as they are.

Filling that would produce more rows than the row limit is a 400: the user should widen the
interval instead of getting a silently cut graph. The rows are counted before any is built: the
bucket count is the dashboard range over the interval, which a user controls (a 1 s interval over
years is hundreds of millions of buckets), and building them first took the process's memory.
More buckets than the row limit is refused before the query runs at all
(:func:`check_bucket_counts`): every group would get a row per bucket, and reading a year of flow
logs only to refuse the answer took a minute.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.model import TimeGroupFill
from cloudsql_cos_ts.timerange import EARLIEST_MS, TimeRange


def _time_column(table: pa.Table, fill: TimeGroupFill) -> str:
    timestamps = [str(f.name) for f in table.schema if pa.types.is_timestamp(f.type)]
    named = [name for name in timestamps if fill.column is not None and name.lower() == fill.column.lower()]
    if named or timestamps:
        return (named or timestamps)[0]
    raise BadRequest(
        "$__timeGroup fill: the result has no timestamp column to fill; "
        "name the $__timeGroup column with AS, e.g. $__timeGroup(start_time, '5m', 0) AS time"
    )


def _epoch_ms(column: pa.ChunkedArray) -> list[int | None]:
    unit_ms = pa.timestamp("ms", tz=column.type.tz)
    values: list[int | None] = column.cast(unit_ms).cast(pa.int64()).to_pylist()
    return values


def _is_label(field: pa.Field) -> bool:
    kind = field.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind))


def _new_row_values(
    fill: TimeGroupFill, table: pa.Table, value_columns: list[str], previous: dict[str, Any] | None
) -> dict[str, Any]:
    if fill.mode == "previous":
        return {name: previous[name] if previous else None for name in value_columns}
    if fill.mode == "null":
        return dict.fromkeys(value_columns)
    values: dict[str, Any] = {}
    for name in value_columns:
        kind = table.schema.field(name).type
        if pa.types.is_integer(kind) and fill.value is not None and fill.value.is_integer():
            values[name] = int(fill.value)
        elif pa.types.is_floating(kind):
            values[name] = fill.value
        elif pa.types.is_decimal(kind):
            values[name] = _decimal_fill(fill.value, kind, name)
        elif pa.types.is_integer(kind):
            raise BadRequest(f"$__timeGroup fill: column {name} holds integers, the fill {fill.value} is not one")
        else:
            values[name] = None
    return values


def _decimal_fill(value: float | None, kind: pa.DataType, name: str) -> Decimal | None:
    """The fill as the column's decimal (``1.5 AS v`` is DECIMAL(2,1) on DuckDB; Arrow takes no float there)."""
    if value is None:
        return None
    number = Decimal(repr(value))
    with localcontext() as exact:
        exact.prec = 100  # above decimal256's 76 digits: quantize is exact or fails
        try:
            scaled = number.quantize(Decimal(1).scaleb(-kind.scale))
        except InvalidOperation:
            scaled = None
    if scaled is None or scaled != number or len(scaled.as_tuple().digits) > kind.precision:
        raise BadRequest(f"$__timeGroup fill: column {name} holds {kind}, the fill {value} does not fit it")
    return scaled


def _buckets(fill: TimeGroupFill, time_range: TimeRange) -> range:
    """The bucket starts of the range: multiples of the interval, none before the year 1."""
    first = time_range.from_ms // fill.interval_ms * fill.interval_ms
    if first < EARLIEST_MS:  # Arrow holds it, but no frame reader can show a time of the year 0
        first += fill.interval_ms
    return range(first, time_range.to_ms + 1, fill.interval_ms)


def _too_many(row_limit: int) -> BadRequest:
    return BadRequest(
        f"$__timeGroup fill would return more than the row limit of {row_limit} rows; "
        "use a larger interval or a shorter time range"
    )


def check_bucket_counts(fills: tuple[TimeGroupFill, ...], time_range: TimeRange, row_limit: int) -> None:
    """Refuse a fill with more buckets than the row limit, before the query reads anything."""
    for fill in fills:
        if _length(_buckets(fill, time_range)) > row_limit:
            raise _too_many(row_limit)


def _check_row_limit(
    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]], buckets: range, undated: int, row_limit: int
) -> None:
    """Refuse before building anything: each group gets its rows plus one per bucket it has no row in."""
    total = undated
    for members in groups.values():
        present = {epoch_ms for epoch_ms, _ in members if epoch_ms in buckets}  # O(1) for a range
        total += len(members) + _length(buckets) - len(present)
        if total > row_limit:
            raise _too_many(row_limit)


def _length(buckets: range) -> int:
    """len() of a range, which raises OverflowError beyond sys.maxsize instead of answering."""
    return max(0, (buckets.stop - buckets.start + buckets.step - 1) // buckets.step)


def _fill_one(table: pa.Table, fill: TimeGroupFill, time_range: TimeRange, row_limit: int) -> pa.Table:
    time_name = _time_column(table, fill)
    label_columns = [f.name for f in table.schema if f.name != time_name and _is_label(f)]
    value_columns = [f.name for f in table.schema if f.name != time_name and f.name not in label_columns]
    rows = _counts(table).to_pylist()
    times = _epoch_ms(table.column(time_name))
    for row, epoch_ms in zip(rows, times, strict=True):
        row[time_name] = epoch_ms
    buckets = _buckets(fill, time_range)

    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = {}
    for row, epoch_ms in zip(rows, times, strict=True):
        if epoch_ms is not None:
            groups.setdefault(tuple(row[name] for name in label_columns), []).append((epoch_ms, row))
    if not groups and not label_columns:
        groups[()] = []

    output: list[tuple[int, int, int, dict[str, Any]]] = [
        (-(2**63), 0, 0, row) for row, epoch_ms in zip(rows, times, strict=True) if epoch_ms is None
    ]
    _check_row_limit(groups, buckets, len(output), row_limit)
    # A constant fill's values do not depend on the row before: work them out once, not per bucket.
    constant = None if fill.mode == "previous" else _new_row_values(fill, table, value_columns, None)
    for group_index, (labels, members) in enumerate(groups.items()):
        present = {epoch_ms for epoch_ms, _ in members}
        missing: list[tuple[int, dict[str, Any] | None]] = [(b, None) for b in buckets if b not in present]
        previous: dict[str, Any] | None = None
        for sequence, (epoch_ms, found) in enumerate(sorted([*members, *missing], key=lambda item: item[0])):
            if found is None:
                row = dict(zip(label_columns, labels, strict=True))
                row.update(constant if constant is not None else _new_row_values(fill, table, value_columns, previous))
                row[time_name] = epoch_ms
            else:
                row = previous = found
            output.append((epoch_ms, group_index, sequence, row))
    output.sort(key=lambda item: item[:3])
    return _to_table(table, time_name, [row for *_, row in output])


def _counts(table: pa.Table) -> pa.Table:
    """The table with its timestamps as integer counts of their unit.

    ``to_pylist()`` makes ``datetime`` objects, which end at the years 1 and 9999 where DuckDB's
    timestamps do not: a ``$__timeGroup`` bucket of a range starting in the year 1 falls in the year 0.
    """
    columns = [column.cast(pa.int64()) if pa.types.is_timestamp(column.type) else column for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


def _to_table(template: pa.Table, time_name: str, rows: list[dict[str, Any]]) -> pa.Table:
    columns = []
    for field in template.schema:
        values = [row[field.name] for row in rows]
        if field.name == time_name:
            array = pa.array(values, pa.int64()).cast(pa.timestamp("ms", tz=field.type.tz)).cast(field.type)
        elif pa.types.is_timestamp(field.type):
            array = pa.array(values, pa.int64()).cast(field.type)
        else:
            array = pa.array(values, field.type)
        columns.append(array)
    return pa.Table.from_arrays(columns, schema=template.schema)


def apply_fills(table: pa.Table, fills: tuple[TimeGroupFill, ...], time_range: TimeRange, row_limit: int) -> pa.Table:
    """The result with the gaps of every ``$__timeGroup`` fill request filled (see the module docstring)."""
    for fill in fills:
        table = _fill_one(table, fill, time_range, row_limit)
    return table
