"""The most recently used results in memory, in front of the disk store.

A dashboard refresh asks for the same few results again and again. From disk, each hit costs an
SQLite lookup, a file read and a checksum over the entry; from here it costs a dictionary lookup.
Entries are the same immutable :class:`CachedResult` objects the disk store holds (a key names
exactly one result), so serving one from memory is as correct as serving it from disk until its
expiry time, which is kept with it. Memory is bounded in bytes, least recently used dropped first,
and an entry too large for a fair share of the budget stays on disk only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from cloudsql_cos_ts.cache.entry import CachedResult

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
        self._budget = max(0, budget_bytes)
        self._largest = self._budget // LARGEST_SHARE
        self._lock = threading.Lock()
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, now: float) -> CachedResult | None:
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            if held.expires_at <= now:
                self._remove(key)
                return None
            self._held.move_to_end(key)
            return held.result

    def put(self, key: str, result: CachedResult, *, expires_at: float, tag: str) -> None:
        size = result_size(result)
        if size > self._largest:
            return
        with self._lock:
            self._remove(key)
            self._held[key] = _Held(result, expires_at, tag, size)
            self._bytes += size
            while self._bytes > self._budget:
                self._remove(next(iter(self._held)))

    def drop_tag(self, tag: str) -> None:
        with self._lock:
            for key in [key for key, held in self._held.items() if held.tag == tag]:
                self._remove(key)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._bytes = 0

    def held_bytes(self) -> int:
        return self._bytes

    def _remove(self, key: str) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self._bytes -= held.size
