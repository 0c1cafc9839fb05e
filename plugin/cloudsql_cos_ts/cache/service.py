"""The cache as the query pipeline sees it: one call per query, :meth:`ResultCache.get_or_run`.

The pipeline stays in charge of running a query; this module decides whether it has to. It takes
plain values (a key, a TTL, what the request may do: :class:`Lookup`) and the run itself, and
answers with the result and where it came from (:class:`Served`). A query is served from the store
when its key is there and the request may read (not ``FromAlert``, not ``X-Cache-Skip``).
Otherwise it joins or starts the single flight for its key, whose result is stored for the query's
TTL (skipping requests still refresh the entry). The cache never looks into a result's frames:
what an answer says about the cache is written by the pipeline from :class:`Served`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cloudsql_cos_ts import metrics
from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.cache.flight import SingleFlight, WaiterLeft
from cloudsql_cos_ts.cache.store import ResultStore
from cloudsql_cos_ts.cancel import CancelToken, stopped_error

RESULTS_FOLDER = "results"

Origin = Literal["run", "shared", "stored"]
"""run: this query's own run; shared: an identical run another query started; stored: the store."""


@dataclass(frozen=True)
class Lookup:
    """What the cache may do for one query, as plain values."""

    key: str | None  # None: the query is an action ($__dest) or reads an uncacheable input: always run it alone
    ttl_s: int  # 0: do not store
    read: bool  # False for FromAlert / X-Cache-Skip: run, then refresh the entry
    keep_table: bool  # the result table is read by another query (or getResult is off): store and require it
    tag: str  # the datasource uid, for clearing its entries
    timeout_s: float  # the shared run's own time limit (the datasource's query timeout)


@dataclass(frozen=True)
class Served:
    result: CachedResult
    origin: Origin
    age_s: int = 0  # stored: the entry's age in whole seconds
    reusable_until: float | None = None  # stored: until when the same frames answer the same query

    def frames_as(self, stamp: Hashable, restamp: Callable[[list[bytes]], list[bytes]]) -> list[bytes]:
        """The entry's frames as ``restamp`` makes them for ``stamp``; hits with the same stamp (a
        dashboard's panels, a repeated request within one second) share them instead of re-encoding."""
        held = self.result.restamped
        if held is None or held[0] != stamp:
            held = self.result.restamped = (stamp, restamp(self.result.frames))
        return held[1]


class ResultCache:
    """Result store plus single flight for the queries of one plugin process."""

    def __init__(self, store: ResultStore) -> None:
        self._store = store
        self._flights: SingleFlight[tuple[CachedResult, bool]] = SingleFlight()

    def get_or_run(
        self, lookup: Lookup, cancel: Callable[[], CancelToken], run: Callable[[CancelToken], CachedResult]
    ) -> Served:
        """The stored answer, or the result of the single run for the query's key (stored for its TTL).

        ``cancel`` gives the request's token; only a query that has to wait for a run asks for it,
        and waits under a child of it limited to ``lookup.timeout_s``. ``run`` computes the result with
        the token it is given. Raises what the run raised, or the request's cancellation or timeout
        error when its token fires while waiting.
        """
        if lookup.key is not None and lookup.read:
            found = self._usable(lookup.key, lookup.keep_table)
            if found is not None:
                metrics.labelled(metrics.CACHE_EVENTS, "hit").inc()
                return _from_store(found)
        token = cancel().child(lookup.timeout_s)  # its deadline timer (a thread) only for a query that waits
        try:
            if lookup.key is None:
                return Served(run(token), "run")
            key = lookup.key
            (result, stored), joined = self._flights.run(
                key, token, lambda shared: self._run_and_store(lookup, key, run, shared), timeout_s=lookup.timeout_s
            )
        except WaiterLeft:
            raise stopped_error(token, lookup.timeout_s) from None
        finally:
            token.close()
        if stored:  # an identical run finished between the lookup and this flight
            return _from_store(result)
        metrics.CACHE_EVENTS.labels(event="shared" if joined else "miss").inc()
        return Served(result, "shared" if joined else "run")

    def holds(self, key: str) -> bool:
        """Whether a query with ``key`` would be answered from the store now (the estimate says so)."""
        return self._usable(key, keep_table=False) is not None

    def clear_datasource(self, uid: str) -> int:
        return self._store.clear_datasource(uid)

    def generation(self) -> int:
        return self._store.generation()

    def _usable(self, key: str, keep_table: bool) -> CachedResult | None:
        found = self._store.get(key)
        if found is None or (keep_table and found.table is None):
            return None
        return found

    def _run_and_store(
        self, lookup: Lookup, key: str, run: Callable[[CancelToken], CachedResult], token: CancelToken
    ) -> tuple[CachedResult, bool]:
        """Runs on the flight's own short-lived thread, whose store connections are closed at the end."""
        try:
            if lookup.read:
                found = self._usable(key, lookup.keep_table)
                if found is not None:
                    return found, True
            result = run(token)
            if lookup.ttl_s > 0:
                self._store.put(key, result, ttl_s=lookup.ttl_s, tag=lookup.tag, with_table=lookup.keep_table)
            return result, False
        finally:
            self._store.release_thread()


def _from_store(entry: CachedResult) -> Served:
    age_s = int(max(0.0, time.time() - entry.created))
    # The same frames hold until the entry expires or its age reaches the next whole second.
    until = None if entry.expires_at is None else min(entry.expires_at, entry.created + age_s + 1)
    return Served(entry, "stored", age_s, until)


_opened: dict[Path, ResultCache] = {}
_opened_lock = threading.Lock()


def open_result_cache(directory: Path, size_bytes: int, memory_bytes: int) -> ResultCache:
    """The process's cache for ``directory`` (one per directory, shared by QueryData and resources);
    the caller makes the directory private first."""
    with _opened_lock:
        cache = _opened.get(directory)
        if cache is None:
            store = ResultStore(directory, size_bytes, memory_bytes)
            metrics.CACHE_BYTES.set_function(lambda: float(store.volume()))
            cache = _opened[directory] = ResultCache(store)
        return cache
