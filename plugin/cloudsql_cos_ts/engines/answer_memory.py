"""Bound the memory big answers take: per query (``queryMemoryLimitMB``) and for the whole process.

Why: a ``SELECT *`` over a week of flow logs is a 600 MB result table, and a Grafana container with
a 2 to 4 GB memory limit killed the plugin that held it a few times over on its way out (issue 19).
QueryData is unary, so an answer cannot be streamed to Grafana; what can be bounded is how much
result a query may gather and how many big answers are held at once. On its way out an answer is
held twice: the result table and its encoded frame while it is encoded (written once,
``frames/encode.py``), then the frame and the wire bytes (the frame released once copied in,
``server/wire.py``), then the wire bytes and grpcio's own copy while it is sent. A query is counted
for :data:`ANSWER_COPIES` times its result: those two copies and what the engine holds while it
produces the result, which the account does not see and which grows with the queries running at once.
A plain table answer is encoded as its batches arrive (``frames/encode.py``): its result table is never
whole, so it is counted :data:`ANSWER_COPIES` times what it really holds, its encoded frame and the batch
at hand (W7 in docs/benchmarks.md: a week's ``SELECT *`` grew the process by about that much).

The engine reports the result's bytes as they arrive (DuckDB hands over batches, and counts the first one
from the result's columns before it builds it), so a query over its cap stops before it holds the whole
result; engines that return a whole table are checked once it is in hand. Every query's account draws on
one process-wide :class:`AnswerBudget`: an entry share while its engine runs (:data:`ENTRY_BYTES`; a query
waits briefly for it, else it is refused before it runs, and gives it back when the run ends), then its
result's copies, given back once its answer is sent (or its run fails). A closed account still checks the
cap but draws nothing more: a run another caller shares may outlive the call that started it.

What the answers free must also leave the process, or the budget bounds what they hold and not what the process
grows by: :func:`hand_back_big_blocks` makes the C library give big blocks back to the system when they are freed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import PluginError
from cloudsql_cos_ts.heaps import hold_threshold

ANSWER_COPIES = 3
"""Times its result a query is counted: two copies of the answer at once, and the engine's working memory
(measured W7 in docs/benchmarks.md: counted twice, twenty queries at once outgrew the budget)."""

ENTRY_BYTES = 32 << 20
"""What a query takes from the budget before its engine runs, and keeps beside its result's copies until the
run has ended (:meth:`AnswerMemory.settle`).

Why: a query refused only once its result arrives has already run and held a batch of it; taken up
front, the entry makes a query wait for room (or be refused) before it runs, and it stands for what
a running query holds besides its result (a batch in flight, its encoder's and its call's objects),
so the queries at once stay within the budget. DuckDB's own working memory is bounded apart, by
the datasource's ``memoryLimit``."""

CELL_BYTES = 16
"""What one value of a result is taken to weigh before any batch of it is seen (:meth:`AnswerMemory.expect`): a
fixed-width value or a short text's offset and characters; a week's ``SELECT *`` of flow logs comes close."""

ENTRY_WAIT_S = 5.0
"""How long a query waits for its entry while other answers hold the budget before it is refused: a
short wait absorbs a dashboard's burst; a longer one could outwait a query of the same request whose
answer, held until the whole response is sent, is what it waits for."""

MMAP_THRESHOLD_BYTES = 128 << 10
"""From this size on, a block the C library hands out has pages of its own, given back to the system when it is
freed (glibc's ``M_MMAP_THRESHOLD``, held fixed by :func:`hand_back_big_blocks`)."""

MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
_POLL_S = 0.1
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
    _room: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def used_bytes(self) -> int:
        return self._used

    def take(self, nbytes: int, cancel: CancelToken | None = None, wait_s: float = 0.0) -> bool:
        """Reserve ``nbytes`` once they fit under the limit, waiting up to ``wait_s`` (and while ``cancel``
        has not fired) for other answers to give theirs back; False, nothing reserved, when they do not fit."""
        until = time.monotonic() + wait_s
        with self._room:
            while self._used + nbytes > self.limit_bytes:
                left = until - time.monotonic()
                if left <= 0 or (cancel is not None and cancel.is_cancelled()):
                    return False
                self._room.wait(min(left, _POLL_S))
            self._used += nbytes
            return True

    def give_back(self, nbytes: int) -> None:
        with self._room:
            self._used = max(0, self._used - nbytes)
            self._room.notify_all()


