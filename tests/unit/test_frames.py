"""Frames: every Arrow type coercion, time-column parsing, shaping and IPC file encoding."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.frames.coerce import to_grafana
from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.meta import FrameMeta
from cloudsql_cos_ts.frames.model import Field, Frame
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape
from cloudsql_cos_ts.frames.timecol import to_time_column
from tests.frame_cases import COERCION_CASES, CoercionCase

NS = pa.timestamp("ns", tz="UTC")
T0 = dt.datetime(2024, 5, 6, 10, 0, 0, 123456, tzinfo=dt.UTC)
T0_NS = 1714989600123456000


def decode(data: bytes) -> pa.Table:
    return pa.ipc.open_file(pa.py_buffer(data)).read_all()


@pytest.mark.parametrize("case", COERCION_CASES, ids=lambda case: case.name)
def test_every_coercion_survives_an_ipc_round_trip(case: CoercionCase) -> None:
    """The shared table (tests/frame_cases.py) through pyarrow; test_go_decoding.py reads the same
    frames with Grafana's Go SDK."""
    coerced = to_grafana(case.array)
    assert coerced.values.type == case.grafana_type
    frame = Frame(name="f", ref_id="A", fields=[Field("c", case.array, nullable=case.nullable)])
    table = decode(encode_frame(frame))
    assert table.schema.field("c").type == case.grafana_type
    assert table.column("c")[0].as_py() == case.value


def test_timestamps_are_nanoseconds_exactly() -> None:
    table = decode(encode_frame(Frame("f", "A", [Field("t", pa.array([T0], pa.timestamp("us")))])))
    assert table.column("t").cast(pa.int64())[0].as_py() == T0_NS


def test_schema_and_field_metadata() -> None:
    frame = Frame(
        name="n",
        ref_id="R",
        meta=FrameMeta(executed_query_string="SELECT 1"),
        fields=[Field("v", pa.array([1.0]), labels={"host": "a"}, config={"unit": "ms"}, nullable=False)],
    )
    schema = decode(encode_frame(frame)).schema
    assert schema.metadata[b"name"] == b"n" and schema.metadata[b"refId"] == b"R"
    assert json.loads(schema.metadata[b"meta"]) == {"executedQueryString": "SELECT 1"}
    field = schema.field("v")
    assert not field.nullable
    assert json.loads(field.metadata[b"labels"]) == {"host": "a"}
    assert json.loads(field.metadata[b"config"]) == {"unit": "ms"}


def test_empty_frame_is_a_schema_without_batches() -> None:
    reader = pa.ipc.open_file(pa.py_buffer(encode_frame(Frame("f", "A", [Field("x", pa.array([], pa.int64()))]))))
    assert reader.num_record_batches == 0 and reader.schema.names == ["x"]


@pytest.mark.parametrize(
    ("values", "expected_ns"),
    [
        (pa.array(["2024-05-06T10:00:00.123456Z"]), T0_NS),
        (pa.array(["2024-05-06T12:00:00.123456+02:00"]), T0_NS),
        (pa.array(["2024-05-06 10:00:00.123456"]), T0_NS),
        (pa.array([1714989600123], pa.int64()), 1714989600123000000),  # epoch ms
        (pa.array([1714989600], pa.int64()), 1714989600000000000),  # epoch s
        (pa.array([1714989600.5]), 1714989600500000000),  # fractional epoch s
        (pa.array([T0_NS], pa.int64()), T0_NS),  # epoch ns
    ],
)
def test_time_column_conversion(values: pa.Array, expected_ns: int) -> None:
    assert to_time_column(values, "t").cast(pa.int64())[0].as_py() == expected_ns


