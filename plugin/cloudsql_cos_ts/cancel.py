"""A cancellation token shared by the gRPC layer, the query pipeline and the engines.

grpcio tells a handler that Grafana cancelled a call through ``context.add_callback``; DuckDB and
Spark stop a running statement only when asked (``interrupt``). The token joins the two: whoever
starts long work registers how to stop it, and a cancel or a deadline calls every registered stop.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cloudsql_cos_ts.errors import DownstreamTimeout, PluginError, QueryCancelled
from cloudsql_cos_ts.log import log

CancelReason = Literal["cancelled", "timeout", "deadline"]
"""cancelled: Grafana gave up on the call; timeout: the datasource's query timeout passed;
deadline: the gRPC deadline Grafana set passed (alert evaluation timeout)."""


class CancelToken:
    """Thread-safe, one-shot cancellation with an optional deadline."""

    def __init__(self, timeout_s: float | None = None, *, expiry: CancelReason = "timeout") -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._reason: CancelReason | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._detach: Callable[[], None] = lambda: None
        self.deadline = None if timeout_s is None else time.monotonic() + max(timeout_s, 0.0)
        self._due: _Due | None = None
        if self.deadline is not None:
            self._due = _DEADLINES.add(self.deadline, self, expiry)

    @property
    def reason(self) -> CancelReason | None:
        """Why the token fired, or None while it has not."""
        return self._reason

    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None without one)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def cancel(self, reason: CancelReason = "cancelled") -> None:
        """Fire once; later calls are ignored. Callbacks run outside the lock."""
        with self._lock:
            if self._event.is_set():
                return
            self._reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Register ``callback``; it runs at once when the token already fired.

        Returns a function that unregisters it, so finished work is never interrupted later.
        """
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def child(self, timeout_s: float | None = None) -> CancelToken:
        """A token that fires with this one, or earlier at its own deadline (one query of a request)."""
        token = CancelToken(timeout_s)
        token._detach = self.on_cancel(lambda: token.cancel(self._reason or "cancelled"))
        return token

    def close(self) -> None:
        """Forget the deadline and detach from the parent (call when the work is over)."""
        if self._due is not None:
            self._due.token = None
        self._detach()


@dataclass(order=True, slots=True)
class _Due:
    """A token's deadline waiting in :class:`_Deadlines`, in order of time; ``token`` is dropped when the token
    is closed first."""

    at: float
    order: int  # ties at the same moment fire in the order they came
    token: CancelToken | None = field(compare=False)
    reason: CancelReason = field(compare=False)


class _Deadlines:
    """One thread that fires every token's deadline when it passes.

    Why: a timer thread per token meant one to three threads started and stopped for every query (the
    request's deadline, the query's timeout, the shared run's), CPU a dashboard paid for nothing
    (docs/benchmarks.md). A closed token's deadline stays queued until it passes, holding nothing but its time;
    the thread starts with the first deadline and sleeps until the next one. A stop that fails is logged: it
    must not end the thread that fires every other query's deadline.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[_Due] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, at: float, token: CancelToken, reason: CancelReason) -> _Due:
        due = _Due(at, next(self._order), token, reason)
        with self._changed:
            heapq.heappush(self._queue, due)
            if self._thread is None:
                self._thread = threading.Thread(target=self._fire, name="deadlines", daemon=True)
                self._thread.start()
            elif self._queue[0] is due:  # sooner than what the thread sleeps for
                self._changed.notify()
        return due

    def _fire(self) -> None:
        while True:
            with self._changed:
                while not self._queue or self._queue[0].at > time.monotonic():
                    self._changed.wait(self._queue[0].at - time.monotonic() if self._queue else None)
                due = heapq.heappop(self._queue)
            token = due.token
            if token is None:
                continue
            try:
                token.cancel(due.reason)
            except Exception as exc:
                log.warn("stopping work at its deadline failed", error=f"{type(exc).__name__}: {exc}")


_DEADLINES = _Deadlines()


def stopped_error(cancel: CancelToken, timeout_s: float) -> PluginError:
    """The error for work stopped by ``cancel``: a timeout (504) or Grafana's cancellation."""
    if cancel.reason == "timeout":
        return DownstreamTimeout(
            f"the query ran longer than the datasource's query timeout ({timeout_s:g} s) and was stopped; "
            "narrow the time range or raise the timeout in the datasource settings"
        )
    if cancel.reason == "deadline":
        return DownstreamTimeout(
            "Grafana's time limit for this request passed and the query was stopped (for alert rules: the "
            "evaluation timeout); narrow the time range or make the query cheaper"
        )
    return QueryCancelled("the query was cancelled by Grafana (panel closed, refresh or alert deadline)")
