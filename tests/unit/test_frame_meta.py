"""Typed frame meta: Grafana's JSON keys, written in one place, and re-stamping an encoded frame."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.meta import TYPE_VERSION, FrameMeta, Notice, QueryStat, restamp
from cloudsql_cos_ts.frames.model import Field, Frame

FULL = FrameMeta(
    type="timeseries-multi",
    type_version=TYPE_VERSION,
    executed_query_string="SELECT 1",
    preferred_visualisation_type="graph",
    notices=[Notice("warning", "short")],
    stats=[QueryStat("Bytes downloaded", 2048, "decbytes")],
    custom={"expandedSql": "SELECT 1"},
)


@pytest.mark.parametrize(
    ("meta", "json_object"),
    [
        (FrameMeta(), {}),  # nothing set: nothing written (the encoder then leaves meta out)
        (
            FULL,
            {
                "type": "timeseries-multi",
                "typeVersion": [0, 1],
                "executedQueryString": "SELECT 1",
                "preferredVisualisationType": "graph",
                "notices": [{"severity": "warning", "text": "short"}],
                "stats": [{"displayName": "Bytes downloaded", "value": 2048, "unit": "decbytes"}],
                "custom": {"expandedSql": "SELECT 1"},
            },
        ),
    ],
)
def test_the_sdk_json_keys(meta: FrameMeta, json_object: dict[str, object]) -> None:
    assert meta.to_json() == json_object
    assert FrameMeta.from_json(json.loads(json.dumps(json_object))) == meta


def test_a_typed_copy_has_lists_of_its_own() -> None:
    base = FrameMeta(notices=[Notice("info", "shared by every series")])
    first, second = base.of_type("timeseries-multi"), base.of_type("timeseries-multi")
    first.add_notice("warning", "only the first frame's")
    first.custom["x"] = 1
    assert [n.text for n in second.notices] == ["shared by every series"] and second.custom == {}
    assert (first.type, first.type_version) == ("timeseries-multi", (0, 1))


def test_restamp_changes_the_meta_and_keeps_the_columns() -> None:
    values = pa.array([1.5, None, 3.0])
    frame = encode_frame(Frame("n", "A", [Field("v", values)], meta=FrameMeta(executed_query_string="SELECT old")))

    def update(meta: FrameMeta) -> None:
        meta.executed_query_string = "SELECT new"
        meta.custom["cache"] = {"hit": True}

    table = pa.ipc.open_file(pa.py_buffer(restamp(frame, update))).read_all()
    assert json.loads(table.schema.metadata[b"meta"]) == {
        "executedQueryString": "SELECT new",
        "custom": {"cache": {"hit": True}},
    }
    assert table.schema.metadata[b"name"] == b"n" and table.column("v").combine_chunks().equals(values)
