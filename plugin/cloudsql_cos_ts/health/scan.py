"""Health stage "scan": read the newest object and check it is what the engine will be asked to read.

One small GET, no engine job: a flow-log object must be gzip JSON with IBM's header fields and a
``flow_logs`` array whose records carry the record fields; other formats get a cheap sniff of their
first bytes. Objects larger than :data:`MAX_SCAN_BYTES` are not downloaded (Save & test must stay quick).

A flow-log object that is not valid gzip or JSON is *damaged*, not a wrong setting: queries leave
such objects out with a warning (``damagedObjects: skip``, the default), so the stage warns too;
with ``damagedObjects: fail`` queries fail on them, and so does the stage.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from cloudsql_cos_ts.errors import DownstreamError
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS
from cloudsql_cos_ts.health.source import SourceProbe
from cloudsql_cos_ts.health.stages import StageWarning
from cloudsql_cos_ts.settings.datasource import DamagedObjects, SourceFormat

MAX_SCAN_BYTES = 32 * 1024 * 1024
_HEADER_FIELDS = tuple(name for name, _ in HEADER_JSON)
_RECORD_FIELDS = tuple(name for name, _ in RECORD_MEMBERS)


def scan_newest(probe: SourceProbe | None, source_format: SourceFormat, damaged: DamagedObjects = "skip") -> str:
    if probe is None or probe.newest is None:
        raise StageWarning("nothing to read: the source stage found no object")
    info = probe.newest
    if info.size > MAX_SCAN_BYTES:
        raise StageWarning(f"not read: {info.key} is {info.size} bytes, more than a quick check downloads")
    data, _ = probe.store.get(info.key)
    if source_format == "flowlogs":
        try:
            return _check_flow_log(info.key, data)
        except _Damaged as exc:
            if damaged == "fail":
                raise DownstreamError(f"{exc}; queries fail on damaged objects (damagedObjects: fail)") from None
            raise StageWarning(f"{exc}; queries leave damaged objects out and say so in a warning") from None
    return _sniff(info.key, data, source_format)


class _Damaged(DownstreamError):
    """The object's bytes are not gzip JSON at all (as opposed to JSON of the wrong shape)."""


def _check_flow_log(key: str, data: bytes) -> str:
    document = _json_document(key, data)
    missing = [name for name in (*_HEADER_FIELDS, "flow_logs") if name not in document]
    if missing:
        raise DownstreamError(
            f"{key} is not an IBM flow-log document (missing {', '.join(missing)}): point the source at flow "
            "logs, or set the source format to what the objects hold"
        )
    records = document["flow_logs"]
    if not isinstance(records, list):
        raise DownstreamError(f"{key}: flow_logs is not an array: the object is not an IBM flow-log document")
    name = key.rpartition("/")[2]
    if not records:  # the collector writes an empty window when the vNIC had no traffic: a valid document
        return f"read {name} ({len(data)} bytes): no records (a window without traffic), header fields present"
    first = records[0]
    absent = [name for name in _RECORD_FIELDS if name not in first] if isinstance(first, dict) else ["all"]
    if absent:
        raise DownstreamError(
            f"{key}: its flow-log records lack {', '.join(absent[:5])}: the objects are not IBM VPC flow logs"
        )
    return f"read {name} ({len(data)} bytes): {len(records)} record(s), header and record fields present"


def _json_document(key: str, data: bytes) -> dict[str, Any]:
    try:
        text = _gunzipped(key, data)
    except DownstreamError as exc:
        raise _Damaged(str(exc)) from None
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise _Damaged(f"{key} is not valid JSON: flow-log objects are gzip-compressed JSON") from None
    if not isinstance(document, dict):
        raise DownstreamError(f"{key} holds JSON that is not an object: it is not an IBM flow-log document")
    return document


def _gunzipped(key: str, data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        raise DownstreamError(f"{key} is not valid gzip: flow-log objects are gzip-compressed JSON") from None


def _sniff(key: str, data: bytes, source_format: SourceFormat) -> str:
    if source_format == "parquet" and not (data[:4] == b"PAR1" and data[-4:] == b"PAR1"):
        raise DownstreamError(f"{key} is not a Parquet file: set the source format to what the objects hold")
    if source_format == "json":
        try:
            json.loads(_gunzipped(key, data).split(b"\n", 1)[0])
        except ValueError:
            raise DownstreamError(f"{key} does not start with a JSON value: set the source format") from None
    return f"read {key.rpartition('/')[2]} ({len(data)} bytes) as {source_format}"
