"""Bound the memory big answers take: per query (``queryMemoryLimitMB``) and for the whole process.

Why: a ``SELECT *`` over a week of flow logs is a 600 MB result table, and on its way out of the
process that table, its encoded frame, the protobuf message and the message's serialized copy exist
at the same time, so one answer costs a few times its Arrow bytes (:data:`ANSWER_COPIES`, measured
in ``docs/benchmarks.md`` W7). Without a bound, a Grafana container with a 2 to 4 GB memory limit
killed the plugin (issue 19). QueryData is unary, so an answer cannot be streamed to Grafana; what
can be bounded is how much result a query may gather and how many big answers are held at once.

The engine reports the result's bytes as they arrive (DuckDB hands over batches), so a query over
its cap stops before it holds the whole result; engines that return a whole table are checked once
it is in hand. Every query's account draws on one process-wide :class:`AnswerBudget`, and gives
its share back once its frames are encoded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cloudsql_cos_ts.errors import PluginError

ANSWER_COPIES = 4
"""Copies of the result alive while one answer is encoded and sent: table, frame, message, wire bytes."""

_MB = 1 << 20


class AnswerTooLarge(PluginError):
    """The query's answer needs more memory than the datasource allows one query: the user can narrow it."""

    status = 413
    source = "downstream"


class AnswersBusy(PluginError):
    """Other big answers hold the process's answer memory right now: running the query later succeeds."""

    status = 429
    source = "downstream"


@dataclass
class AnswerBudget:
    """The memory all answers held at once by this process may take (``GF_PLUGIN_ANSWER_MEMORY_BYTES``)."""

    limit_bytes: int
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def used_bytes(self) -> int:
        return self._used

    def take(self, nbytes: int) -> bool:
        """Reserve ``nbytes`` if they fit under the limit; False (nothing reserved) when they do not."""
        with self._lock:
            if self._used + nbytes > self.limit_bytes:
                return False
            self._used += nbytes
            return True

    def give_back(self, nbytes: int) -> None:
        with self._lock:
            self._used = max(0, self._used - nbytes)


class AnswerMemory:
    """One query's share of the budget, grown as its result grows and given back once, on release."""

    def __init__(self, budget: AnswerBudget, limit_bytes: int) -> None:
        self._budget = budget
        self._limit = limit_bytes
        self._held = 0

    @property
    def held_bytes(self) -> int:
        return self._held

    def cover(self, result_bytes: int) -> None:
        """Make sure an answer whose result has ``result_bytes`` Arrow bytes is affordable, or refuse it."""
        needed = result_bytes * ANSWER_COPIES
        if needed > self._limit:
            raise AnswerTooLarge(
                f"the answer is too big for this datasource: its result reached {_mb(result_bytes)} MB, and the "
                f"plugin holds it about {ANSWER_COPIES} times while it is encoded and sent ({_mb(needed)} MB), "
                f"more than queryMemoryLimitMB ({_mb(self._limit)} MB). Select fewer columns, aggregate, narrow "
                "the time range or lower the row limit; or raise queryMemoryLimitMB in the datasource settings"
            )
        extra = needed - self._held
        if extra <= 0:
            return
        if not self._budget.take(extra):
            raise AnswersBusy(
                f"the plugin is busy with other big answers ({_mb(self._budget.used_bytes)} MB held of the "
                f"{_mb(self._budget.limit_bytes)} MB all answers may take at once, GF_PLUGIN_ANSWER_MEMORY_BYTES); "
                f"this one needs {_mb(needed)} MB. Run it again when they are done, or select less"
            )
        self._held = needed

    def release(self) -> None:
        """Give the share back (idempotent)."""
        held, self._held = self._held, 0
        if held:
            self._budget.give_back(held)


def _mb(nbytes: int) -> str:
    return f"{nbytes / _MB:,.0f}" if nbytes >= _MB else f"{nbytes / _MB:.2f}"
