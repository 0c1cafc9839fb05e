"""Small hand-made flow-log objects, one per quirk of the real objects IBM published.

The sample generator writes idealised objects; real ones (the project's reference notes on IBM's
own samples) differ: URL-encoded CRNs in the key, ``ingress``/``egress`` record types, streams that
started days earlier, unaligned windows that straddle an hour, unsorted records, empty record
times, ``number_of_flow_logs`` that disagrees with the array, ``OK``/``skip data`` states,
pretty-printed bodies, unknown fields, bodies stored without gzip, and damaged objects. Each
:class:`Case` is one object showing one of these, so a test can name the quirk it exercises.

The bytes are built here rather than checked in as binaries so the README table, the keys and the
bodies can be read and reviewed; gzip is written with mtime 0, so every run writes the same bytes.
Damaged cases are written only when asked for: most tests want a bucket that reads cleanly.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ACCOUNT = "713c783d9a507a53135fe6793c37cc74"
REGION = "us-south"
VPC_CRN = f"crn:v1:bluemix:public:is:us-south:a/{ACCOUNT}::vpc:r006-f6045065-8a82-44fc-ae1e-4817f499c9c6"
COLLECTOR_CRN = f"crn:v1:bluemix:public:is:us-south:a/{ACCOUNT}::flow-log-collector:r006-789fce8c-2c1e-4b1c-9c3e-0c1f"
TARGET_IP = "10.240.64.4"  # the web server (vNIC "web") that the scanner probes
SCANNER_IP = "198.51.100.23"


@dataclass(frozen=True)
class Vnic:
    """One interface: the key's CRN segments and the header's ids."""

    zone: str
    subnet: str
    instance: str
    vnic_id: str
    stream_id: str  # when the interface's stream started: days before the objects below

    def crn(self, kind: str, value: str) -> str:
        return f"crn:v1:bluemix:public:is:{self.zone}:a/{ACCOUNT}::{kind}:{value}"


DHCP_CLIENT = Vnic(
    "us-south-1", "0717-8a2c61b4-7f3e-4b8a-9c1d-2e5f6a7b8c9d", "0717_3c4d5e6f-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    "0717-c9ce1904-48ef-4c94-b41f-51c48ccfbee4", "20200629T182818Z",
)
WEB = Vnic(
    "us-south-2", "0727-b3eda4c5-63a5-430e-a2e0-26f22e0d1fdb", "0727_8a0f4f09-7b4a-4399-b7af-e96225f6ad4a",
    "0727-d1e2f3a4-5b6c-4d7e-8f90-a1b2c3d4e5f6", "20200630T091543Z",
)


def object_key(vnic: Vnic, record_type: str, hour: str, sequence: int) -> str:
    """IBM's v1 key: ``key=value`` folders, CRNs URL-encoded (``:`` and ``/`` escaped)."""
    year, month, rest = hour.split("-")
    day, hh = rest.split("T")
    segments = [
        ("account", ACCOUNT), ("region", REGION), ("vpc-id", VPC_CRN),
        ("subnet-id", vnic.crn("subnet", vnic.subnet)), ("endpoint-type", "vnics"),
        ("instance-id", vnic.crn("instance", vnic.instance)), ("vnic-id", vnic.vnic_id),
        ("record-type", record_type), ("year", year), ("month", month), ("day", day), ("hour", hh),
        ("stream-id", vnic.stream_id),
    ]
    folders = "/".join(f"{name}={quote(value, safe='')}" for name, value in segments)
    return f"ibm_vpc_flowlogs_v1/{folders}/{sequence:08d}.gz"


def flow(
    times: tuple[str, str, str],
    route: str,
    protocol: int,
    counters: tuple[int, int, int, int],
    *,
    terminated: bool = True,
    cumulative: tuple[int, int, int, int] | None = None,
) -> dict[str, Any]:
    """One record in IBM's member order.

    ``times`` are (start, end, connection start); ``route`` reads ``"<direction> <action> <ip:port> -> <ip:port>"``;
    ``counters`` are bytes and packets from the initiator, then from the target.
    """
    direction, action, initiator, _, target = route.split()
    (initiator_ip, initiator_port), (target_ip, target_port) = (a.rsplit(":", 1) for a in (initiator, target))
    names = ("bytes_from_initiator", "packets_from_initiator", "bytes_from_target", "packets_from_target")
    return {
        "start_time": times[0], "end_time": times[1], "connection_start_time": times[2],
        "direction": direction, "action": action,
        "initiator_ip": initiator_ip, "target_ip": target_ip,
        "initiator_port": int(initiator_port), "target_port": int(target_port),
        "transport_protocol": protocol, "ether_type": "IPv4",
        "was_initiated": True, "was_terminated": terminated,
        **dict(zip(names, counters, strict=True)),
        **{f"cumulative_{n}": v for n, v in zip(names, cumulative or counters, strict=True)},
    }


