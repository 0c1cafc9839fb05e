"""Single-flight: identical work requested at the same moment runs once, and everyone gets its result.

Grafana sends the same query from several panels, or twice at once; each run over COS costs
seconds. The first caller starts the work on its own thread with its own cancel token; every caller
(the first included) is a waiter that can leave when its own request is cancelled without stopping
the work for the others. When the last waiter leaves, the work's token fires and the flight is
forgotten, so a later caller starts afresh instead of joining a run that is being stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from cloudsql_cos_ts.cancel import CancelToken

T = TypeVar("T")


class WaiterLeft(Exception):
    """The waiter's own token fired before the shared work finished."""


class _Flight(Generic[T]):
    def __init__(self, timeout_s: float | None) -> None:
        self.token = CancelToken(timeout_s)
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None
        self.waiters = 0
        self.wakers: list[Callable[[], None]] = []


class SingleFlight(Generic[T]):
    """Runs ``work`` once per key among concurrent callers (threads of one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight[T]] = {}

    def run(
        self, key: str, token: CancelToken, work: Callable[[CancelToken], T], *, timeout_s: float | None
    ) -> tuple[T, bool]:
        """The work's result and whether this caller joined a run another caller started.

        Raises what the work raised, or :class:`WaiterLeft` when ``token`` fires first.
        """
        wake = threading.Event()
        with self._lock:
            flight = self._flights.get(key)
            joined = flight is not None
            if flight is None:
                flight = _Flight(timeout_s)
                self._flights[key] = flight
                threading.Thread(
                    target=self._fly, args=(key, flight, work), name=f"flight-{key[:8]}", daemon=True
                ).start()
            flight.waiters += 1
            flight.wakers.append(wake.set)
            if flight.done.is_set():
                wake.set()
        detach = token.on_cancel(wake.set)
        try:
            wake.wait()
        finally:
            detach()
        if not flight.done.is_set():
            self._leave(key, flight, wake.set)
            raise WaiterLeft
        if flight.error is not None:
            raise flight.error
        return flight.value, joined  # type: ignore[return-value]  # set when done without error

    def _fly(self, key: str, flight: _Flight[T], work: Callable[[CancelToken], T]) -> None:
        try:
            flight.value = work(flight.token)
        except BaseException as exc:  # handed to every waiter, who decides what it means
            flight.error = exc
        finally:
            flight.token.close()
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
                flight.done.set()
                wakers, flight.wakers = flight.wakers, []
            for wake in wakers:
                wake()

    def _leave(self, key: str, flight: _Flight[T], waker: Callable[[], None]) -> None:
        with self._lock:
            if waker in flight.wakers:
                flight.wakers.remove(waker)
            flight.waiters -= 1
            abandoned = flight.waiters == 0 and not flight.done.is_set()
            if abandoned and self._flights.get(key) is flight:
                del self._flights[key]
        if abandoned:
            flight.token.cancel("cancelled")
