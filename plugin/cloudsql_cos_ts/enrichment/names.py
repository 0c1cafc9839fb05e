"""IANA service names (port + transport protocol) and protocol names (protocol number).

Both are dense arrays indexed by number, so a batch is one ``take``. Flow logs carry the protocol
as its number (6, 17, ...); service names exist for TCP, UDP, SCTP and DCCP, so the protocol picks
one of four rows of 65,536 names.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

TRANSPORTS = {"tcp": 6, "udp": 17, "sctp": 132, "dccp": 33}
_PORTS = 1 << 16
_PROTOCOLS = 256


class Names:
    """Names by number; one slot more than the numbers, left NULL, for anything out of range."""

    def __init__(self, names: list[str | None]) -> None:
        self._names = pa.array([*names, None], pa.string())
        self._missing = len(names)

    def entries(self) -> tuple[npt.NDArray[np.int64], pa.Array]:
        """The numbers that have a name, and their names (for an engine that joins them natively)."""
        named = np.flatnonzero(self._names.is_valid().to_numpy(zero_copy_only=False))
        return named.astype(np.int64), self._names.take(pa.array(named))

    def take(self, numbers: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The name of each number; NULL for NULL, negative or unassigned numbers."""
        slot = _integers(numbers)
        slot[(slot < 0) | (slot > self._missing)] = self._missing
        return self._names.take(pa.array(slot))


def load_protocols(path: Path) -> Names:
    names: list[str | None] = [None] * _PROTOCOLS
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[int(row["number"])] = row["name"]
    return Names(names)


def load_services(path: Path) -> Names:
    """One flat table: the protocol's row (``TRANSPORTS`` order) times 65,536 plus the port."""
    rows = {number: index for index, number in enumerate(TRANSPORTS.values())}
    names: list[str | None] = [None] * (_PORTS * len(rows))
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            protocol = TRANSPORTS.get(row["protocol"])
            if protocol is not None:
                names[rows[protocol] * _PORTS + int(row["port"])] = row["name"]
    return Names(names)


def service_table(services: Names) -> pa.Table:
    """``services`` as rows (port, protocol number, name): the flat table's slots taken apart."""
    slots, names = services.entries()
    protocols = np.array(list(TRANSPORTS.values()), np.int64)[slots // _PORTS]
    return pa.table({"port": pa.array(slots % _PORTS), "protocol": pa.array(protocols), "name": names})


def service_slots(ports: pa.Array | pa.ChunkedArray, protocols: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each (port, protocol) as its slot in the services table; -1 (NULL) where there is none."""
    rows = {number: index for index, number in enumerate(TRANSPORTS.values())}
    port, protocol = _integers(ports), _integers(protocols)
    row = np.full(len(protocol), -1, np.int64)
    for number, index in rows.items():
        row[protocol == number] = index
    valid = (row >= 0) & (port >= 0) & (port < _PORTS)
    return pa.array(np.where(valid, row * _PORTS + np.where(valid, port, 0), -1))


def _integers(values: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """The values as int64, NULL as -1 (every table here is indexed from 0)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if array.type != pa.int64():
        array = pc.cast(array, pa.int64(), safe=False)
    if array.null_count:
        array = pc.fill_null(array, -1)
    return np.array(array.to_numpy(zero_copy_only=False), dtype=np.int64)
