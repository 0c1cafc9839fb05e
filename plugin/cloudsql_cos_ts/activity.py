"""Whether the process is answering queries: work that can wait (span merges) waits for a pause between them.

Why: a merge started beside the query that asked for it took the other core from that query's dashboard and
added its buffers to the query's memory: a week-long ``SELECT *`` peaked at 1.4x its frame with the merge
beside it (W7, docs/benchmarks.md). Queries come in bursts (a dashboard's panels, a refresh, an alert rule's
evaluation), so background work starts once none has run for :data:`QUIET_S`, and stops between its steps
while queries run again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET_S = 0.5
"""How long no query must have run before background work goes on: longer than the gaps within a burst."""
_POLL_S = 0.1  # how often a waiting caller looks at its stop event


class Activity:
    """How many requests the process is answering, and when the last one ended."""

    def __init__(self, quiet_s: float = QUIET_S) -> None:
        self._quiet_s = quiet_s
        self._changed = threading.Condition()
        self._answering = 0
        self._last_end = float("-inf")

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request as running while the caller is inside."""
        with self._changed:
            self._answering += 1
        try:
            yield
        finally:
            with self._changed:
                self._answering -= 1
                self._last_end = time.monotonic()
                self._changed.notify_all()

    def wait_quiet(self, stop: threading.Event) -> bool:
        """Return True once no request runs and none has ended for the quiet time; False when ``stop`` is set
        first."""
        with self._changed:
            while not stop.is_set():
                if self._answering == 0:
                    left = self._last_end + self._quiet_s - time.monotonic()
                    if left <= 0:
                        return True
                    self._changed.wait(min(left, _POLL_S))
                else:
                    self._changed.wait(_POLL_S)
            return False


ACTIVITY = Activity()
