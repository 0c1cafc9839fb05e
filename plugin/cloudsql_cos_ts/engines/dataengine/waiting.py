"""Waits that end early when the query is cancelled: poll intervals and rate-limit backoff.

A Data Engine query is mostly waiting (for a free job slot, for the job to finish); every wait
must end within moments of Grafana's cancel or the query timeout, so the job can be stopped and
the panel answered, instead of sleeping out a fixed interval.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from cloudsql_cos_ts.cancel import CancelToken


class Interrupted(Exception):
    """The query's token fired during a wait; the engine turns it into the 499/504 answer."""


@dataclass(frozen=True)
class Backoff:
    """Delays ``first_s``, ``first_s * factor``, … capped at ``max_s``."""

    first_s: float
    factor: float
    max_s: float

    def delays(self) -> Iterator[float]:
        """Endless; callers bound the number of waits (tries or a deadline)."""
        delay = self.first_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_s)


def pause(cancel: CancelToken, seconds: float) -> None:
    """Sleep ``seconds``, or raise :class:`Interrupted` as soon as ``cancel`` fires."""
    woken = threading.Event()
    release = cancel.on_cancel(woken.set)
    try:
        woken.wait(max(seconds, 0.0))
    finally:
        release()
    if cancel.is_cancelled():
        raise Interrupted