def document(
    vnic: Vnic, window: tuple[str, str], records: list[dict[str, Any]], *, state: str = "ok", count: int | None = None
) -> dict[str, Any]:
    """A header in IBM's field order, then ``flow_logs``; ``count`` overrides ``number_of_flow_logs``."""
    return {
        "version": "0.0.1",
        "collector_crn": COLLECTOR_CRN,
        "attached_endpoint_type": "vnic",
        "network_interface_id": vnic.vnic_id,
        "instance_crn": vnic.crn("instance", vnic.instance),
        "vpc_crn": VPC_CRN,
        "capture_start_time": window[0],
        "capture_end_time": window[1],
        "state": state,
        "number_of_flow_logs": len(records) if count is None else count,
        "flow_logs": records,
    }


def compact(doc: dict[str, Any]) -> bytes:
    """One line without a trailing newline, like IBM's published body (S3)."""
    return json.dumps(doc, separators=(",", ":")).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass(frozen=True)
class Case:
    """One object: its key, its stored bytes, what it shows, and whether a reader must skip it."""

    name: str
    shows: str
    key: str
    body: bytes
    damaged: bool = False


def _syn(second: str, port: int, *, start: str | None = None) -> dict[str, Any]:
    """A rejected inbound SYN from the scanner to the web server at 20:<second>, or with ``start`` as given."""
    moment = f"2020-07-01T{second}Z"
    begin = moment if start is None else start
    return flow((begin, begin, moment), f"I rejected {SCANNER_IP}:40000 -> {TARGET_IP}:{port}", 6, (60, 1, 0, 0))


_SCAN_WINDOW = ("2020-07-01T20:31:43Z", "2020-07-01T20:36:43Z")
_HTTPS = flow(
    ("2020-07-01T20:32:10Z", "2020-07-01T20:33:02Z", "2020-07-01T20:32:10Z"),
    f"I accepted 203.0.113.9:51514 -> {TARGET_IP}:443", 6, (5120, 12, 88000, 70),
)

