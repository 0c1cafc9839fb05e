"""Our frames through Grafana's own decoder: the conformance harness's decode mode.

Every coercion of tests/frame_cases.py (the table the pyarrow round-trip unit test uses) is
written as a one-column frame with ``encode_frame``, plus frames with labels, config and meta and
the frames the plugin's shaping and result cache produce. One run of ``conformance -decode DIR``
reads them all with the SDK's ``data.UnmarshalArrowFrame`` (what Grafana applies to every frame of
a QueryData response) and prints what Go sees; each case is one test here.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_conformance import REPO, RUN_TIMEOUT_S, _build_harness

from cloudsql_cos_ts.frames.encode import StreamedFrame, encode_frame
from cloudsql_cos_ts.frames.ipc import COMPRESS_FROM_BYTES
from cloudsql_cos_ts.frames.meta import TYPE_VERSION, FrameMeta, QueryStat, restamp
from cloudsql_cos_ts.frames.model import Field, Frame
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape
from cloudsql_cos_ts.query.answer_meta import cache_info
from cloudsql_cos_ts.timerange import TimeRange
from tests.frame_cases import COERCION_CASES, NS, T0_NS, CoercionCase

OUTPUT = REPO / "tests" / ".output" / "go_decoding.jsonl"

H0_MS = 1714989600000  # 2024-05-06T10:00Z
HOUR_MS = 3_600_000


def _case_file(case: CoercionCase) -> str:
    return f"case-{case.name}.arrow"


def _ns_times(*nanoseconds: int) -> pa.Array:
    return pa.array(nanoseconds, pa.int64()).cast(NS)


def _series_frame() -> Frame:
    """A time series frame with everything Grafana reads besides values: labels, config, meta."""
    meta = FrameMeta(
        type="timeseries-multi",
        type_version=TYPE_VERSION,
        executed_query_string="SELECT tt, action, value FROM flows",
        preferred_visualisation_type="graph",
        stats=[QueryStat("Objects read", 3), QueryStat("Bytes downloaded", 2048.5, "decbytes")],
        custom={"expandedSql": "SELECT 1", "source": {"rows": 2}},
    )
    meta.add_notice("warning", "2 rows without a time value were left out")
    meta.add_notice("info", "columns that are neither numbers nor labels were left out: s")
    meta.add_notice("error", "über-long text ✓")
    return Frame(
        name="value",
        ref_id="B",
        meta=meta,
        fields=[
            Field("time", _ns_times(T0_NS + 789, T0_NS + HOUR_MS * 10**6), nullable=False),
            Field(
                "value",
                pa.array([1.5, 2.5]),
                labels={"action": "accepted", "host": "a b=c"},
                config={"displayNameFromDS": "accepted", "unit": "ms", "decimals": 2, "min": 0, "max": 10.5},
            ),
        ],
    )


def _shaped_frames() -> list[Frame]:
    """What the plugin's shaping makes of a long time series result and of a table."""
    long = pa.table(
        {
            "tt": pa.array([H0_MS + HOUR_MS, H0_MS, H0_MS], pa.int64()),
            "action": ["accepted", "accepted", "rejected"],
            "value": pa.array([2, 1, 5], pa.int64()),
        }
    )
    series = shape(long, ShapeOptions("S", "time_series", "tt", "action"), "SELECT tt, action, value")
    alert_table = ShapeOptions("N", "table", for_alerting=True)
    table = shape(pa.table({"host": ["a", "b"], "n": [1.5, 2.5]}), alert_table, "SELECT host, n")
    return [*series, *table]


def _cached_frame() -> bytes:
    """A frame as the result cache serves it: re-stamped with meta.custom.cache."""
    frame = Frame("", "C", [Field("n", pa.array([42], pa.int64()))], meta=FrameMeta(executed_query_string="SELECT 42"))
    queried = TimeRange(from_ms=H0_MS, to_ms=H0_MS + HOUR_MS)

    def update(meta: FrameMeta) -> None:
        meta.custom["cache"] = cache_info(hit=True, age_s=12, queried_range=queried)

    return restamp(encode_frame(frame), update)


