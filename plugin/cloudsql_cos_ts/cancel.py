"""A cancellation token shared by the gRPC layer, the query pipeline and the engines.

grpcio tells a handler that Grafana cancelled a call through ``context.add_callback``; DuckDB and
Spark stop a running statement only when asked (``interrupt``). The token joins the two: whoever
starts long work registers how to stop it, and a cancel or a deadline calls every registered stop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from cloudsql_cos_ts.errors import DownstreamTimeout, PluginError, QueryCancelled

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
        self._timer: threading.Timer | None = None
        self._detach: Callable[[], None] = lambda: None
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        if timeout_s is not None:
            self._timer = threading.Timer(max(timeout_s, 0.0), self.cancel, kwargs={"reason": expiry})
            self._timer.daemon = True
            self._timer.start()

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
        """Stop the deadline timer and detach from the parent (call when the work is over)."""
        if self._timer is not None:
            self._timer.cancel()
        self._detach()


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
