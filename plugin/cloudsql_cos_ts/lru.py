"""A thread-safe least-recently-used map bounded by the total weight of what it holds.

The plugin keeps several short-lived memories in front of slower work — prepared SQL, recent
results, replayable requests, pruning plans — and each must stay bounded however many distinct
queries arrive. They differ only in what bounds them (a count, or bytes) and in when an entry stops
being valid (an expiry, a cache generation), so those two are parameters and the bookkeeping lives
here once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class BoundedLru(Generic[K, V]):
    """``budget`` is in the unit ``weigh`` returns: entries by default, or e.g. bytes."""

    def __init__(self, budget: int, weigh: Callable[[V], int] = _one) -> None:
        self._budget = max(0, budget)
        self._weigh = weigh
        self._lock = threading.Lock()
        self._held: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0

    def get(self, key: K, valid: Callable[[V], bool] | None = None) -> V | None:
        """The value, now the most recently used; an entry ``valid`` rejects is dropped instead."""
        with self._lock:
            found = self._held.get(key)
            if found is None:
                return None
            if valid is not None and not valid(found[0]):
                self._remove(key)
                return None
            self._held.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Hold ``value``, dropping the least recently used entries beyond the budget."""
        weight = self._weigh(value)
        with self._lock:
            self._remove(key)
            self._held[key] = (value, weight)
            self._weight += weight
            while self._weight > self._budget:
                self._remove(next(iter(self._held)))

    def drop(self, unwanted: Callable[[V], bool]) -> None:
        with self._lock:
            for key in [key for key, (value, _) in self._held.items() if unwanted(value)]:
                self._remove(key)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._weight = 0

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self._held)

    def _remove(self, key: K) -> None:
        found = self._held.pop(key, None)
        if found is not None:
            self._weight -= found[1]
