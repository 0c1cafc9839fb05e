"""IBM's object key layout for VPC flow logs, and the hour arithmetic pruning needs.

A key looks like ``ibm_vpc_flowlogs_v1/account=…/region=…/vpc-id=…/subnet-id=…/endpoint-type=…/
instance-id=…/vnic-id=…/record-type=…/year=YYYY/month=MM/day=DD/hour=HH/stream-id=…/NNNNNNNN.gz``.
Values are URL-encoded in real keys (CRNs carry ``:`` and ``/``), so parsing decodes them and
formatting encodes them. Parsing reads the *last* fourteen segments, so a key may sit below any
bucket prefix or local folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, unquote

ROOT = "ibm_vpc_flowlogs_v1"
VNIC_LEVELS = (
    "account", "region", "vpc-id", "subnet-id", "endpoint-type", "instance-id", "vnic-id", "record-type",
)
TIME_LEVELS = ("year", "month", "day", "hour")
PARTITION_NAMES = (*VNIC_LEVELS, *TIME_LEVELS, "stream-id")
_SEQUENCE_RE = re.compile(r"^(\d{8})\.gz$")
ONE_HOUR = timedelta(hours=1)
# Stream folders remembered by parse_key: a week of ten vNICs' ingress and egress streams is ~3,400.
FOLDER_MEMO_SIZE = 16384


class VnicPartition(NamedTuple):
    """The eight vNIC-level partition values (decoded), in key order."""

    account: str
    region: str
    vpc_id: str
    subnet_id: str
    endpoint_type: str
    instance_id: str
    vnic_id: str
    record_type: str


@dataclass(frozen=True)
class FlowLogKey:
    """The partition values and sequence number of one flow-log object (values decoded)."""

    vnic: VnicPartition
    hour_start: datetime  # UTC, minute 0: the year/month/day/hour partition
    stream_id: str
    sequence: int


def in_flow_log_layout(path: str) -> bool:
    """Whether a location's path runs through IBM's flow-log root folder (``…/ibm_vpc_flowlogs_v1/…``)."""
    return ROOT in path.split("/")


def parse_key(key: str) -> FlowLogKey | None:
    """The flow-log key's fields, or None when ``key`` is not laid out like a flow-log object."""
    folder, _, name = key.rpartition("/")
    match = _SEQUENCE_RE.match(name)
    if match is None:
        return None
    place = _parse_folder(folder)
    if place is None:
        return None
    vnic, hour_start, stream_id = place
    return FlowLogKey(vnic, hour_start=hour_start, stream_id=stream_id, sequence=int(match.group(1)))


@lru_cache(maxsize=FOLDER_MEMO_SIZE)
def _decoded(segment_value: str) -> str:
    """A URL-decoded key segment value; memoised, as every folder of a vNIC repeats the same CRNs."""
    return unquote(segment_value)


@lru_cache(maxsize=FOLDER_MEMO_SIZE)
def _parse_folder(folder: str) -> tuple[VnicPartition, datetime, str] | None:
    """The vNIC partition, hour and stream of a stream folder (``…/stream-id=…``), or None.

    Memoised: the objects of a listing share a few folders (one per vNIC, hour and stream, about a
    dozen objects each), and URL-decoding a folder's CRNs and building its hour was two thirds of a
    listing's CPU. The memo also makes the objects of one folder share their partition values.
    """
    segments = folder.split("/")
    if len(segments) < len(PARTITION_NAMES):
        return None
    values: list[str] = []
    for name, segment in zip(PARTITION_NAMES, segments[-len(PARTITION_NAMES):], strict=True):
        seg_name, sep, raw = segment.partition("=")
        if not sep or seg_name != name:
            return None
        values.append(_decoded(raw))
    try:
        year, month, day, hour = (int(v) for v in values[8:12])
        hour_start = datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None
    return VnicPartition(*values[:8]), hour_start, values[12]


def _segment(name: str, value: str) -> str:
    return f"{name}={quote(value, safe='')}"


def vnic_prefix(values: VnicPartition) -> str:
    """``ibm_vpc_flowlogs_v1/account=…/…/record-type=…/`` for the eight vNIC-level values."""
    return "/".join((ROOT, *(_segment(n, v) for n, v in zip(VNIC_LEVELS, values, strict=True)))) + "/"


def hour_suffix(hour_start: datetime) -> str:
    """``year=YYYY/month=MM/day=DD/hour=HH/`` (zero-padded, as IBM writes them)."""
    h = hour_start.astimezone(UTC)
    return f"year={h.year:04d}/month={h.month:02d}/day={h.day:02d}/hour={h.hour:02d}/"


def day_suffix(day_start: datetime) -> str:
    """``year=YYYY/month=MM/day=DD/``: the prefix of a whole day's hours."""
    d = day_start.astimezone(UTC)
    return f"year={d.year:04d}/month={d.month:02d}/day={d.day:02d}/"


def format_key(key: FlowLogKey) -> str:
    """The full object key for ``key`` (inverse of :func:`parse_key` below the root)."""
    return (
        vnic_prefix(key.vnic) + hour_suffix(key.hour_start)
        + f"{_segment('stream-id', key.stream_id)}/{key.sequence:08d}.gz"
    )


def stream_id_for(moment: datetime) -> str:
    """IBM's ``stream-id``: the UTC creation time of the stream, ``yyyymmddThhmmssZ``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
