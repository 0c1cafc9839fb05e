"""IP address text to integer keys, for a whole Arrow array at once.

IPv4 is parsed by Arrow's compute kernels (a regular expression, then integer casts), so the flow
logs' addresses never go through Python one by one. IPv6 (which IBM VPC flow logs do not carry
today) is parsed per distinct value with ``ipaddress``. Anything that is no address gets family 0:
every lookup then yields NULL, never an error.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_DOTTED = r"^(?P<a>\d{1,3})\.(?P<b>\d{1,3})\.(?P<c>\d{1,3})\.(?P<d>\d{1,3})$"
_LOW64 = (1 << 64) - 1

U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Addresses:
    """Per row: ``family`` 4, 6 or 0 (not an address); ``key`` the IPv4 address or the IPv6 upper
    64 bits; ``low`` the IPv6 lower 64 bits (0 for IPv4)."""

    family: npt.NDArray[np.int8]
    key: U64
    low: U64


def parse(values: pa.Array | pa.ChunkedArray) -> Addresses:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    text = array
    count = len(text)
    family = np.zeros(count, np.int8)
    key = np.zeros(count, np.uint64)
    low = np.zeros(count, np.uint64)
    parts = pc.extract_regex(text, _DOTTED)
    octets = [
        pc.fill_null(pc.cast(pc.struct_field(parts, name), pa.uint64(), safe=False), 256).to_numpy(zero_copy_only=False)
        for name in "abcd"
    ]
    valid = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False)
    for octet in octets:
        valid &= octet <= 255
    packed = (octets[0] << np.uint64(24)) | (octets[1] << np.uint64(16)) | (octets[2] << np.uint64(8)) | octets[3]
    family[valid] = 4
    key[valid] = packed[valid]
    colons = np.flatnonzero(pc.fill_null(pc.match_substring(text, ":"), False).to_numpy(zero_copy_only=False))
    if colons.size:
        _parse_ipv6(text, colons, family, key, low)
    return Addresses(family, key, low)


def _parse_ipv6(text: pa.Array, rows: npt.NDArray[np.intp], family: npt.NDArray[np.int8], key: U64, low: U64) -> None:
    """Fill the IPv6 rows in place, parsing each distinct text once."""
    seen: dict[str, int | None] = {}
    for row, value in zip(rows, text.take(pa.array(rows)).to_pylist(), strict=True):
        if value not in seen:
            try:
                address = ipaddress.IPv6Address(value.split("%", 1)[0])
                seen[value] = int(address)
            except ValueError:
                seen[value] = None
        number = seen[value]
        if number is not None:
            family[row], key[row], low[row] = 6, number >> 64, number & _LOW64
