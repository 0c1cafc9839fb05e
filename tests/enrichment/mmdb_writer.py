"""A minimal MaxMind DB writer for tests, written from MaxMind's published format (version 2.0): a
binary search tree of 24-bit records over IPv6 (IPv4 networks in ``::/96``), 16 zero bytes, the data
section, and the metadata after its marker. Enough for the plugin's loader to read real files."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
_STRING, _UINT16, _UINT32, _MAP, _UINT64, _ARRAY, _BOOLEAN = 2, 5, 6, 7, 9, 11, 14


class Typed(int):
    """An integer written as a given unsigned type (the metadata's fields have fixed types)."""

    def __new__(cls, value: int, kind: int) -> Typed:
        made = super().__new__(cls, value)
        made.kind = kind
        return made

    kind: int


def _control(kind: int, size: int) -> bytes:
    first, extended = (kind << 5, b"") if kind <= 7 else (0, bytes([kind - 7]))
    if size < 29:
        return bytes([first | size]) + extended
    return bytes([first | 29]) + extended + bytes([size - 29])  # sizes up to 284 suffice here


def encode(value: Any) -> bytes:
    if isinstance(value, bool):
        return _control(_BOOLEAN, int(value))
    if isinstance(value, str):
        data = value.encode()
        return _control(_STRING, len(data)) + data
    if isinstance(value, int):
        data = value.to_bytes((value.bit_length() + 7) // 8, "big")
        kind = value.kind if isinstance(value, Typed) else _UINT32 if value < 1 << 32 else _UINT64
        return _control(kind, len(data)) + data
    if isinstance(value, Mapping):
        return _control(_MAP, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    return _control(_ARRAY, len(value)) + b"".join(encode(item) for item in value)


def write_mmdb(path: Path, networks: Sequence[tuple[str, Mapping[str, Any]]], database_type: str = "Test") -> Path:
    """Write ``networks`` (CIDR text, record) as an IPv6 MaxMind DB file; networks must not nest."""
    data, offsets = b"", []
    for _, record in networks:
        offsets.append(len(data))
        data += encode(record)
    nodes: list[list[Any]] = [[None, None]]
    for (text, _), offset in zip(networks, offsets, strict=True):
        network = ipaddress.ip_network(text)
        bits = int(network.network_address)  # an IPv4 address is ::a.b.c.d: the same number
        prefix = network.prefixlen + (96 if network.version == 4 else 0)
        node = 0
        for depth in range(prefix):
            bit = (bits >> (127 - depth)) & 1
            if depth == prefix - 1:
                nodes[node][bit] = ("data", offset)
                break
            child = nodes[node][bit]
            if child is None:
                nodes.append([None, None])
                child = nodes[node][bit] = len(nodes) - 1
            node = child
    count = len(nodes)

    def pointer(value: Any) -> int:
        if value is None:
            return count
        return count + 16 + value[1] if isinstance(value, tuple) else int(value)

    tree = b"".join(pointer(left).to_bytes(3, "big") + pointer(right).to_bytes(3, "big") for left, right in nodes)
    metadata = {"node_count": Typed(count, _UINT32), "record_size": Typed(24, _UINT16),
                "ip_version": Typed(6, _UINT16), "database_type": database_type, "languages": ["en"],
                "binary_format_major_version": Typed(2, _UINT16), "binary_format_minor_version": Typed(0, _UINT16),
                "build_epoch": Typed(1_700_000_000, _UINT64), "description": {"en": "plugin test data"}}
    path.write_bytes(tree + bytes(16) + data + _METADATA_MARKER + encode(metadata))
    return path
