"""The Logs format on any result: the log-lines frame Grafana's logs contract names, ``key=value``
lines, levels from a level column, stable unique ids, and the same time rules as a time series."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape

T0 = 1714989600000  # 2024-05-06T10:00:00Z in ms


def logs(table: pa.Table, **options: Any) -> dict[str, list[Any]]:
    """The one frame's fields by name, through the encoder (what Grafana decodes)."""
    (frame,) = shape(table, ShapeOptions(ref_id="A", format="logs", **options), "SQL")
    decoded = pa.ipc.open_file(pa.py_buffer(encode_frame(frame))).read_all()
    return {name: decoded.column(name).to_pylist() for name in decoded.column_names}


def test_the_frame_follows_grafanas_logs_contract() -> None:
    table = pa.table({"t": [T0], "msg": ["hello"], "level": ["error"]})
    (frame,) = shape(table, ShapeOptions(ref_id="A", format="logs"), "SELECT 1")
    decoded = pa.ipc.open_file(pa.py_buffer(encode_frame(frame))).read_all()
    meta = json.loads(decoded.schema.metadata[b"meta"])
    assert meta["type"] == "log-lines" and meta["typeVersion"] == [0, 0]
    assert meta["preferredVisualisationType"] == "logs" and meta["executedQueryString"] == "SELECT 1"
    schema = decoded.schema
    assert schema.names == ["timestamp", "body", "severity", "id"]
    assert schema.field("timestamp").type == pa.timestamp("ns", tz="UTC")
    assert not schema.field("timestamp").nullable and not schema.field("body").nullable
    assert schema.field("body").type == pa.string() and schema.field("id").type == pa.string()


@pytest.mark.parametrize(
    ("columns", "body", "severity"),
    [
        ({"msg": ["hello"]}, ["msg=hello"], None),
        ({"msg": ["a b"], "n": [3]}, ['msg="a b" n=3'], None),  # a space would split the pair
        ({"msg": ['say "x"=1']}, ['msg="say \\"x\\"=1"'], None),  # quotes escaped, = quoted
        ({"msg": [""]}, ['msg=""'], None),
        ({"msg": [None], "n": [None]}, ["msg=NULL n=NULL"], None),
        ({"host": ["a"], "Level": ["warning"]}, ["host=a Level=warning"], ["warning"]),
        ({"severity": ["info"]}, ["severity=info"], ["info"]),
        ({"level": [3]}, ["level=3"], None),  # a number is no level name
        ({"tags": [[1, 2]]}, ['tags="[1, 2]"'], None),  # nested values as their text, quoted
        ({}, [""], None),  # only a time: an empty line
    ],
)
def test_generic_lines_are_the_other_columns_as_key_value(
    columns: dict[str, list[Any]], body: list[str], severity: list[str] | None
) -> None:
    got = logs(pa.table({"time": pa.array([T0], pa.int64()), **columns}))
    assert got["body"] == body
    assert got.get("severity") == severity


def test_rows_are_sorted_by_time_and_rows_without_a_time_left_out_with_a_warning() -> None:
    table = pa.table({"t": ["2024-05-06T10:00:02Z", "", None, "2024-05-06T10:00:01Z"], "m": ["b", "x", "y", "a"]})
    (frame,) = shape(table, ShapeOptions(ref_id="A", format="logs"), "SQL")
    assert frame.fields[1].values.to_pylist() == ["m=a", "m=b"]
    assert [n.text for n in frame.meta.notices] == ["2 rows without a time value were left out"]


def test_the_time_column_option_wins() -> None:
    table = pa.table({"a": [T0, T0 + 1000], "b": [T0 + 5000, T0]})
    got = logs(table, time_column="b")
    assert got["body"] == ["a=1714989601000", "a=1714989600000"]


def test_an_unknown_time_column_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="Time Column 'nope'"):
        logs(pa.table({"a": [T0]}), time_column="nope")


def test_ids_are_unique_and_do_not_depend_on_the_order_of_tied_rows() -> None:
    rows = {"t": [T0, T0, T0, T0 + 1], "m": ["b", "a", "a", "c"]}
    forward = logs(pa.table(rows))
    backward = logs(pa.table({k: list(reversed(v)) for k, v in rows.items()}))
    assert len(set(forward["id"])) == 4
    assert sorted(zip(forward["body"], forward["id"], strict=True)) == sorted(
        zip(backward["body"], backward["id"], strict=True)
    )
    assert forward["id"][0].startswith("A_1714989600000000000_")


def test_an_empty_result_is_an_empty_logs_frame() -> None:
    got = logs(pa.table({"t": pa.array([], pa.timestamp("us")), "m": pa.array([], pa.string())}))
    assert got == {"timestamp": [], "body": [], "id": []}