class AnswerMemory:
    """One query's share of the budget, grown as its result grows and given back once, on release."""

    def __init__(self, budget: AnswerBudget, limit_bytes: int) -> None:
        self._budget = budget
        self._limit = limit_bytes
        self._held = 0
        self._entry = 0  # taken by admit: the query's own costs beside its result's copies
        self._guessed = False  # what is held is expect's guess: the next cover replaces it, also downwards
        self._closed = False
        self._lock = threading.Lock()  # the run covers, the call that sends the answer releases

    @property
    def held_bytes(self) -> int:
        return self._held

    def admit(self, cancel: CancelToken) -> None:
        """Take the entry share (:data:`ENTRY_BYTES`) before the engine runs, or refuse the query."""
        entry = min(ENTRY_BYTES, self._limit, self._budget.limit_bytes)
        with self._lock:
            if self._closed or self._held >= entry:
                return
            if not self._budget.take(entry - self._held, cancel, ENTRY_WAIT_S):
                raise self._busy(", so this query did not start. Run it again when they are done")
            self._held = self._entry = entry

    def cover(self, result_bytes: int, *, streamed: int | None = None) -> None:
        """Make sure an answer whose result has ``result_bytes`` Arrow bytes is affordable, or refuse it.

        ``streamed``: for a result encoded into its frame as it arrives, what the frame holds so far with
        the batch at hand. The query's cap is checked on the result as for any answer (the same refusal
        whichever way the frame is made), but the budget is drawn for :data:`ANSWER_COPIES` times what is
        really held: the result table is never whole.
        """
        needed = result_bytes * ANSWER_COPIES
        if needed > self._limit:
            raise AnswerTooLarge(
                f"the answer is too big for this datasource: its result reached {_mb(result_bytes)} MB, and the "
                f"plugin counts it about {ANSWER_COPIES} times while it is produced, encoded and sent "
                f"({_mb(needed)} MB), more than queryMemoryLimitMB ({_mb(self._limit)} MB). Select fewer columns, "
                "aggregate, narrow the time range or lower the row limit; or raise queryMemoryLimitMB in the "
                "datasource settings"
            )
        if streamed is not None:
            needed = streamed * ANSWER_COPIES
        with self._lock:
            needed += self._entry
            extra = needed - self._held
            if self._guessed and extra < 0 and not self._closed:
                self._held = needed
                self._budget.give_back(-extra)
            self._guessed = False
            if extra <= 0 or self._closed:
                return
            if not self._budget.take(extra):
                raise self._busy(f"; this one needs {_mb(needed)} MB. Run it again when they are done, or select less")
            self._held = needed

    def expect(self, columns: int, rows: int, cancel: CancelToken) -> None:
        """Cover the first batch of ``rows`` rows and ``columns`` columns before the engine builds it (at
        :data:`CELL_BYTES` a value, :data:`ANSWER_COPIES` times as :meth:`cover` counts a streamed answer's batch),
        waiting like :meth:`admit` for room, or refuse the query before it holds anything.

        Why: the engine builds a batch before the account sees it, so while many big queries start at once the
        process held several times what their entry shares counted (W7 in docs/benchmarks.md). The first real
        batch's :meth:`cover` replaces the guess, also downwards, so a query whose batches are small gives the
        room back at once, and the queries waiting for it go on.
        """
        with self._lock:
            needed = self._entry + columns * rows * CELL_BYTES * ANSWER_COPIES
            extra = needed - self._held
            if self._closed or extra <= 0:
                return
            if not self._budget.take(extra, cancel, ENTRY_WAIT_S):
                raise self._busy(
                    f", so this query did not start (it would need {_mb(needed)} MB to). Run it again "
                    "when they are done, or select fewer columns"
                )
            self._held = needed
            self._guessed = True

    def settle(self) -> None:
        """Give back the entry share once the run has finished: what it stood for (a batch in flight, the
        encoder's objects) is gone, and the result's copies alone wait for the answer to be sent.

        Why: the answers of one request are all sent together, so a request of many small queries would
        otherwise hold an entry share per query until the last one finished, and fill the budget with
        nothing (a thousand queries would have held 32 GB of shares).
        """
        with self._lock:
            entry, self._entry = self._entry, 0
            self._held -= entry
        if entry:
            self._budget.give_back(entry)

    def _busy(self, what_now: str) -> AnswersBusy:
        """The refusal when other answers hold the budget: how full it is, then ``what_now``."""
        return AnswersBusy(
            f"the plugin is busy with other big answers ({_mb(self._budget.used_bytes)} MB held of the "
            f"{_mb(self._budget.limit_bytes)} MB all answers may take at once, GF_PLUGIN_ANSWER_MEMORY_BYTES)"
            + what_now
        )

    def release(self) -> None:
        """Give the share back and close the account (idempotent)."""
        with self._lock:
            self._closed = True
            held, self._held = self._held, 0
        if held:
            self._budget.give_back(held)


def hand_back_big_blocks(env: MutableMapping[str, str] | os._Environ[str]) -> bool:
    """Hold glibc's threshold for blocks with pages of their own at :data:`MMAP_THRESHOLD_BYTES`, unless the operator
    set it (``MALLOC_MMAP_THRESHOLD_``); True when this call set it. Ingests raise it while they run (``heaps.py``).

    Why: glibc raises that threshold each time such a block is freed, so soon the big blocks of running answers
    (DuckDB's buffers and batches, the batches' coerced copies, the compressed messages) come from its heaps, one
    per thread, and what an answer frees between blocks others still hold stays in the process, counted by no
    account: with twenty big answers at once the process outgrew the answer budget by such memory (W7,
    docs/benchmarks.md). Held fixed, a freed big block leaves at once. Trimming the heaps instead (``malloc_trim``)
    took seconds while the answers ran. Elsewhere than glibc (no ``mallopt``) nothing is set.
    """
    if MMAP_THRESHOLD_VARIABLE in env:
        return False
    return hold_threshold(MMAP_THRESHOLD_BYTES)


def _mb(nbytes: int) -> str:
    return f"{nbytes / _MB:,.0f}" if nbytes >= _MB else f"{nbytes / _MB:.2f}"
