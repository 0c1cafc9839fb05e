"""Fuzz the frame encoder: any Arrow columns, names, labels and meta become a frame Grafana can decode.

Grafana rejects a whole QueryData response for one undecodable frame (protocol notes §3.4, §4), so
the encoder must never raise and must only ever write the types, units, nullability and JSON that
the Go SDK reads.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.meta import FrameMeta, Notice, QueryStat
from cloudsql_cos_ts.frames.model import Field, Frame
from tests.modes import FUZZ
from tests.reliability.arrow_columns import ANY_COLUMN, TEXT

GRAFANA_TYPES = {
    pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64(),
    pa.float32(), pa.float64(), pa.bool_(), pa.string(), pa.binary(),
}  # fmt: skip
FINITE = st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _strict_json(raw: bytes) -> Any:
    """JSON as Go's encoding/json reads it: NaN and Infinity are errors."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(raw, parse_constant=refuse)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    columns = draw(st.lists(ANY_COLUMN, max_size=4))
    rows = min((len(c) for c in columns), default=0)
    fields = [
        Field(
            name=draw(TEXT),
            values=column.slice(0, rows),
            labels=draw(st.none() | st.dictionaries(TEXT, TEXT, max_size=2)),
            config=draw(st.none() | st.dictionaries(TEXT, JSON_VALUES, max_size=2)),
            nullable=draw(st.booleans()),
        )
        for column in columns
    ]
    meta = FrameMeta(
        executed_query_string=draw(TEXT),
        notices=[Notice("warning", draw(TEXT))],
        stats=[QueryStat(draw(TEXT), draw(FINITE))],
        custom=draw(st.dictionaries(TEXT, JSON_VALUES, max_size=3)),
    )
    return Frame(draw(TEXT), draw(TEXT), fields, meta)


def _check_column(field: pa.Field, column: pa.ChunkedArray) -> None:
    if pa.types.is_timestamp(field.type):
        assert field.type.unit == "ns", field
    else:
        assert field.type in GRAFANA_TYPES, field
    if not field.nullable:
        assert column.null_count == 0, field  # Grafana ignores the validity bitmap of non-nullable fields
    if pa.types.is_binary(field.type):
        for value in column.to_pylist():
            if value is not None:
                _strict_json(value)  # Grafana's binary type is JSON
    for key in (b"labels", b"config"):
        if field.metadata and key in field.metadata:
            assert isinstance(_strict_json(field.metadata[key]), dict)


@FUZZ
@given(frames())
def test_any_frame_encodes_to_what_grafana_decodes(frame: Frame) -> None:
    table = pa.ipc.open_file(pa.py_buffer(encode_frame(frame))).read_all()
    assert table.num_rows == frame.row_count
    assert table.column_names == [f.name for f in frame.fields]
    metadata = table.schema.metadata
    assert metadata[b"refId"].decode() == frame.ref_id and metadata[b"name"].decode() == frame.name
    if b"meta" in metadata:
        assert isinstance(_strict_json(metadata[b"meta"]), dict)
    for field, column in zip(table.schema, table.columns, strict=True):
        _check_column(field, column)


def _decoded_column(values: pa.Array) -> pa.ChunkedArray:
    frame = Frame("f", "A", [Field("c", values)])
    return pa.ipc.open_file(pa.py_buffer(encode_frame(frame))).read_all().column("c")


def test_sub_millisecond_durations_are_truncated_not_refused() -> None:
    """Found by the fuzzer: Spark's day-time intervals (duration[us]) failed the whole response."""
    durations = pa.array([1, 1_500, -2_500, None], type=pa.int64()).cast(pa.duration("us"))
    assert _decoded_column(durations).to_pylist() == [0, 1, -2, None]


def test_durations_in_seconds_beyond_the_millisecond_range_become_null() -> None:
    seconds = pa.array([2**62, 5], type=pa.int64()).cast(pa.duration("s"))
    assert _decoded_column(seconds).to_pylist() == [None, 5_000]


def test_nested_times_outside_python_dates_become_null_rows() -> None:
    """Found by the fuzzer: a list holding a year-0 timestamp made ``to_pylist`` raise."""
    nested = pa.array([[-62_135_596_800_000_001], [0]], type=pa.list_(pa.int64())).cast(pa.list_(pa.timestamp("us")))
    assert [None if v is None else json.loads(v) for v in _decoded_column(nested).to_pylist()] == [
        None,
        ["1970-01-01T00:00:00"],
    ]
