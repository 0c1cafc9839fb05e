"""A frame's IPC file: plain below the compression threshold, ZSTD bodies from it, the same table read back."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.ipc import COMPRESS_FROM_BYTES, ipc_file
from cloudsql_cos_ts.frames.meta import FrameMeta, restamp
from cloudsql_cos_ts.frames.model import Field, Frame
from tests.frames.allocations import encode_counting


def flow_like(rows: int) -> pa.Table:
    """Columns like a flow-log answer's: repeated identifiers and addresses, counters, times."""
    return pa.table(
        {
            "collector_crn": pa.array(
                [f"crn:v1:bluemix:public:is:us-south:a/1234::flow-log-collector:{i % 7}" for i in range(rows)]
            ),
            "initiator_ip": pa.array([f"10.240.{i % 3}.{i % 250}" for i in range(rows)]),
            "bytes_from_initiator": pa.array([(i * 37) % 100_000 for i in range(rows)], pa.int64()),
            "start": pa.array([1_700_000_000_000_000_000 + i * 1_000_000_000 for i in range(rows)], pa.int64()).cast(
                pa.timestamp("ns", tz="UTC")
            ),
        }
    )


SMALL = flow_like(5_000)
BIG = flow_like(60_000)


def decode(data: bytes) -> pa.Table:
    return pa.ipc.open_file(pa.py_buffer(data)).read_all()


@pytest.mark.parametrize(
    ("name", "table", "compressed"),
    [
        ("below the threshold: plain", SMALL, False),
        ("from the threshold: compressed", BIG, True),
        ("no rows", SMALL.slice(0, 0), False),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bodies_are_compressed_from_the_threshold(name: str, table: pa.Table, compressed: bool) -> None:
    assert (table.nbytes >= COMPRESS_FROM_BYTES) is compressed, "the case's table is on the wrong side"
    data = ipc_file(table)
    assert decode(data).equals(table, check_metadata=True)
    assert (len(data) < table.nbytes / 3) is compressed, f"{name}: {len(data)} bytes for {table.nbytes} column bytes"


def test_a_big_frame_is_encoded_without_holding_its_uncompressed_bytes() -> None:
    """Arrow's and Python's allocations while a big frame is encoded stay well under its column bytes."""
    frame = Frame("f", "A", [Field(name, BIG.column(name)) for name in BIG.column_names])
    data, allocated = encode_counting(frame)
    assert decode(data).equals(BIG)
    assert allocated < BIG.nbytes / 2


@pytest.mark.parametrize(("name", "table"), [("plain", SMALL), ("compressed", BIG)], ids=["plain", "compressed"])
def test_a_restamped_frame_keeps_its_columns_uncompressed(name: str, table: pa.Table) -> None:
    """A served frame is re-stamped without compressing it again (a cache hit stays quick)."""
    frame = encode_frame(Frame("f", "A", [Field(column, table.column(column)) for column in table.column_names]))

    def update(meta: FrameMeta) -> None:
        meta.executed_query_string = "SELECT restamped"

    stamped = restamp(frame, update)
    assert decode(stamped).select(table.column_names).equals(table)
    assert b"SELECT restamped" in decode(stamped).schema.metadata[b"meta"]
    assert len(stamped) >= table.nbytes, f"{name}: {len(stamped)} bytes for {table.nbytes} column bytes"