CASES: tuple[Case, ...] = (
    Case(
        "ibm_sample",
        "IBM's published object (S3): compact body, unsorted records, DHCP unicast and broadcast, DNS to 161.26.0.10, "
        "a window not on a 5-minute mark",
        object_key(DHCP_CLIENT, "egress", "2020-07-01T20", 5),
        gz(compact(document(DHCP_CLIENT, ("2020-07-01T20:28:18Z", "2020-07-01T20:33:18Z"), [
            flow(("2020-07-01T20:30:39Z", "2020-07-01T20:33:09Z", "2020-07-01T20:30:39Z"),
                "O accepted 10.240.128.4:68 -> 10.240.128.1:67", 17, (1368, 4, 1280, 4), terminated=False),
            flow(("2020-07-01T20:28:37Z", "2020-07-01T20:28:59Z", "2020-07-01T20:28:37Z"),
                "O accepted 10.240.128.4:36919 -> 161.26.0.10:53", 17, (288, 4, 441, 3)),
            flow(("2020-07-01T20:28:34Z", "2020-07-01T20:28:49Z", "2020-07-01T20:28:34Z"),
                "O accepted 0.0.0.0:68 -> 255.255.255.255:67", 17, (1368, 4, 0, 0)),
        ]))),
    ),
    Case(
        "count_mismatch_empty_times",
        "the beta sample (S1): number_of_flow_logs 1 but two records, the second a copy with start_time and "
        "end_time \"\" (connection_start_time set)",
        object_key(DHCP_CLIENT, "egress", "2020-07-01T20", 6),
        gz(compact(document(DHCP_CLIENT, ("2020-07-01T20:33:18Z", "2020-07-01T20:38:18Z"), [
            flow(("2020-07-01T20:34:02Z", "2020-07-01T20:34:02Z", "2020-07-01T20:34:02Z"),
                "O accepted 10.240.128.4:68 -> 10.240.128.1:67", 17, (342, 1, 342, 1), terminated=False),
            flow(("", "", "2020-07-01T20:34:02Z"),
                "O accepted 10.240.128.4:68 -> 10.240.128.1:67", 17, (342, 1, 342, 1), terminated=False),
        ], count=1)) + b"\n"),
    ),
    Case(
        "empty_and_bad_times",
        "rejected inbound SYNs to the web server, two with start_time \"\" and one with a start_time that is not "
        "a time; one record with all three times \"\"",
        object_key(WEB, "ingress", "2020-07-01T20", 6),
        gz(compact(document(WEB, _SCAN_WINDOW, [
            _syn("20:33:05", 22),
            _syn("20:33:06", 23, start=""),
            _syn("20:33:07", 25, start=""),
            _syn("20:33:08", 80, start="01/07/2020 20:33"),
            flow(("", "", ""), f"I rejected {SCANNER_IP}:40001 -> {TARGET_IP}:3389", 6, (60, 1, 0, 0)),
            _HTTPS,
        ]))),
    ),
    Case(
        "no_traffic",
        "an ingress object with \"flow_logs\": [] (S1 00002630)",
        object_key(WEB, "ingress", "2020-07-01T20", 5),
        gz(compact(document(WEB, ("2020-07-01T20:26:43Z", "2020-07-01T20:31:43Z"), []))),
    ),
    Case(
        "straddles_hour",
        "a window 20:56:43-21:01:43 in the hour=21 folder (the folder of its end), sequence 0 there; records on "
        "both sides of 21:00",
        object_key(WEB, "ingress", "2020-07-01T21", 0),
        gz(compact(document(WEB, ("2020-07-01T20:56:43Z", "2020-07-01T21:01:43Z"), [
            _syn("21:00:30", 8080), _syn("20:58:12", 8443), _syn("20:59:50", 21),
        ]))),
    ),
    Case(
        "skip_data",
        "state \"skip data\" (documented, never seen in a real header) on rejected inbound SYNs",
        object_key(WEB, "ingress", "2020-07-01T20", 8),
        gz(compact(document(WEB, ("2020-07-01T20:41:43Z", "2020-07-01T20:46:43Z"), [
            _syn("20:42:01", 3306), _syn("20:42:02", 5432),
        ], state="skip data"))),
    ),
    Case(
        "upper_case_ok",
        "state \"OK\" as IBM's header table spells it (the samples say \"ok\")",
        object_key(WEB, "ingress", "2020-07-01T20", 9),
        gz(compact(document(
            WEB, ("2020-07-01T20:46:43Z", "2020-07-01T20:51:43Z"), [_syn("20:47:30", 6379)], state="OK"
        ))),
    ),
    Case(
        "pretty_printed",
        "a body indented over many lines with a trailing newline",
        object_key(WEB, "ingress", "2020-07-01T20", 10),
        gz(json.dumps(document(WEB, ("2020-07-01T20:51:43Z", "2020-07-01T20:56:43Z"), [
            _syn("20:52:10", 27017), _syn("20:53:10", 9200),
        ]), indent=2).encode() + b"\n"),
    ),
    Case(
        "unknown_fields",
        "extra header and record fields IBM's prototypes wrote (vsi_crn, ip_protocol)",
        object_key(WEB, "egress", "2020-07-01T20", 7),
        gz(compact({
            **document(WEB, ("2020-07-01T20:36:43Z", "2020-07-01T20:41:43Z"), [{
                **flow(("2020-07-01T20:37:00Z", "2020-07-01T20:37:01Z", "2020-07-01T20:37:00Z"),
                    f"O accepted {TARGET_IP}:41000 -> 161.26.0.11:53", 17, (70, 1, 150, 1)),
                "ip_protocol": "udp",
            }]),
            "vsi_crn": WEB.crn("instance", WEB.instance),
        })),
    ),
    Case(
        "short_window",
        "a window of 3 min 18 s (20:36:43-20:40:01), after a collector flush",
        object_key(WEB, "ingress", "2020-07-01T20", 7),
        gz(compact(document(WEB, ("2020-07-01T20:36:43Z", "2020-07-01T20:40:01Z"), [_syn("20:38:44", 445)]))),
    ),
    Case(
        "long_connection",
        "an accepted TCP connection that started two days before the object; cumulative counters exceed the "
        "window's",
        object_key(WEB, "egress", "2020-07-01T21", 0),
        gz(compact(document(WEB, ("2020-07-01T20:56:43Z", "2020-07-01T21:01:43Z"), [
            flow(("2020-07-01T20:56:43Z", "2020-07-01T21:01:40Z", "2020-06-29T07:12:55Z"),
                f"O accepted {TARGET_IP}:52200 -> 161.26.0.6:443", 6, (4000, 30, 9000, 25), terminated=False,
                 cumulative=(9_100_000, 61_000, 31_000_000, 52_000)),
        ]))),
    ),
    Case(
        "not_gzipped",
        "a body stored without gzip (served decompressed, Content-Encoding: gzip)",
        object_key(WEB, "egress", "2020-07-01T20", 8),
        compact(document(WEB, ("2020-07-01T20:41:43Z", "2020-07-01T20:46:43Z"), [
            flow(("2020-07-01T20:43:00Z", "2020-07-01T20:43:01Z", "2020-07-01T20:43:00Z"),
                f"O accepted {TARGET_IP}:41002 -> 161.26.0.10:53", 17, (70, 1, 130, 1)),
        ])),
    ),
    Case(
        "truncated_gzip",
        "damaged: a gzip body cut in half",
        object_key(WEB, "ingress", "2020-07-01T21", 1),
        gz(compact(document(WEB, ("2020-07-01T21:01:43Z", "2020-07-01T21:06:43Z"), [_syn("21:02:00", 1433)])))[:120],
        damaged=True,
    ),
    Case(
        "invalid_json",
        "damaged: gzip of IBM's documentation example, which misses commas",
        object_key(WEB, "ingress", "2020-07-01T21", 2),
        gz(b'{"version": "0.0.1", "vpc_crn": "crn" "capture_start_time": "2020-07-01T21:06:43Z", "flow_logs": []}'),
        damaged=True,
    ),
)

