"""The most recently used results in memory, in front of the disk store.

A dashboard refresh asks for the same few results again and again. From disk, each hit costs an
SQLite lookup, a file read and a checksum over the entry; from here it costs a dictionary lookup.
Entries are the same immutable :class:`CachedResult` objects the disk store holds (a key names
exactly one result), so serving one from memory is as correct as serving it from disk until its
expiry time, which is kept with it. Memory is bounded in bytes, least recently used dropped first,
and an entry too large for a fair share of the budget stays on disk only.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.lru import BoundedLru

LARGEST_SHARE = 8
"""An entry may take at most 1/8 of the budget, so one big result cannot flush every panel's."""


@dataclass(frozen=True)
class _Held:
    result: CachedResult
    expires_at: float  # epoch seconds, as the disk store's expire time
    tag: str
    size: int


def result_size(result: CachedResult) -> int:
    """The bytes an entry holds: its encoded frames and, for chained results, its table."""
    table_bytes = result.table.nbytes if result.table is not None else 0
    return sum(len(frame) for frame in result.frames) + table_bytes


class RecentResults:
    """A thread-safe, byte-bounded LRU of results by cache key."""

    def __init__(self, budget_bytes: int) -> None:
        self._largest = max(0, budget_bytes) // LARGEST_SHARE
        self._held: BoundedLru[str, _Held] = BoundedLru(budget_bytes, weigh=lambda held: held.size)

    def get(self, key: str, now: float) -> CachedResult | None:
        held = self._held.get(key, valid=lambda held: held.expires_at > now)
        return held.result if held is not None else None

    def put(self, key: str, result: CachedResult, *, expires_at: float, tag: str) -> None:
        size = result_size(result)
        if size <= self._largest:
            self._held.put(key, _Held(result, expires_at, tag, size))

    def drop_tag(self, tag: str) -> None:
        self._held.drop(lambda held: held.tag == tag)

    def clear(self) -> None:
        self._held.clear()

    def held_bytes(self) -> int:
        return self._held.weight
