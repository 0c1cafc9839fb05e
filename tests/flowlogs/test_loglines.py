"""Flow records as log lines: the line's layout, labels and level, missing columns and values,
empty times; and which results get the flow-record style."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.flowlogs.loglines import flow_log_style
from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape

CRN = "crn:v1:bluemix:public:is:us-south-1:a/1234::instance:0717_5f2c"
RECORD: dict[str, Any] = {
    "start_time": "2024-05-06T10:01:12Z",
    "action": "accepted",
    "direction": "I",
    "transport_protocol": 6,
    "initiator_ip": "203.0.113.9",
    "initiator_port": 51514,
    "target_ip": "10.240.0.4",
    "target_port": 443,
    "bytes_from_initiator": 1000,
    "bytes_from_target": 234,
    "packets_from_initiator": 8,
    "packets_from_target": 4,
    "network_interface_id": "0717-aa11",
    "instance_crn": CRN,
}
TYPES = {
    "transport_protocol": pa.int32(),
    "initiator_port": pa.int32(),
    "target_port": pa.int32(),
    **{f"{kind}_from_{end}": pa.int64() for kind in ("bytes", "packets") for end in ("initiator", "target")},
}
FULL_LABELS = {
    "action": "accepted", "direction": "ingress", "protocol": "tcp", "vnic": "0717-aa11", "instance": "0717_5f2c"
}


def records(*rows: dict[str, Any]) -> pa.Table:
    names = list(rows[0])
    return pa.table({n: pa.array([r[n] for r in rows], TYPES.get(n, pa.string())) for n in names})


def lines(table: pa.Table) -> tuple[list[Any], dict[str, list[Any]]]:
    """The encoded frame's notices and fields (labels decoded from Grafana's JSON field)."""
    (frame,) = shape(table, ShapeOptions(ref_id="A", format="logs", log_style=flow_log_style), "SQL")
    decoded = pa.ipc.open_file(pa.py_buffer(encode_frame(frame))).read_all()
    fields = {name: decoded.column(name).to_pylist() for name in decoded.column_names}
    if "labels" in fields:
        fields["labels"] = [json.loads(value) for value in fields["labels"]]
    return [n.text for n in frame.meta.notices], fields


def with_(**changes: Any) -> dict[str, Any]:
    return {**RECORD, **changes}


def without(*names: str) -> dict[str, Any]:
    return {k: v for k, v in RECORD.items() if k not in names}


@pytest.mark.parametrize(
    ("record", "body", "severity", "labels"),
    [
        (
            RECORD,
            "ACCEPT tcp 203.0.113.9:51514 → 10.240.0.4:443 1.2 KB 12 pkts ingress 0717-aa11",
            "info",
            FULL_LABELS,
        ),
        (
            with_(action="rejected", direction="O", transport_protocol=17,
                  bytes_from_initiator=120, bytes_from_target=0),
            "REJECT udp 203.0.113.9:51514 → 10.240.0.4:443 120 B 12 pkts egress 0717-aa11",
            "warning",
            {**FULL_LABELS, "action": "rejected", "direction": "egress", "protocol": "udp"},
        ),
        (  # sizes: the biggest unit that fits, one decimal
            with_(bytes_from_initiator=2_500_000_000, bytes_from_target=None, transport_protocol=1),
            "ACCEPT icmp 203.0.113.9:51514 → 10.240.0.4:443 2.5 GB 12 pkts ingress 0717-aa11",
            "info",
            {**FULL_LABELS, "protocol": "icmp"},
        ),
        (
            with_(bytes_from_initiator=999, bytes_from_target=0),
            "ACCEPT tcp 203.0.113.9:51514 → 10.240.0.4:443 999 B 12 pkts ingress 0717-aa11",
            "info",
            FULL_LABELS,
        ),
        (
            with_(bytes_from_initiator=999_949, bytes_from_target=0),
            "ACCEPT tcp 203.0.113.9:51514 → 10.240.0.4:443 999.9 KB 12 pkts ingress 0717-aa11",
            "info",
            FULL_LABELS,
        ),
        (  # an unnamed protocol keeps its number; an unknown action is shown, with no level; 999.95 KB is 1.0 MB
            with_(transport_protocol=253, action="dropped", bytes_from_initiator=999_950, bytes_from_target=0),
            "DROPPED 253 203.0.113.9:51514 → 10.240.0.4:443 1.0 MB 12 pkts ingress 0717-aa11",
            None,
            {**FULL_LABELS, "protocol": "253", "action": "dropped"},
        ),
        (  # NULL values: "-" in place, the label left out
            with_(initiator_ip=None, target_port=None, bytes_from_initiator=None, bytes_from_target=None,
                  packets_from_initiator=None, packets_from_target=None, direction=None, network_interface_id=None,
                  transport_protocol=None, instance_crn=None),
            "ACCEPT - -:51514 → 10.240.0.4:- - - pkts - -",
            "info",
            {"action": "accepted"},
        ),
        (  # columns not selected: their pieces and labels are left out
            without("initiator_port", "target_port", "transport_protocol", "bytes_from_initiator",
                    "bytes_from_target", "packets_from_target", "direction", "network_interface_id", "instance_crn"),
            "ACCEPT 203.0.113.9 → 10.240.0.4 8 pkts",
            "info",
            {"action": "accepted"},
        ),
        (  # FLOW_FLAT's partition column names the vNIC when the header's is not selected
            {**without("network_interface_id"), "vnic-id": "0717-bb22"},
            "ACCEPT tcp 203.0.113.9:51514 → 10.240.0.4:443 1.2 KB 12 pkts ingress 0717-bb22",
            "info",
            {**FULL_LABELS, "vnic": "0717-bb22"},
        ),
    ],
)
def test_a_flow_record_line(record: dict[str, Any], body: str, severity: str | None, labels: dict[str, str]) -> None:
    notices, fields = lines(records(record))
    assert notices == []
    assert fields["body"] == [body]
    assert fields["severity"] == [severity]
    assert fields["labels"] == [labels]
    assert list(fields) == ["timestamp", "body", "severity", "id", "labels"]


def test_the_time_is_the_start_time_and_empty_times_are_left_out_with_a_warning() -> None:
    """IBM's beta objects held records with ``"start_time": ""``: NULL, as everywhere in the plugin."""
    table = records(
        with_(start_time="2024-05-06T10:01:13Z", target_ip="10.0.0.2"),
        with_(start_time="", target_ip="10.0.0.3"),
        with_(start_time="2024-05-06T10:01:12Z", target_ip="10.0.0.1"),
    ).append_column("capture_start_time", pa.array([0, 0, 0], pa.timestamp("s")))
    notices, fields = lines(table)
    assert notices == ["1 rows without a time value were left out"]
    assert [b.split()[4] for b in fields["body"]] == ["10.0.0.1:443", "10.0.0.2:443"]
    assert [t.isoformat() for t in fields["timestamp"]] == ["2024-05-06T10:01:12+00:00", "2024-05-06T10:01:13+00:00"]


def test_upper_case_column_names_are_read_too() -> None:
    table = records(RECORD)
    table = table.rename_columns([name.upper() for name in table.column_names])
    _, fields = lines(table)
    assert fields["body"] == ["ACCEPT tcp 203.0.113.9:51514 → 10.240.0.4:443 1.2 KB 12 pkts ingress 0717-aa11"]


@pytest.mark.parametrize(
    ("columns", "flow"),
    [
        (["start_time", "action", "initiator_ip", "target_ip"], True),
        (["START_TIME", "Action", "initiator_ip", "target_ip", "x"], True),
        (["start_time", "action", "initiator_ip"], False),  # no target: not a flow record
        (["capture_start_time", "action", "initiator_ip", "target_ip"], False),
    ],
)
def test_which_results_are_flow_records(columns: list[str], flow: bool) -> None:
    table = pa.table({name: pa.array(["x"]) for name in columns})
    assert (flow_log_style(table) is not None) == flow