DAMAGED = tuple(case for case in CASES if case.damaged)


def document_of(case: Case) -> dict[str, Any]:
    """The JSON document of a readable case (gzip or not); raises for a damaged one."""
    body = gzip.decompress(case.body) if case.body[:2] == b"\x1f\x8b" else case.body
    loaded: dict[str, Any] = json.loads(body)
    return loaded


def readable_records() -> list[dict[str, Any]]:
    """Every record of the readable cases."""
    return [record for case in CASES if not case.damaged for record in document_of(case)["flow_logs"]]


def write(folder: Path, *, damaged: bool = False, names: Iterable[str] | None = None) -> list[Case]:
    """Write the cases below ``folder`` (the damaged ones only with ``damaged``, or only ``names``); returns them."""
    wanted = set(names) if names is not None else None
    chosen = [
        case for case in CASES
        if (case.name in wanted if wanted is not None else damaged or not case.damaged)
    ]
    for case in chosen:
        path = folder / case.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.body)
    return chosen


def v0_key(vnic: Vnic, record_type: str, written: str, sequence: int) -> str:
    """IBM's 2020 beta (v0) key: plain folders, a zone, raw CRNs (their ``a/<account>`` adds levels), no hour
    folders, the object's own capture end as the last folder, a counter that runs on (S1)."""
    return "/".join((
        "ibm_vpc_flowlogs_v0", ACCOUNT, vnic.zone, VPC_CRN, vnic.crn("subnet", vnic.subnet), "vnics",
        vnic.crn("instance", vnic.instance), vnic.vnic_id, record_type, written, f"{sequence:08d}.gz",
    ))


V0_OBJECTS = {  # two beta objects like S1's 00002630 (an empty ingress object) and one with a record
    v0_key(WEB, "ingress", "20200608T132243Z", 2630): gz(compact(document(
        WEB, ("2020-06-08T13:17:43Z", "2020-06-08T13:22:43Z"), []))),
    v0_key(WEB, "egress", "20200608T144744Z", 2665): gz(compact(document(
        WEB, ("2020-06-08T14:42:44Z", "2020-06-08T14:47:44Z"),
        [flow(("2020-06-08T14:43:00Z", "2020-06-08T14:43:01Z", "2020-06-08T14:43:00Z"),
              f"O accepted {TARGET_IP}:36919 -> 161.26.0.10:53", 17, (288, 4, 441, 3))]))),
}


def write_v0(folder: Path) -> list[str]:
    """Write the v0 objects below ``folder``; returns their keys."""
    for key, body in V0_OBJECTS.items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return sorted(V0_OBJECTS)