@pytest.mark.parametrize(
    ("values", "message"),
    [(pa.array(["yesterday"]), "not an RFC 3339"), (pa.array([True]), "must be a timestamp")],
)
def test_time_column_errors(values: pa.Array, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        to_time_column(values, "t")


H0 = 1714989600000  # epoch ms of 2024-05-06T10:00Z, as TS_EXPLODE returns ticks
LONG = pa.table(
    {
        "tt": pa.array([H0 + 3_600_000, H0, H0, H0 + 3_600_000], pa.int64()),
        "action": ["accepted", "accepted", "rejected", "accepted"],
        "value": pa.array([2, 1, 5, 3], pa.int64()),
    }
)


def test_time_series_long_becomes_multi_frames_sorted_with_labels() -> None:
    frames = shape(LONG, ShapeOptions("B", "time_series", "tt", "action"), "SQL")
    assert [f.fields[1].labels for f in frames] == [{"action": "accepted"}, {"action": "rejected"}]
    accepted = frames[0]
    assert accepted.meta.type == "timeseries-multi" and accepted.meta.type_version == (0, 1)
    assert accepted.fields[0].nullable is False
    hour_ns = 3_600_000_000_000
    assert accepted.fields[0].values.cast(pa.int64()).to_pylist() == [
        H0 * 10**6,
        H0 * 10**6 + hour_ns,
        H0 * 10**6 + hour_ns,
    ]
    assert accepted.fields[1].values.type == pa.float64()
    assert accepted.fields[1].values.to_pylist() == [1.0, 2.0, 3.0]
    assert accepted.fields[1].config == {"displayNameFromDS": "accepted"}


def test_a_null_label_is_a_series_without_the_label_apart_from_the_empty_string() -> None:
    table = pa.table({
        "t": pa.array([T0, T0, T0, T0], pa.timestamp("us")),
        "host": ["b", None, "", "b"],
        "v": [1, 2, 3, 4],
    })
    frames = shape(table, ShapeOptions("A", "time_series", "t", "host"), "")
    assert [(f.fields[1].labels, f.fields[1].values.to_pylist()) for f in frames] == [
        ({"host": ""}, [3.0]), ({"host": "b"}, [1.0, 4.0]), ({}, [2.0]),
    ]
    assert [f.fields[1].config["displayNameFromDS"] for f in frames] == ["v", "b", "NULL"]


def test_defaults_pick_first_timestamp_and_first_text_column() -> None:
    table = pa.table({"host": ["a", "b"], "t": pa.array([T0, T0], pa.timestamp("us")), "v": [1, 2]})
    frames = shape(table, ShapeOptions("A", "time_series"), "")
    assert [f.fields[0].name for f in frames] == ["t", "t"]
    assert [f.fields[1].labels for f in frames] == [{"host": "a"}, {"host": "b"}]


def test_several_value_columns_give_one_series_each() -> None:
    table = LONG.append_column("bytes", pa.array([10, 20, 30, 40]))
    frames = shape(table, ShapeOptions("A", "time_series", "tt", "action"), "")
    assert [(f.fields[1].name, f.fields[1].labels["action"]) for f in frames] == [
        ("value", "accepted"),
        ("bytes", "accepted"),
        ("value", "rejected"),
        ("bytes", "rejected"),
    ]


def test_wide_results_stay_wide() -> None:
    table = pa.table({"t": pa.array([T0], pa.timestamp("us")), "a": [1], "b": [2.5]})
    (frame,) = shape(table, ShapeOptions("A", "time_series"), "")
    assert frame.meta.type == "timeseries-wide"
    assert [f.name for f in frame.fields] == ["t", "a", "b"]


def test_rows_without_time_are_dropped_with_a_notice() -> None:
    table = pa.table({"t": pa.array([None, T0], pa.timestamp("us")), "v": [1, 2]})
    (frame,) = shape(table, ShapeOptions("A", "time_series"), "")
    assert frame.row_count == 1
    assert frame.meta.notices[0].severity == "warning"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ShapeOptions("A", "time_series", "nope"), "Time Column 'nope' is not a column"),
        (ShapeOptions("A", "time_series", "tt", "nope"), "Metrics column 'nope' is not a column"),
        (ShapeOptions("A", "time_series", "tt", "tt"), "cannot also be the Time Column"),
    ],
)
def test_shaping_errors(options: ShapeOptions, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        shape(LONG, options, "")


def test_time_series_needs_a_number() -> None:
    with pytest.raises(BadRequest, match="at least one numeric value column"):
        shape(pa.table({"t": pa.array([T0], pa.timestamp("us")), "s": ["x"]}), ShapeOptions("A", "time_series"), "")


def test_case_insensitive_column_names() -> None:
    frames = shape(LONG, ShapeOptions("A", "time_series", "TT", "ACTION"), "")
    assert len(frames) == 2


@pytest.mark.parametrize(
    ("table", "for_alerting", "kind"),
    [
        (pa.table({"host": ["a"], "n": [1]}), True, "numeric-long"),
        (pa.table({"n": [1.5]}), True, "numeric-long"),
        # Without FromAlert a table is a plain table frame, whatever its columns (issue 15 item 8).
        (pa.table({"host": ["a"], "n": [1]}), False, None),
        (pa.table({"n": [1.5]}), False, None),
        (pa.table({"host": ["a"]}), False, None),
        (pa.table({"t": pa.array([T0], pa.timestamp("us")), "n": [1]}), False, None),
    ],
)
def test_table_kinds(table: pa.Table, for_alerting: bool, kind: str | None) -> None:
    (frame,) = shape(table, ShapeOptions("A", "table", for_alerting=for_alerting), "SELECT")
    assert frame.meta.type == kind
    assert frame.meta.preferred_visualisation_type == (None if kind else "table")
    assert frame.meta.executed_query_string == "SELECT"


def test_alerting_turns_a_table_with_time_into_series_and_refuses_unusable_shapes() -> None:
    table = pa.table({"t": pa.array([T0], pa.timestamp("us")), "host": ["a"], "n": [1]})
    (frame,) = shape(table, ShapeOptions("A", "table", for_alerting=True), "")
    assert frame.meta.type == "timeseries-multi"
    with pytest.raises(BadRequest, match="alerting needs either a time series"):
        shape(pa.table({"ok": [True]}), ShapeOptions("A", "table", for_alerting=True), "")


def test_empty_time_series_is_an_empty_typed_frame() -> None:
    (frame,) = shape(LONG.slice(0, 0), ShapeOptions("A", "time_series", "tt", "action"), "")
    assert frame.row_count == 0 and frame.meta.type == "timeseries-multi"
