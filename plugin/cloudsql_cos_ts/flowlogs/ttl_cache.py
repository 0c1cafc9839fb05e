"""A small time-limited memo with single flight, for listings that every panel of a dashboard repeats.

When a dashboard loads, its panels ask for the same hour prefixes within a second. Listing them once
and sharing the answer for a few seconds removes most of a warm query's cost, while new objects still
show up after at most ``ttl_s``. Callers that arrive while the value is being computed wait for that
computation instead of starting their own; if it fails, each waiter computes for itself (the failure
may be the first caller's own cancellation). A caller that must see the bucket as it is now (an
alert evaluation: the objects written since the last one) asks ``fresh``: it computes anew, and its
value serves the others. Some values change less often than others (a listing of hours long past):
a caller may accept those for longer, up to the ``keep_s`` the cache was made with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """``get(key, compute)`` returns a value computed at most ``ttl_s`` seconds ago.

    ``keep_s`` (at least ``ttl_s``) is how long a value is kept for callers that accept older values.
    """

    def __init__(self, ttl_s: float, keep_s: float | None = None) -> None:
        self.ttl_s = ttl_s
        self.keep_s = ttl_s if keep_s is None else max(ttl_s, keep_s)
        self._lock = threading.Lock()
        self._values: dict[K, tuple[float, V]] = {}
        self._flights: dict[K, Future[V]] = {}

    def _max_age(self, ttl_s: float | None) -> float:
        return self.ttl_s if ttl_s is None else min(ttl_s, self.keep_s)

    def peek(self, key: K, ttl_s: float | None = None) -> V | None:
        """The value if one is fresh, without computing (lets callers skip starting threads).

        ``ttl_s``: accept a value up to this age instead of the cache's ``ttl_s`` (at most ``keep_s``).
        """
        with self._lock:
            hit = self._values.get(key)
        return hit[1] if hit is not None and time.monotonic() - hit[0] < self._max_age(ttl_s) else None

    def get(
        self, key: K, compute: Callable[[], V], *, fresh: bool = False, ttl_s: float | None = None
    ) -> tuple[V, bool]:
        """The value and whether this call computed it; ``fresh``: never a value computed before the call;
        ``ttl_s`` as for :meth:`peek`."""
        max_age = self._max_age(ttl_s)
        while True:
            with self._lock:
                hit = None if fresh else self._values.get(key)
                if hit is not None and time.monotonic() - hit[0] < max_age:
                    return hit[1], False
                flight = self._flights.get(key)
                owner = flight is None
                if flight is None:
                    flight = self._flights[key] = Future()
            if owner:
                return self._compute(key, flight, compute), True
            if flight.exception() is None:
                return flight.result(), False

    def _compute(self, key: K, flight: Future[V], compute: Callable[[], V]) -> V:
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                del self._flights[key]
            flight.set_exception(exc)
            raise
        now = time.monotonic()
        with self._lock:
            self._values = {k: v for k, v in self._values.items() if now - v[0] < self.keep_s}
            self._values[key] = (now, value)
            del self._flights[key]
        flight.set_result(value)
        return value
