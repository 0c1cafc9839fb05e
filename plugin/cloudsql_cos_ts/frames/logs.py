"""The *Logs* format: one ``log-lines`` frame, the shape Explore's logs view and the logs panel read.

Grafana's logs contract (dataplane "LogLines", version 0.0) names the fields, not their order: a
non-nullable time field ``timestamp``, a non-nullable string ``body``, and optional ``severity``
(a level name Grafana colours), ``id`` (unique per line) and ``labels`` (a JSON object per line).
The frame is typed ``log-lines`` and asks for ``preferredVisualisationType: logs``; without that
Explore shows the rows as a table.

What a line says depends on what the rows are: a caller that knows a domain (flow records,
``flowlogs/loglines.py``) passes a :data:`LogStyle` finder; any other result gets
:func:`generic_lines`, the other columns as ``key=value`` pairs, as Grafana's own SQL datasources
write a line from a table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.frames.meta import FrameMeta
from cloudsql_cos_ts.frames.model import Field, Frame

LOGS_TYPE_VERSION = (0, 0)
"""The version of the logs contract (its readers know no other)."""

LABELS_TYPE = pa.map_(pa.string(), pa.string())
"""A line's labels; the encoder writes a map as Grafana's JSON field type."""

_SEVERITY_NAMES = frozenset({"level", "severity"})


@dataclass(frozen=True)
class LineParts:
    """What a log line shows, one value per row of the time-sorted table."""

    body: pa.Array  # string, no nulls
    severity: pa.Array | None = None  # string
    labels: pa.Array | None = None  # LABELS_TYPE


@dataclass(frozen=True)
class LogStyle:
    """How one kind of result becomes log lines: the time column it prefers and its line builder."""

    time_column: str
    lines: Callable[[pa.Table], LineParts]


StyleFinder = Callable[[pa.Table], LogStyle | None]
"""Recognises a result a domain knows (None: not one of its kind)."""


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value as text, NULL as ``NULL`` (a line shows every column, a missing value included)."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    try:
        text = arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested and binary values: their Python text
        text = pa.array([None if v is None else str(v) for v in arr.to_pylist()], type=pa.string())
    return pc.fill_null(text, "NULL")


def _quoted(text: pa.Array) -> pa.Array:
    """A value with a space, quote or ``=`` in double quotes (quotes and backslashes escaped), so
    ``key=value`` pairs still split where they should."""
    needs = pc.match_substring_regex(text, r'[\s"=\\]|^$')
    escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(needs, quoted, text)


def generic_lines(table: pa.Table, time_index: int) -> LineParts:
    """Every column but the time as ``key=value`` (in the result's order); a text column named
    ``level`` or ``severity`` also gives the line's level."""
    pairs = [
        pc.binary_join_element_wise(name, _quoted(_text(table.column(i))), "=")
        for i, name in enumerate(table.column_names)
        if i != time_index
    ]
    rows = table.num_rows
    body = pc.binary_join_element_wise(*pairs, " ") if pairs else pa.array([""] * rows, type=pa.string())
    severity = next(
        (
            table.column(i).combine_chunks().cast(pa.string())
            for i, field in enumerate(table.schema)
            if i != time_index and field.name.lower() in _SEVERITY_NAMES and pa.types.is_string(field.type)
        ),
        None,
    )
    return LineParts(body=body, severity=severity)


def _line_ids(ref_id: str, times: pa.Array, body: pa.Array) -> pa.Array:
    """``<refId>_<time ns>_<n>``: n counts the lines of the same time in body order.

    Stable across refreshes and engines (the order of tied rows never decides it) and unique in the
    frame; identical lines are interchangeable, so which of them gets which n does not matter. The
    labels are no sort key: a flow line's body already holds what they say, and ordering by them
    would mean rendering every row's labels as text.
    """
    count = len(times)
    if count == 0:
        return pa.array([], type=pa.string())
    keys = pa.table({"t": times, "body": body})
    order = pc.sort_indices(keys, sort_keys=[("t", "ascending"), ("body", "ascending")]).to_numpy()
    nanos = times.cast(pa.int64()).to_numpy(zero_copy_only=False)
    ordered = nanos[order]
    first = np.searchsorted(ordered, ordered, side="left")
    ordinal = np.empty(count, dtype=np.int64)
    ordinal[order] = np.arange(count) - first
    return pc.binary_join_element_wise(
        ref_id, pa.array(nanos).cast(pa.string()), pa.array(ordinal).cast(pa.string()), "_"
    )


def log_frame(table: pa.Table, time_index: int, parts: LineParts, ref_id: str, meta: FrameMeta) -> Frame:
    """The ``log-lines`` frame of a table already sorted by its non-null ns time column."""
    times = table.column(time_index).combine_chunks()
    fields = [Field("timestamp", times, nullable=False), Field("body", parts.body, nullable=False)]
    if parts.severity is not None:
        fields.append(Field("severity", parts.severity))
    fields.append(Field("id", _line_ids(ref_id, times, parts.body), nullable=False))
    if parts.labels is not None:
        fields.append(Field("labels", parts.labels))
    typed = meta.of_type("log-lines")
    typed.type_version = LOGS_TYPE_VERSION
    typed.preferred_visualisation_type = "logs"
    return Frame(name=ref_id, ref_id=ref_id, fields=fields, meta=typed)
