"""A plain table frame encoded batch by batch (``StreamedFrame``) is the frame the whole table makes.

The pipeline encodes a plain table answer as the engine's batches arrive and gives the frame its
fields and meta at the end (shaped from the result's columns without rows); both ways must give
Grafana the same frame: the same schema with its metadata, the same rows, compressed from the same
threshold. Compressed frames are compared by what they decode to, never by their bytes.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from cloudsql_cos_ts.frames.encode import StreamedFrame, encode_frame
from cloudsql_cos_ts.frames.ipc import COMPRESS_FROM_BYTES
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape
from tests.frame_cases import COERCION_CASES
from tests.frames.test_ipc import BIG, SMALL, decode

SQL = "SELECT * FROM FLOW_FLAT"
NOTICE = "the result was cut at 10 rows (the row limit)"


def _batched(table: pa.Table, rows: int) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=rows)


def _nulls_later() -> list[pa.RecordBatch]:
    """A column whose nulls come only in a later batch: the frame's field is nullable all the same."""
    return [
        pa.record_batch({"n": pa.array([1, 2], pa.int64())}),
        pa.record_batch({"n": pa.array([None, 4], pa.int64())}),
    ]


CASES: dict[str, list[pa.RecordBatch]] = {
    "small, plain": _batched(SMALL, 1_000),
    "big, compressed": _batched(BIG, 7_000),
    "compressed from a later batch": _batched(SMALL, 1_000) + _batched(BIG, 20_000),
    "one batch": _batched(SMALL, SMALL.num_rows),
    "nulls in a later batch": _nulls_later(),
    "repeated column names": [pa.RecordBatch.from_arrays([pa.array([1]), pa.array(["x"])], names=["a", "a"])],
    **{f"coercion {case.name}": [pa.record_batch({"c": case.array})] * 2 for case in COERCION_CASES},
}


def _frames(batches: list[pa.RecordBatch], *, for_alerting: bool = False) -> tuple[bytes, bytes]:
    """The frame encoded from the whole table, and batch by batch; both with the same meta added at the end."""
    table = pa.Table.from_batches(batches)
    options = ShapeOptions("A", "table", for_alerting=for_alerting)
    (whole,) = shape(table, options, SQL)
    (empty,) = shape(table.slice(0, 0), options, SQL)
    stream = StreamedFrame()
    for batch in batches:
        stream.add(batch)
    for frame in (whole, empty):
        frame.meta.add_notice("warning", NOTICE)
        frame.meta.custom["source"] = {"objects": 3}
    return encode_frame(whole), stream.encode(empty)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_streamed_frame_is_the_whole_tables_frame(name: str) -> None:
    whole, streamed = _frames(CASES[name])
    expected, got = decode(whole), decode(streamed)
    assert got.schema.equals(expected.schema, check_metadata=True), f"{name}: {got.schema} != {expected.schema}"
    assert got.equals(expected), name
    assert NOTICE.encode() in got.schema.metadata[b"meta"]
    column_bytes = expected.nbytes
    compressed = column_bytes >= COMPRESS_FROM_BYTES
    assert (len(streamed) < column_bytes / 3) is compressed, f"{name}: {len(streamed)} bytes for {column_bytes}"


def test_an_empty_result_and_alerting_shapes_match_too() -> None:
    empty = [pa.record_batch({"host": pa.array([], pa.string()), "n": pa.array([], pa.float64())})]
    for batches, for_alerting in ((empty, False), (_batched(SMALL.select([0, 2]), 100), True)):
        whole, streamed = _frames(batches, for_alerting=for_alerting)
        assert decode(streamed).equals(decode(whole), check_metadata=True)


def test_a_streamed_frame_holds_its_encoded_batches_not_its_columns() -> None:
    """What the stream holds once a big result's batches are in: the compressed bodies, a fraction of the columns."""
    stream = StreamedFrame()
    for batch in _batched(BIG, 7_000):
        stream.add(batch)
    assert stream.held_bytes < BIG.nbytes / 3
