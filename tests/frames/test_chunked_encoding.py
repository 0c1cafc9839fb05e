"""Frames straight from the engine's batches: a chunked column is encoded batch by batch, never combined."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cloudsql_cos_ts.frames.coerce import to_grafana_chunks
from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.ipc import COMPRESS_FROM_BYTES
from cloudsql_cos_ts.frames.model import Field, Frame
from tests.frames.allocations import encode_counting

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)

# (name, chunks of one column, what Grafana reads back): each case has chunk boundaries inside it.
CASES = [
    ("int64", [pa.array([1, 2]), pa.array([3])], [1, 2, 3]),
    ("text with nulls", [pa.array(["a", None]), pa.array(["c"])], ["a", None, "c"]),
    (
        "dictionaries with different dictionaries per chunk",
        [pa.array(["x", "y"]).dictionary_encode(), pa.array(["z", "x"]).dictionary_encode()],
        ["x", "y", "z", "x"],
    ),
    (
        "timestamps in microseconds",
        [pa.array([T0], pa.timestamp("us")), pa.array([T0 + dt.timedelta(seconds=1)], pa.timestamp("us"))],
        [T0, T0 + dt.timedelta(seconds=1)],
    ),
    ("decimals", [pa.array([1], pa.decimal128(5, 1)), pa.array([2], pa.decimal128(5, 1))], [1.0, 2.0]),
    ("a chunk without rows", [pa.array([], pa.int32()), pa.array([7], pa.int32())], [7]),
]


def decode(data: bytes) -> pa.Table:
    return pa.ipc.open_file(pa.py_buffer(data)).read_all()


@pytest.mark.parametrize(("name", "chunks", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_chunked_column_reads_back_as_one(name: str, chunks: list[pa.Array], expected: list[object]) -> None:
    column = pa.chunked_array(chunks)
    chunked = decode(encode_frame(Frame("f", "A", [Field("c", column)])))
    combined = decode(encode_frame(Frame("f", "A", [Field("c", column.combine_chunks())])))
    assert chunked.column("c").to_pylist() == expected
    assert chunked.schema == combined.schema  # same Grafana type, nullability and metadata either way


def test_each_engine_batch_is_one_record_batch_of_the_file() -> None:
    """Columns chunked alike are written as they are (no combined copy): one record batch per chunk."""
    table = pa.Table.from_batches(
        [pa.record_batch({"n": [1, 2], "s": ["a", "b"]}), pa.record_batch({"n": [3], "s": ["c"]})]
    )
    frame = Frame("f", "A", [Field(name, table.column(name)) for name in table.column_names])
    reader = pa.ipc.open_file(pa.py_buffer(encode_frame(frame)))
    assert [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)] == [2, 1]


def test_a_column_without_chunks_is_an_empty_field_of_the_coerced_type() -> None:
    coerced = to_grafana_chunks(pa.chunked_array([], pa.timestamp("us")))
    assert coerced.values.type == pa.timestamp("ns", tz="UTC") and len(coerced.values) == 0
    table = decode(encode_frame(Frame("f", "A", [Field("t", pa.chunked_array([], pa.int64()))])))
    assert table.num_rows == 0 and table.schema.field("t").type == pa.int64()


def test_a_frame_is_written_once_into_the_bytes_returned() -> None:
    """Arrow's and Python's allocations while encoding peak at the frame's own size: no second copy is made
    (a frame small enough to stay uncompressed, tests/frames/test_ipc.py)."""
    table = pa.table({"n": pa.array(range(150_000), pa.int64()), "s": pa.array(["flow"] * 150_000)})
    assert table.nbytes < COMPRESS_FROM_BYTES
    frame = Frame("f", "A", [Field(name, table.column(name)) for name in table.column_names])
    data, allocated = encode_counting(frame)
    assert decode(data).column("n").equals(table.column("n"))
    assert len(data) <= allocated < 1.2 * len(data)
