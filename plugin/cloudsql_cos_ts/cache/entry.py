"""One cache entry as bytes: a small JSON header, then Arrow IPC parts, all under one checksum.

Layout: ``MAGIC``, the header length (4 bytes, big-endian), the header JSON, then the parts in the
header's order. The parts are the query's encoded frames (Arrow IPC files, as Grafana receives
them) and, for results other queries read, the result table (an Arrow IPC file). Nothing is ever
pickled. The header's SHA-256 covers every part, so a torn or altered entry is detected on read
and never served.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.timerange import TimeRange

MAGIC = b"CQRC"
FORMAT_VERSION = 1
_LENGTH = struct.Struct(">I")


class CorruptEntry(Exception):
    """The stored bytes are not a complete entry of this format."""


@dataclass
class CachedResult:
    """A query's answer as the cache keeps it."""

    frames: list[bytes]  # encoded frames, ready for the DataResponse
    table: pa.Table | None  # the result table, for queries chained on it with $__source_prev
    created: float  # epoch seconds when the engine produced it
    queried_range: TimeRange  # the (aligned) range the SQL was expanded with
    # The frames last served from the store, with the stamp their meta was rewritten for (the age
    # in whole seconds and what the asking query said): hits with the same stamp reuse them.
    restamped: tuple[Hashable, list[bytes]] | None = field(default=None, compare=False, repr=False)
    # When the store drops the entry (epoch seconds); set by the store that holds it.
    expires_at: float | None = field(default=None, compare=False, repr=False)


def pack(result: CachedResult, *, with_table: bool) -> bytes:
    """Encode ``result``; the table is included only when ``with_table`` (and there is one)."""
    parts: list[tuple[str, bytes]] = [("frame", frame) for frame in result.frames]
    if with_table and result.table is not None:
        parts.append(("table", _table_bytes(result.table)))
    payload = b"".join(data for _, data in parts)
    header = {
        "v": FORMAT_VERSION,
        "created": result.created,
        "queriedRange": [result.queried_range.from_ms, result.queried_range.to_ms],
        "parts": [[kind, len(data)] for kind, data in parts],
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + _LENGTH.pack(len(header_bytes)) + header_bytes + payload


def unpack(blob: bytes) -> CachedResult:
    """Decode and verify an entry; :class:`CorruptEntry` when anything does not add up."""
    view = memoryview(blob)
    header, offset = _header(view)
    try:
        sizes = [(str(kind), int(size)) for kind, size in header["parts"]]
        created = float(header["created"])
        start, end = (int(x) for x in header["queriedRange"])
        checksum = str(header["sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptEntry(f"bad header: {exc}") from None
    if offset + sum(size for _, size in sizes) != len(view):
        raise CorruptEntry("the parts do not fill the entry")
    if hashlib.sha256(view[offset:]).hexdigest() != checksum:
        raise CorruptEntry("checksum mismatch")
    frames: list[bytes] = []
    table = None
    for kind, size in sizes:
        part = view[offset : offset + size]
        offset += size
        if kind == "frame":
            frames.append(bytes(part))
        elif kind == "table":
            table = _read_table(part)
        else:
            raise CorruptEntry(f"unknown part {kind!r}")
    return CachedResult(frames=frames, table=table, created=created, queried_range=TimeRange(start, end))


def _header(view: memoryview) -> tuple[dict[str, Any], int]:
    fixed = len(MAGIC) + _LENGTH.size
    if len(view) < fixed or view[: len(MAGIC)] != MAGIC:
        raise CorruptEntry("not a result cache entry")
    (length,) = _LENGTH.unpack(view[len(MAGIC) : fixed])
    try:
        header = json.loads(bytes(view[fixed : fixed + length]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptEntry(f"unreadable header: {exc}") from None
    if not isinstance(header, dict) or header.get("v") != FORMAT_VERSION:
        raise CorruptEntry("unknown entry version")
    return header, fixed + length


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _read_table(part: memoryview) -> pa.Table:
    try:
        return pa.ipc.open_file(pa.py_buffer(bytes(part))).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise CorruptEntry(f"unreadable table: {exc}") from None
