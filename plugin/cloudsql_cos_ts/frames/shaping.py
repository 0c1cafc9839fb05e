"""Shape a query result into the frames a panel (or Grafana alerting) expects.

- **Table**: one plain table frame with the columns as returned. For alert rules (``FromAlert``)
  a result of label (string) columns plus numbers and no time is marked ``numeric-long``, the
  shape alerting reads directly; a panel gets a table (a typed numeric frame there only made
  Grafana treat the table as numbers).
- **Time series**: the Time Column becomes a non-nullable ns time field, rows are sorted by time,
  and the Metrics column (plus any other text column) splits rows into series. Each numeric column
  of each label set is one frame of kind ``timeseries-multi`` with float64 values and the labels on
  the value field — the shape Grafana's alerting reads without reshaping. A result without any text
  column is already wide and stays one ``timeseries-wide`` frame. A NULL label value is a series
  of its own *without* that label (``{}``, where an empty string gives ``{"action": ""}``), shown
  as ``NULL`` in its display name: a missing value and an empty one are different series.
- **Logs**: one ``log-lines`` frame (``frames/logs.py``) sorted by time like a time series; the
  lines come from the caller's :data:`~cloudsql_cos_ts.frames.logs.StyleFinder` when it knows the
  rows (flow records), else from every other column as ``key=value``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.frames.logs import StyleFinder, generic_lines, log_frame
from cloudsql_cos_ts.frames.meta import FrameMeta
from cloudsql_cos_ts.frames.model import Field, Frame
from cloudsql_cos_ts.frames.timecol import is_time_like, to_time_column


@dataclass(frozen=True)
class ShapeOptions:
    ref_id: str
    format: str  # "table" | "time_series" | "logs"
    time_column: str = ""
    metrics_column: str = ""
    for_alerting: bool = False
    log_style: StyleFinder | None = None  # how a domain's rows become log lines (Logs format)


def _is_text(typ: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_string_view(typ)
        or (pa.types.is_dictionary(typ) and _is_text(typ.value_type))
    )


def _is_number(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ))


def _column_index(table: pa.Table, name: str, role: str) -> int:
    """Find a column by name, exactly first, then ignoring case (engines differ in case)."""
    names: list[str] = table.column_names
    if name in names:
        return names.index(name)
    folded = [n.lower() for n in names]
    if name.lower() in folded:
        return folded.index(name.lower())
    raise BadRequest(f"{role} {name!r} is not a column of the result; the result has: {', '.join(names)}")


def _is_numeric_long(types: list[pa.DataType]) -> bool:
    """Text label columns and at least one number, nothing else: what alerting reads as numbers."""
    return any(_is_number(t) for t in types) and all(_is_number(t) or _is_text(t) for t in types)


def table_frames(table: pa.Table, options: ShapeOptions, executed_sql: str) -> list[Frame]:
    meta = FrameMeta(executed_query_string=executed_sql)
    if options.for_alerting and _is_numeric_long([f.type for f in table.schema]):
        meta = meta.of_type("numeric-long")
    else:
        meta.preferred_visualisation_type = "table"
    fields = [Field(name, table.column(i)) for i, name in enumerate(table.column_names)]  # no copy: see encode
    return [Frame(name=options.ref_id, ref_id=options.ref_id, fields=fields, meta=meta)]


def _pick_time_column(table: pa.Table, options: ShapeOptions) -> int:
    if options.time_column:
        return _column_index(table, options.time_column, "Time Column")
    for i, field in enumerate(table.schema):
        if is_time_like(field.type):
            return i
    if table.num_columns == 0:
        raise BadRequest("a time series needs a time column, but the query returned no columns")
    return 0


def _label_columns(table: pa.Table, time_index: int, options: ShapeOptions) -> list[int]:
    text = [i for i, f in enumerate(table.schema) if i != time_index and _is_text(f.type)]
    if not options.metrics_column:
        return text
    metric = _column_index(table, options.metrics_column, "Metrics column")
    if metric == time_index:
        raise BadRequest("the Metrics column cannot also be the Time Column")
    return [metric, *[i for i in text if i != metric]]


def _by_time(table: pa.Table, time_index: int, meta: FrameMeta, *, lenient: bool = False) -> pa.Table:
    """The table with its time column as ns UTC, sorted by it; rows without a time are left out
    with a warning (IBM's empty ``start_time`` is NULL, docs/coming-from-ibm-sql-query.md).
    ``lenient``: unparseable text is no time either (see ``to_time_column``)."""
    time_name = table.column_names[time_index]
    times = to_time_column(table.column(time_index), time_name, lenient=lenient)
    if times.null_count:
        meta.add_notice("warning", f"{times.null_count} rows without a time value were left out")
    table = table.set_column(time_index, time_name, times).filter(pc.is_valid(times))
    return table.take(pc.sort_indices(table.column(time_index)))  # stable: ties keep their order


def time_series_frames(table: pa.Table, options: ShapeOptions, executed_sql: str) -> list[Frame]:
    time_index = _pick_time_column(table, options)
    meta = FrameMeta(executed_query_string=executed_sql)
    table = _by_time(table, time_index, meta)
    label_indices = _label_columns(table, time_index, options)
    value_indices = [
        i
        for i, f in enumerate(table.schema)
        if i != time_index and i not in label_indices and (_is_number(f.type) or pa.types.is_boolean(f.type))
    ]
    dropped = [
        table.column_names[i]
        for i in range(table.num_columns)
        if i != time_index and i not in label_indices and i not in value_indices
    ]
    if dropped:
        meta.add_notice("info", f"columns that are neither numbers nor labels were left out: {', '.join(dropped)}")
    if not value_indices:
        raise BadRequest(
            "a time series needs at least one numeric value column besides the time column"
            + (
                f" and the label columns ({', '.join(table.column_names[i] for i in label_indices)})"
                if label_indices
                else ""
            )
        )
    if not label_indices:
        return [_wide_frame(table, time_index, value_indices, options, meta)]
    return _multi_frames(
        table,
        time_index=time_index,
        label_indices=label_indices,
        value_indices=value_indices,
        options=options,
        meta=meta,
    )


def _float_values(column: pa.ChunkedArray) -> pa.Array:
    arr = column.combine_chunks()
    return arr.cast(pa.float64())


def _wide_frame(
    table: pa.Table, time_index: int, value_indices: list[int], options: ShapeOptions, meta: FrameMeta
) -> Frame:
    fields = [Field(table.column_names[time_index], table.column(time_index).combine_chunks(), nullable=False)]
    fields += [Field(table.column_names[i], _float_values(table.column(i))) for i in value_indices]
    meta = meta.of_type("timeseries-wide")
    return Frame(name=options.ref_id, ref_id=options.ref_id, fields=fields, meta=meta)


def _label_order(key: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    """Label values in text order, a NULL after every text (so the order is total and stable)."""
    return tuple((value is None, value or "") for value in key)


def _multi_frames(
    table: pa.Table,
    *,
    time_index: int,
    label_indices: list[int],
    value_indices: list[int],
    options: ShapeOptions,
    meta: FrameMeta,
) -> list[Frame]:
    label_names = [table.column_names[i] for i in label_indices]
    label_values = [table.column(i).combine_chunks().cast(pa.string()).to_pylist() for i in label_indices]
    groups: dict[tuple[str | None, ...], list[int]] = {}
    for row in range(table.num_rows):
        key = tuple(values[row] for values in label_values)
        groups.setdefault(key, []).append(row)
    frames: list[Frame] = []
    time_name = table.column_names[time_index]
    several_values = len(value_indices) > 1
    # Series in label order, not in order of appearance: engines order tied rows differently, and a
    # panel's series (and an alert's instances) should not reshuffle between refreshes or engines.
    for key, rows in sorted(groups.items(), key=lambda item: _label_order(item[0])):
        part = table.take(pa.array(rows, type=pa.int64()))
        labels = {name: value for name, value in zip(label_names, key, strict=True) if value is not None}
        for i in value_indices:
            value_name = table.column_names[i]
            display = " ".join("NULL" if value is None else value for value in key) or value_name
            fields = [
                Field(time_name, part.column(time_index).combine_chunks(), nullable=False),
                Field(
                    value_name,
                    _float_values(part.column(i)),
                    labels=labels,
                    config={"displayNameFromDS": f"{value_name} {display}" if several_values else display},
                ),
            ]
            frame_meta = meta.of_type("timeseries-multi")
            frames.append(Frame(name=options.ref_id, ref_id=options.ref_id, fields=fields, meta=frame_meta))
    if not frames:  # no rows: an empty typed frame means "no data" to alerting and panels alike
        fields = [Field(time_name, pa.array([], type=pa.timestamp("ns", tz="UTC")), nullable=False)]
        fields += [Field(table.column_names[i], pa.array([], type=pa.float64())) for i in value_indices]
        frames.append(
            Frame(
                name=options.ref_id,
                ref_id=options.ref_id,
                fields=fields,
                meta=meta.of_type("timeseries-multi"),
            )
        )
    return frames


def _alerting_table(table: pa.Table, options: ShapeOptions, executed_sql: str) -> list[Frame]:
    """Alerting reads numbers with labels or time series; anything else gets a 400 saying so."""
    types = [f.type for f in table.schema]
    if any(is_time_like(t) for t in types) or options.time_column:
        return time_series_frames(table, options, executed_sql)
    if _is_numeric_long(types):
        return table_frames(table, options, executed_sql)
    raise BadRequest(
        "alerting needs either a time series (a time column, label columns and numeric values; set Format to "
        "Time series) or a table of numbers (text label columns and numeric columns, no other types); "
        f"this query returned columns of types {', '.join(str(t) for t in types) or 'none'}"
    )


def logs_frames(table: pa.Table, options: ShapeOptions, executed_sql: str) -> list[Frame]:
    """One ``log-lines`` frame: the style's time column unless the query names one."""
    style = options.log_style(table) if options.log_style else None
    if options.time_column or style is None:
        time_index = _pick_time_column(table, options)
    else:
        time_index = _column_index(table, style.time_column, "Time Column")
    meta = FrameMeta(executed_query_string=executed_sql)
    table = _by_time(table, time_index, meta, lenient=True)
    parts = style.lines(table) if style else generic_lines(table, time_index)
    return [log_frame(table, time_index, parts, options.ref_id, meta)]


def shape(table: pa.Table, options: ShapeOptions, executed_sql: str) -> list[Frame]:
    """Frames for one query result."""
    if options.format == "logs":
        return logs_frames(table, options, executed_sql)
    if options.format == "time_series":
        return time_series_frames(table, options, executed_sql)
    if options.for_alerting:
        return _alerting_table(table, options, executed_sql)
    return table_frames(table, options, executed_sql)