def _raw_file(table: pa.Table) -> bytes:
    """An IPC file written without encode_frame (no coercion), for the control cases."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _write_frames(folder: Path) -> None:
    for case in COERCION_CASES:
        frame = Frame(name="f", ref_id="A", fields=[Field("c", case.array, nullable=case.nullable)])
        (folder / _case_file(case)).write_bytes(encode_frame(frame))
    (folder / "frame-series.arrow").write_bytes(encode_frame(_series_frame()))
    for index, frame in enumerate(_shaped_frames()):
        (folder / f"frame-shaped-{index}.arrow").write_bytes(encode_frame(frame))
    (folder / "frame-cached.arrow").write_bytes(_cached_frame())
    empty = Frame("empty", "E", [Field("t", pa.array([], NS), nullable=False), Field("v", pa.array([], pa.float64()))])
    (folder / "frame-empty.arrow").write_bytes(encode_frame(empty))
    (folder / "frame-batches.arrow").write_bytes(encode_frame(_batches_frame()))
    (folder / "frame-compressed.arrow").write_bytes(_compressed_frame())
    for name, table in STREAMED_TABLES.items():
        (folder / f"frame-whole-{name}.arrow").write_bytes(_table_frame(table, streamed=False))
        (folder / f"frame-streamed-{name}.arrow").write_bytes(_table_frame(table, streamed=True))
    # Controls: what the coercions exist for. Without them Go must reject or misread the frame.
    (folder / "control-large_string.arrow").write_bytes(_raw_file(pa.table({"c": pa.array(["a"], pa.large_string())})))
    (folder / "control-decimal.arrow").write_bytes(_raw_file(pa.table({"c": pa.array([1], pa.decimal128(5, 0))})))
    (folder / "control-timestamp_us.arrow").write_bytes(
        _raw_file(pa.table({"c": pa.array([dt.datetime(2024, 5, 6, 10, 0)], pa.timestamp("us"))}))
    )


@pytest.fixture(scope="module")
def decoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The harness's line for every file, by file name."""
    folder = tmp_path_factory.mktemp("go-decoding")
    _write_frames(folder)
    harness = _build_harness()
    try:
        ran = subprocess.run(
            [str(harness), "-decode", str(folder)], capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the harness's decode mode ran over {RUN_TIMEOUT_S} s", pytrace=False)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(ran.stdout)
    assert ran.returncode in (0, 1), f"decode mode exited {ran.returncode}:\n{ran.stderr}"
    lines = {record["file"]: record for record in map(json.loads, ran.stdout.splitlines())}
    expected_files = {path.name for path in folder.glob("*.arrow")}
    assert set(lines) == expected_files, f"lines for {sorted(lines)}, files {sorted(expected_files)}"
    assert ran.returncode == (0 if all(line["ok"] for line in lines.values()) else 1)
    return lines


def _decoded_ok(decoded: dict[str, dict[str, Any]], file: str) -> dict[str, Any]:
    line = decoded[file]
    assert line["ok"], f"Grafana's decoder rejects {file}: {line['error']}"
    assert line["browserJsonError"] == "", f"{file} decodes but cannot go to the browser: {line['browserJsonError']}"
    return line


def _fields(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in line["fields"]}


@pytest.mark.parametrize("case", COERCION_CASES, ids=lambda case: case.name)
def test_go_decodes_every_coercion(decoded: dict[str, dict[str, Any]], case: CoercionCase) -> None:
    line = _decoded_ok(decoded, _case_file(case))
    assert (line["name"], line["refId"]) == ("f", "A")
    (field,) = line["fields"]
    assert field["name"] == "c"
    assert field["type"] == case.go_type, f"{case.name}: Go field type {field['type']}, want {case.go_type}"
    assert field["nullable"] == case.go_type.startswith("[]*")
    assert len(field["values"]) == len(case.array)
    got = field["values"][0]
    assert got == case.go_value and type(got) is type(case.go_value), (
        f"{case.name}: Go reads {got!r}, want {case.go_value!r}"
    )
    assert field["config"] == case.go_config
    assert field["labels"] == {}


def test_every_case_is_decoded_once(decoded: dict[str, dict[str, Any]]) -> None:
    case_files = {file for file in decoded if file.startswith("case-")}
    assert case_files == {_case_file(case) for case in COERCION_CASES}


def test_go_reads_labels_config_and_meta(decoded: dict[str, dict[str, Any]]) -> None:
    line = _decoded_ok(decoded, "frame-series.arrow")
    assert (line["name"], line["refId"]) == ("value", "B")
    meta = line["meta"]
    assert meta["type"] == "timeseries-multi" and meta["typeVersion"] == [0, 1]
    assert meta["executedQueryString"] == "SELECT tt, action, value FROM flows"
    assert meta["preferredVisualisationType"] == "graph"
    assert meta["custom"] == {"expandedSql": "SELECT 1", "source": {"rows": 2}}
    assert meta["stats"] == [  # the SDK's QueryStat: a field config (displayName, unit) plus the value
        {"displayName": "Objects read", "unit": "none", "value": 3},
        {"displayName": "Bytes downloaded", "unit": "decbytes", "value": 2048.5},
    ]
    assert meta["notices"] == [
        {"severity": "warning", "text": "2 rows without a time value were left out"},
        {"severity": "info", "text": "columns that are neither numbers nor labels were left out: s"},
        {"severity": "error", "text": "über-long text ✓"},
    ]
    fields = _fields(line)
    time, value = fields["time"], fields["value"]
    assert (time["type"], time["nullable"]) == ("[]time.Time", False)
    assert time["values"] == ["2024-05-06T10:00:00.123456789Z", "2024-05-06T11:00:00.123456Z"]
    assert value["type"] == "[]*float64" and value["values"] == [1.5, 2.5]
    assert value["labels"] == {"action": "accepted", "host": "a b=c"}
    assert value["config"] == {"displayNameFromDS": "accepted", "unit": "ms", "decimals": 2, "min": 0, "max": 10.5}


def test_go_reads_the_shaped_frames_as_dataplane_frames(decoded: dict[str, dict[str, Any]]) -> None:
    lines = [_decoded_ok(decoded, f"frame-shaped-{index}.arrow") for index in range(3)]
    accepted, rejected, table = lines
    for line, action, points in (
        (accepted, "accepted", [("2024-05-06T10:00:00Z", 1.0), ("2024-05-06T11:00:00Z", 2.0)]),
        (rejected, "rejected", [("2024-05-06T10:00:00Z", 5.0)]),
    ):
        assert line["refId"] == "S"
        assert line["meta"]["type"] == "timeseries-multi" and line["meta"]["typeVersion"] == [0, 1]
        assert line["meta"]["executedQueryString"] == "SELECT tt, action, value"
        time, value = line["fields"]
        assert (time["name"], time["type"]) == ("tt", "[]time.Time")
        assert value["type"] in ("[]float64", "[]*float64")
        assert value["labels"] == {"action": action}
        assert value["config"] == {"displayNameFromDS": action}
        assert list(zip(time["values"], value["values"], strict=True)) == points
    assert table["refId"] == "N"
    assert table["meta"]["type"] == "numeric-long" and table["meta"]["typeVersion"] == [0, 1]
    assert [(f["name"], f["type"], f["values"]) for f in table["fields"]] == [
        ("host", "[]*string", ["a", "b"]),
        ("n", "[]*float64", [1.5, 2.5]),
    ]


def test_go_reads_the_cache_meta_of_a_served_frame(decoded: dict[str, dict[str, Any]]) -> None:
    line = _decoded_ok(decoded, "frame-cached.arrow")
    assert line["meta"]["executedQueryString"] == "SELECT 42"
    assert line["meta"]["custom"]["cache"] == {
        "hit": True,
        "ageSeconds": 12,
        "queriedRange": {"from": H0_MS, "to": H0_MS + HOUR_MS},
    }
    assert [(f["type"], f["values"]) for f in line["fields"]] == [("[]*int64", [42])]


def _batches_frame() -> Frame:
    """A frame as a big answer is encoded: the engine's batches as they came, one record batch each."""
    table = pa.Table.from_batches(
        [
            pa.record_batch({"n": pa.array([1, 2], pa.int64()), "s": pa.array(["a", "b"]).dictionary_encode()}),
            pa.record_batch({"n": pa.array([3], pa.int64()), "s": pa.array(["c"]).dictionary_encode()}),
        ]
    )
    return Frame("batches", "B", [Field(name, table.column(name)) for name in table.column_names])


def test_go_reads_every_record_batch_of_a_frame(decoded: dict[str, dict[str, Any]]) -> None:
    line = _decoded_ok(decoded, "frame-batches.arrow")
    assert [(f["name"], f["values"]) for f in line["fields"]] == [("n", [1, 2, 3]), ("s", ["a", "b", "c"])]


COMPRESSED_ROWS = 64
_LONG_TEXT = "flow " * (COMPRESS_FROM_BYTES // 5 // 50)


def _compressed_frame() -> bytes:
    """A frame big enough for compressed record batch bodies (``frames/ipc.py``), in few rows: long texts."""
    frame = Frame(
        "big",
        "Z",
        [
            Field("t", _ns_times(*(T0_NS + i * 10**9 for i in range(COMPRESSED_ROWS))), nullable=False),
            Field("n", pa.array(range(COMPRESSED_ROWS), pa.int64())),
            Field("text", pa.array([f"{i}:{_LONG_TEXT}" for i in range(COMPRESSED_ROWS)])),
        ],
    )
    data = encode_frame(frame)
    assert len(data) < COMPRESS_FROM_BYTES / 10, "the frame was not compressed"
    return data


def test_go_reads_a_frame_with_compressed_bodies(decoded: dict[str, dict[str, Any]]) -> None:
    line = _decoded_ok(decoded, "frame-compressed.arrow")
    assert (line["name"], line["refId"]) == ("big", "Z")
    time, number, text = line["fields"]
    assert (time["type"], time["nullable"]) == ("[]time.Time", False)
    assert time["values"][1] == "2024-05-06T10:00:01.123456Z"
    assert (number["type"], number["values"]) == ("[]*int64", list(range(COMPRESSED_ROWS)))
    assert text["type"] == "[]*string" and len(text["values"]) == COMPRESSED_ROWS
    assert [value.split(":")[0] for value in text["values"]] == [str(i) for i in range(COMPRESSED_ROWS)]
    assert {value.split(":")[1] for value in text["values"]} == {_LONG_TEXT}


STREAMED_TABLES = {
    "plain": pa.Table.from_batches(
        [
            pa.record_batch(
                {"at": pa.array([dt.datetime(2024, 5, 6, 10)], pa.timestamp("us")), "d": pa.array([None], pa.float64())}
            ),
            pa.record_batch({"at": pa.array([None], pa.timestamp("us")), "d": pa.array([1.5], pa.float64())}),
        ]
    ),
    "compressed": pa.Table.from_batches(
        [
            pa.record_batch({"n": pa.array(range(start, start + 16)), "text": [f"{i}:{_LONG_TEXT}" for i in range(16)]})
            for start in range(0, COMPRESSED_ROWS, 16)
        ]
    ),
}


def _table_frame(table: pa.Table, *, streamed: bool) -> bytes:
    """A plain table answer encoded as the pipeline does: whole, or batch by batch as the engine hands them over
    (the frame shaped from the result's columns without rows, its meta written once the rows are in)."""
    options = ShapeOptions("T", "table")
    (frame,) = shape(table.slice(0, 0) if streamed else table, options, "SELECT * FROM flows")
    frame.meta.add_notice("warning", "the result was cut at 64 rows (the row limit)")
    if not streamed:
        return encode_frame(frame)
    stream = StreamedFrame()
    for batch in table.to_batches():
        stream.add(batch)
    return stream.encode(frame)


@pytest.mark.parametrize("name", sorted(STREAMED_TABLES))
def test_go_reads_a_streamed_frame_as_the_whole_tables_frame(decoded: dict[str, dict[str, Any]], name: str) -> None:
    """A plain table answer encoded batch by batch decodes in Grafana's SDK exactly as when encoded from the
    whole result: the same fields, types, nullability, values, config and meta."""
    whole, streamed = (
        _decoded_ok(decoded, f"frame-whole-{name}.arrow"),
        _decoded_ok(decoded, f"frame-streamed-{name}.arrow"),
    )
    assert {**streamed, "file": ""} == {**whole, "file": ""}
    assert whole["meta"]["notices"] and len(whole["fields"][0]["values"]) == STREAMED_TABLES[name].num_rows


def test_go_reads_an_empty_frame(decoded: dict[str, dict[str, Any]]) -> None:
    line = _decoded_ok(decoded, "frame-empty.arrow")
    assert [(f["name"], f["type"], f["values"]) for f in line["fields"]] == [
        ("t", "[]time.Time", []),
        ("v", "[]*float64", []),
    ]


@pytest.mark.parametrize("control", ["large_string", "decimal"])
def test_control_go_rejects_uncoerced_types(decoded: dict[str, dict[str, Any]], control: str) -> None:
    """The harness does tell a frame Grafana rejects: the same types without coercion."""
    line = decoded[f"control-{control}.arrow"]
    assert not line["ok"]
    assert "unsupported conversion from arrow to sdk type" in line["error"]


def test_control_go_misreads_uncoerced_microseconds(decoded: dict[str, dict[str, Any]]) -> None:
    """Without the cast to nanoseconds Grafana lands a 2024 timestamp in January 1970."""
    (field,) = _decoded_ok(decoded, "control-timestamp_us.arrow")["fields"]
    assert field["type"] == "[]*time.Time"
    assert field["values"][0].startswith("1970-01-20T")
