"""Non-overlapping integer ranges with values: a binary search per batch (numpy), not per row.

Ranges are kept per address family (IPv4 keys are the 32-bit address, IPv6 keys the upper 64 bits).
Tables built from a user's list may nest (a /16 and a /24 inside it): they are flattened once at
load time so the most specific range wins, and the lookup stays one ``searchsorted``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cloudsql_cos_ts.enrichment.addresses import U64, Addresses

FAMILIES = (4, 6)


@dataclass(frozen=True)
class Ranges:
    """One family's sorted ranges; ``index`` rows point into the table's value columns."""

    first: U64
    last: U64
    index: npt.NDArray[np.int32]


class RangeTable:
    """Value columns (Arrow arrays) addressed by the range an address falls in."""

    def __init__(self, ranges: Mapping[int, Ranges], values: Mapping[str, pa.Array]) -> None:
        self._ranges = dict(ranges)
        self._values = dict(values)

    @property
    def size(self) -> int:
        return sum(len(r.first) for r in self._ranges.values())

    @classmethod
    def from_arrow(cls, table: pa.Table, columns: Iterable[str]) -> RangeTable:
        """From a table sorted by (family, first) without overlaps: columns family, first, last, *columns."""
        family = table.column("family").to_numpy()
        first = table.column("first").to_numpy().astype(np.uint64)
        last = table.column("last").to_numpy().astype(np.uint64)
        ranges = {}
        for fam in FAMILIES:
            rows = np.flatnonzero(family == fam)
            ranges[fam] = Ranges(first[rows], last[rows], rows.astype(np.int32))
        values = {name: _compact(table.column(name).combine_chunks()) for name in columns}
        return cls(ranges, values)

    @classmethod
    def from_nested(
        cls,
        rows: Iterable[tuple[int, int, int, tuple[object, ...]]],
        names: tuple[str, ...],
        types: tuple[pa.DataType, ...],
    ) -> RangeTable:
        """From (family, first, last, values) that may nest or overlap: the narrowest range wins."""
        items = list(rows)
        flat: dict[int, list[tuple[int, int, int]]] = {}
        for fam in FAMILIES:
            spans = sorted((f, last, i) for i, (rf, f, last, _) in enumerate(items) if rf == fam)
            flat[fam] = _narrowest_first(spans)
        ranges = {
            fam: Ranges(
                np.array([f for f, _, _ in spans], np.uint64),
                np.array([last for _, last, _ in spans], np.uint64),
                np.array([i for _, _, i in spans], np.int32),
            )
            for fam, spans in flat.items()
        }
        values = {
            name: _compact(pa.array([item[3][column] for item in items], kind))
            for column, (name, kind) in enumerate(zip(names, types, strict=True))
        }
        return cls(ranges, values)

    def to_arrow(self, columns: Iterable[str]) -> pa.Table:
        """The ranges as rows (family, first, last, *columns), for an engine that joins them natively."""
        parts = [(fam, ranges) for fam, ranges in self._ranges.items() if ranges.first.size]
        index = pa.array(np.concatenate([r.index for _, r in parts]) if parts else np.zeros(0, np.int32))
        table = {
            "family": pa.array(
                np.concatenate([np.full(len(r.first), fam, np.int8) for fam, r in parts])
                if parts
                else np.zeros(0, np.int8)
            ),
            "first": pa.array(np.concatenate([r.first for _, r in parts]) if parts else np.zeros(0, np.uint64)),
            "last": pa.array(np.concatenate([r.last for _, r in parts]) if parts else np.zeros(0, np.uint64)),
        }
        for name in columns:
            taken = self._values[name].take(index)
            table[name] = taken.dictionary_decode() if isinstance(taken, pa.DictionaryArray) else taken
        return pa.table(table)

    def lookup(self, addresses: Addresses, column: str, admit: npt.NDArray[np.bool_] | None = None) -> pa.Array:
        """The column's value for each address, NULL where no range holds it (or ``admit`` is False)."""
        picked = np.full(len(addresses.key), -1, np.int64)
        for fam, ranges in self._ranges.items():
            rows = np.flatnonzero(addresses.family == fam)
            if not rows.size or not ranges.first.size:
                continue
            keys = addresses.key[rows]
            order = np.argsort(keys)  # sorted needles let the search reuse its last position (twice as fast)
            at = np.empty(len(keys), np.int64)
            at[order] = np.searchsorted(ranges.first, keys[order], side="right") - 1
            inside = (at >= 0) & (ranges.last[np.maximum(at, 0)] >= keys)
            picked[rows[inside]] = ranges.index[at[inside]]
        if admit is not None:
            picked[~admit] = -1
        taken = self._values[column].take(pa.array(picked, mask=picked < 0))
        return taken.dictionary_decode() if isinstance(taken, pa.DictionaryArray) else taken


def _compact(values: pa.Array) -> pa.Array:
    """Text columns dictionary-encoded: names repeat across ranges, and Spark ships the table with
    every function that reads it."""
    return values.dictionary_encode() if pa.types.is_string(values.type) else values


def _narrowest_first(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Sorted, possibly nested (first, last, id) → non-overlapping pieces, each owned by the
    narrowest range covering it (a sweep over the range boundaries with a heap of open ranges)."""
    points = sorted({p for f, last, _ in spans for p in (f, last + 1)})
    starts = iter(spans)
    pending = next(starts, None)
    open_ranges: list[tuple[int, int, int]] = []  # (width, last, id)
    out: list[tuple[int, int, int]] = []
    for here, following in itertools.pairwise(points):
        while pending is not None and pending[0] <= here:
            heapq.heappush(open_ranges, (pending[1] - pending[0], pending[1], pending[2]))
            pending = next(starts, None)
        while open_ranges and open_ranges[0][1] < here:
            heapq.heappop(open_ranges)
        if not open_ranges:
            continue
        owner = open_ranges[0][2]
        if out and out[-1][2] == owner and out[-1][1] + 1 == here:
            out[-1] = (out[-1][0], following - 1, owner)
        else:
            out.append((here, following - 1, owner))
    return out
